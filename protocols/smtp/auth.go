package smtp

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/braidkit/braid/cred"
	"github.com/braidkit/braid/protocols/internal/lineproto"
)

var (
	errAuthCancelled = errors.New("smtp: authentication cancelled")
	errAuthSyntax    = errors.New("smtp: malformed authentication data")
)

// auth runs an AUTH exchange (RFC 4954) for PLAIN (RFC 4616) or LOGIN. It
// returns false when the connection is gone.
func (ss *session) auth(arg string) bool {
	mech, initial, hasInitial := strings.Cut(strings.TrimSpace(arg), " ")
	mech = strings.ToUpper(mech)
	ss.mu.Lock()
	helo, user, esmtp := ss.helo, ss.user, ss.esmtp
	ss.mu.Unlock()
	switch {
	case ss.srv.Portal == nil:
		ss.reply(502, "5.5.1", "AUTH not available")
		return true
	case helo == "" || !esmtp:
		ss.reply(503, "5.5.1", "Send EHLO first")
		return true
	case user != "":
		ss.reply(503, "5.5.1", "Already authenticated")
		return true
	case ss.inTx:
		ss.reply(503, "5.5.1", "AUTH not allowed during a mail transaction")
		return true
	case !ss.authOffered():
		ss.reply(538, "5.7.11", "Encryption required for requested authentication mechanism")
		return true
	case mech == "":
		ss.reply(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]")
		return true
	case mech != "PLAIN" && mech != "LOGIN":
		ss.reply(504, "5.5.4", "Unrecognized authentication type")
		return true
	}
	ss.setState(StateAuth)
	defer func() {
		ss.mu.Lock()
		if ss.state == StateAuth {
			ss.state = StateGreeted
		}
		ss.mu.Unlock()
	}()
	ss.r.SetMax(authLineLength)
	defer ss.r.SetMax(ss.srv.MaxLineLength)

	var username, password string
	var err error
	var gone bool
	switch mech {
	case "PLAIN":
		var resp []byte
		if hasInitial {
			resp, err = decodeResponse(initial)
		} else {
			resp, err, gone = ss.challenge("")
		}
		if err == nil {
			username, password, err = parsePlain(resp)
		}
	case "LOGIN":
		var u, p []byte
		if hasInitial {
			u, err = decodeResponse(initial)
		} else {
			u, err, gone = ss.challenge("Username:")
		}
		if err == nil {
			p, err, gone = ss.challenge("Password:")
		}
		username, password = string(u), string(p)
	}
	if gone {
		return false
	}
	switch {
	case errors.Is(err, errAuthCancelled):
		ss.reply(501, "5.0.0", "Authentication cancelled")
		return true
	case errors.Is(err, lineproto.ErrLineTooLong):
		ss.reply(500, "5.5.6", "Authentication exchange line is too long")
		return !ss.bad()
	case err != nil:
		ss.reply(501, "5.5.2", "Malformed authentication data")
		return !ss.bad()
	}

	ctx := cred.WithSource(ss.ks.Ctx, ss.ks.Remote)
	avatar, logout, err := ss.srv.Portal.Login(ctx, cred.UsernamePassword{Username: username, Password: password}, nil)
	switch {
	case errors.Is(err, cred.ErrThrottled):
		ss.srv.stats.authFailures.Add(1)
		ss.reply(454, "4.7.0", "Temporary authentication failure, try again later")
		return true
	case errors.Is(err, cred.ErrUnauthorized), errors.Is(err, cred.ErrUnhandledCredentials):
		ss.srv.stats.authFailures.Add(1)
		ss.log.Info("authentication failed", "mech", mech)
		ss.reply(535, "5.7.8", "Authentication credentials invalid")
		return !ss.bad()
	case err != nil:
		ss.srv.stats.authFailures.Add(1)
		ss.log.Error("authentication error", "err", err)
		ss.reply(454, "4.7.0", "Temporary authentication failure")
		return true
	}
	ss.srv.stats.authSuccesses.Add(1)
	name := avatarName(avatar, username)
	ss.mu.Lock()
	ss.user = name
	ss.logout = logout
	ss.mu.Unlock()
	ss.log.Info("authenticated", "user", name, "mech", mech)
	ss.reply(235, "2.7.0", "Authentication successful")
	return true
}

// challenge sends a 334 challenge and reads the client's answer. gone
// reports a failed connection.
func (ss *session) challenge(prompt string) (resp []byte, err error, gone bool) {
	ss.reply(334, "", base64.StdEncoding.EncodeToString([]byte(prompt)))
	line, err := ss.r.ReadLine()
	if err != nil {
		if errors.Is(err, lineproto.ErrLineTooLong) {
			return nil, err, false
		}
		return nil, err, true
	}
	resp, err = decodeResponse(string(line))
	return resp, err, false
}

func decodeResponse(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "*":
		return nil, errAuthCancelled
	case "=":
		return []byte{}, nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errAuthSyntax
	}
	return b, nil
}

// parsePlain splits a PLAIN response: authzid NUL authcid NUL passwd. An
// authorization identity other than the authentication identity is refused
// as malformed: a user can only act as themself here.
func parsePlain(b []byte) (user, pass string, err error) {
	parts := bytes.Split(b, []byte{0})
	if len(parts) != 3 || len(parts[1]) == 0 {
		return "", "", errAuthSyntax
	}
	if len(parts[0]) > 0 && !bytes.Equal(parts[0], parts[1]) {
		return "", "", errAuthSyntax
	}
	return string(parts[1]), string(parts[2]), nil
}

// avatarName names the user a login produced: a string avatar, an avatar
// with a Username method, or else the name the client gave.
func avatarName(avatar any, login string) string {
	switch a := avatar.(type) {
	case string:
		if a != "" {
			return a
		}
	case interface{ Username() string }:
		if n := a.Username(); n != "" {
			return n
		}
	}
	return login
}

// Realm is a cred.Realm whose avatar is the avatar id itself (the user
// name), which a Server takes as the authenticated user. Use it to build a
// Portal for a mail server.
var Realm cred.Realm = cred.RealmFunc(func(_ context.Context, id string, _ any) (any, func(), error) {
	return id, nil, nil
})
