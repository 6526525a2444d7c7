package cred

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"sync"
)

// AnonymousID is the avatar id of an anonymous login (Twisted's
// checkers.ANONYMOUS, which is the empty tuple). The checkers of this
// package never return it for a named user: they refuse empty usernames.
const AnonymousID = ""

// Realm makes avatars: given the avatar id a checker vouched for and the
// client's mind (whatever the client passed to login, often a remote
// reference the server can call back), it returns the avatar the client
// will talk to and a logout function (which may be nil). It is Twisted's
// IRealm, minus the interface argument.
//
// The Portal wraps logout so that it runs at most once however often it is
// called. When RequestAvatar returns an error it should not have allocated
// anything; any logout it returns then is ignored.
type Realm interface {
	RequestAvatar(ctx context.Context, avatarID string, mind any) (avatar any, logout func(), err error)
}

// RealmFunc adapts a function to the Realm interface.
type RealmFunc func(ctx context.Context, avatarID string, mind any) (avatar any, logout func(), err error)

// RequestAvatar calls f.
func (f RealmFunc) RequestAvatar(ctx context.Context, avatarID string, mind any) (any, func(), error) {
	return f(ctx, avatarID, mind)
}

// Option configures a Portal.
type Option func(*portalConfig)

type portalConfig struct {
	throttle        ThrottleConfig
	scramIterations int
}

// WithThrottle sets the Portal's throttling; ThrottleConfig{Disabled: true}
// turns it off.
func WithThrottle(cfg ThrottleConfig) Option {
	return func(c *portalConfig) { c.throttle = cfg }
}

// WithSCRAMIterations sets the iteration count the Portal announces in the
// stand-in SCRAM verifier it uses for unknown users (default
// DefaultSCRAMIterations). Set it to the count your real verifiers use, so
// that unknown users look like known ones.
func WithSCRAMIterations(n int) Option {
	return func(c *portalConfig) { c.scramIterations = n }
}

// Portal is the one door to log in through: it routes credentials to the
// checkers for their kind, throttles repeated failures, and asks the realm
// for the avatar. It is safe for concurrent use.
type Portal struct {
	realm    Realm
	checkers []Checker
	byKind   map[Kind][]int // indexes into checkers
	kinds    []Kind         // in first-registered order
	throttle *throttle
	// scramIterations and fakeKey make the stand-in verifiers for unknown
	// SCRAM users.
	scramIterations int
	fakeKey         []byte
}

// NewPortal builds a Portal over realm and checkers. Checkers are tried in
// the order given; each checker's Kinds is read now. Throttling is on with
// the defaults of ThrottleConfig unless an option says otherwise. NewPortal
// panics if realm is nil, or if the system's random source fails.
func NewPortal(realm Realm, checkers []Checker, opts ...Option) *Portal {
	if realm == nil {
		panic("cred: NewPortal with a nil Realm")
	}
	var cfg portalConfig
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.scramIterations <= 0 {
		cfg.scramIterations = DefaultSCRAMIterations
	}
	p := &Portal{
		realm:           realm,
		byKind:          make(map[Kind][]int),
		throttle:        newThrottle(cfg.throttle),
		scramIterations: cfg.scramIterations,
		fakeKey:         make([]byte, 32),
	}
	if _, err := rand.Read(p.fakeKey); err != nil {
		panic(fmt.Sprintf("cred: reading random key: %v", err))
	}
	for _, ch := range checkers {
		if ch == nil {
			continue
		}
		i := len(p.checkers)
		p.checkers = append(p.checkers, ch)
		for _, k := range ch.Kinds() {
			if len(p.byKind[k]) == 0 {
				p.kinds = append(p.kinds, k)
			}
			if n := len(p.byKind[k]); n > 0 && p.byKind[k][n-1] == i {
				continue // a checker listing a kind twice
			}
			p.byKind[k] = append(p.byKind[k], i)
		}
	}
	return p
}

// Kinds returns the kinds of credentials some checker of the Portal
// handles, in the order they were first registered. A protocol layer can use
// it to decide, say, whether to offer anonymous login.
func (p *Portal) Kinds() []Kind {
	return append([]Kind(nil), p.kinds...)
}

// Handles reports whether some checker of the Portal handles kind k.
func (p *Portal) Handles(k Kind) bool { return len(p.byKind[k]) > 0 }

