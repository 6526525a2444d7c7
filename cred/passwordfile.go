package cred

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/bcrypt"
)

// PasswordFileOptions configures a PasswordFile.
type PasswordFileOptions struct {
	// AllowPlaintext accepts lines whose second field is a plaintext
	// password. Without it such a line is a load error. Only plaintext
	// entries can serve MD5Challenge (Twisted PB) logins, so the checker
	// handles KindMD5Challenge only when this is set.
	AllowPlaintext bool
	// SCRAMIterations is the PBKDF2 iteration count of the verifiers
	// derived for plaintext entries (default DefaultSCRAMIterations).
	SCRAMIterations int
}

// PasswordFileError reports a line of a password file that cannot be used.
// It names the line but never repeats its content.
type PasswordFileError struct {
	Path   string
	Line   int
	Reason string
}

// Error returns "cred: <path>:<line>: <reason>".
func (e *PasswordFileError) Error() string {
	return fmt.Sprintf("cred: %s:%d: %s", e.Path, e.Line, e.Reason)
}

// PasswordFile is a Checker reading an htpasswd-style file, one user a line:
//
//	# comment
//	alice:$2b$10$...                                  (bcrypt)
//	bob:SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>  (SCRAM verifier)
//	carol:plaintext-password                          (only with AllowPlaintext)
//
// The username is everything before the first colon; the rest of the line
// is the hash. Blank lines and lines starting with # are ignored. bcrypt
// hashes with the $2a$, $2b$ and $2y$ prefixes are accepted; other crypt(3)
// style hashes ($id$...) and {SCHEME} hashes are rejected rather than taken
// for plaintext.
//
// What each kind of entry serves:
//
//	entry       UsernamePassword  MD5Challenge  SCRAM
//	bcrypt      yes               no            no
//	SCRAM       yes (derives)     no            yes
//	plaintext   yes               yes           yes (derives, caches)
//
// MD5Challenge needs the password (or its MD5) on the server, so bcrypt and
// SCRAM entries cannot serve Twisted clients; the checker handles the kind
// only with AllowPlaintext, so a hashes-only file answers such logins with
// ErrUnhandledCredentials, as Twisted does.
//
// Avatar ids are the usernames. PasswordFile is safe for concurrent use;
// Reload swaps in a new snapshot atomically.
type PasswordFile struct {
	path     string
	opts     PasswordFileOptions
	reloadMu sync.Mutex
	snap     atomic.Pointer[pwSnapshot]
}

type pwKind int

const (
	pwBcrypt pwKind = iota
	pwSCRAM
	pwPlain
)

type pwEntry struct {
	kind     pwKind
	bcrypt   []byte
	verifier Verifier
	plain    string
}

// pwSnapshot is one load of the file, with caches that die with it.
type pwSnapshot struct {
	entries    map[string]pwEntry
	bcryptCost int
	scramIters int // the largest iteration count of the SCRAM entries

	dummyOnce sync.Once
	dummy     []byte // a bcrypt hash to compare against for unknown users

	scramMu sync.Mutex
	scram   map[string]Verifier // derived for plaintext entries
}

// LoadPasswordFile reads the password file at path. Every unusable line is
// reported (as *PasswordFileError values joined with errors.Join) and then
// no checker is returned.
func LoadPasswordFile(path string, opts PasswordFileOptions) (*PasswordFile, error) {
	if opts.SCRAMIterations <= 0 {
		opts.SCRAMIterations = DefaultSCRAMIterations
	}
	f := &PasswordFile{path: path, opts: opts}
	if err := f.Reload(); err != nil {
		return nil, err
	}
	return f, nil
}

// Reload reads the file again. If it cannot be read or has unusable lines,
// Reload returns the error and the checker keeps its previous contents.
func (f *PasswordFile) Reload() error {
	f.reloadMu.Lock()
	defer f.reloadMu.Unlock()
	data, err := os.ReadFile(f.path)
	if err != nil {
		return fmt.Errorf("cred: reading password file: %w", err)
	}
	snap, err := parsePasswordFile(f.path, data, f.opts)
	if err != nil {
		return err
	}
	f.snap.Store(snap)
	return nil
}

// maxReportedLines bounds how many bad lines one load reports.
const maxReportedLines = 20

func parsePasswordFile(path string, data []byte, opts PasswordFileOptions) (*pwSnapshot, error) {
	snap := &pwSnapshot{entries: make(map[string]pwEntry), scram: make(map[string]Verifier)}
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		bad := func(reason string) {
			if len(errs) < maxReportedLines {
				errs = append(errs, &PasswordFileError{Path: path, Line: lineNo, Reason: reason})
			}
		}
		user, hash, ok := strings.Cut(line, ":")
		switch {
		case !ok:
			bad("no ':' between username and password hash")
			continue
		case user == "":
			bad("empty username")
			continue
		case hash == "":
			bad("empty password hash")
			continue
		}
		if _, dup := snap.entries[user]; dup {
			bad("duplicate entry for this username")
			continue
		}
		e, reason := parseEntry(hash, opts)
		if reason != "" {
			bad(reason)
			continue
		}
		switch e.kind {
		case pwBcrypt:
			if cost, _ := bcrypt.Cost(e.bcrypt); cost > snap.bcryptCost {
				snap.bcryptCost = cost
			}
		case pwSCRAM:
			snap.scramIters = max(snap.scramIters, e.verifier.Iterations)
		}
		snap.entries[user] = e
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, &PasswordFileError{Path: path, Line: lineNo + 1, Reason: "line too long"})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return snap, nil
}

