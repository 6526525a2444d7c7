package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tlsListen listens with TLS on 127.0.0.1 with the given options and
// serves echo; it returns the endpoint to dial (without options).
func tlsListen(t *testing.T, host string, opts ...string) string {
	t.Helper()
	l := listenEcho(t, "tls:"+host+":0:"+strings.Join(opts, ":"))
	require.Equal(t, "tls", l.Addr().Network())
	return EndpointOf(l.Addr())
}

func TestTLSEcho(t *testing.T) {
	p := newPKI(t, "test")
	cert, key := p.server()
	ep := tlsListen(t, "127.0.0.1", "cert="+opt(cert), "key="+opt(key))
	require.True(t, strings.HasPrefix(ep, "tls:127.0.0.1:"), ep)

	c := dialEcho(t, ep+":ca="+opt(p.CAFile))
	tc, ok := c.(*tls.Conn)
	require.True(t, ok, "Dial returns a *tls.Conn")
	st := tc.ConnectionState()
	require.True(t, st.HandshakeComplete)
	require.GreaterOrEqual(t, st.Version, uint16(tls.VersionTLS12))
	bigTransfer(t, c)

	// servername is what is verified: the certificate names localhost.
	dialEcho(t, ep+":ca="+opt(p.CAFile)+":servername=localhost")
	_, err := Dial(ctxT(t), ep+":ca="+opt(p.CAFile)+":servername=example.com")
	require.Error(t, err)
	var herr x509.HostnameError
	require.ErrorAs(t, err, &herr)
}

func TestTLSIPv6Echo(t *testing.T) {
	if !hasIPv6() {
		t.Skip("no IPv6 loopback on this machine")
	}
	p := newPKI(t, "test")
	cert, key := p.server()
	ep := tlsListen(t, "[::1]", "cert="+opt(cert), "key="+opt(key))
	require.True(t, strings.HasPrefix(ep, "tls:[::1]:"), ep)
	dialEcho(t, ep+":ca="+opt(p.CAFile))
}

func TestTLSWrongCA(t *testing.T) {
	p := newPKI(t, "right")
	other := newPKI(t, "wrong")
	cert, key := p.server()
	ep := tlsListen(t, "127.0.0.1", "cert="+opt(cert), "key="+opt(key))

	_, err := Dial(ctxT(t), ep+":ca="+opt(other.CAFile))
	require.Error(t, err)
	var uerr x509.UnknownAuthorityError
	require.ErrorAs(t, err, &uerr)

	// Without ca= the system roots are used, which do not know the test CA.
	_, err = Dial(ctxT(t), ep)
	require.ErrorAs(t, err, &uerr)

	// insecure=true skips verification (tests only).
	dialEcho(t, ep+":insecure=true")
}

func TestTLSExpiredCertificate(t *testing.T) {
	p := newPKI(t, "test")
	cert, key := p.leaf("expired", false, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour), "127.0.0.1")
	ep := tlsListen(t, "127.0.0.1", "cert="+opt(cert), "key="+opt(key))
	_, err := Dial(ctxT(t), ep+":ca="+opt(p.CAFile))
	require.Error(t, err)
	var cerr x509.CertificateInvalidError
	require.ErrorAs(t, err, &cerr)
	require.Equal(t, x509.Expired, cerr.Reason)
}

func TestTLSClientAuth(t *testing.T) {
	p := newPKI(t, "test")
	cert, key := p.server()
	ccert, ckey := p.client()
	ep := tlsListen(t, "127.0.0.1", "cert="+opt(cert), "key="+opt(key), "ca="+opt(p.CAFile), "clientauth=require")
	trust := ":ca=" + opt(p.CAFile)

	// With a client certificate from the CA: accepted.
	dialEcho(t, ep+trust+":cert="+opt(ccert)+":key="+opt(ckey))

	// Without one: refused, at Dial (TLS 1.2) or on the first read (1.3).
	if c, err := Dial(ctxT(t), ep+trust); err == nil {
		defer c.Close()
		err = echoFails(t, c)
		require.Contains(t, err.Error(), "certificate required")
	}

	// With a certificate from another CA: refused.
	other := newPKI(t, "other")
	ocert, okey := other.client()
	if c, err := Dial(ctxT(t), ep+trust+":cert="+opt(ocert)+":key="+opt(okey)); err == nil {
		defer c.Close()
		echoFails(t, c)
	}
}

func TestTLSClientAuthDefaults(t *testing.T) {
	p := newPKI(t, "test")
	cert, key := p.server()
	ccert, ckey := p.client()
	trust := ":ca=" + opt(p.CAFile)

	// ca= alone on a listener means clientauth=require.
	ep := tlsListen(t, "127.0.0.1", "cert="+opt(cert), "key="+opt(key), "ca="+opt(p.CAFile))
	if c, err := Dial(ctxT(t), ep+trust); err == nil {
		defer c.Close()
		echoFails(t, c)
	}

	// clientauth=request: a certificate is optional, but verified if sent.
	ep = tlsListen(t, "127.0.0.1", "cert="+opt(cert), "key="+opt(key), "ca="+opt(p.CAFile), "clientauth=request")
	dialEcho(t, ep+trust)
	dialEcho(t, ep+trust+":cert="+opt(ccert)+":key="+opt(ckey))
	// A client that sends a certificate from another CA anyway (Go's
	// client only offers one that matches the server's CA list).
	other := newPKI(t, "other")
	ocert, okey := other.client()
	kp, err := tls.LoadX509KeyPair(ocert, okey)
	require.NoError(t, err)
	c, err := tls.Dial("tcp", strings.TrimPrefix(ep, "tls:"), &tls.Config{
		InsecureSkipVerify:   true,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &kp, nil },
	})
	if err == nil {
		defer c.Close()
		err = echoFails(t, c)
	}
	require.Error(t, err)

	// clientauth=none with a ca: no client certificate asked for.
	ep = tlsListen(t, "127.0.0.1", "cert="+opt(cert), "key="+opt(key), "ca="+opt(p.CAFile), "clientauth=none")
	dialEcho(t, ep+trust)
}

