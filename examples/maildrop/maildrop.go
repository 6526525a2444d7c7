package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/braidkit/braid/cred"
	"github.com/braidkit/braid/pb"
	"github.com/braidkit/braid/protocols/pop3"
	"github.com/braidkit/braid/protocols/smtp"
	"github.com/braidkit/braid/transport"
)

// run starts the servers, prints "LISTENING <proto> <endpoint>" for each,
// and serves until ctx ends, then shuts them down gracefully.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	logger := newLogger(stderr, o.verbose)

	// Users: cred checks USER/PASS and SMTP AUTH; the plaintext entries also
	// serve APOP (cred does not hand out passwords, so pop3 reads them itself).
	checker, err := cred.LoadPasswordFile(o.users, cred.PasswordFileOptions{AllowPlaintext: true})
	if err != nil {
		return err
	}
	secrets, err := pop3.LoadSecretsFile(o.users)
	if err != nil {
		return err
	}
	names, err := userNames(o.users)
	if err != nil {
		return err
	}
	portal := cred.NewPortal(smtp.Realm, []cred.Checker{checker, pop3.APOPChecker{Secrets: secrets}})

	store, err := smtp.NewMaildir(o.maildir)
	if err != nil {
		return err
	}
	tlsConfig, err := loadTLS(o, stdout)
	if err != nil {
		return err
	}
	var domains []string
	if o.domains != "" {
		for _, d := range strings.Split(o.domains, ",") {
			if d = strings.TrimSpace(d); d != "" {
				domains = append(domains, d)
			}
		}
	}

	smtpSrv := &smtp.Server{
		Hostname:          o.hostname,
		Domains:           domains,
		Store:             store,
		Portal:            portal,
		TLSConfig:         tlsConfig,
		AllowInsecureAuth: o.insecureAuth,
		Logger:            logger,
		// Only the users of the password file have mailboxes.
		Resolve: func(ctx context.Context, rcpt smtp.Address) (string, error) {
			mb := strings.ToLower(rcpt.Local)
			if !names[mb] {
				return "", smtp.ErrNoSuchUser
			}
			return mb, nil
		},
	}
	pop3Srv := &pop3.Server{
		Hostname:          o.hostname,
		Store:             store,
		Portal:            portal,
		TLSConfig:         tlsConfig,
		AllowInsecureAuth: o.insecureAuth,
		Logger:            logger,
	}

	type service struct {
		name  string
		serve func(net.Listener) error
		stop  func(context.Context) error
	}
	var services []service
	if o.smtp != "" {
		services = append(services, service{"smtp " + o.smtp, smtpSrv.Serve, smtpSrv.Shutdown})
	}
	if o.pop3 != "" {
		services = append(services, service{"pop3 " + o.pop3, pop3Srv.Serve, pop3Srv.Shutdown})
	}
	if o.admin != "" {
		pbSrv, err := adminServer(o, smtp.NewAdmin(smtpSrv), pop3.NewAdmin(pop3Srv), logger)
		if err != nil {
			return err
		}
		services = append(services, service{"admin " + o.admin, pbSrv.Serve, pbSrv.Shutdown})
	}
	if len(services) == 0 {
		return errors.New("nothing to serve: -smtp, -pop3 and -admin are all empty")
	}

	// Listen on everything first, so a bad endpoint stops us before anything runs.
	listeners := make([]net.Listener, len(services))
	for i, s := range services {
		proto, endpoint, _ := strings.Cut(s.name, " ")
		l, err := transport.Listen(ctx, endpoint)
		if err != nil {
			for _, l := range listeners[:i] {
				l.Close()
			}
			return fmt.Errorf("%s: %w", proto, err)
		}
		listeners[i] = l
		fmt.Fprintf(stdout, "LISTENING %s %s\n", proto, transport.EndpointOf(l.Addr()))
	}

	errc := make(chan error, len(services))
	var wg sync.WaitGroup
	for i, s := range services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.serve(listeners[i])
			if err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, pb.ErrServerClosed) {
				errc <- fmt.Errorf("%s: %w", s.name, err)
			}
		}()
	}
	select {
	case <-ctx.Done():
		err = nil
	case err = <-errc:
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range services {
		s.stop(shutCtx)
	}
	wg.Wait()
	return err
}

