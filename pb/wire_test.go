package pb_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/pb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err)
	return b
}

// rawClient speaks bytes to a server, after doing the handshake by hand.
type rawClient struct {
	t    *testing.T
	conn net.Conn
	dec  *banana.Decoder
}

func rawDial(t *testing.T, ts *testServer) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", ts.addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	rc := &rawClient{t: t, conn: c, dec: banana.NewDecoder(bufio.NewReader(c), banana.Limits{})}
	offer, err := rc.dec.Decode()
	require.NoError(t, err)
	assert.True(t, banana.Equal([]any{"braid-msgpack", "pb", "none"}, offer), "offer: %v", offer)
	return rc
}

func (rc *rawClient) write(b []byte) {
	_, err := rc.conn.Write(b)
	require.NoError(rc.t, err)
}

// readRaw reads exactly n bytes.
func (rc *rawClient) readRaw(n int) []byte {
	b := make([]byte, n)
	_, err := io.ReadFull(rc.conn, b)
	require.NoError(rc.t, err)
	return b
}

// closed reports whether the server closed the connection.
func (rc *rawClient) closed() bool {
	rc.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.Copy(io.Discard, rc.conn)
	// EOF, or a reset when the peer closed with our bytes unread.
	return err == nil || errors.Is(err, syscall.ECONNRESET)
}

// The exact bytes of spec Appendix A: handshake, then add(1, 2), from a
// server configured with Twisted's dialects only.
func TestWireTranscriptServer(t *testing.T) {
	ts := startServer(t, newCalc(), pb.Config{Dialects: []string{"pb", "none"}})
	c, err := net.Dial("tcp", ts.addr)
	require.NoError(t, err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	rc := &rawClient{t: t, conn: c}
	// The server offers ["pb", "none"] exactly as Twisted does (spec 1.9).
	assert.Equal(t, unhex(t, "02 80 02 82 70 62 04 82 6e 6f 6e 65"), rc.readRaw(12))
	rc.write(unhex(t, "02 82 70 62"))       // choose "pb"
	rc.write(unhex(t, "02 80 13 87 06 81")) // [@version, 6]
	assert.Equal(t, unhex(t, "02 80 13 87 06 81"), rc.readRaw(6))
	rc.write(unhex(t, "07 80 1a 87 01 81 04 82 72 6f 6f 74 03 82 61 64 64 01 81 03 80 0b 87 01 81 02 81 01 80 05 87"))
	assert.Equal(t, unhex(t, "03 80 1b 87 01 81 03 81"), rc.readRaw(8)) // [@answer, 1, 3]
}

// A Braid client sends what a Twisted client sends (spec Appendix A).
func TestWireTranscriptClient(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		c.Write(unhex(t, "02 80 02 82 70 62 04 82 6e 6f 6e 65"))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		want := 4 + 6 + 31
		buf := make([]byte, want)
		io.ReadFull(c, buf)
		c.Write(unhex(t, "02 80 13 87 06 81 03 80 1b 87 01 81 03 81"))
		got <- buf
		io.Copy(io.Discard, c)
	}()
	b, err := pb.Dial(ctxT(t), "tcp:"+l.Addr().String(), nil)
	require.NoError(t, err)
	defer b.Close()
	v, err := b.Root().CallRemote(ctxT(t), "add", 1, 2)
	require.NoError(t, err)
	assert.Equal(t, int64(3), v)
	assert.Equal(t, unhex(t, "02 82 70 62"+"02 80 13 87 06 81"+
		"07 80 1a 87 01 81 04 82 72 6f 6f 74 03 82 61 64 64 01 81 03 80 0b 87 01 81 02 81 01 80 05 87"), <-got)
}

