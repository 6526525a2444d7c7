package cred

import (
	"errors"
	"fmt"
	"time"
)

// ErrUnauthorized is returned when credentials are refused: a wrong
// password, an unknown user, a bad SCRAM proof, an unauthorized key. The
// same error is used for all of these so that a caller (and the peer it
// reports to) cannot tell an unknown user from a wrong password. Match it with
// errors.Is; the text of a wrapping error never contains a password.
var ErrUnauthorized = errors.New("cred: unauthorized login")

// ErrUnhandledCredentials is returned when no checker handles the kind of
// credentials presented (Twisted's UnhandledCredentials): for example an
// Anonymous login on a Portal without an AllowAnonymous checker, or an
// MD5Challenge against a PasswordFile that holds only hashes.
var ErrUnhandledCredentials = errors.New("cred: no checker for these credentials")

// ErrThrottled is returned, without consulting any checker, when a login is
// attempted for a username or from an address that has failed too often
// recently (see ThrottleConfig).
//
// A throttled login is a refused login: ErrThrottled wraps ErrUnauthorized,
// so errors.Is(err, ErrUnauthorized) is true for a throttled attempt as well
// as errors.Is(err, ErrThrottled). Code that only distinguishes "logged in"
// from "refused" needs no special case; code that wants to tell the user to
// wait can test for ErrThrottled, or use errors.As with *ThrottledError to
// read the remaining delay.
var ErrThrottled error = throttledSentinel{}

// throttledSentinel is the type of ErrThrottled. It is an empty comparable
// struct, so errors.Is matches it by equality, and it unwraps to
// ErrUnauthorized.
type throttledSentinel struct{}

func (throttledSentinel) Error() string { return "cred: too many failed logins, try again later" }
func (throttledSentinel) Unwrap() error { return ErrUnauthorized }

// ThrottledError is the concrete error a Portal returns for a throttled
// login. It matches ErrThrottled and ErrUnauthorized with errors.Is.
type ThrottledError struct {
	// RetryAfter is how long until the throttle lifts for the key that
	// blocked this attempt (the username's or the address's, whichever is
	// later).
	RetryAfter time.Duration
}

// Error reports that the login was throttled and when to retry.
func (e *ThrottledError) Error() string {
	return fmt.Sprintf("%s (retry in %s)", ErrThrottled.Error(), e.RetryAfter.Round(time.Millisecond))
}

// Unwrap returns ErrThrottled, which in turn unwraps to ErrUnauthorized.
func (e *ThrottledError) Unwrap() error { return ErrThrottled }

// unauthorized builds an ErrUnauthorized with a short, password-free reason
// for the server's own diagnostics.
func unauthorized(reason string) error {
	return fmt.Errorf("%w: %s", ErrUnauthorized, reason)
}

// unhandled builds an ErrUnhandledCredentials naming the kind.
func unhandled(c Credentials) error {
	if c == nil {
		return fmt.Errorf("%w: nil credentials", ErrUnhandledCredentials)
	}
	return fmt.Errorf("%w: kind %q", ErrUnhandledCredentials, c.Kind())
}
