package pb_test

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/jelly/native"
	"github.com/braidkit/braid/pb"
)

// nativeFrame wraps a native message as the dialect frames it: a msgpack
// bin 32 holding the message's bytes.
func nativeFrame(body []byte) []byte {
	f := []byte{0xc6, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(f[1:], uint32(len(body)))
	return append(f, body...)
}

func nativeMsg(t *testing.T, expr any) []byte {
	t.Helper()
	b, err := native.Append(nil, expr, banana.Limits{})
	require.NoError(t, err)
	return nativeFrame(b)
}

// readNative reads one framed native message.
func (rc *rawClient) readNative() any {
	rc.t.Helper()
	h := rc.readRaw(5)
	require.Equal(rc.t, byte(0xc6), h[0], "frame header")
	body := rc.readRaw(int(binary.BigEndian.Uint32(h[1:])))
	expr, rest, err := native.DecodeBytes(body, banana.Limits{})
	require.NoError(rc.t, err)
	require.Empty(rc.t, rest, "one expression per frame")
	return expr
}

// rawNative dials ts, chooses the native dialect and exchanges versions.
func rawNative(t *testing.T, ts *testServer) *rawClient {
	t.Helper()
	rc := rawDial(t, ts)
	choice, err := banana.Append(nil, []byte(native.DialectName), banana.DialectNone, banana.Limits{})
	require.NoError(t, err)
	rc.write(choice)
	assert.True(t, banana.Equal([]any{"version", int64(6)}, rc.readNative()))
	rc.write(nativeMsg(t, []any{"version", int64(6)}))
	return rc
}

func addCall(id int64) []any {
	return []any{"message", id, "root", "add", int64(1), []any{"tuple", id, int64(1)}, []any{"dictionary"}}
}

// The native dialect frames each message with its length; a well-formed
// exchange, byte for byte.
func TestNativeFraming(t *testing.T) {
	ts := startServer(t, newCalc(), pb.Config{})
	rc := rawNative(t, ts)
	rc.write(nativeMsg(t, addCall(1)))
	assert.True(t, banana.Equal([]any{"answer", int64(1), int64(2)}, rc.readNative()))
	// Two messages in one write, and one split across writes.
	two := append(nativeMsg(t, addCall(2)), nativeMsg(t, addCall(3))...)
	rc.write(two[:7])
	time.Sleep(20 * time.Millisecond)
	rc.write(two[7:])
	assert.True(t, banana.Equal([]any{"answer", int64(2), int64(3)}, rc.readNative()))
	assert.True(t, banana.Equal([]any{"answer", int64(3), int64(4)}, rc.readNative()))
}

// Hostile native frames close only their own connection, with the reason
// logged; nothing the peer announces is allocated before it arrives.
func TestNativeFramingHostile(t *testing.T) {
	lim := pb.Limits{MessageTimeout: 300 * time.Millisecond, Banana: banana.Limits{MaxString: 100, MaxList: 50, MaxDepth: 20}}
	deep := []byte{0x91} // [[[…[1]…]]], 30 deep
	for range 29 {
		deep = append(deep, 0x91)
	}
	deep = append(deep, 0x01)
	bigStr, err := native.Append(nil, []any{"message", int64(1), "root", "echo", int64(1),
		[]any{"tuple", []byte(strings.Repeat("x", 101))}, []any{"dictionary"}}, banana.Limits{})
	require.NoError(t, err)
	longList := []byte{0xdc, 0, 51} // array 16 of 51 members
	for range 51 {
		longList = append(longList, 0x01)
	}
	twoExprs := append(mustNative(t, addCall(1)), mustNative(t, addCall(2))...)
	for _, tc := range []struct {
		name   string
		bytes  []byte
		reason string
	}{
		{"not a frame", mustNative(t, addCall(1)), "not a frame header"},
		{"announced too long", []byte{0xc6, 0x7f, 0xff, 0xff, 0xff}, "exceeds the limit of 4194304"},
		{"announced and never sent", []byte{0xc6, 0x00, 0x3f, 0xff, 0xff}, "longer than 300ms"},
		{"nested too deep", nativeFrame(deep), "nested too deep"},
		{"string too long", nativeFrame(bigStr), "string of 101 exceeds the limit of 100"},
		{"list too long", nativeFrame(longList), "list of 51 exceeds the limit of 50"},
		{"two messages in one frame", nativeFrame(twoExprs), "bytes after the message"},
		{"empty frame", nativeFrame(nil), "end of input"},
		{"truncated message", nativeFrame(mustNative(t, addCall(1))[:10]), "input ends inside an expression"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, newCalc(), pb.Config{Limits: lim})
			good := dial(t, ts)
			rc := rawNative(t, ts)
			rc.write(tc.bytes)
			assert.True(t, rc.closed(), "the connection must be closed")
			assert.Eventually(t, func() bool { return strings.Contains(ts.logs.String(), tc.reason) },
				5*time.Second, 10*time.Millisecond, "log should say %q", tc.reason)
			sum, err := pb.Call[int](ctxT(t), good.Root(), "add", 2, 2)
			require.NoError(t, err)
			assert.Equal(t, 4, sum)
		})
	}
}

func mustNative(t *testing.T, expr any) []byte {
	t.Helper()
	b, err := native.Append(nil, expr, banana.Limits{})
	require.NoError(t, err)
	return b
}
