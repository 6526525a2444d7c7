package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/braidkit/braid/internal/peertest"
	"github.com/braidkit/braid/pb"
	"github.com/braidkit/braid/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the conformance program once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "conformance")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "conformance")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = err
			binPath = string(out)
		}
	})
	require.NoError(t, buildErr, binPath)
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// startProcess starts a server process and waits for the line beginning
// with prefix that tells where it listens; it returns the rest of the line.
// The process is stopped when the test ends.
func startProcess(t *testing.T, prefix string, name string, args ...string) string {
	t.Helper()
	addr, _ := startProcessLog(t, prefix, name, args...)
	return addr
}

// startProcessLog is startProcess that also returns the process's stderr.
func startProcessLog(t *testing.T, prefix string, name string, args ...string) (string, *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, name, args...)
	stdin, err := cmd.StdinPipe() // the Twisted server exits when stdin closes
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		stdin.Close()
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s stderr:\n%s", filepath.Base(name), stderr.String())
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), prefix) {
				lines <- strings.TrimSpace(strings.TrimPrefix(sc.Text(), prefix))
				io.Copy(io.Discard, stdout)
				return
			}
		}
		close(lines)
	}()
	select {
	case l, ok := <-lines:
		require.True(t, ok, "server exited before listening; stderr:\n%s", stderr.String())
		return l, stderr
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not start; stderr:\n%s", stderr.String())
	}
	return "", nil
}

func runClient(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

func twistedServer(t *testing.T, extra ...string) string {
	py := peertest.Twisted(t)
	port := startProcess(t, "PORT", py, append([]string{"testdata/twisted_server.py"}, extra...)...)
	return "tcp:127.0.0.1:" + port
}

func TestTwistedClientAgainstGoServer(t *testing.T) {
	py := peertest.Twisted(t)
	ep := startProcess(t, "LISTENING", binary(t), "-listen", "tcp:127.0.0.1:0")
	port := ep[strings.LastIndex(ep, ":")+1:]
	out, err := runClient(t, py, "testdata/twisted_client.py", "127.0.0.1", port)
	require.NoError(t, err, out)
	require.Contains(t, out, "PASS ")
	t.Log(lastLine(out))
}

func TestGoClientAgainstTwistedServer(t *testing.T) {
	ep := twistedServer(t)
	out, err := runClient(t, binary(t), "-connect", ep)
	require.NoError(t, err, out)
	require.Contains(t, out, "PASS ")
	t.Log(lastLine(out))
}

func TestGoClientFailsAgainstBrokenServer(t *testing.T) {
	ep := twistedServer(t, "--broken")
	out, err := runClient(t, binary(t), "-connect", ep)
	require.Error(t, err, "the client must notice a wrong answer:\n%s", out)
	require.Contains(t, out, "add 2+3")
}

func TestGoClientAgainstGoServer(t *testing.T) {
	ep := startProcess(t, "LISTENING", binary(t), "-listen", "tcp:127.0.0.1:0")
	out, err := runClient(t, binary(t), "-connect", ep)
	require.NoError(t, err, out)
	require.Contains(t, out, "PASS ")
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndex(s, "\n")+1:]
}

// blocker is a client object whose method never answers until released.
type blocker struct {
	pb.Referenceable
	entered chan struct{}
}

func (b *blocker) RemoteWait(ctx context.Context) error {
	b.entered <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

// A Twisted server that dies while a call is pending: the Go call fails at
// once with ErrConnectionLost, and the client's handler context is
// cancelled.
func TestTwistedServerDiesMidCall(t *testing.T) {
	py := peertest.Twisted(t)
	cmd := exec.Command(py, "testdata/twisted_server.py")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	port := strings.TrimSpace(strings.TrimPrefix(line, "PORT"))

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := pb.Dial(ctx, "tcp:127.0.0.1:"+port, nil)
	require.NoError(t, err)
	defer b.Close()
	bl := &blocker{entered: make(chan struct{}, 1)}
	_, err = b.Root().CallRemote(ctx, "store", bl)
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() {
		_, err := b.Root().CallRemote(ctx, "callStored", "wait")
		errc <- err
	}()
	<-bl.entered // the server is now waiting on us, and we on it
	require.NoError(t, cmd.Process.Kill())
	select {
	case err := <-errc:
		require.ErrorIs(t, err, pb.ErrConnectionLost)
	case <-time.After(5 * time.Second):
		t.Fatal("call hung after the Twisted server died")
	}
	<-b.Done()
	b.Wait() // the blocked handler saw its context cancelled and returned
}

// countLines counts the lines of s that contain all the words.
func countLines(s string, words ...string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		all := true
		for _, w := range words {
			all = all && strings.Contains(l, w)
		}
		if all {
			n++
		}
	}
	return n
}

