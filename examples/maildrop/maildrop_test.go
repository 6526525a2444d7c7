package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/braidkit/braid/internal/peertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// syncBuffer collects run's output.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type maildrop struct {
	dir                string
	smtpPort, pop3Port string
	adminPort          string
}

// start runs maildrop in-process until the test ends.
func start(t *testing.T, extra ...string) *maildrop {
	t.Helper()
	dir := t.TempDir()
	users := filepath.Join(dir, "users.txt")
	require.NoError(t, os.WriteFile(users, []byte("# mail users\nalice:secret\nbob:hunter2\n"), 0o600))
	admins := filepath.Join(dir, "admins.txt")
	require.NoError(t, os.WriteFile(admins, []byte("root:toor\n"), 0o600))
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	errc := make(chan error, 1)
	args := append([]string{"-users", users, "-maildir", filepath.Join(dir, "mail"),
		"-smtp", "tcp:127.0.0.1:0", "-pop3", "tcp:127.0.0.1:0", "-admin", "tcp:127.0.0.1:0"}, extra...)
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "ADMINS", admins)
	}
	go func() { errc <- run(ctx, args, &out, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-errc:
			assert.NoError(t, err)
		case <-time.After(15 * time.Second):
			t.Error("maildrop did not stop")
		}
	})
	md := &maildrop{dir: dir}
	require.Eventually(t, func() bool {
		for _, line := range strings.Split(out.String(), "\n") {
			f := strings.Fields(line)
			if len(f) != 3 || f[0] != "LISTENING" {
				continue
			}
			port := f[2][strings.LastIndexByte(f[2], ':')+1:]
			switch f[1] {
			case "smtp":
				md.smtpPort = port
			case "pop3":
				md.pop3Port = port
			case "admin":
				md.adminPort = port
			}
		}
		return md.smtpPort != "" && md.pop3Port != "" && md.adminPort != ""
	}, 10*time.Second, 10*time.Millisecond, "output: %s", out.String())
	return md
}

