// Package peertest finds the real third-party peers (Debian's Twisted,
// command-line clients) that Braid's interoperability tests run against.
//
// A plain `go test ./...` skips a peer test, with a message, when its peer
// is missing. The project's test command sets BRAID_REQUIRE_PEERS=1, and
// then a missing peer fails the test instead, naming what to install.
package peertest

import (
	"os"
	"os/exec"
	"sync"
	"testing"
)

// RequireEnv is the environment variable that turns a missing peer from a
// skip into a failure.
const RequireEnv = "BRAID_REQUIRE_PEERS"

// Python is the interpreter that has Debian's python3-twisted installed.
const Python = "/usr/bin/python3"

var (
	twistedOnce sync.Once
	twistedErr  error
)

// Required reports whether missing peers must fail tests.
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// Missing skips t, or fails it when peers are required, because what is
// missing; install says how to get it.
func Missing(t testing.TB, what, install string) {
	t.Helper()
	if Required() {
		t.Fatalf("required test peer missing: %s (install: %s)", what, install)
	}
	t.Skipf("test peer missing: %s (install: %s; set %s=1 to fail instead)", what, install, RequireEnv)
}

// Twisted returns the path of a Python interpreter that can import
// twisted.spread.pb, or skips/fails t.
func Twisted(t testing.TB) string {
	t.Helper()
	twistedOnce.Do(func() {
		twistedErr = exec.Command(Python, "-c", "import twisted.spread.pb, twisted.cred").Run()
	})
	if twistedErr != nil {
		Missing(t, "Twisted for "+Python+" ("+twistedErr.Error()+")", "apt-get install python3-twisted")
	}
	return Python
}

// Command returns the path of the named command-line peer, or skips/fails t.
func Command(t testing.TB, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name, "apt-get install "+debianPackage)
	}
	return p
}
