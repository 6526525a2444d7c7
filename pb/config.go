package pb

import (
	"log/slog"
	"time"

	"github.com/braidkit/braid/jelly"
	"github.com/braidkit/braid/jelly/banana"
)

// Limits bound what one connection may cost. Every limit has a safe
// default, at least as strict as Twisted's, and is enforced before the
// memory it guards is allocated.
type Limits struct {
	// Banana bounds the wire codec: string and list sizes (Twisted's 640 KiB
	// by default), nesting depth and bytes per message.
	Banana banana.Limits
	// MaxReferences is how many objects one connection may export at once,
	// counting the root (Twisted's MAX_BROKER_REFS, 1024).
	MaxReferences int
	// MaxInFlight is how many incoming calls may run at once on one
	// connection; further messages wait to be read (default 256).
	MaxInFlight int
	// WriteTimeout bounds one write to the peer; a peer that stops reading
	// for longer is disconnected (default 30s).
	WriteTimeout time.Duration
	// HandshakeTimeout bounds the dialect negotiation (default 10s).
	HandshakeTimeout time.Duration
	// MessageTimeout bounds how long one message may take to arrive once
	// its first byte has, so a peer that trickles bytes (slow loris) is cut
	// off (default 60s).
	MessageTimeout time.Duration
	// IdleTimeout closes a connection on which nothing has arrived for this
	// long (default 0: never; PB peers may legitimately sit idle).
	//
	// WriteTimeout, MessageTimeout and IdleTimeout are checked by a timer
	// that fires every half of the shortest of them, so each acts between
	// its value and one and a half times it.
	IdleTimeout time.Duration
}

// Defaults for Limits.
const (
	DefaultMaxReferences    = 1024
	DefaultMaxInFlight      = 256
	DefaultWriteTimeout     = 30 * time.Second
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultMessageTimeout   = 60 * time.Second
	// DefaultMaxMessage is the default bound on one message's encoded size.
	// Decoded expressions take several times their wire size, so this is
	// kept well below the Banana codec's own default.
	DefaultMaxMessage = 4 << 20
)

func (l Limits) withDefaults() Limits {
	if l.Banana.MaxExpression <= 0 {
		l.Banana.MaxExpression = DefaultMaxMessage
	}
	l.Banana = l.Banana.WithDefaults()
	if l.MaxReferences <= 0 {
		l.MaxReferences = DefaultMaxReferences
	}
	if l.MaxInFlight <= 0 {
		l.MaxInFlight = DefaultMaxInFlight
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = DefaultWriteTimeout
	}
	if l.HandshakeTimeout <= 0 {
		l.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if l.MessageTimeout <= 0 {
		l.MessageTimeout = DefaultMessageTimeout
	}
	return l
}

// Config configures a Server or a client connection. The zero value is
// ready to use.
type Config struct {
	// Logger receives connection events and the reasons connections close
	// (default slog.Default()).
	Logger *slog.Logger
	// Registry maps class names to Go types for pass-by-copy values.
	Registry *jelly.Registry
	// Security says which classes may be received; registered classes are
	// always allowed (default jelly.NewSecurity()).
	Security *jelly.Security
	// Limits bound each connection.
	Limits Limits
	// ErrorTypes maps remote failure type names to constructors of local Go
	// errors, so that errors.As finds them through RemoteError.Unwrap.
	ErrorTypes map[string]func(*RemoteError) error
	// Dialects are the dialects this side speaks, in order of preference
	// (default DefaultDialects). A server offers them in this order; a
	// client picks the first of the server's offers that it knows. Set
	// []string{"pb", "none"} for Twisted's exact handshake.
	Dialects []string
	// KeepAlive, when set, detects a dead peer: in the native dialect a
	// ping is sent after KeepAlive without traffic and the connection is
	// closed if nothing arrives within another KeepAlive; with Twisted peers
	// TCP keepalive probes are set to the same interval.
	KeepAlive time.Duration
	// CallTimeout bounds outgoing calls whose context has no deadline
	// (default 0: none).
	CallTimeout time.Duration
	// HandlerTimeout is the deadline given to each incoming call's context
	// (default 0: none); MethodTimeouts overrides it per wire method name.
	HandlerTimeout time.Duration
	// MethodTimeouts sets the handler deadline of particular methods.
	MethodTimeouts map[string]time.Duration
	// CacheTypes maps the class names of Cacheables this side receives to
	// constructors of its copies (pointers; see RemoteCache and LiveCopy).
	CacheTypes map[string]func() any
	// UnsafeTracebacks sends handler panics' stack traces to the peer.
	// Leave it off outside development: tracebacks reveal internals.
	UnsafeTracebacks bool

	methods *methodCache
}

// resolved returns a copy of c with defaults filled in.
func (c *Config) resolved() *Config {
	var r Config
	if c != nil {
		r = *c
	}
	if r.Logger == nil {
		r.Logger = slog.Default()
	}
	if r.Registry == nil {
		r.Registry = jelly.NewRegistry()
	}
	if r.Security == nil {
		r.Security = jelly.NewSecurity()
	}
	r.Limits = r.Limits.withDefaults()
	if r.methods == nil {
		r.methods = &methodCache{}
	}
	return &r
}
