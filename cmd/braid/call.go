package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/braidkit/braid/internal/literal"
	"github.com/braidkit/braid/pb"
)

type callOptions struct {
	json    bool
	timeout time.Duration
}

func newCallFlags(co *clientOptions, o *callOptions) *flag.FlagSet {
	fs := flag.NewFlagSet("braid call", flag.ContinueOnError)
	co.register(fs)
	fs.BoolVar(&o.json, "json", false, "print the result as JSON (fails for values JSON cannot hold)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "give up after `DURATION` (0: never)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: braid call [flags] ENDPOINT METHOD [ARG...]

Calls METHOD on the server's root object (or, with -u, on your avatar) and
prints the result on stdout in the literal syntax ("braid help literals").
Each ARG is one literal, or NAME=LITERAL for a keyword argument:

  braid call tcp:127.0.0.1:8788 add 2 3
  braid call tcp:127.0.0.1:8788 echo '{"k": [1, 2.5, b"\x00"]}'
  braid call -u admin tcp:127.0.0.1:8789 whoami

Exit status: 0 when the call succeeds, 1 when it fails (the error goes to
stderr as "module.Type: message"), 2 for bad flags or arguments.

Flags (before METHOD):
`)
		fs.PrintDefaults()
	}
	return fs
}

func runCall(args []string, stdout, stderr io.Writer) error {
	var co clientOptions
	var o callOptions
	fs := newCallFlags(&co, &o)
	fs.SetOutput(stderr)
	pos, err := parseInterleaved(fs, args, 2)
	if err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return &exitError{exitUsage}
	}
	if len(pos) < 2 {
		fs.Usage()
		return &exitError{exitUsage}
	}
	endpoint, method := pos[0], pos[1]
	if !literal.IsIdent(method) {
		return usagef("bad method name %q", method)
	}
	callArgs, kwargs, err := parseCallArgs(pos[2:])
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	s, err := connect(ctx, endpoint, &co, stderr)
	if err != nil {
		return err
	}
	defer s.Close()

	var result any
	if len(kwargs) > 0 {
		result, err = s.root.CallRemoteKw(ctx, method, callArgs, kwargs)
	} else {
		result, err = s.root.CallRemote(ctx, method, callArgs...)
	}
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return fmt.Errorf("%s: no answer within %s", method, o.timeout)
		}
		if tb := traceback(err); tb != "" && co.verbose {
			fmt.Fprintln(stderr, tb)
		}
		return err
	}
	if o.json {
		b, err := toJSON(result)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", b)
		return nil
	}
	var names refNames
	fmt.Fprintln(stdout, names.printer(outputWidth(os.Stdout)).Format(result))
	return nil
}

// parseCallArgs parses ARGs: literals, and NAME=LITERAL keyword arguments.
func parseCallArgs(args []string) ([]any, pb.Kwargs, error) {
	var pos []any
	var kw pb.Kwargs
	for i, a := range args {
		if name, val, ok := strings.Cut(a, "="); ok && literal.IsIdent(name) && !strings.HasPrefix(val, "=") {
			v, err := literal.Parse(val)
			if err != nil {
				return nil, nil, usagef("argument %s: %v%s", name, err, quoteHint(val))
			}
			if kw == nil {
				kw = pb.Kwargs{}
			}
			if _, dup := kw[name]; dup {
				return nil, nil, usagef("keyword argument %s given twice", name)
			}
			kw[name] = v
			continue
		}
		if kw != nil {
			return nil, nil, usagef("argument %d: positional argument after keyword arguments", i+1)
		}
		v, err := literal.Parse(a)
		if err != nil {
			return nil, nil, usagef("argument %d: %v%s", i+1, err, quoteHint(a))
		}
		pos = append(pos, v)
	}
	return pos, kw, nil
}

// quoteHint suggests quoting when an argument looks like a bare word.
func quoteHint(a string) string {
	if literal.IsIdent(a) && !literal.IsReserved(a) {
		return fmt.Sprintf(" (on a command line: '\"%s\"')", a)
	}
	return ""
}
