package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/braidkit/braid/internal/literal"
	"github.com/braidkit/braid/jelly"
	"github.com/braidkit/braid/pb"
)

type shellOptions struct {
	keepGoing bool
	command   string
	timeout   time.Duration
}

func newShellFlags(co *clientOptions, o *shellOptions) *flag.FlagSet {
	fs := flag.NewFlagSet("braid shell", flag.ContinueOnError)
	co.register(fs)
	fs.BoolVar(&o.keepGoing, "k", false, "in a script, go on after a failed statement (still exit 1 at the end)")
	fs.StringVar(&o.command, "c", "", "run `STATEMENTS` (lines) instead of reading standard input")
	fs.DurationVar(&o.timeout, "timeout", 0, "give up on a statement after `DURATION` (0: never; Ctrl-C interrupts)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: braid shell [flags] ENDPOINT

An interactive shell on a PB server (Braid or Twisted). root is the
server's root object (with -u, your avatar); call its methods, keep the
references they return in variables, and call those:

  >>> root.add(2, 3)
  5
  >>> c = root.child("x")
  >>> c.set([1, "a"])
  >>> c.get()
  [1, "a"]
  >>> describe c

Type "help" in the shell for the statements. Line editing, history
(~/.braid_history, or $`+envHistory+`) and Tab completion of methods and
variables work on a terminal. When standard input is not a terminal, the
shell runs it as a script: each statement's result is printed, and the
first failed statement stops it with exit status 1.

Flags:
`)
		fs.PrintDefaults()
	}
	return fs
}

func runShell(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var co clientOptions
	var o shellOptions
	fs := newShellFlags(&co, &o)
	fs.SetOutput(stderr)
	pos, err := parseInterleaved(fs, args, 0)
	if err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return &exitError{exitUsage}
	}
	if len(pos) != 1 {
		fs.Usage()
		return &exitError{exitUsage}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	dialCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	s, err := connect(dialCtx, pos[0], &co, stderr)
	cancel()
	if err != nil {
		return err
	}
	defer s.Close()

	sh := newShell(ctx, s, stdout, stderr)
	sh.verbose = co.verbose
	sh.timeout = o.timeout
	if o.command != "" {
		return sh.runScript(strings.NewReader(o.command), o.keepGoing)
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return sh.interactive(f, pos[0])
	}
	return sh.runScript(stdin, o.keepGoing)
}

// shell holds a session's variables and runs statements.
type shell struct {
	ctx     context.Context
	s       *session
	out     io.Writer
	errOut  io.Writer
	verbose bool
	timeout time.Duration
	width   int

	mu    sync.Mutex
	vars  map[string]any
	names refNames
	descs map[*pb.RemoteReference]*descResult // describe answers, for completion
}

type descResult struct {
	d   pb.Description
	err error
}

func newShell(ctx context.Context, s *session, out, errOut io.Writer) *shell {
	return &shell{
		ctx: ctx, s: s, out: out, errOut: errOut, width: 80,
		vars:  map[string]any{"root": s.root},
		descs: map[*pb.RemoteReference]*descResult{},
	}
}

// Statement keywords.
var shellKeywords = []string{"help", "describe", "vars", "release", "quit", "exit"}

func isKeyword(w string) bool {
	for _, k := range shellKeywords {
		if k == w {
			return true
		}
	}
	return false
}

// errQuit is returned by exec for quit and exit.
var errQuit = errors.New("quit")

// exec runs one statement. It prints results on out and returns the error
// of a failed statement (not yet printed).
func (sh *shell) exec(ctx context.Context, stmt string) error {
	stmt = strings.TrimSpace(stmt)
	if stmt == "" || strings.HasPrefix(stmt, "#") {
		return nil
	}
	// name = expr
	if name, expr, ok := splitAssign(stmt); ok {
		if err := checkAssignable(name); err != nil {
			return err
		}
		v, err := sh.eval(ctx, expr)
		if err != nil {
			return err
		}
		sh.mu.Lock()
		sh.vars[name] = v
		sh.mu.Unlock()
		return nil
	}
	word, rest := splitWord(stmt)
	switch word {
	case "quit", "exit":
		if rest != "" && rest != "()" {
			return fmt.Errorf("%s takes no arguments", word)
		}
		return errQuit
	case "help":
		fmt.Fprint(sh.out, helpFor(rest))
		return nil
	case "vars":
		if rest != "" {
			return fmt.Errorf("vars takes no arguments")
		}
		sh.printVars()
		return nil
	case "release":
		return sh.release(rest)
	case "describe":
		if rest == "" {
			return fmt.Errorf("describe what? (describe root, describe VAR)")
		}
		return sh.describe(ctx, rest)
	}
	v, err := sh.eval(ctx, stmt)
	if err != nil {
		return err
	}
	if v != nil {
		sh.mu.Lock()
		sh.vars["_"] = v
		sh.mu.Unlock()
		fmt.Fprintln(sh.out, sh.format(v))
	}
	return nil
}

func (sh *shell) format(v any) string { return sh.names.printer(sh.width).Format(v) }

// splitWord splits a leading keyword from the rest of a statement; word is
// "" unless the statement starts with a keyword followed by a space or its
// end (so "help(1)" or "vars = 1" are not keywords).
func splitWord(stmt string) (word, rest string) {
	i := 0
	for i < len(stmt) && (stmt[i] == '_' || stmt[i] >= 'a' && stmt[i] <= 'z' || stmt[i] >= 'A' && stmt[i] <= 'Z') {
		i++
	}
	w := stmt[:i]
	if !isKeyword(w) || (i < len(stmt) && stmt[i] != ' ' && stmt[i] != '\t') {
		return "", stmt
	}
	return w, strings.TrimSpace(stmt[i:])
}

// splitAssign recognises "name = expr".
func splitAssign(stmt string) (name, expr string, ok bool) {
	i := strings.IndexByte(stmt, '=')
	if i <= 0 || (i+1 < len(stmt) && stmt[i+1] == '=') {
		return "", "", false
	}
	name = strings.TrimSpace(stmt[:i])
	if !literal.IsIdent(name) {
		return "", "", false
	}
	return name, strings.TrimSpace(stmt[i+1:]), true
}

func checkAssignable(name string) error {
	switch {
	case name == "root":
		return fmt.Errorf("root is the server's root object; choose another name")
	case literal.IsReserved(name):
		return fmt.Errorf("%s is a built-in name; choose another name", name)
	case isKeyword(name):
		return fmt.Errorf("%s is a shell statement; choose another name", name)
	}
	return nil
}

// eval parses and evaluates an expression.
func (sh *shell) eval(ctx context.Context, src string) (any, error) {
	e, err := literal.ParseExpr(src)
	if err != nil {
		return nil, err
	}
	return literal.Eval(ctx, e, sh)
}

// Lookup implements literal.Env.
func (sh *shell) Lookup(name string) (any, error) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	v, ok := sh.vars[name]
	if !ok {
		return nil, fmt.Errorf("name %s is not defined (vars lists the variables)", name)
	}
	return v, nil
}

// CallMethod implements literal.Env: a remote call.
func (sh *shell) CallMethod(ctx context.Context, recv any, method string, args []any, kwargs []literal.Kwarg) (any, error) {
	ref, ok := recv.(*pb.RemoteReference)
	if !ok {
		return nil, fmt.Errorf("cannot call %s on a %s: only remote references have methods", method, literal.TypeName(recv))
	}
	if sh.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, sh.timeout)
		defer cancel()
	}
	var v any
	var err error
	if len(kwargs) > 0 {
		kw := pb.Kwargs{}
		for _, k := range kwargs {
			kw[k.Name] = k.Value
		}
		v, err = ref.CallRemoteKw(ctx, method, args, kw)
	} else {
		v, err = ref.CallRemote(ctx, method, args...)
	}
	if err != nil {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			return nil, fmt.Errorf("%s: no answer within %s", method, sh.timeout)
		case errors.Is(err, context.Canceled):
			return nil, fmt.Errorf("%s: interrupted", method)
		}
		return nil, err
	}
	return v, nil
}

func (sh *shell) printVars() {
	sh.mu.Lock()
	names := make([]string, 0, len(sh.vars))
	for n := range sh.vars {
		names = append(names, n)
	}
	sort.Strings(names)
	vals := make([]any, len(names))
	for i, n := range names {
		vals[i] = sh.vars[n]
	}
	sh.mu.Unlock()
	p := sh.names.printer(0)
	for i, n := range names {
		s := p.Format(vals[i])
		if len(s) > 70 {
			s = s[:67] + "..."
		}
		fmt.Fprintf(sh.out, "%s = %s\n", n, s)
	}
}

// release releases the references a variable holds and forgets it.
func (sh *shell) release(rest string) error {
	names := strings.FieldsFunc(rest, func(r rune) bool { return r == ' ' || r == ',' })
	if len(names) == 0 {
		return fmt.Errorf("release what? (release VAR)")
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for _, n := range names {
		if n == "root" {
			return fmt.Errorf("root cannot be released")
		}
		v, ok := sh.vars[n]
		if !ok {
			return fmt.Errorf("name %s is not defined", n)
		}
		delete(sh.vars, n)
		if sh.vars["_"] != nil && sameValue(sh.vars["_"], v) {
			delete(sh.vars, "_")
		}
		forEachRef(v, func(r *pb.RemoteReference) {
			delete(sh.descs, r)
			r.Release()
		})
	}
	return nil
}

func sameValue(a, b any) bool {
	ra, ok1 := a.(*pb.RemoteReference)
	rb, ok2 := b.(*pb.RemoteReference)
	return ok1 && ok2 && ra == rb
}

// forEachRef calls f for each remote reference in v.
func forEachRef(v any, f func(*pb.RemoteReference)) {
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if depth > 256 {
			return
		}
		switch x := v.(type) {
		case *pb.RemoteReference:
			f(x)
		case jelly.List:
			for _, e := range x {
				walk(e, depth+1)
			}
		case jelly.Tuple:
			for _, e := range x {
				walk(e, depth+1)
			}
		case jelly.Set:
			for _, e := range x {
				walk(e, depth+1)
			}
		case jelly.FrozenSet:
			for _, e := range x {
				walk(e, depth+1)
			}
		case jelly.Dict:
			for _, p := range x {
				walk(p.Key, depth+1)
				walk(p.Value, depth+1)
			}
		case jelly.Instance:
			walk(x.State, depth+1)
		}
	}
	walk(v, 0)
}

// errNoIntrospection says the peer does not answer describe.
var errNoIntrospection = errors.New("introspection is not available: the server does not answer " + pb.DescribeMethod + " (Twisted servers do not); call methods by name")

// describeRef asks a reference for its description, once.
func (sh *shell) describeRef(ctx context.Context, ref *pb.RemoteReference) (pb.Description, error) {
	sh.mu.Lock()
	if r, ok := sh.descs[ref]; ok {
		sh.mu.Unlock()
		return r.d, r.err
	}
	sh.mu.Unlock()
	v, err := ref.CallRemote(ctx, pb.DescribeMethod)
	var d pb.Description
	if err == nil {
		d, err = pb.DescriptionFrom(v)
	} else {
		var re *pb.RemoteError
		if errors.As(err, &re) && re.Check(pb.TypeNoSuchMethod) {
			err = errNoIntrospection
		} else {
			return d, err // not cached: a transient failure
		}
	}
	sh.mu.Lock()
	sh.descs[ref] = &descResult{d, err}
	sh.mu.Unlock()
	return d, err
}

func (sh *shell) describe(ctx context.Context, src string) error {
	v, err := sh.eval(ctx, src)
	if err != nil {
		return err
	}
	ref, ok := v.(*pb.RemoteReference)
	if !ok {
		fmt.Fprintf(sh.out, "%s (a value, not a remote object)\n", literal.TypeName(v))
		return nil
	}
	d, err := sh.describeRef(ctx, ref)
	if err != nil {
		return err
	}
	fmt.Fprint(sh.out, formatDescription(d))
	return nil
}

// formatDescription prints a Description: the type, its doc, and each
// method as a signature with its doc indented below.
func formatDescription(d pb.Description) string {
	var sb strings.Builder
	sb.WriteString(d.Type + "\n")
	if d.Doc != "" {
		sb.WriteString(indentText(d.Doc, "  ") + "\n")
	}
	if len(d.Methods) == 0 {
		sb.WriteString("  (no remote methods)\n")
	}
	for _, m := range d.Methods {
		fmt.Fprintf(&sb, "  %s(%s)\n", m.Name, strings.Join(m.Args, ", "))
		if m.Doc != "" {
			sb.WriteString(indentText(m.Doc, "      ") + "\n")
		}
	}
	return sb.String()
}

func indentText(s, in string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = in + l
	}
	return strings.Join(lines, "\n")
}

// report prints a failed statement's error.
func (sh *shell) report(err error, where string) {
	if where != "" {
		where += ": "
	}
	fmt.Fprintf(sh.errOut, "error: %s%s\n", where, errorText(err))
	if sh.verbose {
		if tb := traceback(err); tb != "" {
			fmt.Fprintln(sh.errOut, tb)
		}
	}
}

// connectionGone reports whether the session's connection has ended.
func (sh *shell) connectionGone() error {
	select {
	case <-sh.s.b.Done():
		if err := sh.s.b.Err(); err != nil {
			return fmt.Errorf("connection closed: %w", err)
		}
		return errors.New("connection closed")
	default:
		return nil
	}
}

// runScript runs statements read line by line. A statement may continue
// over lines while brackets are open. It stops at the first failed
// statement (exit status 1) unless keepGoing.
func (sh *shell) runScript(r io.Reader, keepGoing bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	failed := false
	var pending strings.Builder
	startLine, lineNo := 0, 0
	for sc.Scan() {
		lineNo++
		if pending.Len() == 0 {
			startLine = lineNo
		}
		pending.WriteString(sc.Text())
		pending.WriteByte('\n')
		stmt := pending.String()
		if incomplete(stmt) {
			continue
		}
		pending.Reset()
		err := sh.exec(sh.ctx, stmt)
		if err == errQuit {
			break
		}
		if err != nil {
			sh.report(err, fmt.Sprintf("line %d", startLine))
			failed = true
			if gone := sh.connectionGone(); gone != nil {
				fmt.Fprintf(sh.errOut, "error: %v\n", gone)
				return &exitError{exitFailed}
			}
			if !keepGoing {
				return &exitError{exitFailed}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if strings.TrimSpace(pending.String()) != "" {
		sh.report(errors.New("unexpected end of input: a bracket is still open"), fmt.Sprintf("line %d", startLine))
		return &exitError{exitFailed}
	}
	if failed {
		return &exitError{exitFailed}
	}
	return nil
}

// incomplete reports whether stmt ends inside an open bracket.
func incomplete(stmt string) bool {
	src := strings.TrimSpace(stmt)
	if src == "" {
		return false
	}
	if w, rest := splitWord(src); w != "" {
		src = rest
		if src == "" {
			return false
		}
	} else if _, expr, ok := splitAssign(src); ok {
		src = expr
	}
	_, err := literal.ParseExpr(src)
	return errors.Is(err, literal.ErrIncomplete)
}
