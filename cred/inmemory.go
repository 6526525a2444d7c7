package cred

import (
	"context"
	"maps"
	"sync"
)

// InMemory is a Checker holding plaintext passwords in memory, for tests,
// examples and small programs (Twisted's
// InMemoryUsernamePasswordDatabaseDontUse). Because it has the passwords it
// serves every password kind: UsernamePassword, MD5Challenge (so Twisted
// clients can log in) and SCRAM, for which it derives a Verifier per user on
// first use, with a random salt, and caches it until the user's password
// changes. Avatar ids are the usernames. The empty username is never
// accepted. It is safe for concurrent use.
type InMemory struct {
	mu         sync.RWMutex
	users      map[string]string
	verifiers  map[string]Verifier
	iterations int
}

// NewInMemory returns a checker for the given users (username → password).
// The map is copied.
func NewInMemory(users map[string]string) *InMemory {
	m := &InMemory{
		users:      maps.Clone(users),
		verifiers:  make(map[string]Verifier),
		iterations: DefaultSCRAMIterations,
	}
	if m.users == nil {
		m.users = make(map[string]string)
	}
	return m
}

// Add sets the password of username, adding the user if needed.
func (m *InMemory) Add(username, password string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.users[username] = password
	delete(m.verifiers, username)
}

// Remove deletes username.
func (m *InMemory) Remove(username string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.users, username)
	delete(m.verifiers, username)
}

// SetSCRAMIterations sets the PBKDF2 iteration count of the verifiers the
// checker derives (DefaultSCRAMIterations if n <= 0) and drops those
// already derived.
func (m *InMemory) SetSCRAMIterations(n int) {
	if n <= 0 {
		n = DefaultSCRAMIterations
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.iterations = n
	clear(m.verifiers)
}

// Kinds returns KindUsernamePassword, KindMD5Challenge and KindSCRAM.
func (m *InMemory) Kinds() []Kind {
	return []Kind{KindUsernamePassword, KindMD5Challenge, KindSCRAM}
}

// password returns the stored password of username; for an unknown user it
// returns a stand-in, so that the caller's comparison runs either way.
func (m *InMemory) password(username string) (string, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	pw, ok := m.users[username]
	if !ok || username == "" {
		return dummySecret, false
	}
	return pw, true
}

// Check accepts a UsernamePassword or MD5Challenge that matches the stored
// password, or a *SCRAMServer conversation that finished validly, and
// returns the username.
func (m *InMemory) Check(ctx context.Context, c Credentials) (string, error) {
	if up, ok := asUsernamePassword(c); ok {
		pw, known := m.password(up.Username)
		if equalSecret(up.Password, pw) && known {
			return up.Username, nil
		}
		return "", ErrUnauthorized
	}
	if ch, ok := asMD5Challenge(c); ok {
		pw, known := m.password(ch.Username)
		if ch.CheckPassword(pw) && known {
			return ch.Username, nil
		}
		return "", ErrUnauthorized
	}
	if s, ok := c.(*SCRAMServer); ok && s != nil {
		user, ok := s.Authenticated()
		if _, known := m.password(user); ok && known {
			return user, nil
		}
		return "", ErrUnauthorized
	}
	return "", unhandled(c)
}

// SCRAMCredentials returns the user's verifier, deriving it on first use.
func (m *InMemory) SCRAMCredentials(ctx context.Context, username string) (Verifier, error) {
	m.mu.RLock()
	v, cached := m.verifiers[username]
	pw, known := m.users[username]
	iters := m.iterations
	m.mu.RUnlock()
	if !known || username == "" {
		return Verifier{}, ErrUnauthorized
	}
	if cached {
		return v, nil
	}
	v, err := NewVerifier(pw, iters)
	if err != nil {
		// A password SASLprep refuses cannot be used with SCRAM; the user
		// looks like an unknown one.
		return Verifier{}, unauthorized("password not usable for SCRAM")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	// Keep the first verifier cached, so that concurrent conversations
	// for one user see one salt; drop ours if the password changed since.
	if cur, ok := m.verifiers[username]; ok {
		return cur, nil
	}
	if m.users[username] != pw || m.iterations != iters {
		return v, nil
	}
	m.verifiers[username] = v
	return v, nil
}
