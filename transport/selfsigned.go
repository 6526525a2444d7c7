package transport

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// SelfSignedValidity is how long a SelfSigned certificate is valid.
const SelfSignedValidity = 365 * 24 * time.Hour

// SelfSigned makes a self-signed certificate for development: an ECDSA
// P-256 key and a certificate valid from an hour ago for SelfSignedValidity,
// whose subject alternative names are hosts (IP addresses as IP SANs, the
// rest as DNS names; brackets around IPv6 addresses are dropped). With no
// hosts it covers "localhost", 127.0.0.1 and ::1. The certificate is its
// own CA, so the same PEM file serves as a server's cert= and a client's
// ca=; it is also valid for client authentication.
//
// It returns the certificate and the PKCS #8 private key, PEM-encoded.
func SelfSigned(hosts ...string) (certPEM, keyPEM []byte, err error) {
	if len(hosts) == 0 {
		hosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"Braid development"}, CommonName: "braid self-signed"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(SelfSignedValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, h := range hosts {
		h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
		if h == "" {
			return nil, nil, errors.New("transport: SelfSigned: empty host name")
		}
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}

// WriteSelfSigned makes a certificate with SelfSigned and writes it to
// dir/cert.pem (mode 0644) and its key to dir/key.pem (mode 0600). It
// refuses to overwrite either file (the error wraps fs.ErrExist): remove
// them to make a new pair. It returns the two file names.
func WriteSelfSigned(dir string, hosts ...string) (certFile, keyFile string, err error) {
	certPEM, keyPEM, err := SelfSigned(hosts...)
	if err != nil {
		return "", "", err
	}
	certFile = filepath.Join(dir, "cert.pem")
	keyFile = filepath.Join(dir, "key.pem")
	for _, f := range []string{certFile, keyFile} {
		if _, err := os.Lstat(f); err == nil {
			return "", "", fmt.Errorf("transport: WriteSelfSigned: %s: %w", f, os.ErrExist)
		}
	}
	if err := writeNew(keyFile, keyPEM, 0o600); err != nil {
		return "", "", err
	}
	if err := writeNew(certFile, certPEM, 0o644); err != nil {
		os.Remove(keyFile)
		return "", "", err
	}
	return certFile, keyFile, nil
}

// writeNew writes a file that must not exist yet.
func writeNew(name string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("transport: WriteSelfSigned: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("transport: WriteSelfSigned: %w", err)
	}
	return nil
}