// parseEntry classifies the hash field. The reason for a refusal never
// includes the field itself.
func parseEntry(hash string, opts PasswordFileOptions) (pwEntry, string) {
	switch {
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return pwEntry{}, "malformed bcrypt hash"
		}
		return pwEntry{kind: pwBcrypt, bcrypt: []byte(hash)}, ""
	case strings.HasPrefix(hash, SCRAMMechanism+"$"):
		v, err := ParseVerifier(hash)
		if err != nil {
			return pwEntry{}, err.Error()
		}
		return pwEntry{kind: pwSCRAM, verifier: v}, ""
	case looksLikeOtherHash(hash):
		return pwEntry{}, "unsupported hash scheme (use bcrypt or " + SCRAMMechanism + ")"
	case !opts.AllowPlaintext:
		return pwEntry{}, "not a bcrypt or " + SCRAMMechanism + " hash; plaintext passwords need AllowPlaintext"
	}
	return pwEntry{kind: pwPlain, plain: hash}, ""
}

// looksLikeOtherHash reports whether s has the shape of a password hash
// this package does not support: "$id$..." (crypt(3), such as $apr1$ or
// $6$) or "{SCHEME}..." (such as {SHA}).
func looksLikeOtherHash(s string) bool {
	if rest, ok := strings.CutPrefix(s, "$"); ok {
		id, _, found := strings.Cut(rest, "$")
		return found && id != "" && isHashIdent(id)
	}
	if rest, ok := strings.CutPrefix(s, "{"); ok {
		id, _, found := strings.Cut(rest, "}")
		return found && id != "" && isHashIdent(id)
	}
	return false
}

func isHashIdent(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Path returns the file's path.
func (f *PasswordFile) Path() string { return f.path }

// Len returns the number of users currently loaded.
func (f *PasswordFile) Len() int { return len(f.snap.Load().entries) }

// Kinds returns KindUsernamePassword and KindSCRAM, and KindMD5Challenge
// when AllowPlaintext is set.
func (f *PasswordFile) Kinds() []Kind {
	if f.opts.AllowPlaintext {
		return []Kind{KindUsernamePassword, KindMD5Challenge, KindSCRAM}
	}
	return []Kind{KindUsernamePassword, KindSCRAM}
}

// Check accepts a UsernamePassword matching the user's entry, an
// MD5Challenge matching a plaintext entry, or a *SCRAMServer conversation
// that finished validly, and returns the username.
func (f *PasswordFile) Check(ctx context.Context, c Credentials) (string, error) {
	snap := f.snap.Load()
	if up, ok := asUsernamePassword(c); ok {
		e, known := snap.entries[up.Username]
		if !known {
			snap.spendLikeKnown(up.Password)
			return "", ErrUnauthorized
		}
		var good bool
		switch e.kind {
		case pwBcrypt:
			good = bcrypt.CompareHashAndPassword(e.bcrypt, []byte(up.Password)) == nil
		case pwSCRAM:
			good = e.verifier.Check(up.Password)
		case pwPlain:
			good = equalSecret(up.Password, e.plain)
		}
		if !good {
			return "", ErrUnauthorized
		}
		return up.Username, nil
	}
	if ch, ok := asMD5Challenge(c); ok && f.opts.AllowPlaintext {
		e, known := snap.entries[ch.Username]
		pw := dummySecret
		if known && e.kind == pwPlain {
			pw = e.plain
		}
		if ch.CheckPassword(pw) && known && e.kind == pwPlain {
			return ch.Username, nil
		}
		return "", ErrUnauthorized
	}
	if s, ok := c.(*SCRAMServer); ok && s != nil {
		user, ok := s.Authenticated()
		if e, known := snap.entries[user]; ok && known && e.kind != pwBcrypt {
			return user, nil
		}
		return "", ErrUnauthorized
	}
	return "", unhandled(c)
}

// spendLikeKnown does the work of checking a password against an entry
// that cannot match, so that an unknown user costs about what a known one
// does: a bcrypt comparison if the file has bcrypt entries, else a PBKDF2
// derivation if it has SCRAM entries (plaintext entries cost next to
// nothing).
func (s *pwSnapshot) spendLikeKnown(password string) {
	switch {
	case s.bcryptCost > 0:
		s.dummyOnce.Do(func() {
			secret := make([]byte, 32)
			_, _ = rand.Read(secret)
			s.dummy, _ = bcrypt.GenerateFromPassword(secret, s.bcryptCost)
		})
		if s.dummy != nil {
			_ = bcrypt.CompareHashAndPassword(s.dummy, []byte(password))
		}
	case s.scramIters > 0:
		_, _ = NewVerifierWithSalt(password, []byte("cred: unknown user"), s.scramIters)
	}
}

// SCRAMCredentials returns the verifier of a SCRAM entry, or one derived
// (once per load) from a plaintext entry. bcrypt entries cannot serve SCRAM
// and are answered like unknown users.
func (f *PasswordFile) SCRAMCredentials(ctx context.Context, username string) (Verifier, error) {
	snap := f.snap.Load()
	e, known := snap.entries[username]
	if !known {
		return Verifier{}, ErrUnauthorized
	}
	switch e.kind {
	case pwSCRAM:
		return e.verifier, nil
	case pwPlain:
		snap.scramMu.Lock()
		defer snap.scramMu.Unlock()
		if v, ok := snap.scram[username]; ok {
			return v, nil
		}
		v, err := NewVerifier(e.plain, f.opts.SCRAMIterations)
		if err != nil {
			return Verifier{}, unauthorized("password not usable for SCRAM")
		}
		snap.scram[username] = v
		return v, nil
	}
	return Verifier{}, ErrUnauthorized
}
