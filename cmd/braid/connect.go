package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/braidkit/braid/cred"
	"github.com/braidkit/braid/pb"
)

// Environment variables the client commands read.
const (
	envPassword = "BRAID_PASSWORD" // password for -u, instead of a prompt
	envHistory  = "BRAID_HISTORY"  // braid shell's history file
)

// clientOptions are the flags shared by shell and call.
type clientOptions struct {
	user      string
	anonymous bool
	verbose   bool
}

func (o *clientOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.user, "u", "", "log in as `USER` through the server's portal (password from $"+envPassword+" or prompted)")
	fs.BoolVar(&o.anonymous, "anonymous", false, "log in anonymously through the server's portal")
	fs.BoolVar(&o.verbose, "v", false, "log connection events and print remote tracebacks")
}

// session is an open connection and the object calls start from: the
// server's root, or the avatar after a login.
type session struct {
	b    *pb.Broker
	root *pb.RemoteReference
}

func (s *session) Close() {
	if s.root != nil {
		s.root.Release()
	}
	s.b.Close()
}

// connect dials endpoint and logs in if asked to.
func connect(ctx context.Context, endpoint string, o *clientOptions, stderr io.Writer) (*session, error) {
	if o.user != "" && o.anonymous {
		return nil, usagef("-u and -anonymous exclude each other")
	}
	// Ask for the password first, so that typing it does not count
	// against the timeout.
	var password string
	if o.user != "" {
		var err error
		if password, err = readPassword(o.user, stderr); err != nil {
			return nil, err
		}
	}
	level := slog.LevelWarn + 4 // quiet: errors reach the user as errors
	if o.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	b, err := pb.Dial(ctx, endpoint, &pb.Config{Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("cannot connect to %s: %w", endpoint, err)
	}
	s := &session{b: b}
	switch {
	case o.user != "":
		s.root, err = pb.Login(ctx, b, cred.UsernamePassword{Username: o.user, Password: password}, nil)
	case o.anonymous:
		s.root, err = pb.Login(ctx, b, cred.Anonymous{}, nil)
	default:
		s.root = b.Root()
	}
	if err != nil {
		b.Close()
		return nil, loginError(err)
	}
	return s, nil
}

func loginError(err error) error {
	switch {
	case errors.Is(err, cred.ErrThrottled):
		return errors.New("login refused: too many failed logins; try again later")
	case errors.Is(err, cred.ErrUnauthorized):
		return errors.New("login refused: unknown user or wrong password")
	case errors.Is(err, cred.ErrUnhandledCredentials):
		return errors.New("login refused: the server does not accept these credentials")
	}
	var re *pb.RemoteError
	if errors.As(err, &re) && re.Check(pb.TypeNoSuchMethod) {
		return fmt.Errorf("login failed: the server's root is not a login portal (%s)", errorText(err))
	}
	return fmt.Errorf("login failed: %s", errorText(err))
}

// readPassword takes the password from the environment, or prompts for it
// on the terminal.
func readPassword(user string, stderr io.Writer) (string, error) {
	if p, ok := os.LookupEnv(envPassword); ok {
		return p, nil
	}
	prompt := fmt.Sprintf("password for %s: ", user)
	if fd := int(os.Stdin.Fd()); term.IsTerminal(fd) {
		fmt.Fprint(stderr, prompt)
		p, err := term.ReadPassword(fd)
		fmt.Fprintln(stderr)
		return string(p), err
	}
	// Standard input is a script: prompt on the controlling terminal.
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return "", fmt.Errorf("no password for %s: set $%s or run on a terminal", user, envPassword)
	}
	defer tty.Close()
	fmt.Fprint(tty, prompt)
	p, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	if err != nil {
		return "", fmt.Errorf("no password for %s: set $%s or run on a terminal", user, envPassword)
	}
	return string(p), nil
}

// errorText formats an error for the user, showing a remote failure as
// Python would ("module.Type: message").
func errorText(err error) string {
	s := err.Error()
	var re *pb.RemoteError
	if errors.As(err, &re) {
		s = strings.Replace(s, re.Error(), remoteText(re), 1)
	}
	return s
}

func remoteText(re *pb.RemoteError) string {
	if re.Value == "" {
		return re.Type
	}
	return re.Type + ": " + re.Value
}

// traceback returns the remote traceback of err worth showing, if any.
func traceback(err error) string {
	var re *pb.RemoteError
	if !errors.As(err, &re) {
		return ""
	}
	tb := strings.TrimSpace(re.Traceback)
	if tb == "" || tb == "Traceback unavailable" {
		return ""
	}
	return tb
}
