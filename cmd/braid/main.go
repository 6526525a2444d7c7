package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // a call, statement, login or connection failed
	exitUsage  = 2 // bad flags or arguments
)

// usageError is an error in how the command was invoked (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// exitError carries an exit status without a message of its own (the
// message was already printed).
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

const mainUsage = `braid runs Braid servers and talks to PB servers (Braid or Twisted).

Usage:
  braid serve [--config FILE] [--admin ENDPOINT] [--data DIR]   run the configured services
  braid shell [-u USER] ENDPOINT                                 interactive PB shell
  braid call [-u USER] [--json] ENDPOINT METHOD [ARG...]         call one method
  braid help [COMMAND | literals]                                more help

Arguments and results are written in Python's literal syntax:
  braid call tcp:127.0.0.1:8788 add 2 3
  braid call tcp:127.0.0.1:8788 echo '[1, "a", b"x", (2,), {"k": None}]'
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run runs the command line args and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage)
		return exitUsage
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		err = runServe(rest, stdout, stderr)
	case "shell":
		err = runShell(rest, stdin, stdout, stderr)
	case "call":
		err = runCall(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		return runHelp(rest, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "braid: unknown command %q\n\n%s", cmd, mainUsage)
		return exitUsage
	}
	return exitStatus(err, stderr)
}

// exitStatus reports err on stderr and returns the exit status for it.
func exitStatus(err error, stderr io.Writer) int {
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "braid: %s\n", ue.msg)
		return exitUsage
	}
	fmt.Fprintf(stderr, "braid: %s\n", errorText(err))
	return exitFailed
}

func runHelp(args []string, stdout, stderr io.Writer) int {
	topic := ""
	if len(args) > 0 {
		topic = args[0]
	}
	switch topic {
	case "":
		fmt.Fprint(stdout, mainUsage)
	case "serve":
		fs := newServeFlags(&serveOptions{}).fs
		fs.SetOutput(stdout)
		fs.Usage()
	case "shell":
		fs := newShellFlags(&clientOptions{}, &shellOptions{})
		fs.SetOutput(stdout)
		fs.Usage()
	case "call":
		fs := newCallFlags(&clientOptions{}, &callOptions{})
		fs.SetOutput(stdout)
		fs.Usage()
	case "literals", "literal", "syntax":
		fmt.Fprint(stdout, literalHelp)
	default:
		fmt.Fprintf(stderr, "braid: no help for %q (try serve, shell, call, literals)\n", topic)
		return exitUsage
	}
	return exitOK
}

// parseInterleaved parses flags that may come before, between and after
// positional arguments. Once max positionals have been seen (max > 0),
// the remaining arguments are returned untouched, flags or not, so that
// call arguments such as -1 stay arguments. A "--" ends the flags.
func parseInterleaved(fs *flag.FlagSet, args []string, max int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
		if max > 0 && len(pos) >= max {
			return append(pos, args...), nil
		}
	}
}
