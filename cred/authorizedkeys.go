package cred

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
)

// AuthorizedKeys is a Checker for SSHPublicKey credentials backed by OpenSSH
// authorized_keys files. It decides only whether a key is authorized for a
// user; the protocol layer must already have verified that the client holds
// the private key. Avatar ids are the usernames.
//
// Files are parsed with ssh.ParseAuthorizedKey. Key options are honoured
// conservatively: a key with a from= or expiry-time= restriction is not
// authorized at all (this checker cannot enforce those), a cert-authority
// line is skipped (certificates are not supported), and the other options
// (command=, no-pty, restrict, ...) concern SSH sessions and are ignored.
//
// It is safe for concurrent use.
type AuthorizedKeys struct {
	// files maps username → path, for NewAuthorizedKeys.
	files map[string]string
	// pattern is a path containing %u, for NewAuthorizedKeysPattern.
	pattern string

	mu   sync.RWMutex
	keys map[string]map[string]struct{} // username → set of marshalled keys
}

// NewAuthorizedKeys loads one authorized_keys file per user: files maps each
// username to the path of its file. A single entry gives the common "one
// file for one account" setup. The files are read now and again by Reload;
// a file that cannot be read or parsed is an error naming the file (and the
// line).
func NewAuthorizedKeys(files map[string]string) (*AuthorizedKeys, error) {
	a := &AuthorizedKeys{files: maps.Clone(files)}
	if err := a.Reload(); err != nil {
		return nil, err
	}
	return a, nil
}

// NewAuthorizedKeysPattern returns a checker that reads the user's file at
// each check, from pattern with every %u replaced by the username, as sshd's
// AuthorizedKeysFile does (for example "/srv/braid/keys/%u.pub"). Usernames
// that are empty, start with a dot, or contain a path separator or NUL are
// refused before any file is touched; a missing file refuses the login.
func NewAuthorizedKeysPattern(pattern string) (*AuthorizedKeys, error) {
	if !strings.Contains(pattern, "%u") {
		return nil, errors.New("cred: authorized_keys pattern must contain %u")
	}
	return &AuthorizedKeys{pattern: pattern}, nil
}

// Reload reads the files given to NewAuthorizedKeys again. On error the
// previous keys stay in force. For a pattern checker it does nothing.
func (a *AuthorizedKeys) Reload() error {
	if a.pattern != "" {
		return nil
	}
	keys := make(map[string]map[string]struct{}, len(a.files))
	for user, path := range a.files {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("cred: reading authorized keys: %w", err)
		}
		set, err := parseAuthorizedKeys(path, data)
		if err != nil {
			return err
		}
		keys[user] = set
	}
	a.mu.Lock()
	a.keys = keys
	a.mu.Unlock()
	return nil
}

// parseAuthorizedKeys returns the set of usable keys in an authorized_keys
// file, as marshalled wire-format strings.
func parseAuthorizedKeys(path string, data []byte) (map[string]struct{}, error) {
	set := make(map[string]struct{})
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 8192), 1<<20)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		key, _, options, _, err := ssh.ParseAuthorizedKey(line)
		if err != nil {
			return nil, fmt.Errorf("cred: %s:%d: not an authorized_keys line: %w", path, lineNo, err)
		}
		if !usableKeyOptions(options) {
			continue
		}
		set[string(key.Marshal())] = struct{}{}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cred: %s: %w", path, err)
	}
	return set, nil
}

// usableKeyOptions reports whether a key with these options may be used.
func usableKeyOptions(options []string) bool {
	for _, o := range options {
		name, _, _ := strings.Cut(o, "=")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "from", "expiry-time", "cert-authority":
			return false
		}
	}
	return true
}

// Kinds returns KindSSHPublicKey.
func (a *AuthorizedKeys) Kinds() []Kind { return []Kind{KindSSHPublicKey} }

// Check accepts an SSHPublicKey whose key is listed for its user.
func (a *AuthorizedKeys) Check(ctx context.Context, c Credentials) (string, error) {
	k, ok := asSSHPublicKey(c)
	if !ok {
		return "", unhandled(c)
	}
	if k.Key == nil || k.Username == "" {
		return "", ErrUnauthorized
	}
	want := string(k.Key.Marshal())
	if a.pattern != "" {
		set, err := a.loadForUser(k.Username)
		if err != nil {
			return "", err
		}
		if _, ok := set[want]; ok {
			return k.Username, nil
		}
		return "", ErrUnauthorized
	}
	a.mu.RLock()
	_, ok = a.keys[k.Username][want]
	a.mu.RUnlock()
	if ok {
		return k.Username, nil
	}
	return "", ErrUnauthorized
}

// loadForUser reads the pattern file of username.
func (a *AuthorizedKeys) loadForUser(username string) (map[string]struct{}, error) {
	if username == "" || username[0] == '.' || strings.ContainsAny(username, "/\\\x00") {
		return nil, ErrUnauthorized
	}
	path := strings.ReplaceAll(a.pattern, "%u", username)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrUnauthorized
	}
	if err != nil {
		return nil, fmt.Errorf("cred: reading authorized keys: %w", err)
	}
	return parseAuthorizedKeys(path, data)
}
