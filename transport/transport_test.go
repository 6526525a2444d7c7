package transport

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Endpoint
		str  string // String(), when it differs from in
	}{
		{in: "tcp:127.0.0.1:8787", want: Endpoint{Scheme: "tcp", Address: "127.0.0.1:8787"}},
		{in: "tcp::8787", want: Endpoint{Scheme: "tcp", Address: ":8787"}},
		{in: "tcp:localhost:0", want: Endpoint{Scheme: "tcp", Address: "localhost:0"}},
		{in: "tcp:[::1]:8787", want: Endpoint{Scheme: "tcp", Address: "[::1]:8787"}},
		{in: "tcp:[fe80::1%eth0]:8787", want: Endpoint{Scheme: "tcp", Address: "[fe80::1%eth0]:8787"}},
		{in: "unix:/run/braid.sock", want: Endpoint{Scheme: "unix", Address: "/run/braid.sock"}},
		{in: "unix:rel:ative", want: Endpoint{Scheme: "unix", Address: "rel:ative"}},
		{in: "tls:127.0.0.1:8443:cert=server.pem:key=server.key:ca=ca.pem:clientauth=require",
			want: Endpoint{Scheme: "tls", Address: "127.0.0.1:8443", Options: map[string]string{
				"cert": "server.pem", "key": "server.key", "ca": "ca.pem", "clientauth": "require"}},
			str: "tls:127.0.0.1:8443:ca=ca.pem:cert=server.pem:clientauth=require:key=server.key"},
		{in: "tls:host:443:ca=ca.pem:servername=example.com:cert=client.pem:key=client.key",
			want: Endpoint{Scheme: "tls", Address: "host:443", Options: map[string]string{
				"ca": "ca.pem", "servername": "example.com", "cert": "client.pem", "key": "client.key"}},
			str: "tls:host:443:ca=ca.pem:cert=client.pem:key=client.key:servername=example.com"},
		{in: "tls:[::1]:8443", want: Endpoint{Scheme: "tls", Address: "[::1]:8443"}},
		{in: "tls:[::1]:8443:insecure=true", want: Endpoint{Scheme: "tls", Address: "[::1]:8443",
			Options: map[string]string{"insecure": "true"}}},
		{in: `tls:h:1:ca=C\:\\certs\\ca.pem`, want: Endpoint{Scheme: "tls", Address: "h:1",
			Options: map[string]string{"ca": `C:\certs\ca.pem`}}},
		{in: "tls:h:1:ca=a=b", want: Endpoint{Scheme: "tls", Address: "h:1",
			Options: map[string]string{"ca": "a=b"}}},
		{in: "ws://127.0.0.1:8080/pb", want: Endpoint{Scheme: "ws", Address: "127.0.0.1:8080", Path: "/pb"}},
		{in: "ws://[::1]:8080/a/b", want: Endpoint{Scheme: "ws", Address: "[::1]:8080", Path: "/a/b"}},
		{in: "ws://example.com", want: Endpoint{Scheme: "ws", Address: "example.com:80", Path: "/"},
			str: "ws://example.com:80/"},
		{in: "ws://:8080/pb", want: Endpoint{Scheme: "ws", Address: ":8080", Path: "/pb"}},
		{in: "wss://example.com/pb", want: Endpoint{Scheme: "wss", Address: "example.com:443", Path: "/pb"},
			str: "wss://example.com:443/pb"},
		{in: "wss://127.0.0.1:8443/pb?cert=server.pem&key=server.key&ca=ca.pem",
			want: Endpoint{Scheme: "wss", Address: "127.0.0.1:8443", Path: "/pb", Options: map[string]string{
				"cert": "server.pem", "key": "server.key", "ca": "ca.pem"}},
			str: "wss://127.0.0.1:8443/pb?ca=ca.pem&cert=server.pem&key=server.key"},
		{in: "wss://h:1/?ca=%2Ftmp%2Fa%2Bb.pem", want: Endpoint{Scheme: "wss", Address: "h:1", Path: "/",
			Options: map[string]string{"ca": "/tmp/a+b.pem"}}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			ep, err := Parse(tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.want, ep)
			str := tc.str
			if str == "" {
				str = tc.in
			}
			require.Equal(t, str, ep.String())
			again, err := Parse(ep.String())
			require.NoError(t, err)
			require.Equal(t, ep, again)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, msg string }{
		{"", "want SCHEME:ADDRESS"},
		{"127.0.0.1", "want SCHEME:ADDRESS"},
		{"udp:1.2.3.4:5", `unknown transport "udp"`},
		{"http://x:80/", `unknown transport "http"`},
		{"tcp:127.0.0.1", "missing port (want HOST:PORT)"},
		{"tcp:127.0.0.1:", "missing port"},
		{"tcp:127.0.0.1:http", `bad port "http"`},
		{"tcp:127.0.0.1:65536", `bad port "65536"`},
		{"tcp:127.0.0.1:-1", `bad port "-1"`},
		{"tcp:::1:8787", "IPv6 addresses in brackets"},
		{"tcp:[::1]", "missing port"},
		{"tcp:[::1", "missing ']'"},
		{"tcp:[::1]8787", "want ':PORT' after ']'"},
		{"tcp:[127.0.0.1]:80", "is not an IPv6 address"},
		{"tcp:[nonsense]:80", "is not an IPv6 address"},
		{"tcp:a b:80", `bad host "a b"`},
		{"tcp:127.0.0.1:80:cert=x", "tcp takes no options"},
		{"unix:", "missing socket path"},
		{"tls:127.0.0.1", "missing port"},
		{"tls:127.0.0.1:8443:cert", `option "cert" is not KEY=VALUE`},
		{"tls:127.0.0.1:8443:=x", `option "=x" is not KEY=VALUE`},
		{"tls:127.0.0.1:8443:bogus=1", `unknown option "bogus" (known: ca, cert, clientauth, insecure, key, servername)`},
		{"tls:127.0.0.1:8443:ca=a:ca=b", `option "ca" given twice`},
		{"tls:127.0.0.1:8443:ca=", "option ca has an empty value"},
		{"tls:127.0.0.1:8443:cert=a.pem", "cert and key must be given together"},
		{"tls:127.0.0.1:8443:key=a.key", "cert and key must be given together"},
		{"tls:127.0.0.1:8443:clientauth=maybe", "clientauth=maybe: want none, request or require"},
		{"tls:127.0.0.1:8443:cert=a:key=b:clientauth=require", "clientauth=require needs ca=FILE"},
		{"tls:127.0.0.1:8443:insecure=yes", "insecure=yes: want true or false"},
		{`tls:127.0.0.1:8443:ca=a\b`, `'\' must be followed by ':' or '\'`},
		{"ws:127.0.0.1:80", "want a URL, such as ws://127.0.0.1:8787/pb"},
		{"wss:127.0.0.1:80", "want a URL, such as wss://127.0.0.1:8787/pb"},
		{"ws://", "missing HOST:PORT"},
		{"ws:///pb", "missing HOST:PORT"},
		{"ws://h:x/pb", "invalid port"},
		{"ws://h:/pb", "missing port after ':'"},
		{"ws://h:70000/pb", `bad port "70000"`},
		{"ws://u:p@h:80/pb", "user information is not supported"},
		{"ws://h:80/pb#frag", "fragment"},
		{"ws://h:80/pb?ca=x", "ws takes no options"},
		{"wss://h:80/pb?bogus=1", `unknown option "bogus"`},
		{"wss://h:80/pb?ca=a&ca=b", `option "ca" given twice`},
		{"wss://h:80/pb?ca=%zz", "bad query"},
		{"wss://[1.2.3.4]:80/pb", "invalid IP-literal"},
		{"ws://[nonsense]:80/pb", "invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := Parse(tc.in)
			require.Error(t, err)
			require.ErrorIs(t, err, ErrBadEndpoint)
			require.Contains(t, err.Error(), tc.msg)
			require.Contains(t, err.Error(), fmt.Sprintf("%q", tc.in), "the message quotes the endpoint")

			// Listen and Dial report the same error.
			_, lerr := Listen(ctxT(t), tc.in)
			require.ErrorIs(t, lerr, ErrBadEndpoint)
			_, derr := Dial(ctxT(t), tc.in)
			require.ErrorIs(t, derr, ErrBadEndpoint)
		})
	}
}

