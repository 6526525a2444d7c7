// Package transport turns endpoint strings into network listeners and
// connections. Braid servers and clients name where they listen or connect
// with a string in the spirit of Twisted's endpoint descriptions:
//
//	tcp:HOST:PORT     TCP (HOST may be empty for all interfaces, or [::1])
//	unix:/path        a Unix stream socket
//
// Listen and Dial return the standard net types, so anything that serves a
// net.Listener or speaks over a net.Conn works with every transport.
package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
)

// ErrBadEndpoint is wrapped by every error about a malformed endpoint string.
var ErrBadEndpoint = errors.New("transport: bad endpoint")

// Endpoint is a parsed endpoint string.
type Endpoint struct {
	// Scheme is the transport: "tcp" or "unix".
	Scheme string
	// Address is what net.Dial and net.Listen take: "host:port" or a path.
	Address string
}

// String returns the endpoint in its string form.
func (e Endpoint) String() string { return e.Scheme + ":" + e.Address }

// Parse parses an endpoint string such as "tcp:127.0.0.1:8787" or
// "unix:/run/braid.sock".
func Parse(s string) (Endpoint, error) {
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Endpoint{}, fmt.Errorf("%w %q: want SCHEME:ADDRESS, such as tcp:127.0.0.1:8787", ErrBadEndpoint, s)
	}
	switch scheme {
	case "tcp":
		host, port, err := net.SplitHostPort(rest)
		if err != nil {
			return Endpoint{}, fmt.Errorf("%w %q: %v", ErrBadEndpoint, s, err)
		}
		if port == "" {
			return Endpoint{}, fmt.Errorf("%w %q: missing port", ErrBadEndpoint, s)
		}
		return Endpoint{Scheme: "tcp", Address: net.JoinHostPort(host, port)}, nil
	case "unix":
		if rest == "" {
			return Endpoint{}, fmt.Errorf("%w %q: missing socket path", ErrBadEndpoint, s)
		}
		return Endpoint{Scheme: "unix", Address: rest}, nil
	default:
		return Endpoint{}, fmt.Errorf("%w %q: unknown transport %q (want tcp or unix)", ErrBadEndpoint, s, scheme)
	}
}

// Listen listens on the endpoint.
func Listen(ctx context.Context, endpoint string) (net.Listener, error) {
	ep, err := Parse(endpoint)
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, ep.Scheme, ep.Address)
	if err != nil {
		return nil, fmt.Errorf("transport: listen %s: %w", ep, err)
	}
	return l, nil
}

// Dial connects to the endpoint. The context bounds the connection attempt.
func Dial(ctx context.Context, endpoint string) (net.Conn, error) {
	ep, err := Parse(endpoint)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, ep.Scheme, ep.Address)
	if err != nil {
		return nil, fmt.Errorf("transport: dial %s: %w", ep, err)
	}
	return c, nil
}

// EndpointOf returns the endpoint string for a listener's address, so a
// server listening on port 0 can tell clients where it is.
func EndpointOf(a net.Addr) string {
	switch a.Network() {
	case "unix":
		return "unix:" + a.String()
	default:
		return "tcp:" + a.String()
	}
}
