package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braidkit/braid/internal/peertest"
)

// Binaries built once for the tests that run them as processes.
var (
	binDir      string
	braidBin    string
	conformBin  string
	buildOnce   sync.Once
	buildErr    error
	buildOutput []byte
	buildFlags  []string // extra go build flags (race_test.go)
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binaries builds braid and the conformance server (once).
func binaries(t testing.TB) (braid, conformance string) {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "braid-test-bin")
		if buildErr != nil {
			return
		}
		braidBin = filepath.Join(binDir, "braid")
		conformBin = filepath.Join(binDir, "conformance")
		cmd := exec.Command("go", append(append([]string{"build"}, buildFlags...), "-o", braidBin, ".")...)
		if buildOutput, buildErr = cmd.CombinedOutput(); buildErr != nil {
			return
		}
		cmd = exec.Command("go", append(append([]string{"build"}, buildFlags...), "-o", conformBin, "../../examples/conformance")...)
		buildOutput, buildErr = cmd.CombinedOutput()
	})
	require.NoError(t, buildErr, "go build: %s", buildOutput)
	return braidBin, conformBin
}

// result is what a finished braid process printed.
type result struct {
	stdout, stderr string
	code           int
}

// runBraid runs the braid binary with stdin and extra environment.
func runBraid(t *testing.T, stdin string, env []string, args ...string) result {
	t.Helper()
	braid, _ := binaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, braid, args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "BRAID_HISTORY=")
	cmd.Env = append(cmd.Env, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{out.String(), errOut.String(), code}
}

// runInProcess runs the command in this process (so the race detector
// sees it), for commands that read no terminal and take no signals.
func runInProcess(stdin string, args ...string) result {
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return result{out.String(), errOut.String(), code}
}

// startConformance starts the Braid conformance server and returns its
// endpoint.
func startConformance(t *testing.T) string {
	t.Helper()
	_, conformance := binaries(t)
	cmd := exec.Command(conformance, "-listen", "tcp:127.0.0.1:0")
	return startServer(t, cmd, "LISTENING ", func(s string) string { return s })
}

// startTwisted starts the Twisted conformance server and returns its
// endpoint; the server exits when its stdin closes.
func startTwisted(t *testing.T) string {
	t.Helper()
	python := peertest.Twisted(t)
	cmd := exec.Command(python, "../../examples/conformance/testdata/twisted_server.py")
	return startServer(t, cmd, "PORT ", func(s string) string { return "tcp:127.0.0.1:" + s })
}

// startServer starts cmd, waits for a stdout line with prefix, and turns
// the rest of it into an endpoint.
func startServer(t *testing.T, cmd *exec.Cmd, prefix string, endpoint func(string) string) string {
	t.Helper()
	stdin, err := cmd.StdinPipe() // kept open: the Twisted server exits on EOF
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &syncWriter{w: &stderr}
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), prefix) {
				lines <- strings.TrimSpace(strings.TrimPrefix(sc.Text(), prefix))
			}
		}
	}()
	select {
	case l := <-lines:
		return endpoint(l)
	case <-time.After(20 * time.Second):
		t.Fatalf("server did not start: %s", stderr.String())
	}
	return ""
}

// syncWriter serialises writes, for buffers shared with goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
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

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
