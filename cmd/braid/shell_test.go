package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braidkit/braid/internal/peertest"
)

// TestShellScriptBinary is the Done-when check: the shell reads a script
// from a pipe.
func TestShellScriptBinary(t *testing.T) {
	ep := startConformance(t)
	r := runBraid(t, "c = root.child(\"x\")\nc.set(5)\nc.get()\n", nil, "shell", ep)
	assert.Equal(t, result{stdout: "5\n"}, r)

	r = runBraid(t, "root.add(1, 1)\nroot.fail(\"x\")\nroot.add(2, 2)\n", nil, "shell", ep)
	assert.Equal(t, result{stdout: "2\n", stderr: "error: line 2: conformance.Failure: x\n", code: 1}, r)
}

func TestShellScript(t *testing.T) {
	ep := startConformance(t)
	sh := func(script string, args ...string) result {
		t.Helper()
		return runInProcess(script, append([]string{"shell"}, append(args, ep)...)...)
	}

	t.Run("values and variables", func(t *testing.T) {
		r := sh(`root.echo([1, "a", b"x", (2,), {"k": None}])
x = 41
root.add(x, 1)
_
y = root.echo({"n": x})
y
root.echo(None)
root.echo(  # a comment
    [1,
     2],
)
`)
		assert.Equal(t, result{stdout: "[1, \"a\", b\"x\", (2,), {\"k\": None}]\n42\n42\n{\"n\": 41}\n[1, 2]\n"}, r)
	})
	t.Run("chained calls", func(t *testing.T) {
		assert.Equal(t, result{stdout: "\"y\"\n"}, sh(`root.child("y").name()`+"\n"))
	})
	t.Run("references", func(t *testing.T) {
		r := sh(`c = root.child("a")
d = root.child("b")
root.refs()
c
c.name()
release c
release d
root.refs()
root.child("z")
vars
`)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, "2\n<ref 1>\n\"a\"\n0\n<ref 2>\n_ = <ref 2>\nroot = <ref 3>\n", r.stdout)
	})
	t.Run("describe", func(t *testing.T) {
		r := sh("describe root\ndescribe root.child(\"x\")\ndescribe 5\n")
		require.Equal(t, 0, r.code, r.stderr)
		for _, m := range []string{"add(", "echo(", "child(string)", "fail(string)", "store(", "callStored(string, ...", "refs()", "get()", "set(", "name()"} {
			assert.Contains(t, r.stdout, "\n  "+m)
		}
		assert.Contains(t, r.stdout, "int (a value, not a remote object)")
	})
	t.Run("help", func(t *testing.T) {
		r := sh("help\nhelp literals\n")
		assert.Contains(t, r.stdout, "describe OBJ")
		assert.Contains(t, r.stdout, "frozenset({1, 2})")
	})
	t.Run("failure stops the script", func(t *testing.T) {
		r := sh("root.add(1, 2)\nroot.nope()\nroot.add(3, 4)\n")
		assert.Equal(t, 1, r.code)
		assert.Equal(t, "3\n", r.stdout)
		assert.Equal(t, "error: line 2: twisted.spread.flavors.NoSuchMethod: No such method: remote_nope\n", r.stderr)
	})
	t.Run("keep going", func(t *testing.T) {
		r := sh("root.fail(\"a\")\nroot.add(3, 4)\n", "-k")
		assert.Equal(t, result{stdout: "7\n", stderr: "error: line 1: conformance.Failure: a\n", code: 1}, r)
	})
	t.Run("-c", func(t *testing.T) {
		r := runInProcess("", "shell", "-c", "x = root.add(1, 2)\nroot.add(x, x)", ep)
		assert.Equal(t, result{stdout: "6\n"}, r)
	})
	t.Run("quit", func(t *testing.T) {
		assert.Equal(t, result{stdout: "1\n"}, sh("root.echo(1)\nquit\nroot.echo(2)\n"))
	})
	t.Run("errors", func(t *testing.T) {
		for script, msg := range map[string]string{
			"x.get()\n":                 "name x is not defined",
			"root = 1\n":                "root is the server's root object",
			"set = 1\n":                 "set is a built-in name",
			"vars = 1\n":                "vars is a shell statement",
			"root.echo(1,\n":            "a bracket is still open",
			"root.echo(]\n":             "syntax error",
			"x = 5\nx.get()\n":          "cannot call get on a int",
			"release root\n":            "root cannot be released",
			"release nothing\n":         "name nothing is not defined",
			"describe\n":                "describe what?",
			"root.echo(<ref 1>)\n":      "cannot be written as literals",
			"root.echo(1, a=1, 2)\n":    "positional argument follows keyword argument",
			"root.add(\"a\", 1)\n":      "builtins.TypeError",
			"root.echo(float(\"x\"))\n": "could not convert string to float",
		} {
			r := sh(script)
			assert.Equal(t, 1, r.code, script)
			assert.Contains(t, r.stderr, msg, script)
		}
	})
}

