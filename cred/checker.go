package cred

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
)

// Checker decides whether credentials are good and, if they are, names the
// avatar they log in as. It is Twisted's ICredentialsChecker.
//
// Check returns the avatar id (for the checkers in this package, the
// username) or an error. It must return an error matching ErrUnauthorized
// for a wrong password and for an unknown user alike, never saying which;
// ErrUnhandledCredentials when given a kind it does not handle; and any
// other error for a failure of its own (a store it cannot read), which the
// Portal reports without counting it as a failed login. Errors must never
// contain a password.
//
// Kinds lists the kinds of credentials Check handles. A Portal reads it once,
// when the Portal is built.
//
// A Checker must be safe for concurrent use.
type Checker interface {
	Kinds() []Kind
	Check(ctx context.Context, c Credentials) (avatarID string, err error)
}

// AllowAnonymous is a Checker that accepts every Anonymous login, with the
// avatar id AnonymousID (Twisted's AllowAnonymousAccess).
type AllowAnonymous struct{}

// Kinds returns KindAnonymous.
func (AllowAnonymous) Kinds() []Kind { return []Kind{KindAnonymous} }

// Check accepts Anonymous credentials and returns AnonymousID.
func (AllowAnonymous) Check(ctx context.Context, c Credentials) (string, error) {
	if !asAnonymous(c) {
		return "", unhandled(c)
	}
	return AnonymousID, nil
}

// equalSecret compares two secrets in time that depends on neither their
// contents nor their lengths: it compares fixed-size digests of both.
func equalSecret(a, b string) bool {
	ha := sha256.Sum256([]byte(a))
	hb := sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// dummySecret stands in for the stored password of an unknown user, so that
// refusing an unknown user costs about as much as refusing a wrong password.
const dummySecret = "\x00cred: no such user\x00"
