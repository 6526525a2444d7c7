package cred

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/xdg-go/scram"
)

// SCRAM parameters.
const (
	// SCRAMMechanism is the SASL name of the mechanism this package
	// implements, and the scheme prefix of a Verifier's text form.
	SCRAMMechanism = "SCRAM-SHA-256"
	// DefaultSCRAMIterations is the PBKDF2 iteration count used when none
	// is given, the minimum RFC 7677 recommends, and the least a
	// SCRAMClient accepts unless told otherwise.
	DefaultSCRAMIterations = 4096
	// DefaultSCRAMMaxIterations is the most a SCRAMClient accepts unless
	// told otherwise, so that a hostile server cannot make the client spin.
	DefaultSCRAMMaxIterations = 1 << 20
	// SCRAMSaltSize is the length of the random salts NewVerifier makes.
	SCRAMSaltSize = 16
	// maxSCRAMMessage bounds a client message the server will parse.
	maxSCRAMMessage = 4096
)

// Verifier is what a server stores to check SCRAM-SHA-256 logins instead of
// the password: the salt and iteration count for PBKDF2, and the StoredKey
// and ServerKey derived from the salted password (RFC 5802 section 3). It
// lets the server check a client's proof, and prove itself to the client,
// without ever seeing the password. It does not let anyone log in by
// replaying it, though it must still be kept secret: it allows an offline
// guessing attack on the password.
type Verifier struct {
	Salt       []byte
	Iterations int
	StoredKey  []byte
	ServerKey  []byte
}

// NewVerifier derives a Verifier for password with a fresh random salt of
// SCRAMSaltSize bytes and the given iteration count (DefaultSCRAMIterations
// if iterations <= 0). The password is normalized with SASLprep first, as the
// client does.
func NewVerifier(password string, iterations int) (Verifier, error) {
	salt := make([]byte, SCRAMSaltSize)
	if _, err := rand.Read(salt); err != nil {
		return Verifier{}, fmt.Errorf("cred: making SCRAM salt: %w", err)
	}
	return NewVerifierWithSalt(password, salt, iterations)
}

// NewVerifierWithSalt is NewVerifier with a salt of the caller's choosing.
// Use a new random salt for every password; this form exists for tests and
// for importing verifiers computed elsewhere.
func NewVerifierWithSalt(password string, salt []byte, iterations int) (Verifier, error) {
	if iterations <= 0 {
		iterations = DefaultSCRAMIterations
	}
	if len(salt) == 0 {
		return Verifier{}, errors.New("cred: SCRAM verifier needs a salt")
	}
	// The scram library derives the keys exactly as its client will: the
	// username plays no part in them.
	c, err := scram.SHA256.NewClient("", password, "")
	if err != nil {
		return Verifier{}, errors.New("cred: password is not valid for SCRAM (SASLprep failed)")
	}
	sc, err := c.GetStoredCredentialsWithError(scram.KeyFactors{Salt: string(salt), Iters: iterations})
	if err != nil {
		return Verifier{}, fmt.Errorf("cred: deriving SCRAM verifier: %w", err)
	}
	return Verifier{
		Salt:       append([]byte(nil), salt...),
		Iterations: iterations,
		StoredKey:  sc.StoredKey,
		ServerKey:  sc.ServerKey,
	}, nil
}

// Check reports whether password is the one v was derived from. It costs
// one PBKDF2 derivation; the comparison takes constant time.
func (v Verifier) Check(password string) bool {
	got, err := NewVerifierWithSalt(password, v.Salt, v.Iterations)
	if err != nil {
		return false
	}
	a := subtle.ConstantTimeCompare(got.StoredKey, v.StoredKey)
	b := subtle.ConstantTimeCompare(got.ServerKey, v.ServerKey)
	return a&b == 1
}

// valid reports whether v has the shape of a SCRAM-SHA-256 verifier.
func (v Verifier) valid() bool {
	return v.Iterations > 0 && len(v.Salt) > 0 &&
		len(v.StoredKey) == sha256.Size && len(v.ServerKey) == sha256.Size
}

// String returns v in the text form PostgreSQL uses, with standard padded
// base64:
//
//	SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
func (v Verifier) String() string {
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("%s$%d:%s$%s:%s", SCRAMMechanism, v.Iterations, b64(v.Salt), b64(v.StoredKey), b64(v.ServerKey))
}