// Login checks creds and returns the avatar the realm makes for them, with
// a logout function that is safe to call any number of times, from any
// goroutine, and runs the realm's logout exactly once.
//
// Login asks the checkers for the kind of creds in order; the first to
// accept names the avatar id. It returns an error matching
// ErrUnhandledCredentials if no checker handles the kind, ErrThrottled (which
// also matches ErrUnauthorized) if the username or the source address from
// WithSource is throttled, and ErrUnauthorized if every checker refuses.
// If a checker fails with an error of its own and none accepts, the error
// matches ErrUnauthorized and that checker error too; such failures are not
// counted for throttling. An error from the realm is returned wrapped.
//
// For KindSCRAM, creds must be a *SCRAMServer made by this Portal whose
// conversation has finished validly; it is checked by the checker that
// supplied the verifier, and can log in once.
func (p *Portal) Login(ctx context.Context, creds Credentials, mind any) (avatar any, logout func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if creds == nil {
		return nil, nil, unhandled(nil)
	}
	kind := creds.Kind()
	if len(p.byKind[kind]) == 0 {
		return nil, nil, unhandled(creds)
	}
	user := loginName(creds)
	src, _ := SourceFromContext(ctx)
	addr := addrKey(src)
	if err := p.throttle.check(user, addr); err != nil {
		return nil, nil, err
	}

	avatarID, counted, err := p.check(ctx, creds)
	if err != nil {
		if counted {
			p.throttle.fail(user, addr)
		}
		return nil, nil, err
	}
	p.throttle.succeed(user)

	avatar, realmLogout, err := p.realm.RequestAvatar(ctx, avatarID, mind)
	if err != nil {
		return nil, nil, fmt.Errorf("cred: realm refused avatar: %w", err)
	}
	if realmLogout == nil {
		realmLogout = func() {}
	}
	return avatar, sync.OnceFunc(realmLogout), nil
}

// check runs the checkers for creds. counted says whether a refusal should
// count as a failed login for throttling.
func (p *Portal) check(ctx context.Context, creds Credentials) (avatarID string, counted bool, err error) {
	if creds.Kind() == KindSCRAM {
		return p.checkSCRAM(ctx, creds)
	}
	var own error // the first checker failure that is not a refusal
	for _, i := range p.byKind[creds.Kind()] {
		id, err := p.checkers[i].Check(ctx, creds)
		if err == nil {
			return id, false, nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return "", false, cerr
		}
		if !errors.Is(err, ErrUnauthorized) && !errors.Is(err, ErrUnhandledCredentials) && own == nil {
			own = err
		}
	}
	if own != nil {
		return "", false, fmt.Errorf("%w (a checker failed: %w)", ErrUnauthorized, own)
	}
	return "", true, ErrUnauthorized
}

// checkSCRAM accepts a conversation of this Portal that finished validly,
// by asking the checker that supplied its verifier.
func (p *Portal) checkSCRAM(ctx context.Context, creds Credentials) (string, bool, error) {
	s, ok := creds.(*SCRAMServer)
	if !ok || s == nil || s.portal != p {
		return "", true, unauthorized("not a SCRAM conversation of this portal")
	}
	src, ok := s.verified()
	if !ok {
		// A failed conversation was counted when it failed.
		return "", !s.failureCounted(), unauthorized("SCRAM conversation did not succeed")
	}
	if !s.consume() {
		return "", true, unauthorized("SCRAM conversation already used to log in")
	}
	id, err := p.checkers[src].Check(ctx, s)
	if err != nil {
		if errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrUnhandledCredentials) {
			return "", true, fmt.Errorf("%w", ErrUnauthorized)
		}
		return "", false, fmt.Errorf("%w (a checker failed: %w)", ErrUnauthorized, err)
	}
	return id, false, nil
}

type sourceKey struct{}

// WithSource returns a context that carries the client's network address,
// for the Portal to throttle failed logins per address. The protocol layer
// calls it with the connection's remote address before Login or
// NewSCRAMServer.
func WithSource(ctx context.Context, addr net.Addr) context.Context {
	return context.WithValue(ctx, sourceKey{}, addr)
}

// SourceFromContext returns the address stored by WithSource, if any.
func SourceFromContext(ctx context.Context) (net.Addr, bool) {
	a, ok := ctx.Value(sourceKey{}).(net.Addr)
	return a, ok && a != nil
}
