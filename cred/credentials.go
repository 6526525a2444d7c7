package cred

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"log/slog"

	"golang.org/x/crypto/ssh"
)

// Kind names a kind of credentials. A Checker says which kinds it handles,
// and a Portal routes each login to the checkers of its kind.
type Kind string

// The kinds of credentials this package defines.
const (
	// KindUsernamePassword is a username with its plaintext password
	// (UsernamePassword).
	KindUsernamePassword Kind = "username-password"
	// KindMD5Challenge is PB's challenge/response login (MD5Challenge).
	KindMD5Challenge Kind = "md5-challenge"
	// KindSSHPublicKey is a public key the client proved it holds
	// (SSHPublicKey).
	KindSSHPublicKey Kind = "ssh-public-key"
	// KindAnonymous is a login without identity (Anonymous).
	KindAnonymous Kind = "anonymous"
	// KindSCRAM is a completed SCRAM-SHA-256 conversation (*SCRAMServer).
	KindSCRAM Kind = "scram-sha-256"
)

// Credentials is what a client presents to log in. Each implementation
// reports its Kind, which is how a Portal picks the checkers to ask.
type Credentials interface {
	Kind() Kind
}

// Named is implemented by credentials that carry a username. The Portal uses
// it to throttle failed logins per user; credentials without a name (such as
// Anonymous) are throttled by source address only.
type Named interface {
	LoginName() string
}

// UsernamePassword carries a username and the plaintext password. It is what
// a local program, or a protocol that sends the password itself (over TLS),
// presents. Its String, GoString and LogValue methods leave the password out,
// so printing or logging the value does not disclose it.
type UsernamePassword struct {
	Username string
	Password string
}

// Kind returns KindUsernamePassword.
func (UsernamePassword) Kind() Kind { return KindUsernamePassword }

// LoginName returns the username.
func (c UsernamePassword) LoginName() string { return c.Username }

// String describes the credentials without the password.
func (c UsernamePassword) String() string {
	return fmt.Sprintf("UsernamePassword{Username: %q, Password: <redacted>}", c.Username)
}

// GoString is like String, so that %#v does not print the password either.
func (c UsernamePassword) GoString() string { return "cred." + c.String() }

// LogValue lets log/slog record the username but never the password.
func (c UsernamePassword) LogValue() slog.Value {
	return slog.GroupValue(slog.String("kind", string(KindUsernamePassword)), slog.String("username", c.Username))
}

// MD5Challenge is Perspective Broker's challenge/response login, as a Twisted
// client performs it: the server sends a random Challenge and the client
// answers with Response = MD5(MD5(password) || Challenge), both digests raw
// 16-byte values (see MD5Response).
//
// To check it the server needs the plaintext password, or its raw MD5: a
// password store that keeps only bcrypt hashes or SCRAM verifiers cannot
// serve Twisted clients, and a Portal built on one answers such logins with
// ErrUnhandledCredentials (as Twisted does for a hashed FilePasswordDB).
type MD5Challenge struct {
	Username  string
	Challenge []byte
	Response  []byte
}

// Kind returns KindMD5Challenge.
func (MD5Challenge) Kind() Kind { return KindMD5Challenge }

// LoginName returns the username.
func (c MD5Challenge) LoginName() string { return c.Username }

// CheckPassword reports whether Response was computed from password and
// Challenge. The final comparison takes constant time.
func (c MD5Challenge) CheckPassword(password string) bool {
	sum := md5.Sum([]byte(password))
	return c.CheckMD5(sum[:])
}

// CheckMD5 reports whether Response was computed from a password whose raw
// 16-byte MD5 digest is md5sum. The comparison takes constant time.
func (c MD5Challenge) CheckMD5(md5sum []byte) bool {
	h := md5.New()
	h.Write(md5sum)
	h.Write(c.Challenge)
	return subtle.ConstantTimeCompare(h.Sum(nil), c.Response) == 1
}

// MD5Response computes the client's answer to a PB challenge:
// MD5(MD5(password) || challenge), as the raw 16-byte digest. It is the Go
// equivalent of Twisted's pb.respond.
func MD5Response(password string, challenge []byte) []byte {
	inner := md5.Sum([]byte(password))
	h := md5.New()
	h.Write(inner[:])
	h.Write(challenge)
	return h.Sum(nil)
}

// ChallengeSize is the length of the challenges NewChallenge makes.
const ChallengeSize = 16

// NewChallenge returns a fresh PB login challenge: ChallengeSize bytes from
// crypto/rand. (Twisted sends the MD5 of random letters; nothing checks the
// challenge's content or length, so random bytes interoperate.)
func NewChallenge() ([]byte, error) {
	b := make([]byte, ChallengeSize)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("cred: making challenge: %w", err)
	}
	return b, nil
}

// SSHPublicKey says that the client proved possession of the private half of
// Key. The protocol layer verifies that proof (a signature over session
// data); a checker only decides whether Key is authorized for Username.
type SSHPublicKey struct {
	Username string
	Key      ssh.PublicKey
}

// Kind returns KindSSHPublicKey.
func (SSHPublicKey) Kind() Kind { return KindSSHPublicKey }

// LoginName returns the username.
func (c SSHPublicKey) LoginName() string { return c.Username }

// Anonymous is a login without identity. With an AllowAnonymous checker it
// yields the avatar id AnonymousID.
type Anonymous struct{}

// Kind returns KindAnonymous.
func (Anonymous) Kind() Kind { return KindAnonymous }

// The as* helpers accept credentials by value or by pointer, so checkers
// treat UsernamePassword and *UsernamePassword alike. A nil pointer is
// reported as not matching.

func asUsernamePassword(c Credentials) (UsernamePassword, bool) {
	switch v := c.(type) {
	case UsernamePassword:
		return v, true
	case *UsernamePassword:
		if v != nil {
			return *v, true
		}
	}
	return UsernamePassword{}, false
}

func asMD5Challenge(c Credentials) (MD5Challenge, bool) {
	switch v := c.(type) {
	case MD5Challenge:
		return v, true
	case *MD5Challenge:
		if v != nil {
			return *v, true
		}
	}
	return MD5Challenge{}, false
}

func asSSHPublicKey(c Credentials) (SSHPublicKey, bool) {
	switch v := c.(type) {
	case SSHPublicKey:
		return v, true
	case *SSHPublicKey:
		if v != nil {
			return *v, true
		}
	}
	return SSHPublicKey{}, false
}

func asAnonymous(c Credentials) bool {
	switch v := c.(type) {
	case Anonymous:
		return true
	case *Anonymous:
		return v != nil
	}
	return false
}

// loginName returns the username carried by c, or "" when it has none.
func loginName(c Credentials) (name string) {
	defer func() {
		// A nil pointer with a value-receiver LoginName panics; such
		// credentials carry no name.
		if recover() != nil {
			name = ""
		}
	}()
	if n, ok := c.(Named); ok {
		return n.LoginName()
	}
	return ""
}