// ParseVerifier parses the text form written by Verifier.String. Its errors
// do not repeat the input.
func ParseVerifier(s string) (Verifier, error) {
	bad := func(why string) (Verifier, error) {
		return Verifier{}, fmt.Errorf("cred: malformed %s verifier: %s", SCRAMMechanism, why)
	}
	rest, ok := strings.CutPrefix(s, SCRAMMechanism+"$")
	if !ok {
		return bad("missing " + SCRAMMechanism + "$ prefix")
	}
	params, keys, ok := strings.Cut(rest, "$")
	if !ok {
		return bad("missing $ before the keys")
	}
	iterText, saltText, ok := strings.Cut(params, ":")
	if !ok {
		return bad("missing : between iterations and salt")
	}
	storedText, serverText, ok := strings.Cut(keys, ":")
	if !ok {
		return bad("missing : between StoredKey and ServerKey")
	}
	iters, err := strconv.Atoi(iterText)
	if err != nil || iters <= 0 {
		return bad("iteration count is not a positive integer")
	}
	var v Verifier
	v.Iterations = iters
	dec := base64.StdEncoding.DecodeString
	if v.Salt, err = dec(saltText); err != nil || len(v.Salt) == 0 {
		return bad("salt is not base64")
	}
	if v.StoredKey, err = dec(storedText); err != nil || len(v.StoredKey) != sha256.Size {
		return bad("StoredKey is not 32 bytes of base64")
	}
	if v.ServerKey, err = dec(serverText); err != nil || len(v.ServerKey) != sha256.Size {
		return bad("ServerKey is not 32 bytes of base64")
	}
	return v, nil
}

// SCRAMSource is implemented by checkers that can serve SCRAM logins: they
// give the Verifier stored for a username. For a user they do not know (or
// cannot serve by SCRAM) they return an error matching ErrUnauthorized; the
// Portal then tries the next source, and finally answers with a stand-in
// verifier so that unknown users cannot be told from known ones.
//
// A checker that lists KindSCRAM in its Kinds should implement SCRAMSource,
// and its Check must accept a *SCRAMServer whose Authenticated reports
// success (the Portal only hands it conversations whose verifier it
// supplied).
type SCRAMSource interface {
	SCRAMCredentials(ctx context.Context, username string) (Verifier, error)
}

// SCRAMServer is the server side of one SCRAM-SHA-256 login, driven message
// by message by the protocol layer:
//
//	conv := portal.NewSCRAMServer(ctx)
//	serverFirst, err := conv.Step(clientFirst)
//	serverFinal, err := conv.Step(clientFinal)
//	avatar, logout, err := portal.Login(ctx, conv, mind) // once conv.Valid()
//
// It is also the Credentials (KindSCRAM) that the Portal accepts once the
// conversation has finished validly, so SCRAM logins get their avatars,
// throttling and logout through Portal.Login like every other kind. A
// conversation can be used for one login.
//
// A SCRAMServer is safe for concurrent use, but its Steps must come in
// order. The zero value is not usable: make one with Portal.NewSCRAMServer.
type SCRAMServer struct {
	portal *Portal
	ctx    context.Context
	addr   string

	mu        sync.Mutex
	conv      *scram.ServerConversation
	source    int   // index of the checker that supplied the verifier; -1 for the stand-in
	lookupErr error // throttled, or a checker failure, during the first step
	counted   bool  // a failure of this conversation was recorded
	steps     int
	used      atomic.Bool
}

// NewSCRAMServer starts the server side of a SCRAM-SHA-256 login. ctx is
// kept for the conversation's lifetime: checkers are asked for verifiers
// with it, and its source address (WithSource) is used for throttling.
//
// Unknown users get a server-first message just like known ones (a salt
// derived from a secret of this Portal and the username, and the Portal's
// SCRAM iteration count), and fail only at the proof, so the conversation
// does not reveal whether a user exists. (One difference remains: a checker
// that derives verifiers from stored passwords, such as InMemory, spends a
// PBKDF2 derivation on a user's first SCRAM login, which a client can time.
// Stored verifiers, as in a PasswordFile, have no such first-time cost.)
func (p *Portal) NewSCRAMServer(ctx context.Context) *SCRAMServer {
	s := &SCRAMServer{portal: p, ctx: ctx, source: -1}
	if a, ok := SourceFromContext(ctx); ok {
		s.addr = addrKey(a)
	}
	srv, err := scram.SHA256.NewServer(s.lookup)
	if err != nil {
		// NewServer cannot fail in the library version we use; keep the
		// conversation usable and failing if that ever changes.
		s.lookupErr = fmt.Errorf("cred: starting SCRAM server: %w", err)
		srv, _ = scram.SHA256.NewServer(func(string) (scram.StoredCredentials, error) {
			return scram.StoredCredentials{}, s.lookupErr
		})
	}
	s.conv = srv.NewConversation()
	return s
}