func runPeer(t *testing.T, name string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// swaksData is the message swaks sent, from its transcript (client lines
// between the 354 reply and the final dot, unstuffed, CRLF-terminated).
func swaksData(t *testing.T, transcript string) string {
	t.Helper()
	var b strings.Builder
	in := false
	for _, line := range strings.Split(transcript, "\n") {
		line = strings.TrimSuffix(line, "\r")
		switch {
		case !in && (strings.HasPrefix(line, "<~  354 ") || strings.HasPrefix(line, "<-  354 ")):
			in = true
		case in && (strings.HasPrefix(line, " ~> ") || strings.HasPrefix(line, " -> ")):
			if line[4:] == "." {
				return b.String()
			}
			b.WriteString(strings.TrimPrefix(line[4:], ".") + "\r\n")
		case in && (line == " ~> " || line == " -> "):
			b.WriteString("\r\n")
		}
	}
	t.Fatalf("no DATA in swaks transcript:\n%s", transcript)
	return ""
}

// stripReceived removes the leading Received: trace header.
func stripReceived(t *testing.T, msg string) string {
	t.Helper()
	require.True(t, strings.HasPrefix(msg, "Received: "), "no trace header: %q", msg)
	lines := strings.SplitAfter(msg, "\r\n")
	i := 1
	for i < len(lines) && (strings.HasPrefix(lines[i], "\t") || strings.HasPrefix(lines[i], " ")) {
		i++
	}
	return strings.Join(lines[i:], "")
}

type adminResult struct {
	Before  []map[string]any `json:"before"`
	After   []map[string]any `json:"after"`
	Deleted string           `json:"deleted"`
}

// The done-when: swaks delivers with AUTH PLAIN over STARTTLS, curl
// retrieves the message byte for byte (apart from the trace header) over
// POP3 (with APOP, since the greeting offers it), and a Twisted PB client
// lists the message through the SMTP admin object and deletes it.
func TestDoneWhen(t *testing.T) {
	swaks := peertest.Command(t, "swaks", "swaks")
	curl := peertest.Command(t, "curl", "curl")
	python := peertest.Twisted(t)
	md := start(t)

	transcript, stderr, err := runPeer(t, swaks, "--server", "127.0.0.1", "--port", md.smtpPort,
		"--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "secret", "--to", "alice@localhost", "--tls")
	require.NoError(t, err, transcript+stderr)
	sent := swaksData(t, transcript)

	got, trace, err := runPeer(t, curl, "-sS", "-v", "-u", "alice:secret", "pop3://127.0.0.1:"+md.pop3Port+"/1")
	require.NoError(t, err, trace)
	assert.Contains(t, trace, "> APOP alice ", "curl used APOP")
	assert.Equal(t, sent, stripReceived(t, got), "byte for byte apart from the trace header")

	// The admin object lists the message to a Twisted PB client and deletes it.
	out, stderr, err := runPeer(t, python, "../../protocols/smtp/testdata/admin_client.py",
		"--port", md.adminPort, "--path", "smtp", "--mailbox", "alice")
	require.NoError(t, err, stderr)
	var res adminResult
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	require.Len(t, res.Before, 1)
	assert.True(t, strings.HasPrefix(res.Before[0]["subject"].(string), "test "), res.Before[0])
	assert.Equal(t, "alice@localhost", res.Before[0]["to"])
	assert.Empty(t, res.After)

	// Gone from the maildir, and from POP3.
	for _, sub := range []string{"new", "cur", "tmp"} {
		ents, err := os.ReadDir(filepath.Join(md.dir, "mail", "alice", sub))
		require.NoError(t, err)
		assert.Empty(t, ents, sub)
	}
	list, trace, err := runPeer(t, curl, "-sS", "-v", "-u", "alice:secret", "pop3://127.0.0.1:"+md.pop3Port+"/")
	require.NoError(t, err, trace)
	assert.Empty(t, strings.TrimSpace(list), "%q", list) // curl prints an empty listing as a blank line
}

func TestUnknownUserAndRelayRefused(t *testing.T) {
	swaks := peertest.Command(t, "swaks", "swaks")
	md := start(t)
	out, _, err := runPeer(t, swaks, "--server", "127.0.0.1", "--port", md.smtpPort, "--to", "nobody@localhost")
	require.Error(t, err)
	assert.Contains(t, out, "550 5.1.1")
	out, _, err = runPeer(t, swaks, "--server", "127.0.0.1", "--port", md.smtpPort, "--to", "someone@example.com")
	require.Error(t, err)
	assert.Contains(t, out, "550 5.7.1")
	// Authenticated, but maildrop has no relay: still refused.
	out, _, err = runPeer(t, swaks, "--server", "127.0.0.1", "--port", md.smtpPort, "--tls",
		"--auth", "LOGIN", "--auth-user", "bob", "--auth-password", "hunter2", "--to", "someone@example.com")
	require.Error(t, err)
	assert.Contains(t, out, "235 2.7.0")
	assert.Contains(t, out, "550 5.7.1")
}

func TestAdminLogin(t *testing.T) {
	swaks := peertest.Command(t, "swaks", "swaks")
	python := peertest.Twisted(t)
	md := start(t, "-admin-users", "ADMINS")
	out, _, err := runPeer(t, swaks, "--server", "127.0.0.1", "--port", md.smtpPort, "--to", "bob@localhost")
	require.NoError(t, err, out)

	out, stderr, err := runPeer(t, python, "../../protocols/smtp/testdata/admin_client.py",
		"--port", md.adminPort, "--user", "root", "--password", "toor", "--path", "smtp", "--mailbox", "bob", "--no-delete")
	require.NoError(t, err, stderr)
	var res adminResult
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	assert.Len(t, res.Before, 1)

	_, stderr, err = runPeer(t, python, "../../protocols/smtp/testdata/admin_client.py",
		"--port", md.adminPort, "--user", "root", "--password", "wrong", "--path", "smtp", "--mailbox", "bob", "--no-delete")
	require.Error(t, err)
	assert.Contains(t, stderr, "UnauthorizedLogin")
}

func TestFlags(t *testing.T) {
	var errOut strings.Builder
	err := run(context.Background(), []string{"-maildir", t.TempDir()}, io.Discard, &errOut)
	require.Error(t, err)
	assert.Contains(t, errOut.String(), "usage: maildrop")
	err = run(context.Background(), []string{"-users", "/nonexistent", "-maildir", t.TempDir()}, io.Discard, io.Discard)
	require.Error(t, err)
	err = run(context.Background(), []string{"-users", "x", "-maildir", "y", "-tls-cert", "c"}, io.Discard, io.Discard)
	require.ErrorContains(t, err, "go together")
}