func TestShellTwisted(t *testing.T) {
	ep := startTwisted(t)
	r := runBraid(t, "c = root.child(\"x\")\nc.set(5)\nc.get()\nroot.add(2, 3)\n", nil, "shell", ep)
	assert.Equal(t, result{stdout: "5\n5\n"}, r)
	r = runInProcess("describe root\n", "shell", ep)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "introspection is not available")
}

func TestShellLogin(t *testing.T) {
	_, conformance := binaries(t)
	users := filepath.Join(t.TempDir(), "users.txt")
	require.NoError(t, os.WriteFile(users, []byte("alice:secret\n"), 0o600))
	ep := startServer(t, exec.Command(conformance, "-listen", "tcp:127.0.0.1:0", "-users", users),
		"LISTENING ", func(s string) string { return s })

	t.Setenv(envPassword, "secret")
	r := runInProcess("root.whoami()\n", "shell", "-u", "alice", ep)
	assert.Equal(t, result{stdout: "\"alice\"\n"}, r)
	assert.Equal(t, result{stdout: "\"alice\"\n"}, runInProcess("", "call", "-u", "alice", ep, "whoami"))

	t.Setenv(envPassword, "wrong")
	r = runInProcess("root.whoami()\n", "shell", "-u", "alice", ep)
	assert.Equal(t, result{stderr: "braid: login refused: unknown user or wrong password\n", code: 1}, r)
}

// TestShellLoginTwisted logs in to a Twisted portal (MD5 challenge).
func TestShellLoginTwisted(t *testing.T) {
	python := peertest.Twisted(t)
	cmd := exec.Command(python, "../../examples/conformance/testdata/twisted_login_server.py",
		"--users", "../../examples/conformance/testdata/login_users.txt")
	ep := startServer(t, cmd, "PORT ", func(s string) string { return "tcp:127.0.0.1:" + s })
	t.Setenv(envPassword, "wonderland")
	r := runInProcess("root.whoami()\nroot.echo([1, (2,)])\nv = root.viewable()\nv.whoami()\n", "shell", "-u", "alice", ep)
	assert.Equal(t, result{stdout: "\"alice\"\n[1, (2,)]\n\"alice\"\n"}, r)
	t.Setenv(envPassword, "nope")
	r = runInProcess("", "call", "-u", "alice", ep, "whoami")
	assert.Equal(t, result{stderr: "braid: login refused: unknown user or wrong password\n", code: 1}, r)
}