// lookup is the scram library's credential callback. It runs inside Step,
// with s.mu held.
func (s *SCRAMServer) lookup(username string) (scram.StoredCredentials, error) {
	p := s.portal
	if err := p.throttle.check(username, s.addr); err != nil {
		s.lookupErr = err
		return scram.StoredCredentials{}, err
	}
	var own error
	if username != "" {
		for _, i := range p.byKind[KindSCRAM] {
			src, ok := p.checkers[i].(SCRAMSource)
			if !ok {
				continue
			}
			v, err := src.SCRAMCredentials(s.ctx, username)
			if err == nil && v.valid() {
				s.source = i
				return storedCredentials(v), nil
			}
			if err == nil {
				err = errors.New("checker returned a malformed SCRAM verifier")
			}
			if !errors.Is(err, ErrUnauthorized) && own == nil {
				own = err
			}
		}
	}
	if own != nil {
		s.lookupErr = fmt.Errorf("%w (a checker failed: %w)", ErrUnauthorized, own)
		return scram.StoredCredentials{}, s.lookupErr
	}
	s.source = -1
	return storedCredentials(p.standInVerifier(username)), nil
}

func storedCredentials(v Verifier) scram.StoredCredentials {
	return scram.StoredCredentials{
		KeyFactors: scram.KeyFactors{Salt: string(v.Salt), Iters: v.Iterations},
		StoredKey:  v.StoredKey,
		ServerKey:  v.ServerKey,
	}
}

// standInVerifier returns the verifier the Portal pretends to hold for a
// user no checker knows. It is the same for the same username for the life
// of the Portal, like a real one, and no proof can match its StoredKey,
// since that would need a preimage of a keyed hash.
func (p *Portal) standInVerifier(username string) Verifier {
	mac := func(label string) []byte {
		h := hmac.New(sha256.New, p.fakeKey)
		h.Write([]byte(label))
		h.Write([]byte{0})
		h.Write([]byte(username))
		return h.Sum(nil)
	}
	return Verifier{
		Salt:       mac("salt")[:SCRAMSaltSize],
		Iterations: p.scramIterations,
		StoredKey:  mac("stored-key"),
		ServerKey:  mac("server-key"),
	}
}