// Hostile input closes only the offending connection, with a logged
// reason; the server keeps serving everyone else.
func TestHostileInput(t *testing.T) {
	deep := bytes.Repeat([]byte{0x01, 0x80}, 10000)
	cases := []struct {
		name   string
		first  string // bytes after the offer
		then   []byte
		reason string
	}{
		{"length prefix 2^40", "02 82 70 62 02 80 13 87 06 81", []byte{0, 0, 0, 0, 0, 0x20, 0x82}, "limit"},
		{"65 prefix digits", "02 82 70 62", bytes.Repeat([]byte{0x01}, 65), "prefix"},
		{"unknown type byte", "02 82 70 62", []byte{0x01, 0x88}, "type byte"},
		{"list nested 10000 deep", "02 82 70 62", deep, "deep"},
		{"decref of unknown id", "02 82 70 62 02 80 13 87 06 81", unhex(t, "02 80 1d 87 2a 81"), "decref of unknown id 42"},
		{"decref of the root", "02 82 70 62", unhex(t, "02 80 1d 87 04 82 72 6f 6f 74"), "decref"},
		{"answer nobody asked for", "02 82 70 62", unhex(t, "03 80 1b 87 63 81 01 81"), "not pending"},
		{"wrong version", "02 82 70 62", unhex(t, "02 80 13 87 05 81"), "version"},
		{"non-list message", "02 82 70 62", unhex(t, "05 81"), "non-list"},
		{"message with 6 fields", "02 82 70 62", unhex(t, "06 80 1a 87 01 81 04 82 72 6f 6f 74 03 82 61 64 64 01 81 03 80 0b 87 01 81 02 81"), "fields"},
		{"dialect not offered", "03 82 66 6f 6f", nil, "not offered"},
		{"vocab in dialect none", "04 82 6e 6f 6e 65 02 80 13 87 06 81", nil, "VOCAB"},
		{"garbage before the handshake", "ff ff ff", nil, "type byte"},
	}
	ts := startServer(t, newCalc(), pb.Config{})
	good := dial(t, ts)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := rawDial(t, ts)
			rc.write(unhex(t, tc.first))
			if tc.then != nil {
				rc.write(tc.then)
			}
			assert.True(t, rc.closed(), "server must close the connection")
			assert.Eventually(t, func() bool {
				return strings.Contains(strings.ToLower(ts.logs.String()), strings.ToLower(tc.reason))
			}, 5*time.Second, 10*time.Millisecond, "log should give the reason %q; log:\n%s", tc.reason, ts.logs.String())
			sum, err := pb.Call[int](ctxT(t), good.Root(), "add", 20, 22)
			require.NoError(t, err, "other clients keep being served")
			assert.Equal(t, 42, sum)
		})
	}
}

// Bad arguments fail that call only; the connection stays.
func TestInsecureArgumentsFailTheCall(t *testing.T) {
	ts := startServer(t, newCalc(), pb.Config{})
	rc := rawDial(t, ts)
	rc.write(unhex(t, "02 82 70 62 02 80 13 87 06 81"))
	rc.readRaw(6)
	rc.dec.SetDialect(banana.DialectPB)
	// echo([class, "builtins.int"]) -> InsecureJelly error reply.
	rc.write(unhex(t, "07 80 1a 87 01 81 04 82 72 6f 6f 74 04 82 65 63 68 6f 01 81 02 80 0b 87 02 80 02 87 0c 82 62 75 69 6c 74 69 6e 73 2e 69 6e 74 01 80 05 87"))
	v, err := rc.dec.Decode()
	require.NoError(t, err)
	msg := v.([]any)
	assert.Equal(t, "error", string(msg[0].([]byte)))
	failure := msg[2].([]any)
	assert.Equal(t, "twisted.spread.pb.CopyableFailure", string(failure[0].([]byte)))
	assert.Contains(t, fmt.Sprintf("%s", failure), "twisted.spread.jelly.InsecureJelly")
	// Still serving.
	rc.write(unhex(t, "07 80 1a 87 02 81 04 82 72 6f 6f 74 03 82 61 64 64 01 81 03 80 0b 87 01 81 02 81 01 80 05 87"))
	v, err = rc.dec.Decode()
	require.NoError(t, err)
	assert.True(t, banana.Equal([]any{[]byte("answer"), int64(2), int64(3)}, v))
}

