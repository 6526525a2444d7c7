// Command maildrop runs a small mail drop: an SMTP server that takes mail for
// local users (and refuses to relay), a POP3 server they read it with, and
// optionally a Perspective Broker admin endpoint publishing both servers'
// admin objects. Mail is kept in maildirs, one per user.
//
//	maildrop -users users.txt -maildir ./mail \
//	    -smtp tcp:127.0.0.1:2525 -pop3 tcp:127.0.0.1:1110 -admin tcp:127.0.0.1:8789
//
// See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "maildrop:", err)
		os.Exit(1)
	}
}

// options are the command-line flags.
type options struct {
	smtp, pop3, admin     string
	users, adminUsers     string
	maildir               string
	tlsCert, tlsKey       string
	hostname              string
	domains               string
	insecureAuth, verbose bool
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("maildrop", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.smtp, "smtp", "tcp:127.0.0.1:2525", "SMTP endpoint (\"\" to disable)")
	fs.StringVar(&o.pop3, "pop3", "tcp:127.0.0.1:1110", "POP3 endpoint (\"\" to disable)")
	fs.StringVar(&o.admin, "admin", "", "PB admin endpoint (off unless set)")
	fs.StringVar(&o.users, "users", "", "password file of the mail users (user:password lines; bcrypt and SCRAM entries work too, but not for APOP)")
	fs.StringVar(&o.adminUsers, "admin-users", "", "password file of the admin users; without it the admin endpoint needs no login")
	fs.StringVar(&o.maildir, "maildir", "", "directory holding one maildir per user")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "PEM certificate for STARTTLS/STLS (default: a fresh self-signed one)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "PEM key for -tls-cert")
	fs.StringVar(&o.hostname, "hostname", "", "server name (default: the host's name)")
	fs.StringVar(&o.domains, "domains", "", "comma-separated local mail domains (default: localhost and the server name)")
	fs.BoolVar(&o.insecureAuth, "insecure-auth", false, "allow SMTP AUTH and POP3 USER/PASS without TLS")
	fs.BoolVar(&o.verbose, "v", false, "log every session")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: maildrop -users FILE -maildir DIR [-smtp EP] [-pop3 EP] [-admin EP] [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if o.users == "" || o.maildir == "" {
		fs.Usage()
		return nil, errors.New("-users and -maildir are required")
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return nil, errors.New("-tls-cert and -tls-key go together")
	}
	return o, nil
}

func newLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
