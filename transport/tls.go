package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
)

// serverTLSConfig builds the TLS configuration for listening on ep.
func serverTLSConfig(ep Endpoint) (*tls.Config, error) {
	o := ep.Options
	for _, k := range []string{optServerName, optInsecure} {
		if _, ok := o[k]; ok {
			return nil, fmt.Errorf("%w %q: option %s applies only when dialing", ErrBadEndpoint, ep.String(), k)
		}
	}
	if o[optCert] == "" {
		return nil, fmt.Errorf("%w %q: listening with TLS needs cert=FILE and key=FILE", ErrBadEndpoint, ep.String())
	}
	cert, err := loadKeyPair(o[optCert], o[optKey])
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
	}
	if o[optCA] != "" {
		if cfg.ClientCAs, err = loadPool(o[optCA]); err != nil {
			return nil, err
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	if mode, ok := o[optClientAuth]; ok {
		cfg.ClientAuth = clientAuthModes[mode]
	}
	return cfg, nil
}

// clientTLSConfig builds the TLS configuration for dialing ep.
func clientTLSConfig(ep Endpoint) (*tls.Config, error) {
	o := ep.Options
	if _, ok := o[optClientAuth]; ok {
		return nil, fmt.Errorf("%w %q: option clientauth applies only when listening", ErrBadEndpoint, ep.String())
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if o[optCert] != "" {
		cert, err := loadKeyPair(o[optCert], o[optKey])
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if o[optCA] != "" {
		var err error
		if cfg.RootCAs, err = loadPool(o[optCA]); err != nil {
			return nil, err
		}
	}
	cfg.ServerName = o[optServerName]
	if cfg.ServerName == "" {
		host, _, _ := net.SplitHostPort(ep.Address)
		if host == "" {
			host = "localhost"
		}
		cfg.ServerName = host
	}
	cfg.InsecureSkipVerify = o[optInsecure] == "true"
	return cfg, nil
}

func loadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("cert file: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("key file: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("cert=%s key=%s: %w", certFile, keyFile, err)
	}
	return cert, nil
}

func loadPool(caFile string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("ca file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca file %s: %w", caFile, errors.New("no PEM certificate in it"))
	}
	return pool, nil
}

// tlsListener is a TLS listener whose Addr is an *Addr with scheme "tls".
type tlsListener struct {
	net.Listener
	addr *Addr
}

func (l *tlsListener) Addr() net.Addr { return l.addr }

func listenTLS(ctx context.Context, ep Endpoint) (net.Listener, error) {
	cfg, err := serverTLSConfig(ep)
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", ep.Address)
	if err != nil {
		return nil, err
	}
	return &tlsListener{
		Listener: tls.NewListener(l, cfg),
		addr:     &Addr{Scheme: "tls", TCP: tcpAddr(l)},
	}, nil
}

func dialTLS(ctx context.Context, ep Endpoint) (net.Conn, error) {
	cfg, err := clientTLSConfig(ep)
	if err != nil {
		return nil, err
	}
	d := tls.Dialer{Config: cfg}
	return d.DialContext(ctx, "tcp", ep.Address)
}
