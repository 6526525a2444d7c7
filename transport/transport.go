package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// ErrBadEndpoint is wrapped by every error about a malformed endpoint string.
var ErrBadEndpoint = errors.New("transport: bad endpoint")

// Endpoint is a parsed endpoint string.
type Endpoint struct {
	// Scheme is the transport: "tcp", "tls", "unix", "ws" or "wss".
	Scheme string
	// Address is what net.Dial and net.Listen take: "host:port" (an IPv6
	// host in brackets) or, for unix, a path.
	Address string
	// Path is the URL path of a ws or wss endpoint ("/" at least), and
	// empty for the others.
	Path string
	// Options are the tls or wss options by name (cert, key, ca,
	// clientauth, servername, insecure); nil when there are none.
	Options map[string]string
}

// String returns the endpoint in its string form, options in name order.
func (e Endpoint) String() string {
	switch e.Scheme {
	case "ws", "wss":
		u := url.URL{Scheme: e.Scheme, Host: e.Address, Path: e.Path}
		if len(e.Options) > 0 {
			q := url.Values{}
			for k, v := range e.Options {
				q.Set(k, v)
			}
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	var b strings.Builder
	b.WriteString(e.Scheme)
	b.WriteByte(':')
	b.WriteString(e.Address)
	for _, k := range sortedKeys(e.Options) {
		b.WriteByte(':')
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(escapeOption(e.Options[k]))
	}
	return b.String()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// escapeOption escapes ':' and '\' in a tls option value.
func escapeOption(v string) string {
	if !strings.ContainsAny(v, `:\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == ':' || v[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// Option names, and the values clientauth takes.
const (
	optCert       = "cert"
	optKey        = "key"
	optCA         = "ca"
	optClientAuth = "clientauth"
	optServerName = "servername"
	optInsecure   = "insecure"
)

var knownOptions = []string{optCA, optCert, optClientAuth, optInsecure, optKey, optServerName}

var clientAuthModes = map[string]tls.ClientAuthType{
	"none":    tls.NoClientCert,
	"request": tls.VerifyClientCertIfGiven,
	"require": tls.RequireAndVerifyClientCert,
}

// Parse parses an endpoint string such as "tcp:127.0.0.1:8787",
// "tls:[::1]:8443:ca=ca.pem", "unix:/run/braid.sock" or
// "wss://example.com:8443/pb?ca=ca.pem" (see the package documentation).
// Every error wraps ErrBadEndpoint. Parse checks the syntax and the option
// names and values; whether an option applies to listening or dialing, and
// whether its files exist, is checked by Listen and Dial.
func Parse(s string) (Endpoint, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %q: %s", ErrBadEndpoint, s, fmt.Sprintf(format, args...))
	}
	if strings.HasPrefix(s, "ws://") || strings.HasPrefix(s, "wss://") {
		return parseWS(s, bad)
	}
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Endpoint{}, bad("want SCHEME:ADDRESS, such as tcp:127.0.0.1:8787")
	}
	switch scheme {
	case "tcp", "tls":
		host, port, opts, err := splitAddress(rest)
		if err != nil {
			return Endpoint{}, bad("%s", err)
		}
		ep := Endpoint{Scheme: scheme, Address: net.JoinHostPort(host, port)}
		if scheme == "tcp" {
			if len(opts) > 0 {
				return Endpoint{}, bad("tcp takes no options (for TLS write tls:HOST:PORT:cert=...)")
			}
			return ep, nil
		}
		if err := checkOptions(opts); err != nil {
			return Endpoint{}, bad("%s", err)
		}
		ep.Options = opts
		return ep, nil
	case "unix":
		if rest == "" {
			return Endpoint{}, bad("missing socket path")
		}
		return Endpoint{Scheme: "unix", Address: rest}, nil
	case "ws", "wss":
		return Endpoint{}, bad("want a URL, such as %s://127.0.0.1:8787/pb", scheme)
	default:
		return Endpoint{}, bad("unknown transport %q (want tcp, tls, unix, ws or wss)", scheme)
	}
}

// splitAddress splits "HOST:PORT[:k=v...]" where HOST may be "[IPv6]".
func splitAddress(rest string) (host, port string, opts map[string]string, err error) {
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return "", "", nil, errors.New("missing ']' after IPv6 address")
		}
		host = rest[1:end]
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() {
			return "", "", nil, fmt.Errorf("[%s] is not an IPv6 address", host)
		}
		rest = rest[end+1:]
		if rest == "" {
			return "", "", nil, errors.New("missing port (want [IPv6]:PORT)")
		}
		if rest[0] != ':' {
			return "", "", nil, errors.New("want ':PORT' after ']'")
		}
		rest = rest[1:]
	} else {
		var ok bool
		host, rest, ok = strings.Cut(rest, ":")
		if !ok {
			return "", "", nil, errors.New("missing port (want HOST:PORT)")
		}
		if strings.ContainsAny(host, "[]/\\ \t=") {
			return "", "", nil, fmt.Errorf("bad host %q", host)
		}
	}
	segs, err := splitEscaped(rest)
	if err != nil {
		return "", "", nil, err
	}
	port = segs[0]
	if port == "" {
		if host == "" && len(segs) > 1 {
			return "", "", nil, errors.New("missing port (write IPv6 addresses in brackets, such as [::1]:8787)")
		}
		return "", "", nil, errors.New("missing port")
	}
	if err := checkPort(port); err != nil {
		return "", "", nil, err
	}
	if len(segs) > 1 {
		opts = make(map[string]string, len(segs)-1)
		for _, seg := range segs[1:] {
			k, v, ok := strings.Cut(seg, "=")
			if !ok || k == "" {
				return "", "", nil, fmt.Errorf("option %q is not KEY=VALUE", seg)
			}
			if _, dup := opts[k]; dup {
				return "", "", nil, fmt.Errorf("option %q given twice", k)
			}
			opts[k] = v
		}
	}
	return host, port, opts, nil
}

// splitEscaped splits s at every ':' not escaped by '\', undoing the
// escapes "\:" and "\\".
func splitEscaped(s string) ([]string, error) {
	var segs []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 == len(s) || s[i+1] != ':' && s[i+1] != '\\' {
				return nil, errors.New(`'\' must be followed by ':' or '\'`)
			}
			i++
			b.WriteByte(s[i])
		case ':':
			segs = append(segs, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return append(segs, b.String()), nil
}

func checkPort(port string) error {
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("bad port %q (want a number from 0 to 65535)", port)
	}
	return nil
}

// checkOptions checks the names and values of tls/wss options.
func checkOptions(opts map[string]string) error {
	for _, k := range sortedKeys(opts) {
		v := opts[k]
		if !slices.Contains(knownOptions, k) {
			return fmt.Errorf("unknown option %q (known: %s)", k, strings.Join(knownOptions, ", "))
		}
		switch k {
		case optClientAuth:
			if _, ok := clientAuthModes[v]; !ok {
				return fmt.Errorf("clientauth=%s: want none, request or require", v)
			}
		case optInsecure:
			if v != "true" && v != "false" {
				return fmt.Errorf("insecure=%s: want true or false", v)
			}
		default:
			if v == "" {
				return fmt.Errorf("option %s has an empty value", k)
			}
		}
	}
	_, hasCert := opts[optCert]
	_, hasKey := opts[optKey]
	if hasCert != hasKey {
		return errors.New("cert and key must be given together")
	}
	if mode := opts[optClientAuth]; (mode == "request" || mode == "require") && opts[optCA] == "" {
		return fmt.Errorf("clientauth=%s needs ca=FILE to verify client certificates", mode)
	}
	return nil
}

// parseWS parses a ws:// or wss:// URL.
func parseWS(s string, bad func(string, ...any) error) (Endpoint, error) {
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Endpoint{}, bad("%s", err)
	}
	switch {
	case u.User != nil:
		return Endpoint{}, bad("user information is not supported")
	case u.Fragment != "":
		return Endpoint{}, bad("a fragment (#...) is not allowed")
	case u.Host == "":
		return Endpoint{}, bad("missing HOST:PORT")
	case u.Opaque != "":
		return Endpoint{}, bad("want %s://HOST:PORT/PATH", u.Scheme)
	}
	host, port := u.Hostname(), u.Port()
	if strings.HasPrefix(u.Host, "[") {
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() {
			return Endpoint{}, bad("[%s] is not an IPv6 address", host)
		}
	}
	if port == "" {
		if strings.HasSuffix(u.Host, ":") {
			return Endpoint{}, bad("missing port after ':'")
		}
		port = "80"
		if u.Scheme == "wss" {
			port = "443"
		}
	}
	if err := checkPort(port); err != nil {
		return Endpoint{}, bad("%s", err)
	}
	ep := Endpoint{Scheme: u.Scheme, Address: net.JoinHostPort(host, port), Path: u.Path}
	if ep.Path == "" {
		ep.Path = "/"
	}
	if u.RawQuery != "" || u.ForceQuery {
		if u.Scheme == "ws" {
			return Endpoint{}, bad("ws takes no options (for TLS use wss://)")
		}
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return Endpoint{}, bad("bad query: %s", err)
		}
		opts := make(map[string]string, len(q))
		for k, vs := range q {
			if len(vs) > 1 {
				return Endpoint{}, bad("option %q given twice", k)
			}
			opts[k] = vs[0]
		}
		if err := checkOptions(opts); err != nil {
			return Endpoint{}, bad("%s", err)
		}
		if len(opts) > 0 {
			ep.Options = opts
		}
	}
	return ep, nil
}

// Listen listens on the endpoint. The context bounds setting up the
// listener, not its life: close the listener to stop listening.
func Listen(ctx context.Context, endpoint string) (net.Listener, error) {
	ep, err := Parse(endpoint)
	if err != nil {
		return nil, err
	}
	var l net.Listener
	switch ep.Scheme {
	case "tcp":
		var lc net.ListenConfig
		l, err = lc.Listen(ctx, "tcp", ep.Address)
	case "unix":
		l, err = listenUnix(ctx, ep.Address)
	case "tls":
		l, err = listenTLS(ctx, ep)
	case "ws", "wss":
		l, err = listenWS(ctx, ep)
	}
	if err != nil {
		if errors.Is(err, ErrBadEndpoint) {
			return nil, err
		}
		return nil, fmt.Errorf("transport: listen %s: %w", ep, err)
	}
	return l, nil
}

// Dial connects to the endpoint. The context bounds the connection attempt,
// including the TLS and WebSocket handshakes, not the connection's life.
func Dial(ctx context.Context, endpoint string) (net.Conn, error) {
	ep, err := Parse(endpoint)
	if err != nil {
		return nil, err
	}
	var c net.Conn
	switch ep.Scheme {
	case "tcp", "unix":
		var d net.Dialer
		c, err = d.DialContext(ctx, ep.Scheme, ep.Address)
	case "tls":
		c, err = dialTLS(ctx, ep)
	case "ws", "wss":
		c, err = dialWS(ctx, ep)
	}
	if err != nil {
		if errors.Is(err, ErrBadEndpoint) {
			return nil, err
		}
		return nil, fmt.Errorf("transport: dial %s: %w", ep, err)
	}
	return c, nil
}

// Addr is the address of a tls, ws or wss listener.
type Addr struct {
	// Scheme is "tls", "ws" or "wss".
	Scheme string
	// TCP is the TCP address listened on.
	TCP *net.TCPAddr
	// Path is the URL path of a ws or wss listener.
	Path string
}

// Network returns the scheme.
func (a *Addr) Network() string { return a.Scheme }

// String returns "HOST:PORT" for tls, and the URL for ws and wss.
func (a *Addr) String() string {
	if a.Scheme == "ws" || a.Scheme == "wss" {
		u := url.URL{Scheme: a.Scheme, Host: a.TCP.String(), Path: a.Path}
		return u.String()
	}
	return a.TCP.String()
}

// EndpointOf returns the endpoint string for a listener's address, so a
// server listening on port 0 can tell clients where it is. For a tls or
// wss listener it has no options: a client adds its own (ca=, ...).
func EndpointOf(a net.Addr) string {
	if ta, ok := a.(*Addr); ok {
		if ta.Scheme == "tls" {
			return "tls:" + ta.String()
		}
		return ta.String()
	}
	switch a.Network() {
	case "unix":
		return "unix:" + a.String()
	default:
		return "tcp:" + a.String()
	}
}

// tcpAddr returns l's address as a *net.TCPAddr.
func tcpAddr(l net.Listener) *net.TCPAddr {
	if ta, ok := l.Addr().(*net.TCPAddr); ok {
		return ta
	}
	ap, _ := netip.ParseAddrPort(l.Addr().String())
	return net.TCPAddrFromAddrPort(ap)
}