// A peer that trickles a message a byte at a time is cut off once the
// message has taken longer than MessageTimeout; others are unaffected.
func TestSlowLoris(t *testing.T) {
	ts := startServer(t, newCalc(), pb.Config{Limits: pb.Limits{MessageTimeout: 300 * time.Millisecond}})
	good := dial(t, ts)
	rc := rawDial(t, ts)
	rc.write(unhex(t, "02 82 70 62 02 80 13 87 06 81"))
	msg := unhex(t, "07 80 1a 87 01 81 04 82 72 6f 6f 74 03 82 61 64 64 01 81 03 80 0b 87 01 81 02 81 01 80 05 87")
	start := time.Now()
	closedAt := time.Duration(0)
	for _, c := range msg {
		if _, err := rc.conn.Write([]byte{c}); err != nil {
			closedAt = time.Since(start)
			break
		}
		time.Sleep(100 * time.Millisecond)
		sum, err := pb.Call[int](ctxT(t), good.Root(), "add", 1, 1)
		require.NoError(t, err)
		require.Equal(t, 2, sum)
	}
	if closedAt == 0 {
		assert.True(t, rc.closed(), "the trickling peer must be disconnected")
	}
	assert.Eventually(t, func() bool { return strings.Contains(ts.logs.String(), "longer than 300ms") }, 5*time.Second, 10*time.Millisecond)
}

// Unknown ids in cache messages: decache and uncache close the connection
// (as Twisted does); a cachemessage to an unknown cache fails that call.
func TestUnknownCacheIDs(t *testing.T) {
	ts := startServer(t, newCalc(), pb.Config{})
	for _, tc := range []struct{ name, msg, reason string }{
		{"decache", "02 80 1e 87 05 81", "decache of unknown cache id 5"},
		{"uncache", "02 80 1f 87 05 81", "uncache of unknown cache id 5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := rawDial(t, ts)
			rc.write(unhex(t, "02 82 70 62"))
			rc.write(unhex(t, tc.msg))
			assert.True(t, rc.closed())
			assert.Eventually(t, func() bool { return strings.Contains(ts.logs.String(), tc.reason) }, 5*time.Second, 10*time.Millisecond)
		})
	}
	rc := rawDial(t, ts)
	rc.write(unhex(t, "02 82 70 62 02 80 13 87 06 81"))
	rc.readRaw(6)
	rc.dec.SetDialect(banana.DialectPB)
	// [@cachemessage, 1, 9, b'setValue', 1, [@tuple, 1], [@dictionary]]
	rc.write(unhex(t, "07 80 19 87 01 81 09 81 08 82 73 65 74 56 61 6c 75 65 01 81 02 80 0b 87 01 81 01 80 05 87"))
	v, err := rc.dec.Decode()
	require.NoError(t, err)
	assert.Equal(t, "error", string(v.([]any)[0].([]byte)))
}

// A list that announces the largest count allowed and then sends nothing
// costs little memory and is cut off by the message timeout.
func TestHugeListCountWithNoElements(t *testing.T) {
	ts := startServer(t, newCalc(), pb.Config{Limits: pb.Limits{MessageTimeout: 200 * time.Millisecond}})
	rc := rawDial(t, ts)
	rc.write(unhex(t, "02 82 70 62 02 80 13 87 06 81"))
	rc.write(unhex(t, "00 00 28 80")) // a list of 655,360 elements
	assert.True(t, rc.closed())
	assert.Eventually(t, func() bool { return strings.Contains(ts.logs.String(), "longer than 200ms") }, 5*time.Second, 10*time.Millisecond)
}