// requireBalancedLogins waits until every login in the log has exactly one
// logout.
func requireBalancedLogins(t *testing.T, log *lockedBuffer, login, logout []string, wantLogins int) {
	t.Helper()
	require.Eventually(t, func() bool {
		return countLines(log.String(), login...) == wantLogins && countLines(log.String(), logout...) == wantLogins
	}, 10*time.Second, 20*time.Millisecond, "want %d logins and as many logouts; log:\n%s", wantLogins, log.String())
	time.Sleep(100 * time.Millisecond)
	require.Equal(t, wantLogins, countLines(log.String(), logout...), "a logout ran twice:\n%s", log.String())
}

func TestTwistedLoginClientAgainstGoServer(t *testing.T) {
	py := peertest.Twisted(t)
	for _, anon := range []bool{false, true} {
		args := []string{"-listen", "tcp:127.0.0.1:0", "-users", "testdata/login_users.txt"}
		expect := "refused"
		logins := 2
		if anon {
			args = append(args, "-anonymous")
			expect = "ok"
			logins = 3
		}
		ep, log := startProcessLog(t, "LISTENING", binary(t), args...)
		port := ep[strings.LastIndex(ep, ":")+1:]
		out, err := runClient(t, py, "testdata/twisted_login_client.py", "127.0.0.1", port,
			"--user", "alice", "--password", "wonderland", "--expect-anonymous", expect)
		require.NoError(t, err, out)
		require.Contains(t, out, "PASS ")
		t.Log(lastLine(out))
		requireBalancedLogins(t, log, []string{"msg=login "}, []string{"msg=logout "}, logins)
	}
}

func TestGoLoginClientAgainstTwistedServer(t *testing.T) {
	py := peertest.Twisted(t)
	port, log := startProcessLog(t, "PORT", py, "testdata/twisted_login_server.py", "--users", "testdata/login_users.txt")
	out, err := runClient(t, binary(t), "-connect", "tcp:127.0.0.1:"+port, "-user", "bob", "-password", "builder")
	require.NoError(t, err, out)
	require.Contains(t, out, "PASS ")
	t.Log(lastLine(out))
	requireBalancedLogins(t, log, []string{"EVENT login bob"}, []string{"EVENT logout bob"}, 1)
}

func TestGoLoginClientAgainstGoServer(t *testing.T) {
	ep, log := startProcessLog(t, "LISTENING", binary(t), "-listen", "tcp:127.0.0.1:0", "-users", "testdata/login_users.txt")
	out, err := runClient(t, binary(t), "-connect", ep, "-user", "alice", "-password", "wonderland")
	require.NoError(t, err, out)
	require.Contains(t, out, "PASS ")
	requireBalancedLogins(t, log, []string{"msg=login "}, []string{"msg=logout "}, 1)
}

// portOf returns the port of a LISTENING endpoint such as tcp:127.0.0.1:PORT.
func portOf(ep string) string { return ep[strings.LastIndex(ep, ":")+1:] }

// The Go client passes against the Go server over every transport.
func TestGoClientAgainstGoServerEveryTransport(t *testing.T) {
	dir := t.TempDir()
	cert, key, err := transport.WriteSelfSigned(dir, "127.0.0.1")
	require.NoError(t, err)
	cases := []struct {
		name   string
		listen string
		dial   func(listening string) string
	}{
		{"tcp", "tcp:127.0.0.1:0", func(l string) string { return l }},
		{"tls", "tls:127.0.0.1:0:cert=" + cert + ":key=" + key,
			func(l string) string { return "tls:127.0.0.1:" + portOf(l) + ":ca=" + cert }},
		{"unix", "unix:" + filepath.Join(dir, "pb.sock"), func(l string) string { return l }},
		{"ws", "ws://127.0.0.1:0/pb", func(l string) string { return "ws://127.0.0.1:" + portOf(strings.TrimSuffix(l, "/pb")) + "/pb" }},
		{"wss", "wss://127.0.0.1:0/pb?cert=" + cert + "&key=" + key,
			func(l string) string {
				return "wss://127.0.0.1:" + portOf(strings.Split(l, "/pb")[0]) + "/pb?ca=" + cert
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			listening := startProcess(t, "LISTENING", binary(t), "-listen", tc.listen)
			out, err := runClient(t, binary(t), "-connect", tc.dial(listening))
			require.NoError(t, err, "listening on %s:\n%s", listening, out)
			require.Contains(t, out, "PASS ")
		})
	}
}

