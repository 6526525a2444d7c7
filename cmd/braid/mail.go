package main

import (
	"context"
	"net"

	"github.com/braidkit/braid/cred"
	"github.com/braidkit/braid/protocols/pop3"
	"github.com/braidkit/braid/protocols/smtp"
	"github.com/braidkit/braid/transport"
)

// mailServer is what smtp.Server and pop3.Server have in common.
type mailServer interface {
	Serve(l net.Listener) error
	Shutdown(ctx context.Context) error
}

// mailService runs an SMTP or POP3 server.
type mailService struct {
	listen string
	srv    mailServer
	admin  any
	done   chan struct{}
}

func (m *mailService) Start(ctx context.Context) (string, error) {
	l, err := transport.Listen(ctx, m.listen)
	if err != nil {
		return "", err
	}
	go func() {
		defer close(m.done)
		_ = m.srv.Serve(l) // ends with ErrServerClosed after Shutdown
	}()
	return transport.EndpointOf(l.Addr()), nil
}

func (m *mailService) Shutdown(ctx context.Context) error {
	err := m.srv.Shutdown(ctx)
	<-m.done
	return err
}

func (m *mailService) Admin() any { return m.admin }

// mailPortal is the portal of a mail service's password file, or nil.
func mailPortal(cfg ServiceConfig, env serviceEnv) (*cred.Portal, error) {
	if cfg.PasswordFile == "" {
		return nil, nil
	}
	pf, err := cred.LoadPasswordFile(env.expand(cfg.PasswordFile), cred.PasswordFileOptions{AllowPlaintext: cfg.AllowPlaintext})
	if err != nil {
		return nil, err
	}
	return cred.NewPortal(smtp.Realm, []cred.Checker{pf}), nil
}

func maildirOf(cfg ServiceConfig, env serviceEnv) (*smtp.Maildir, error) {
	dir := cfg.Maildir
	if dir == "" {
		dir = "{data}/mail"
	}
	return smtp.NewMaildir(env.expand(dir))
}

// newSMTPService makes an "smtp" service: mail for the local domains goes
// into the maildir; with a password file, clients may AUTH (not relay:
// braid serve configures no relay).
func newSMTPService(cfg ServiceConfig, env serviceEnv) (service, error) {
	store, err := maildirOf(cfg, env)
	if err != nil {
		return nil, err
	}
	portal, err := mailPortal(cfg, env)
	if err != nil {
		return nil, err
	}
	srv := &smtp.Server{
		Hostname: cfg.Hostname, Domains: cfg.Domains, Store: store, Portal: portal,
		AllowInsecureAuth: cfg.AllowInsecureAuth, Logger: env.logger,
	}
	return &mailService{listen: cfg.Listen, srv: srv, admin: smtp.NewAdmin(srv), done: make(chan struct{})}, nil
}

// newPOP3Service makes a "pop3" service serving the maildir's mailboxes
// to the users of its password file.
func newPOP3Service(cfg ServiceConfig, env serviceEnv) (service, error) {
	store, err := maildirOf(cfg, env)
	if err != nil {
		return nil, err
	}
	portal, err := mailPortal(cfg, env)
	if err != nil {
		return nil, err
	}
	srv := &pop3.Server{
		Hostname: cfg.Hostname, Store: store, Portal: portal,
		AllowInsecureAuth: cfg.AllowInsecureAuth, Logger: env.logger,
	}
	return &mailService{listen: cfg.Listen, srv: srv, admin: pop3.NewAdmin(srv), done: make(chan struct{})}, nil
}
