package pop3

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braidkit/braid/internal/peertest"
)

func (ts *testServer) port() string {
	_, p, _ := net.SplitHostPort(ts.addr)
	return p
}

func runPeer(t *testing.T, name string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

type stringsBuilder struct{ b []byte }

func (s *stringsBuilder) Write(p []byte) (int, error) { s.b = append(s.b, p...); return len(p), nil }
func (s *stringsBuilder) String() string              { return string(s.b) }

const testMessage = "From: carol@example.org\r\nTo: alice@localhost\r\nSubject: hi\r\n\r\nfirst line\r\n.a dot line\r\n..\r\nlast line\r\n"

// curl uses APOP whenever the greeting carries a timestamp.
func TestCurlRetrievesWithAPOP(t *testing.T) {
	curl := peertest.Command(t, "curl", "curl")
	ts := startServer(t)
	ts.deliver(t, "alice", testMessage)
	out, trace, err := runPeer(t, curl, "-sS", "-v", "-u", "alice:secret", "pop3://127.0.0.1:"+ts.port()+"/1")
	require.NoError(t, err, trace)
	assert.Contains(t, trace, "> APOP alice ")
	assert.NotContains(t, trace, "> PASS")
	assert.Equal(t, testMessage, out)

	// A wrong password fails.
	_, trace, err = runPeer(t, curl, "-sS", "-v", "-u", "alice:nope", "pop3://127.0.0.1:"+ts.port()+"/1")
	require.Error(t, err)
	assert.Contains(t, trace, "-ERR [AUTH]")
}

func TestCurlSTLSAndListing(t *testing.T) {
	curl := peertest.Command(t, "curl", "curl")
	ts := startServer(t)
	a := ts.deliver(t, "alice", testMessage)
	b := ts.deliver(t, "alice", "Subject: 2\r\n\r\nx\r\n")
	out, trace, err := runPeer(t, curl, "-sS", "-v", "--ssl-reqd", "-k", "-u", "alice:secret", "pop3://127.0.0.1:"+ts.port()+"/")
	require.NoError(t, err, trace)
	assert.Contains(t, trace, "> STLS")
	assert.Equal(t, "1 "+itoa(a.Size)+"\r\n2 "+itoa(b.Size)+"\r\n", out)
}

// Without APOP (no plaintext secrets), curl falls back to USER/PASS.
func TestCurlUserPass(t *testing.T) {
	curl := peertest.Command(t, "curl", "curl")
	ts := startServer(t, func(s *Server) { s.Portal = portal(false) })
	ts.deliver(t, "alice", testMessage)
	out, trace, err := runPeer(t, curl, "-sS", "-v", "--ssl-reqd", "-k", "-u", "alice:secret", "pop3://127.0.0.1:"+ts.port()+"/1")
	require.NoError(t, err, trace)
	assert.Contains(t, trace, "> USER alice")
	assert.Equal(t, testMessage, out)
}

type poplibResult struct {
	Greeting string   `json:"greeting"`
	Capa     []string `json:"capa"`
	Stat     []int64  `json:"stat"`
	UIDL     []string `json:"uidl"`
	Messages []string `json:"messages"`
	Error    string   `json:"error"`
}

func runPoplib(t *testing.T, ts *testServer, args ...string) poplibResult {
	t.Helper()
	python := peertest.Command(t, peertest.Python, "python3")
	out, stderr, err := runPeer(t, python, append([]string{"testdata/poplib_client.py", "--port", ts.port()}, args...)...)
	require.NoError(t, err, stderr)
	var res poplibResult
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	return res
}

func TestPoplib(t *testing.T) {
	ts := startServer(t)
	m := ts.deliver(t, "alice", testMessage)

	for _, mode := range []string{"stls-user", "apop"} {
		t.Run(mode, func(t *testing.T) {
			res := runPoplib(t, ts, "--user", "alice", "--password", "secret", "--mode", mode)
			require.Empty(t, res.Error)
			assert.Equal(t, []int64{1, m.Size}, res.Stat)
			assert.Equal(t, []string{m.ID}, res.UIDL)
			require.Len(t, res.Messages, 1)
			got, err := base64.StdEncoding.DecodeString(res.Messages[0])
			require.NoError(t, err)
			assert.Equal(t, testMessage, string(got))
			assert.Contains(t, res.Capa, "UIDL")
		})
	}
	t.Run("bad apop", func(t *testing.T) {
		res := runPoplib(t, ts, "--user", "alice", "--password", "wrong", "--mode", "apop")
		assert.Contains(t, res.Error, "-ERR [AUTH]")
	})
	t.Run("user without tls", func(t *testing.T) {
		res := runPoplib(t, ts, "--user", "alice", "--password", "secret", "--mode", "user")
		assert.Contains(t, res.Error, "-ERR [AUTH]")
	})
	t.Run("dele", func(t *testing.T) {
		res := runPoplib(t, ts, "--user", "alice", "--password", "secret", "--mode", "apop", "--dele", "1")
		require.Empty(t, res.Error)
		assert.Equal(t, 0, ts.count(t, "alice"))
	})
}

func TestPoplibInUse(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.AllowInsecureAuth = true })
	ts.deliver(t, "alice", testMessage)
	r := dialRaw(t, ts.addr)
	r.cmd("USER alice", "+OK")
	r.cmd("PASS secret", "+OK")
	res := runPoplib(t, ts, "--user", "alice", "--password", "secret", "--mode", "user")
	assert.Contains(t, res.Error, "-ERR [IN-USE]")
	res = runPoplib(t, ts, "--user", "alice", "--password", "secret", "--mode", "apop")
	assert.Contains(t, res.Error, "-ERR [IN-USE]")
}
