package transport

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSelfSigned(t *testing.T) {
	certPEM, keyPEM, err := SelfSigned("example.test", "127.0.0.1", "[::1]")
	require.NoError(t, err)
	block, _ := pem.Decode(certPEM)
	require.NotNil(t, block)
	require.Equal(t, "CERTIFICATE", block.Type)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	require.Equal(t, []string{"example.test"}, cert.DNSNames)
	require.Len(t, cert.IPAddresses, 2)
	require.True(t, cert.IPAddresses[0].Equal(net.ParseIP("127.0.0.1")))
	require.True(t, cert.IPAddresses[1].Equal(net.ParseIP("::1")))
	require.WithinDuration(t, time.Now().Add(SelfSignedValidity), cert.NotAfter, time.Minute)
	require.True(t, cert.NotBefore.Before(time.Now()))
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	require.True(t, ok)
	require.Equal(t, elliptic.P256(), pub.Curve)

	kb, _ := pem.Decode(keyPEM)
	require.NotNil(t, kb)
	require.Equal(t, "PRIVATE KEY", kb.Type)
	_, err = x509.ParsePKCS8PrivateKey(kb.Bytes)
	require.NoError(t, err)

	// It verifies as its own root for every host.
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	for _, h := range []string{"example.test", "127.0.0.1", "::1"} {
		_, err := cert.Verify(x509.VerifyOptions{DNSName: h, Roots: pool})
		require.NoError(t, err, h)
	}
	_, err = cert.Verify(x509.VerifyOptions{DNSName: "other.test", Roots: pool})
	require.Error(t, err)

	_, _, err = SelfSigned("")
	require.Error(t, err)
}

func TestWriteSelfSigned(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, err := WriteSelfSigned(dir)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "cert.pem"), certFile)
	require.Equal(t, filepath.Join(dir, "key.pem"), keyFile)
	fi, err := os.Stat(keyFile)
	require.NoError(t, err)
	require.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())

	// The pair works for TLS and for WSS, with the certificate as the CA,
	// and as a client certificate too.
	l := listenEcho(t, "tls:127.0.0.1:0:cert="+opt(certFile)+":key="+opt(keyFile)+":ca="+opt(certFile))
	dialEcho(t, EndpointOf(l.Addr())+":ca="+opt(certFile)+":cert="+opt(certFile)+":key="+opt(keyFile))
	w := listenEcho(t, "wss://localhost:0/pb?cert="+certFile+"&key="+keyFile)
	dialEcho(t, "wss://localhost:"+itoa(w.Addr().(*Addr).TCP.Port)+"/pb?ca="+certFile)

	// It never overwrites.
	_, _, err = WriteSelfSigned(dir)
	require.ErrorIs(t, err, fs.ErrExist)
}

func itoa(n int) string { return strconv.Itoa(n) }