// Step takes the client's next message and returns the server's answer:
// the server-first message for the client-first, the server-final message
// (v=...) for the client-final.
//
// On failure the error matches ErrUnauthorized (ErrThrottled as well if the
// user or address is throttled), and serverMsg, if not empty, is a SCRAM
// error (e=...) the protocol layer may send as the server-final message. A
// failed proof or malformed message counts as a failed login for
// throttling. Calling Step after the conversation is done is an error.
func (s *SCRAMServer) Step(clientMsg string) (serverMsg string, err error) {
	if s.conv == nil {
		return "", errors.New("cred: SCRAMServer not made by Portal.NewSCRAMServer")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conv.Done() {
		return "", errors.New("cred: SCRAM conversation already finished")
	}
	if len(clientMsg) > maxSCRAMMessage {
		s.abort()
		s.countFailure()
		return scram.ErrOtherError, unauthorized("SCRAM message too long")
	}
	s.steps++
	out, err := s.conv.Step(clientMsg)
	if err == nil && s.steps == 1 && s.conv.AuthzID() != "" && s.conv.AuthzID() != s.conv.Username() {
		// Acting as another identity is not supported. This is decided
		// from the message alone, the same for every username.
		s.abort()
		s.countFailure()
		return scram.ErrOtherError, unauthorized("SCRAM authorization identity differs from the username")
	}
	if err == nil {
		return out, nil
	}
	if s.lookupErr != nil {
		return scram.ErrOtherError, s.lookupErr
	}
	s.countFailure()
	if out == "" || out == scram.ErrUnknownUser {
		out = scram.ErrOtherError
	}
	return out, fmt.Errorf("%w: SCRAM: %w", ErrUnauthorized, err)
}

// abort finishes the conversation unsuccessfully, by feeding the library
// messages it refuses. s.mu must be held.
func (s *SCRAMServer) abort() {
	for !s.conv.Done() {
		_, _ = s.conv.Step("")
	}
}

// countFailure records this conversation's failure with the throttle, once.
// s.mu must be held.
func (s *SCRAMServer) countFailure() {
	if s.counted {
		return
	}
	s.counted = true
	s.portal.throttle.fail(s.conv.Username(), s.addr)
}

// Done reports whether the conversation has finished, successfully or not.
func (s *SCRAMServer) Done() bool {
	if s.conv == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conv.Done()
}

// Valid reports whether the conversation finished and the client proved it
// knows the password of a user some checker holds a verifier for.
func (s *SCRAMServer) Valid() bool {
	_, ok := s.verified()
	return ok
}

// Username returns the username the client sent in its first message ("" if
// it has not been received).
func (s *SCRAMServer) Username() string {
	if s.conv == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conv.Username()
}

// Authenticated returns the username and whether the conversation finished
// validly. A SCRAMSource checker calls it from Check.
func (s *SCRAMServer) Authenticated() (username string, ok bool) {
	_, ok = s.verified()
	return s.Username(), ok
}

// Kind returns KindSCRAM.
func (s *SCRAMServer) Kind() Kind { return KindSCRAM }

// LoginName returns the username, for throttling.
func (s *SCRAMServer) LoginName() string { return s.Username() }

// verified returns the index of the checker whose verifier the client
// proved, if the conversation finished validly.
func (s *SCRAMServer) verified() (int, bool) {
	if s.conv == nil {
		return -1, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conv.Done() && s.conv.Valid() && s.source >= 0 && s.lookupErr == nil {
		return s.source, true
	}
	return -1, false
}

func (s *SCRAMServer) failureCounted() bool {
	if s.conv == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counted
}

// consume marks the conversation as used for a login; it reports false if
// it already was.
func (s *SCRAMServer) consume() bool { return s.used.CompareAndSwap(false, true) }

// SCRAMClientOption configures a SCRAMClient.
type SCRAMClientOption func(*scramClientConfig)

type scramClientConfig struct {
	minIters, maxIters int
}

// SCRAMMinIterations sets the fewest PBKDF2 iterations the client accepts
// from a server (default DefaultSCRAMIterations). A server asking for fewer
// is refused, since a low count makes an eavesdropped proof cheaper to
// attack. Lower it only for tests.
func SCRAMMinIterations(n int) SCRAMClientOption {
	return func(c *scramClientConfig) { c.minIters = n }
}

// SCRAMMaxIterations sets the most PBKDF2 iterations the client accepts from
// a server (default DefaultSCRAMMaxIterations).
func SCRAMMaxIterations(n int) SCRAMClientOption {
	return func(c *scramClientConfig) { c.maxIters = n }
}

// SCRAMClient is the client side of one SCRAM-SHA-256 login. The first Step
// takes "" and returns the client-first message; the second takes the
// server-first and returns the client-final; the third takes the
// server-final and returns "", after which Done and Valid are true if the
// server proved it holds the user's verifier.
type SCRAMClient struct {
	mu       sync.Mutex
	conv     *scram.ClientConversation
	maxIters int
	steps    int
}

// NewSCRAMClient starts the client side of a SCRAM-SHA-256 login. The
// username and password are normalized with SASLprep.
func NewSCRAMClient(username, password string, opts ...SCRAMClientOption) (*SCRAMClient, error) {
	cfg := scramClientConfig{minIters: DefaultSCRAMIterations, maxIters: DefaultSCRAMMaxIterations}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.minIters <= 0 {
		cfg.minIters = 1
	}
	c, err := scram.SHA256.NewClient(username, password, "")
	if err != nil {
		// The library's message names the username or the SASLprep rule,
		// never the password.
		return nil, fmt.Errorf("cred: SCRAM client: %w", err)
	}
	c.WithMinIterations(cfg.minIters)
	return &SCRAMClient{conv: c.NewConversation(), maxIters: cfg.maxIters}, nil
}

// Step takes the server's last message ("" to start) and returns the
// client's next one. A server-final message carrying a SCRAM error (e=...)
// gives an error matching ErrUnauthorized.
func (c *SCRAMClient) Step(serverMsg string) (clientMsg string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.steps++
	switch c.steps {
	case 2:
		if n, ok := scramIterations(serverMsg); ok && c.maxIters > 0 && n > c.maxIters {
			for !c.conv.Done() {
				_, _ = c.conv.Step("")
			}
			return "", fmt.Errorf("cred: SCRAM server asked for too many iterations (%d)", n)
		}
	case 3:
		if strings.HasPrefix(serverMsg, "e=") {
			_, _ = c.conv.Step(serverMsg)
			return "", fmt.Errorf("%w: SCRAM server said %s", ErrUnauthorized, strings.TrimPrefix(serverMsg, "e="))
		}
	}
	out, err := c.conv.Step(serverMsg)
	if err != nil {
		return "", fmt.Errorf("cred: SCRAM client: %w", err)
	}
	return out, nil
}

// scramIterations finds the i= attribute of a server-first message.
func scramIterations(msg string) (int, bool) {
	for _, f := range strings.Split(msg, ",") {
		if v, ok := strings.CutPrefix(f, "i="); ok {
			n, err := strconv.Atoi(v)
			return n, err == nil
		}
	}
	return 0, false
}

// Done reports whether the conversation has finished, successfully or not.
func (c *SCRAMClient) Done() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conv.Done()
}

// Valid reports whether the conversation finished and the server proved it
// holds the user's verifier.
func (c *SCRAMClient) Valid() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conv.Valid()
}