func TestTLSMinVersion(t *testing.T) {
	p := newPKI(t, "test")
	cert, key := p.server()
	ep := tlsListen(t, "127.0.0.1", "cert="+opt(cert), "key="+opt(key))
	c, err := tls.Dial("tcp", strings.TrimPrefix(ep, "tls:"), &tls.Config{
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS10,
		MaxVersion:         tls.VersionTLS11,
	})
	if err == nil {
		c.Close()
	}
	require.Error(t, err, "a TLS 1.1 client is refused")
}

func TestTLSFiles(t *testing.T) {
	p := newPKI(t, "test")
	cert, key := p.server()
	missing := filepath.Join(t.TempDir(), "missing.pem")
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	require.NoError(t, os.WriteFile(garbage, []byte("not PEM"), 0o600))

	tests := []struct {
		name, endpoint, msg string
		listen, notExist    bool
	}{
		{"missing cert", "tls:127.0.0.1:0:cert=" + opt(missing) + ":key=" + opt(key), "cert file: open " + missing, true, true},
		{"missing key", "tls:127.0.0.1:0:cert=" + opt(cert) + ":key=" + opt(missing), "key file: open " + missing, true, true},
		{"missing ca", "tls:127.0.0.1:0:cert=" + opt(cert) + ":key=" + opt(key) + ":ca=" + opt(missing), "ca file: open " + missing, true, true},
		{"garbage ca", "tls:127.0.0.1:0:cert=" + opt(cert) + ":key=" + opt(key) + ":ca=" + opt(garbage), "no PEM certificate", true, false},
		{"garbage cert", "tls:127.0.0.1:0:cert=" + opt(garbage) + ":key=" + opt(key), "cert=" + garbage, true, false},
		{"key of another cert", "tls:127.0.0.1:0:cert=" + opt(cert) + ":key=" + opt(p.CAFile), "cert=" + cert, true, false},
		{"dial missing ca", "tls:127.0.0.1:1:ca=" + opt(missing), "ca file: open " + missing, false, true},
		{"dial missing client cert", "tls:127.0.0.1:1:cert=" + opt(missing) + ":key=" + opt(key), "cert file", false, true},
		{"wss missing cert", "wss://127.0.0.1:0/?cert=" + missing + "&key=" + key, "cert file: open " + missing, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.listen {
				var l net.Listener
				if l, err = Listen(ctxT(t), tc.endpoint); err == nil {
					l.Close()
				}
			} else {
				var c net.Conn
				if c, err = Dial(ctxT(t), tc.endpoint); err == nil {
					c.Close()
				}
			}
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.msg)
			require.Equal(t, tc.notExist, errors.Is(err, fs.ErrNotExist))
			require.False(t, errors.Is(err, ErrBadEndpoint), "a file problem is not a syntax problem")
		})
	}
}

func TestTLSOptionPlacement(t *testing.T) {
	p := newPKI(t, "test")
	cert, key := p.server()
	kp := ":cert=" + opt(cert) + ":key=" + opt(key)
	for _, tc := range []struct {
		endpoint, msg string
		listen        bool
	}{
		{"tls:127.0.0.1:0" + kp + ":servername=x", "option servername applies only when dialing", true},
		{"tls:127.0.0.1:0" + kp + ":insecure=true", "option insecure applies only when dialing", true},
		{"tls:127.0.0.1:0", "listening with TLS needs cert=FILE and key=FILE", true},
		{"wss://127.0.0.1:0/", "listening with TLS needs cert=FILE and key=FILE", true},
		{"tls:127.0.0.1:1:clientauth=none", "option clientauth applies only when listening", false},
		{"wss://127.0.0.1:1/?clientauth=none", "option clientauth applies only when listening", false},
	} {
		var err error
		if tc.listen {
			var l net.Listener
			if l, err = Listen(ctxT(t), tc.endpoint); err == nil {
				l.Close()
			}
		} else {
			_, err = Dial(ctxT(t), tc.endpoint)
		}
		require.ErrorIs(t, err, ErrBadEndpoint, tc.endpoint)
		require.Contains(t, err.Error(), tc.msg)
	}
}

func TestTLSEscapedPath(t *testing.T) {
	p := newPKI(t, "test")
	cert, key := p.server()
	dir := filepath.Join(t.TempDir(), `odd:dir\x`)
	require.NoError(t, os.Mkdir(dir, 0o700))
	ca := filepath.Join(dir, "ca.pem")
	b, err := os.ReadFile(p.CAFile)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(ca, b, 0o600))
	ep := tlsListen(t, "127.0.0.1", "cert="+opt(cert), "key="+opt(key))
	dialEcho(t, ep+":ca="+opt(ca))
}
