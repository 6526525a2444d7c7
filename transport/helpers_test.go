package transport

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// ctxT returns a context that ends with the test or after 10 s.
func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// serveEcho accepts connections on l and echoes each one back until it
// ends. The cleanup closes l and waits for every goroutine.
func serveEcho(t testing.TB, l net.Listener) {
	t.Helper()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
	})
}

// listenEcho listens on endpoint and serves echo on it.
func listenEcho(t testing.TB, endpoint string) net.Listener {
	t.Helper()
	l, err := Listen(ctxT(t), endpoint)
	require.NoError(t, err)
	serveEcho(t, l)
	return l
}

// echo sends msg over c and checks that it comes back.
func echo(t testing.TB, c net.Conn, msg []byte) {
	t.Helper()
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	_, err := c.Write(msg)
	require.NoError(t, err)
	got := make([]byte, len(msg))
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	require.Equal(t, msg, got)
}

// echoFails checks that a round trip over c fails (for handshakes that are
// refused only after the client's Dial returned).
func echoFails(t testing.TB, c net.Conn) error {
	t.Helper()
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	if _, err := c.Write([]byte("ping")); err != nil {
		return err
	}
	got := make([]byte, 4)
	_, err := io.ReadFull(c, got)
	require.Error(t, err, "round trip succeeded")
	return err
}

// dialEcho dials endpoint and checks a short round trip.
func dialEcho(t testing.TB, endpoint string) net.Conn {
	t.Helper()
	c, err := Dial(ctxT(t), endpoint)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	echo(t, c, []byte("hello, braid"))
	return c
}

// bigTransfer sends 1 MiB over c in many small writes while reading the
// echo, then 1 MiB in one write, and checks both come back intact.
func bigTransfer(t testing.TB, c net.Conn) {
	t.Helper()
	require.NoError(t, c.SetDeadline(time.Now().Add(20*time.Second)))
	data := make([]byte, 1<<20)
	_, _ = rand.Read(data)
	for _, chunk := range []int{1000, len(data)} {
		errc := make(chan error, 1)
		go func() {
			for off := 0; off < len(data); off += chunk {
				if _, err := c.Write(data[off:min(off+chunk, len(data))]); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
		got := make([]byte, len(data))
		_, err := io.ReadFull(c, got)
		require.NoError(t, err, "chunk %d", chunk)
		require.NoError(t, <-errc)
		require.True(t, bytes.Equal(data, got), "chunk %d: data differs", chunk)
	}
}

// hasIPv6 reports whether the machine can listen on ::1.
func hasIPv6() bool {
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// pki is a test certificate authority that writes PEM files to a temporary
// directory.
type pki struct {
	t      testing.TB
	dir    string
	cert   *x509.Certificate
	key    *ecdsa.PrivateKey
	CAFile string
}

var serial int64

func newKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

// newPKI makes a CA called name.
func newPKI(t testing.TB, name string) *pki {
	t.Helper()
	p := &pki{t: t, dir: t.TempDir(), key: newKey(t)}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &p.key.PublicKey, p.key)
	require.NoError(t, err)
	p.cert, err = x509.ParseCertificate(der)
	require.NoError(t, err)
	p.CAFile = p.write(name+"-ca.pem", "CERTIFICATE", der)
	return p
}

func (p *pki) write(name, typ string, der []byte) string {
	f := filepath.Join(p.dir, name)
	require.NoError(p.t, os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
	return f
}

// leaf issues a certificate for hosts valid from notBefore to notAfter,
// for server or client use, and returns its cert and key files.
func (p *pki) leaf(name string, client bool, notBefore, notAfter time.Time, hosts ...string) (certFile, keyFile string) {
	p.t.Helper()
	key := newKey(p.t)
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.cert, &key.PublicKey, p.key)
	require.NoError(p.t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(p.t, err)
	return p.write(name+".pem", "CERTIFICATE", der), p.write(name+".key", "PRIVATE KEY", keyDER)
}

// server issues a server certificate valid now for localhost, 127.0.0.1
// and ::1.
func (p *pki) server() (certFile, keyFile string) {
	return p.leaf("server", false, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), "localhost", "127.0.0.1", "::1")
}

// client issues a client certificate valid now.
func (p *pki) client() (certFile, keyFile string) {
	return p.leaf("client", true, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
}

// opt escapes a file name for a tls endpoint option.
func opt(f string) string { return escapeOption(f) }