// TestShellTerminal drives the interactive shell through a
// pseudo-terminal: line editing, completion, interruption, history.
func TestShellTerminal(t *testing.T) {
	braid, _ := binaries(t)
	ep := startConformance(t)
	history := filepath.Join(t.TempDir(), "history")
	require.NoError(t, os.WriteFile(history, []byte("root.echo(\"from history\")\n"), 0o600))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, braid, "shell", ep)
	cmd.Env = append(os.Environ(), envHistory+"="+history, "TERM=xterm")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 100})
	require.NoError(t, err)
	defer tty.Close()

	var out lockedBuffer
	go func() { _, _ = io.Copy(&out, tty) }()
	mark := 0
	// expect waits for s to appear in the output after the last match.
	expect := func(s string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(out.String()[mark:], s) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %q in %q\n(all output: %q)", s, out.String()[mark:], out.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
		all := out.String()
		mark += strings.Index(all[mark:], s) + len(s)
	}
	typ := func(s string) {
		t.Helper()
		_, err := tty.Write([]byte(s))
		require.NoError(t, err)
	}

	expect("Type help for help")
	expect(">>> ")
	typ("root.add(2, 3)\r")
	expect("\n5\r\n")
	expect(">>> ")

	// Tab completes a method name from describe, with its "(".
	typ("root.ec\t")
	expect("root.echo(")
	typ("\"hi\")\r")
	expect("\"hi\"\r\n")
	expect(">>> ")

	// An ambiguous prefix lists the candidates.
	typ("root.c\t")
	expect("callStored  child  counter")
	typ("hild(\"k\").name()\r")
	expect("\"k\"\r\n")

	// Variables complete too, and their methods.
	typ("kid = root.child(\"x\")\r")
	expect(">>> ")
	typ("ki\t")
	expect("kid")
	typ(".s\t")
	expect("kid.set(")
	typ("[7])\r")
	expect(">>> ")
	typ("kid.get()\r")
	expect("[7]\r\n")

	// A statement may span lines.
	typ("root.echo([1,\r")
	expect("... ")
	typ("2])\r")
	expect("[1, 2]\r\n")
	// Wait for the prompt: until the shell reads the next line the
	// terminal is not in raw mode, and a Ctrl-C would be a signal.
	expect(">>> ")

	// Ctrl-C abandons the line being typed.
	typ("root.echo(\"never")
	typ("\x03")
	expect("(interrupted)")
	expect(">>> ")

	// Up arrow recalls history, including the history file.
	typ("\x1b[A\r")
	expect("[1, 2]\r\n")

	// Errors are reported and the shell goes on.
	typ("root.fail(\"oops\")\r")
	expect("error: conformance.Failure: oops")
	typ("root.add(1, 1)\r")
	expect("2\r\n")

	// Ctrl-D leaves.
	expect(">>> ")
	typ("\x04")
	require.NoError(t, cmd.Wait())

	hist, err := os.ReadFile(history)
	require.NoError(t, err)
	assert.Contains(t, string(hist), "root.echo(\"from history\")\nroot.add(2, 3)\n")
	assert.Contains(t, string(hist), "kid.get()")
	assert.NotContains(t, string(hist), "never")
}

func TestComplete(t *testing.T) {
	sh := &shell{vars: map[string]any{"root": nil, "count": int64(1), "counter": int64(2)}, ctx: context.Background()}
	var shown []string
	show := func(s string) { shown = append(shown, s) }
	line, pos, ok := sh.complete("cou", 3, show)
	assert.True(t, ok)
	assert.Equal(t, "count", line)
	assert.Equal(t, 5, pos)
	_, _, ok = sh.complete("count", 5, show)
	assert.False(t, ok)
	assert.Equal(t, []string{"count  counter\n"}, shown)
	line, _, ok = sh.complete("desc", 4, show)
	assert.True(t, ok)
	assert.Equal(t, "describe ", line)
	line, _, ok = sh.complete("x = froz", 8, show)
	assert.True(t, ok)
	assert.Equal(t, "x = frozenset(", line)
	line, pos, ok = sh.complete("root.echo(cou) + 1", 13, show)
	assert.True(t, ok)
	assert.Equal(t, "root.echo(count) + 1", line)
	assert.Equal(t, 15, pos)
	// Keywords only start a statement.
	_, _, ok = sh.complete("x = descr", 9, show)
	assert.False(t, ok)
}

func TestSplitAssign(t *testing.T) {
	for stmt, want := range map[string][2]string{
		"x = 1":                {"x", "1"},
		"x=root.f(a=1)":        {"x", "root.f(a=1)"},
		"root.f(a=1)":          {"", ""},
		`root.echo("a=b")`:     {"", ""},
		"x == 1":               {"", ""},
		"  spaced  =  [1, 2] ": {"spaced", "[1, 2]"},
	} {
		name, expr, ok := splitAssign(strings.TrimSpace(stmt))
		assert.Equal(t, want[0] != "", ok, stmt)
		assert.Equal(t, want[0], name, stmt)
		assert.Equal(t, want[1], expr, stmt)
	}
}