func TestTCPEcho(t *testing.T) {
	l := listenEcho(t, "tcp:127.0.0.1:0")
	ep := EndpointOf(l.Addr())
	require.True(t, strings.HasPrefix(ep, "tcp:127.0.0.1:"), ep)
	dialEcho(t, ep)
}

func TestTCPIPv6Echo(t *testing.T) {
	if !hasIPv6() {
		t.Skip("no IPv6 loopback on this machine")
	}
	l := listenEcho(t, "tcp:[::1]:0")
	ep := EndpointOf(l.Addr())
	require.True(t, strings.HasPrefix(ep, "tcp:[::1]:"), ep)
	dialEcho(t, ep)
}

func TestUnixEcho(t *testing.T) {
	path := filepath.Join(t.TempDir(), "braid.sock")
	l := listenEcho(t, "unix:"+path)
	ep := EndpointOf(l.Addr())
	require.Equal(t, "unix:"+path, ep)
	dialEcho(t, ep)
}

func TestUnixStaleSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stale.sock")
	// A server that died leaves its socket file behind.
	old, err := net.Listen("unix", path)
	require.NoError(t, err)
	old.(*net.UnixListener).SetUnlinkOnClose(false)
	require.NoError(t, old.Close())
	_, err = os.Lstat(path)
	require.NoError(t, err, "the stale socket file is there")

	l := listenEcho(t, "unix:"+path)
	dialEcho(t, EndpointOf(l.Addr()))
}

func TestUnixSocketInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.sock")
	l := listenEcho(t, "unix:"+path)
	_, err := Listen(ctxT(t), "unix:"+path)
	require.Error(t, err)
	require.ErrorIs(t, err, syscall.EADDRINUSE)
	require.Contains(t, err.Error(), "a server is accepting connections on it")
	// The running server was not disturbed.
	dialEcho(t, EndpointOf(l.Addr()))
}

func TestUnixNotASocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(path, []byte("keep me"), 0o600))
	_, err := Listen(ctxT(t), "unix:"+path)
	require.Error(t, err)
	b, rerr := os.ReadFile(path)
	require.NoError(t, rerr)
	require.Equal(t, "keep me", string(b), "a file that is not a socket is left alone")
}

func TestDialRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ep := EndpointOf(l.Addr())
	l.Close()
	for _, e := range []string{ep, "tls" + ep[3:] + ":insecure=true", "ws://" + ep[4:] + "/"} {
		_, err = Dial(ctxT(t), e)
		require.Error(t, err, e)
		require.ErrorIs(t, err, syscall.ECONNREFUSED, e)
		require.False(t, errors.Is(err, ErrBadEndpoint))
	}
}
