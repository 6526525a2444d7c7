package pb

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/braidkit/braid/cred"
)

// ReconnectOptions configure a Reconnector.
type ReconnectOptions struct {
	// Config configures each connection; it may be nil.
	Config *Config
	// Credentials, when set, log in after every (re)connection; the
	// Reconnector's reference is then the avatar instead of the root.
	Credentials cred.Credentials
	// Mind is passed to the realm at each login.
	Mind any
	// MinBackoff and MaxBackoff bound the wait between attempts, which
	// doubles from MinBackoff (default 100ms) up to MaxBackoff (default 30s),
	// with full jitter.
	MinBackoff, MaxBackoff time.Duration
	// OnLost is called when an established connection ends.
	OnLost func(err error)
	// OnRestored is called each time a connection (and login) succeeds,
	// the first time included.
	OnRestored func(b *Broker, ref *RemoteReference)
}

// ErrClosed is returned by a Reconnector's methods after Close.
var ErrClosed = errors.New("pb: reconnector closed")

// Reconnector keeps a client connected to an endpoint: it dials, logs in
// when given credentials, and when the connection ends it dials again with
// exponential backoff and jitter. References obtained from a connection
// that ended fail with ErrDeadReference; ask the Reconnector again.
type Reconnector struct {
	endpoint string
	opts     ReconnectOptions

	mu      sync.Mutex
	b       *Broker
	ref     *RemoteReference
	ready   chan struct{} // closed while connected
	lastErr error
	closed  bool

	stop context.CancelFunc
	done chan struct{}
}

// NewReconnector starts keeping a connection to endpoint.
func NewReconnector(endpoint string, opts ReconnectOptions) *Reconnector {
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 100 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	ctx, stop := context.WithCancel(context.Background())
	r := &Reconnector{endpoint: endpoint, opts: opts, ready: make(chan struct{}), stop: stop, done: make(chan struct{})}
	go r.run(ctx)
	return r
}

func (r *Reconnector) run(ctx context.Context) {
	defer close(r.done)
	delay := r.opts.MinBackoff
	for ctx.Err() == nil {
		b, ref, err := r.connect(ctx)
		if err != nil {
			r.mu.Lock()
			r.lastErr = err
			r.mu.Unlock()
			// Full jitter: wait a random time up to the current backoff.
			wait := time.Duration(rand.Int64N(int64(delay))) + time.Millisecond
			select {
			case <-time.After(wait):
			case <-ctx.Done():
			}
			delay = min(2*delay, r.opts.MaxBackoff)
			continue
		}
		delay = r.opts.MinBackoff
		r.mu.Lock()
		r.b, r.ref, r.lastErr = b, ref, nil
		close(r.ready)
		r.mu.Unlock()
		if r.opts.OnRestored != nil {
			r.opts.OnRestored(b, ref)
		}
		select {
		case <-b.Done():
		case <-ctx.Done():
			b.Close()
		}
		r.mu.Lock()
		r.b, r.ref = nil, nil
		r.ready = make(chan struct{})
		r.lastErr = b.Err()
		r.mu.Unlock()
		if ctx.Err() == nil && r.opts.OnLost != nil {
			r.opts.OnLost(b.Err())
		}
	}
}

func (r *Reconnector) connect(ctx context.Context) (*Broker, *RemoteReference, error) {
	b, err := Dial(ctx, r.endpoint, r.opts.Config)
	if err != nil {
		return nil, nil, err
	}
	if r.opts.Credentials == nil {
		return b, b.Root(), nil
	}
	ref, err := Login(ctx, b, r.opts.Credentials, r.opts.Mind)
	if err != nil {
		b.Close()
		return nil, nil, err
	}
	return b, ref, nil
}

// Current waits until connected (and logged in) or ctx is done, and returns
// the connection and its root (or avatar) reference.
func (r *Reconnector) Current(ctx context.Context) (*Broker, *RemoteReference, error) {
	for {
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return nil, nil, ErrClosed
		}
		b, ref, ready := r.b, r.ref, r.ready
		r.mu.Unlock()
		if b != nil {
			select {
			case <-b.Done():
			default:
				return b, ref, nil
			}
		}
		select {
		case <-ready:
		case <-r.done:
			return nil, nil, ErrClosed
		case <-ctx.Done():
			r.mu.Lock()
			last := r.lastErr
			r.mu.Unlock()
			if last != nil {
				return nil, nil, fmt.Errorf("%w (last attempt: %v)", ctx.Err(), last)
			}
			return nil, nil, ctx.Err()
		}
	}
}

// CallRemote calls a method on the current root (or avatar), waiting for a
// connection if there is none. A call whose connection ends before it is
// answered fails with ErrConnectionLost; it is not retried, since it may
// have run.
func (r *Reconnector) CallRemote(ctx context.Context, method string, args ...any) (any, error) {
	_, ref, err := r.Current(ctx)
	if err != nil {
		return nil, err
	}
	return ref.CallRemote(ctx, method, args...)
}

// Close stops reconnecting and closes the current connection.
func (r *Reconnector) Close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.stop()
	<-r.done
	return nil
}
