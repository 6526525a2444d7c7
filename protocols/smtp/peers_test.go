package smtp

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braidkit/braid/internal/peertest"
	"github.com/braidkit/braid/pb"
)

func (ts *testServer) port() string {
	_, p, _ := net.SplitHostPort(ts.addr)
	return p
}

func runPeer(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

// swaksData extracts the message swaks sent from its transcript: the
// client lines between the 354 reply and the final dot, unstuffed.
func swaksData(t *testing.T, transcript string) string {
	t.Helper()
	var b strings.Builder
	in := false
	for _, line := range strings.Split(transcript, "\n") {
		line = strings.TrimSuffix(line, "\r")
		switch {
		case !in && strings.Contains(line, "<~  354 ") || strings.Contains(line, "<-  354 "):
			in = true
		case in && (strings.HasPrefix(line, " ~> ") || strings.HasPrefix(line, " -> ")):
			text := line[4:]
			if text == "." {
				return b.String()
			}
			// The transcript shows the wire form: undo the dot-stuffing.
			b.WriteString(strings.TrimPrefix(text, ".") + "\r\n")
		case in && (line == " ~> " || line == " -> "):
			b.WriteString("\r\n")
		}
	}
	t.Fatalf("no DATA in swaks transcript:\n%s", transcript)
	return ""
}

// The done-when command (the POP3 half is in examples/maildrop).
func TestSwaksAuthPlainTLS(t *testing.T) {
	swaks := peertest.Command(t, "swaks", "swaks")
	ts := startServer(t, func(s *Server) { s.Hostname = "localhost" })
	out, err := runPeer(t, swaks, "--server", "127.0.0.1", "--port", ts.port(), "--auth", "PLAIN",
		"--auth-user", "alice", "--auth-password", "secret", "--to", "alice@localhost", "--tls")
	require.NoError(t, err, out)
	assert.Contains(t, out, "235 2.7.0")
	infos := ts.messages(t, "alice")
	require.Len(t, infos, 1)
	got := ts.content(t, "alice", infos[0].ID)
	assert.Equal(t, swaksData(t, out), stripReceived(t, got))
	assert.Contains(t, got, "with ESMTPSA id")
	c := ts.Counters()
	assert.EqualValues(t, 1, c.TLSHandshakes)
	assert.EqualValues(t, 1, c.AuthSuccesses)
}

func TestSwaksAuthLoginWithDotsAnd8Bit(t *testing.T) {
	swaks := peertest.Command(t, "swaks", "swaks")
	ts := startServer(t)
	msg := "From: alice@localhost\r\nTo: bob@localhost\r\nSubject: dots\r\n\r\n.starts with a dot\r\n..two dots\r\n.\r\nh\xc3\xa9llo 8bit\r\n"
	file := filepath.Join(t.TempDir(), "msg.eml")
	// swaks's --data takes the message as is and dot-stuffs it itself, but
	// a line holding only "." would end its message: leave that one out.
	msg = strings.Replace(msg, "\r\n.\r\n", "\r\n", 1)
	require.NoError(t, os.WriteFile(file, []byte(msg), 0o600))
	out, err := runPeer(t, swaks, "--server", "127.0.0.1", "--port", ts.port(), "--tls",
		"--auth", "LOGIN", "--auth-user", "bob", "--auth-password", "hunter2",
		"--from", "alice@localhost", "--to", "bob@localhost", "--data", "@"+file)
	require.NoError(t, err, out)
	assert.Contains(t, out, "334 VXNlcm5hbWU6")
	infos := ts.messages(t, "bob")
	require.Len(t, infos, 1)
	got := stripReceived(t, ts.content(t, "bob", infos[0].ID))
	// swaks ends the text with an extra CRLF of its own; the transcript
	// shows exactly what it sent.
	assert.Equal(t, swaksData(t, out), got)
	assert.True(t, strings.HasPrefix(got, msg), "%q", got)
}

func TestSwaksRelayRefused(t *testing.T) {
	swaks := peertest.Command(t, "swaks", "swaks")
	ts := startServer(t, func(s *Server) { s.Relay = &relayRecorder{} })
	out, err := runPeer(t, swaks, "--server", "127.0.0.1", "--port", ts.port(), "--to", "victim@example.com",
		"--from", "spammer@example.net")
	require.Error(t, err, out)
	assert.Contains(t, out, "550 5.7.1")
	assert.EqualValues(t, 1, ts.Counters().RecipientsRefused)
}

func TestSwaksWrongPassword(t *testing.T) {
	swaks := peertest.Command(t, "swaks", "swaks")
	ts := startServer(t)
	out, err := runPeer(t, swaks, "--server", "127.0.0.1", "--port", ts.port(), "--tls", "--auth", "PLAIN",
		"--auth-user", "alice", "--auth-password", "wrong", "--to", "alice@localhost")
	require.Error(t, err, out)
	assert.Contains(t, out, "535 5.7.8")
	assert.Empty(t, ts.messages(t, "alice"))
}

func TestCurlSendsMail(t *testing.T) {
	curl := peertest.Command(t, "curl", "curl")
	ts := startServer(t)
	msg := "From: alice@localhost\r\nTo: bob@localhost\r\nSubject: from curl\r\n\r\nHello from curl.\r\n.hidden dot\r\n"
	file := filepath.Join(t.TempDir(), "msg.eml")
	require.NoError(t, os.WriteFile(file, []byte(msg), 0o600))
	out, err := runPeer(t, curl, "-sS", "-v", "--url", "smtp://127.0.0.1:"+ts.port(), "--ssl-reqd", "-k",
		"-u", "alice:secret", "--mail-from", "alice@localhost", "--mail-rcpt", "bob@localhost",
		"--upload-file", file)
	require.NoError(t, err, out)
	assert.Contains(t, out, "STARTTLS")
	assert.Contains(t, out, "235 2.7.0")
	infos := ts.messages(t, "bob")
	require.Len(t, infos, 1)
	assert.Equal(t, msg, stripReceived(t, ts.content(t, "bob", infos[0].ID)))
}

func TestCurlRefusesToSendWithoutTLSWhenRequired(t *testing.T) {
	curl := peertest.Command(t, "curl", "curl")
	ts := startServer(t, func(s *Server) { s.TLSConfig = nil })
	out, err := runPeer(t, curl, "-sS", "--url", "smtp://127.0.0.1:"+ts.port(), "--ssl-reqd",
		"--mail-from", "a@localhost", "--mail-rcpt", "alice@localhost", "--upload-file", "/dev/null")
	require.Error(t, err, out)
	assert.Empty(t, ts.messages(t, "alice"))
}

// A Twisted PB client lists the delivered messages through the admin object
// and deletes one.
func TestTwistedAdminClient(t *testing.T) {
	python := peertest.Twisted(t)
	ts := startServer(t)
	ctx := context.Background()
	for i, subject := range []string{"first", "second"} {
		msg := "From: carol@example.org\r\nSubject: " + subject + "\r\n\r\nbody " + strconv.Itoa(i) + "\r\n"
		require.NoError(t, SendMail(ctx, "tcp:"+ts.addr, SendOptions{}, "carol@example.org", []string{"alice@localhost"}, strings.NewReader(msg)))
	}
	before := ts.messages(t, "alice")
	require.Len(t, before, 2)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	pbSrv := &pb.Server{Root: NewAdmin(ts.Server), Config: pb.Config{Logger: quietLogger()}}
	go pbSrv.Serve(l)
	defer pbSrv.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())

	out, err := runPeer(t, python, "testdata/admin_client.py", "--port", port, "--mailbox", "alice")
	require.NoError(t, err, out)
	var res struct {
		Counters map[string]int64 `json:"counters"`
		Before   []map[string]any `json:"before"`
		Deleted  string           `json:"deleted"`
		After    []map[string]any `json:"after"`
		Sessions []map[string]any `json:"sessions"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	require.Len(t, res.Before, 2)
	assert.Equal(t, "first", res.Before[0]["subject"])
	assert.Equal(t, "second", res.Before[1]["subject"])
	assert.Equal(t, before[0].ID, res.Before[0]["id"])
	assert.EqualValues(t, before[0].Size, res.Before[0]["size"])
	assert.EqualValues(t, 2, res.Counters["messagesAccepted"])
	assert.Equal(t, before[0].ID, res.Deleted)
	require.Len(t, res.After, 1)
	assert.Equal(t, "second", res.After[0]["subject"])

	// The deletion happened in the store.
	after := ts.messages(t, "alice")
	require.Len(t, after, 1)
	assert.Equal(t, before[1].ID, after[0].ID)
	_, err = ts.store.Open(ctx, "alice", before[0].ID)
	assert.ErrorIs(t, err, ErrNotFound)
}
