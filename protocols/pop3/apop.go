package pop3

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/braidkit/braid/cred"
)

// KindAPOP is the cred.Kind of APOP logins (APOP credentials).
const KindAPOP cred.Kind = "pop3-apop"

// APOP is the credentials of an APOP login (RFC 1939 §7): the client proves
// it knows the shared secret by sending MD5(Timestamp || secret) in hex,
// where Timestamp is the "<...>" string of the server's greeting, brackets
// included.
type APOP struct {
	Username  string
	Timestamp string
	Digest    string // 32 hex digits
}

// Kind returns KindAPOP.
func (APOP) Kind() cred.Kind { return KindAPOP }

// LoginName returns the username (for the Portal's throttling).
func (a APOP) LoginName() string { return a.Username }

// CheckSecret reports whether Digest was computed from secret. The
// comparison takes constant time.
func (a APOP) CheckSecret(secret string) bool {
	sum := md5.Sum([]byte(a.Timestamp + secret))
	want := []byte(hex.EncodeToString(sum[:]))
	return subtle.ConstantTimeCompare(want, []byte(strings.ToLower(a.Digest))) == 1
}

// APOPDigest computes the digest a client sends for timestamp and secret.
func APOPDigest(timestamp, secret string) string {
	sum := md5.Sum([]byte(timestamp + secret))
	return hex.EncodeToString(sum[:])
}

// ErrUnknownUser is what a SecretSource returns for a user it does not know
// (or who has no plaintext secret).
var ErrUnknownUser = errors.New("pop3: unknown user")

// SecretSource gives the shared secret (the plaintext password) APOP needs
// on the server. Package cred keeps its passwords to itself, so APOP gets
// them through this small interface; Secrets and LoadSecretsFile provide
// it from a map or a password file.
type SecretSource interface {
	Secret(ctx context.Context, username string) (string, error)
}

// Secrets is a SecretSource backed by a map from username to password.
type Secrets map[string]string

// Secret implements SecretSource.
func (s Secrets) Secret(ctx context.Context, username string) (string, error) {
	if p, ok := s[username]; ok && username != "" {
		return p, nil
	}
	return "", ErrUnknownUser
}

// LoadSecretsFile reads the plaintext entries of a password file in the
// format of cred.LoadPasswordFile ("user:password" lines, # comments).
// Entries holding bcrypt hashes or SCRAM verifiers cannot serve APOP and
// are skipped, so those users must use USER/PASS.
func LoadSecretsFile(path string) (Secrets, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("pop3: %w", err)
	}
	defer f.Close()
	out := Secrets{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		user, secret, ok := strings.Cut(line, ":")
		if !ok || user == "" {
			continue // cred reports these
		}
		if strings.HasPrefix(secret, "$2a$") || strings.HasPrefix(secret, "$2b$") ||
			strings.HasPrefix(secret, "$2y$") || strings.HasPrefix(secret, "$") ||
			strings.HasPrefix(secret, "{") || strings.HasPrefix(secret, cred.SCRAMMechanism+"$") {
			continue
		}
		out[user] = secret
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("pop3: %s: %w", path, err)
	}
	return out, nil
}

// APOPChecker is a cred.Checker for APOP credentials, with secrets from a
// SecretSource. Add it to the Portal a Server uses, and the server offers
// APOP (a timestamp in its greeting). Avatar ids are the usernames.
type APOPChecker struct {
	Secrets SecretSource
}

// Kinds returns KindAPOP.
func (APOPChecker) Kinds() []cred.Kind { return []cred.Kind{KindAPOP} }

// Check accepts APOP credentials whose digest matches the user's secret.
// An unknown user and a wrong digest both give cred.ErrUnauthorized.
func (c APOPChecker) Check(ctx context.Context, creds cred.Credentials) (string, error) {
	a, ok := creds.(APOP)
	if !ok {
		if p, isPtr := creds.(*APOP); isPtr && p != nil {
			a = *p
		} else {
			return "", cred.ErrUnhandledCredentials
		}
	}
	secret, err := c.Secrets.Secret(ctx, a.Username)
	unknown := errors.Is(err, ErrUnknownUser) || errors.Is(err, cred.ErrUnauthorized)
	if err != nil && !unknown {
		return "", fmt.Errorf("pop3: looking up APOP secret: %w", err)
	}
	if unknown {
		// Spend the same work as for a known user.
		a.CheckSecret("\x00unknown")
		return "", cred.ErrUnauthorized
	}
	if a.Username == "" || a.Timestamp == "" || !a.CheckSecret(secret) {
		return "", cred.ErrUnauthorized
	}
	return a.Username, nil
}