// userNames reads the user names of a password file (lower-cased, as
// mailbox names are).
func userNames(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if user, _, ok := strings.Cut(line, ":"); ok && smtp.ValidMailbox(strings.ToLower(user)) {
			names[strings.ToLower(user)] = true
		}
	}
	return names, sc.Err()
}

// loadTLS loads -tls-cert/-tls-key, or makes a self-signed certificate and
// prints its fingerprint.
func loadTLS(o *options, stdout io.Writer) (*tls.Config, error) {
	if o.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
		if err != nil {
			return nil, err
		}
		return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
	}
	host := o.hostname
	if host == "" {
		host, _ = os.Hostname()
	}
	cert, err := selfSigned(host)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(cert.Certificate[0])
	fmt.Fprintf(stdout, "TLS self-signed certificate, SHA-256 %s\n", hex.EncodeToString(sum[:]))
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

func selfSigned(host string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return tls.Certificate{}, err
	}
	names := []string{"localhost"}
	if host != "" && host != "localhost" {
		names = append(names, host)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: names[len(names)-1], Organization: []string{"Braid maildrop"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     names,
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// adminRoot is the root object of the admin endpoint without login.
type adminRoot struct {
	pb.Referenceable
	smtp *smtp.Admin
	pop3 *pop3.Admin
}

// RemoteSmtp returns the SMTP server's admin object.
func (r *adminRoot) RemoteSmtp(ctx context.Context) (*smtp.Admin, error) { return r.smtp, nil }

// RemotePop3 returns the POP3 server's admin object.
func (r *adminRoot) RemotePop3(ctx context.Context) (*pop3.Admin, error) { return r.pop3, nil }

// PBDoc documents the root for braid shell.
func (r *adminRoot) PBDoc() (string, map[string]string) {
	return "maildrop administration", map[string]string{
		"smtp": "smtp() -> the SMTP server's admin object",
		"pop3": "pop3() -> the POP3 server's admin object",
	}
}

// adminAvatar is what an admin user gets after logging in.
type adminAvatar struct {
	name string
	root *adminRoot
}

// PerspectiveSmtp returns the SMTP server's admin object.
func (a *adminAvatar) PerspectiveSmtp(ctx context.Context) (*smtp.Admin, error) {
	return a.root.smtp, nil
}

// PerspectivePop3 returns the POP3 server's admin object.
func (a *adminAvatar) PerspectivePop3(ctx context.Context) (*pop3.Admin, error) {
	return a.root.pop3, nil
}

func adminServer(o *options, s *smtp.Admin, p *pop3.Admin, logger *slog.Logger) (*pb.Server, error) {
	root := &adminRoot{smtp: s, pop3: p}
	srv := &pb.Server{Root: root, Config: pb.Config{Logger: logger}}
	if o.adminUsers == "" {
		logger.Warn("admin endpoint has no login (-admin-users); keep it on a trusted interface", "endpoint", o.admin)
		return srv, nil
	}
	checker, err := cred.LoadPasswordFile(o.adminUsers, cred.PasswordFileOptions{AllowPlaintext: true})
	if err != nil {
		return nil, err
	}
	realm := cred.RealmFunc(func(ctx context.Context, id string, mind any) (any, func(), error) {
		logger.Info("admin login", "user", id)
		return &adminAvatar{name: id, root: root}, nil, nil
	})
	srv.NewRoot = pb.LoginRoot(cred.NewPortal(realm, []cred.Checker{checker}))
	return srv, nil
}