// A certificate the client does not trust is refused (the transport tests
// cover expired certificates and client certificates).
func TestGoClientRefusesBadCertificates(t *testing.T) {
	dir := t.TempDir()
	cert, key, err := transport.WriteSelfSigned(dir, "127.0.0.1")
	require.NoError(t, err)
	require.NoError(t, os.Mkdir(filepath.Join(dir, "other"), 0o755))
	other, _, err := transport.WriteSelfSigned(filepath.Join(dir, "other"), "127.0.0.1")
	require.NoError(t, err)
	listening := startProcess(t, "LISTENING", binary(t), "-listen", "tls:127.0.0.1:0:cert="+cert+":key="+key)
	out, err := runClient(t, binary(t), "-connect", "tls:127.0.0.1:"+portOf(listening)+":ca="+other)
	require.Error(t, err, out)
	assert.Contains(t, out, "certificate")
}

// The stock Twisted client passes against the Go server over TLS and over a
// Unix socket, and the Go client against a Twisted server over both.
func TestTwistedOverTLSAndUnix(t *testing.T) {
	py := peertest.Twisted(t)
	dir := t.TempDir()
	cert, key, err := transport.WriteSelfSigned(dir, "127.0.0.1")
	require.NoError(t, err)

	t.Run("twisted client, go server, tls", func(t *testing.T) {
		l := startProcess(t, "LISTENING", binary(t), "-listen", "tls:127.0.0.1:0:cert="+cert+":key="+key)
		out, err := runClient(t, py, "testdata/twisted_client.py", "127.0.0.1", portOf(l), "--tls-ca", cert)
		require.NoError(t, err, out)
		require.Contains(t, out, "PASS ")
	})
	t.Run("twisted client, go server, unix", func(t *testing.T) {
		sock := filepath.Join(dir, "go.sock")
		startProcess(t, "LISTENING", binary(t), "-listen", "unix:"+sock)
		out, err := runClient(t, py, "testdata/twisted_client.py", "--unix", sock)
		require.NoError(t, err, out)
		require.Contains(t, out, "PASS ")
	})
	t.Run("go client, twisted server, tls", func(t *testing.T) {
		port := startProcess(t, "PORT", py, "testdata/twisted_server.py", "--tls-cert", cert, "--tls-key", key)
		out, err := runClient(t, binary(t), "-connect", "tls:127.0.0.1:"+port+":ca="+cert)
		require.NoError(t, err, out)
		require.Contains(t, out, "PASS ")
	})
	t.Run("go client, twisted server, unix", func(t *testing.T) {
		sock := filepath.Join(dir, "twisted.sock")
		startProcess(t, "UNIX", py, "testdata/twisted_server.py", "--unix", sock)
		out, err := runClient(t, binary(t), "-connect", "unix:"+sock)
		require.NoError(t, err, out)
		require.Contains(t, out, "PASS ")
	})
}

// pgDSN is the PostgreSQL the tests use; CI makes sure it runs.
func pgDSN(t *testing.T) string {
	dsn := os.Getenv("BRAID_TEST_PG_DSN")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	c, err := net.DialTimeout("tcp", "127.0.0.1:5432", 2*time.Second)
	if err != nil {
		peertest.Missing(t, "PostgreSQL on 127.0.0.1:5432", "apt-get install postgresql; pg_ctlcluster 15 main start")
	}
	c.Close()
	return dsn
}

// A Twisted client calls db().runQuery("select 1 as one") on the
// conformance server and gets [{"one": 1}], on PostgreSQL and on SQLite.
func TestTwistedClientDB(t *testing.T) {
	py := peertest.Twisted(t)
	for _, dsn := range []string{pgDSN(t), "sqlite:" + filepath.Join(t.TempDir(), "c.db")} {
		t.Run(strings.SplitN(dsn, ":", 2)[0], func(t *testing.T) {
			l := startProcess(t, "LISTENING", binary(t), "-listen", "tcp:127.0.0.1:0", "-db", dsn)
			out, err := runClient(t, py, "../../db/testdata/twisted_db_client.py", portOf(l))
			require.NoError(t, err, out)
			var got map[string]any
			require.NoError(t, json.Unmarshal([]byte(lastLine(out)), &got), out)
			assert.Equal(t, []any{map[string]any{"one": float64(1)}}, got["one"])
			assert.Contains(t, fmt.Sprint(got["denied"]), "braid.db.PermissionDenied", "the facade is read-only")
		})
	}
}
