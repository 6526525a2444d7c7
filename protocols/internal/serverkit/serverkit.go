// Package serverkit is the connection-handling core shared by Braid's
// line-oriented protocol servers: accepting on any number of listeners,
// tracking sessions (for admin listings and disconnects), and closing down
// either at once (Close) or gracefully (Shutdown: stop accepting, end idle
// sessions, let busy ones finish their command).
package serverkit

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// ErrServerClosed is returned by Serve after Close or Shutdown.
var ErrServerClosed = errors.New("server closed")

// Base tracks listeners and sessions. The zero value is ready to use.
type Base struct {
	mu        sync.Mutex
	listeners map[*net.Listener]struct{}
	sessions  map[uint64]*Session
	wg        sync.WaitGroup
	nextID    atomic.Uint64
	shutting  atomic.Bool
	closed    bool
	ctx       context.Context
	cancel    context.CancelFunc
}

func (b *Base) init() {
	if b.sessions == nil {
		b.sessions = make(map[uint64]*Session)
		b.listeners = make(map[*net.Listener]struct{})
		b.ctx, b.cancel = context.WithCancel(context.Background())
	}
}

// Session is one client connection.
type Session struct {
	// ID is unique within the Base.
	ID uint64
	// Started is when the connection was accepted.
	Started time.Time
	// Remote is the client's address.
	Remote net.Addr
	// Ctx is cancelled when the session ends or the server is closed.
	Ctx    context.Context
	cancel context.CancelFunc

	base   *Base
	mu     sync.Mutex
	conn   net.Conn
	idle   bool
	closed bool
	data   any
}

// Serve accepts connections on l and runs handle for each in its own
// goroutine, until l fails or the Base is closed (then it returns
// ErrServerClosed). handle owns the session and must return when its
// connection fails; the connection is closed after handle returns.
func (b *Base) Serve(l net.Listener, logger *slog.Logger, handle func(*Session)) error {
	b.mu.Lock()
	b.init()
	if b.closed || b.shutting.Load() {
		b.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	b.listeners[&l] = struct{}{}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.listeners, &l)
		b.mu.Unlock()
	}()
	var delay time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if b.shutting.Load() || b.isClosed() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Temporary trouble (EMFILE and the like): back off.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				logger.Warn("accept failed; retrying", "err", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		b.ServeConn(c, handle)
	}
}

// ServeConn runs handle for one connection in a new goroutine.
func (b *Base) ServeConn(c net.Conn, handle func(*Session)) {
	b.mu.Lock()
	b.init()
	if b.closed || b.shutting.Load() {
		b.mu.Unlock()
		c.Close()
		return
	}
	s := &Session{ID: b.nextID.Add(1), Started: time.Now(), Remote: c.RemoteAddr(), base: b, conn: c}
	s.Ctx, s.cancel = context.WithCancel(b.ctx)
	b.sessions[s.ID] = s
	b.wg.Add(1)
	b.mu.Unlock()
	go func() {
		defer b.wg.Done()
		defer func() {
			s.Close()
			s.cancel()
			b.mu.Lock()
			delete(b.sessions, s.ID)
			b.mu.Unlock()
		}()
		handle(s)
	}()
}

func (b *Base) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// ShuttingDown reports whether Shutdown or Close has been called.
func (b *Base) ShuttingDown() bool { return b.shutting.Load() }

// Sessions returns the current sessions, ordered by id.
func (b *Base) Sessions() []*Session {
	b.mu.Lock()
	out := make([]*Session, 0, len(b.sessions))
	for _, s := range b.sessions {
		out = append(out, s)
	}
	b.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Session returns the session with the given id.
func (b *Base) Session(id uint64) (*Session, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.sessions[id]
	return s, ok
}

func (b *Base) closeListeners() {
	for l := range b.listeners {
		(*l).Close()
	}
}

// Close closes every listener and every connection now.
func (b *Base) Close() error {
	b.shutting.Store(true)
	b.mu.Lock()
	b.init()
	b.closed = true
	b.closeListeners()
	sessions := make([]*Session, 0, len(b.sessions))
	for _, s := range b.sessions {
		sessions = append(sessions, s)
	}
	b.cancel()
	b.mu.Unlock()
	for _, s := range sessions {
		s.Close()
	}
	b.wg.Wait()
	return nil
}

// Shutdown stops accepting, ends sessions that wait for a command (the
// protocol's handler sees its read fail and ShuttingDown true, and says
// goodbye), and waits for the others to finish their current command. When
// ctx ends first it closes everything and returns ctx's error.
func (b *Base) Shutdown(ctx context.Context) error {
	b.shutting.Store(true)
	b.mu.Lock()
	b.init()
	b.closeListeners()
	sessions := make([]*Session, 0, len(b.sessions))
	for _, s := range b.sessions {
		sessions = append(sessions, s)
	}
	b.mu.Unlock()
	for _, s := range sessions {
		s.wakeIdle()
	}
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
		b.mu.Lock()
		b.closed = true
		b.cancel()
		b.mu.Unlock()
		return nil
	case <-ctx.Done():
		b.Close()
		return ctx.Err()
	}
}

// Conn returns the session's current connection.
func (s *Session) Conn() net.Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn
}

// SetConn replaces the session's connection (after a TLS upgrade).
func (s *Session) SetConn(c net.Conn) {
	s.mu.Lock()
	s.conn = c
	closed := s.closed
	s.mu.Unlock()
	if closed {
		c.Close()
	}
}

// Data returns the value stored with SetData.
func (s *Session) Data() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data
}

// SetData stores protocol state for admin listings.
func (s *Session) SetData(v any) {
	s.mu.Lock()
	s.data = v
	s.mu.Unlock()
}

// Close closes the session's connection; its handler then ends.
func (s *Session) Close() error {
	s.mu.Lock()
	s.closed = true
	c := s.conn
	s.mu.Unlock()
	return c.Close()
}

// Closed reports whether Close has been called (by an admin disconnect or
// the server closing).
func (s *Session) Closed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// WaitCommand prepares to wait for the client's next command: it sets the
// read deadline to timeout from now and marks the session idle, so that
// Shutdown can wake it. It returns false if the server is shutting down,
// in which case the handler should say goodbye and return.
func (s *Session) WaitCommand(timeout time.Duration) bool {
	c := s.Conn()
	if timeout > 0 {
		c.SetReadDeadline(time.Now().Add(timeout))
	} else {
		c.SetReadDeadline(time.Time{})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.base.shutting.Load() {
		return false
	}
	s.idle = true
	return true
}

// Busy marks the session as working on a command; Shutdown lets it finish.
func (s *Session) Busy() {
	s.mu.Lock()
	s.idle = false
	s.mu.Unlock()
}

func (s *Session) wakeIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.idle {
		s.conn.SetReadDeadline(time.Now())
	}
}
