package pb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/jelly/native"
	"github.com/braidkit/braid/transport"
)

// DefaultDialects are the dialects Braid speaks, in the order a server
// offers them: Braid's native msgpack dialect, then Twisted's "pb" and
// "none". A client takes the first entry it knows, so two Braid peers speak
// native while a Twisted client, which skips what it does not know, picks
// "pb".
var DefaultDialects = []string{native.DialectName, "pb", "none"}

// knownDialect reports whether name is one of the dialects c allows.
func (c *Config) knownDialect(name []byte) bool {
	for _, d := range c.dialects() {
		if d == string(name) {
			return true
		}
	}
	return false
}

func (c *Config) dialects() []string {
	if len(c.Dialects) > 0 {
		return c.Dialects
	}
	return DefaultDialects
}

// Server serves PB connections: each gets its own Broker with the root
// object published as "root".
type Server struct {
	// Root is the object published to every connection.
	Root any
	// NewRoot, when set, makes a root per connection instead (a login
	// portal does this); it takes precedence over Root.
	NewRoot func(b *Broker) any
	// Config configures every connection.
	Config Config

	mu        sync.Mutex
	cfg       *Config
	listeners map[net.Listener]struct{}
	brokers   map[*Broker]struct{}
	conns     sync.WaitGroup
	closing   bool
	watch     *readerWatch
}

// ErrServerClosed is returned by Serve after Close or Shutdown.
var ErrServerClosed = errors.New("pb: server closed")

func (s *Server) config() *Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg == nil {
		s.cfg = s.Config.resolved()
	}
	return s.cfg
}

// readerWatch returns the reader watch the server's connections share.
func (s *Server) readerWatch() *readerWatch {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.watch == nil {
		s.watch = newReaderWatch()
	}
	return s.watch
}

// ListenAndServe listens on an endpoint string ("tcp:127.0.0.1:8787") and
// serves it until ctx is done or the server is closed.
func (s *Server) ListenAndServe(ctx context.Context, endpoint string) error {
	l, err := transport.Listen(ctx, endpoint)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	return s.Serve(l)
}

// Serve accepts connections on l and serves each in its own goroutine. It
// returns ErrServerClosed after Close or Shutdown, or the accept error.
func (s *Server) Serve(l net.Listener) error {
	s.config()
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	if s.listeners == nil {
		s.listeners = map[net.Listener]struct{}{}
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
	}()
	var delay time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		s.conns.Add(1)
		go s.serveConn(c, s.conns.Done)
	}
}

// ServeConn serves one connection and returns when it has ended.
func (s *Server) ServeConn(c net.Conn) {
	s.conns.Add(1)
	ended := make(chan struct{})
	s.serveConn(c, func() {
		s.conns.Done()
		close(ended)
	})
	<-ended
}

// serveConn serves c on the calling goroutine, which is the connection's
// first reader, and calls done once the connection has ended and its
// handlers have returned. It returns when it stops reading: at the end,
// or when another goroutine took over reading (watch.go), so that a
// connection whose reader was taken over does not keep a goroutine
// waiting for its end.
func (s *Server) serveConn(c net.Conn, done func()) {
	cfg := s.config()
	b := newBroker(c, cfg, true, s.readerWatch())
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		c.Close()
		done()
		return
	}
	if s.brokers == nil {
		s.brokers = map[*Broker]struct{}{}
	}
	s.brokers[b] = struct{}{}
	s.mu.Unlock()
	finish := func() {
		b.Wait()
		s.mu.Lock()
		delete(s.brokers, b)
		s.mu.Unlock()
		done()
	}

	if err := b.acceptHandshake(); err != nil {
		b.log.Warn("pb: handshake failed", "reason", err)
		b.shutdown(err)
		finish()
		return
	}
	root := s.Root
	if s.NewRoot != nil {
		root = s.NewRoot(b)
	}
	if root != nil {
		b.setNamed(rootName, root)
	}
	// The connection's goroutine is its reader: one goroutine less per
	// idle connection than starting a reader and waiting for it.
	b.loops.Add(1)
	b.startKeepAlive()
	b.readLoop()
	// The connection has ended, or another goroutine reads it now; either
	// way finish runs once it has ended (at once if it has).
	context.AfterFunc(b.ctx, finish)
}

// acceptHandshake runs the server side of dialect negotiation: offer
// ["pb", "none"], take the client's choice, then send our version.
func (b *Broker) acceptHandshake() error {
	b.conn.SetDeadline(time.Now().Add(b.cfg.Limits.HandshakeTimeout))
	defer b.conn.SetDeadline(time.Time{})
	dialects := b.cfg.dialects()
	offer := make([]any, len(dialects))
	for i, d := range dialects {
		offer[i] = d
	}
	buf, err := banana.Append(nil, offer, banana.DialectNone, b.cfg.Limits.Banana)
	if err != nil {
		return err
	}
	if _, err := b.conn.Write(buf); err != nil {
		return fmt.Errorf("pb: handshake: %w", err)
	}
	choice, err := b.dec.Decode()
	if err != nil {
		return fmt.Errorf("pb: handshake: %w", err)
	}
	name, ok := choice.([]byte)
	if !ok {
		return protocolErrorf("client sent %T instead of a dialect choice", choice)
	}
	if !b.cfg.knownDialect(name) {
		return protocolErrorf("client selected dialect %q, which was not offered", name)
	}
	b.selectDialect(string(name))
	return b.send([]any{"version", ProtocolVersion})
}

// Connections returns how many connections the server is serving.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.brokers)
}

// Close stops the server at once: listeners close, connections are cut and
// pending calls on them fail. It waits for every connection to end.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closing = true
	var err error
	for l := range s.listeners {
		if e := l.Close(); e != nil && err == nil && !errors.Is(e, net.ErrClosed) {
			err = e
		}
	}
	brokers := make([]*Broker, 0, len(s.brokers))
	for b := range s.brokers {
		brokers = append(brokers, b)
	}
	s.mu.Unlock()
	for _, b := range brokers {
		b.shutdown(fmt.Errorf("%w: server closed", ErrConnectionLost))
	}
	s.conns.Wait()
	return err
}

// Shutdown stops accepting connections, waits until no call is running on
// any connection or ctx is done, then closes everything.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for l := range s.listeners {
		l.Close()
	}
	s.mu.Unlock()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if s.idle() {
			s.mu.Lock()
			brokers := make([]*Broker, 0, len(s.brokers))
			for b := range s.brokers {
				brokers = append(brokers, b)
			}
			s.mu.Unlock()
			for _, b := range brokers {
				b.closeFlushed()
			}
			return s.Close()
		}
		select {
		case <-ctx.Done():
			s.Close()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (s *Server) idle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for b := range s.brokers {
		if len(b.inflight) > 0 {
			return false
		}
	}
	return true
}

// Dial connects to a PB server at an endpoint ("tcp:127.0.0.1:8787") and
// runs the handshake. cfg may be nil.
func Dial(ctx context.Context, endpoint string, cfg *Config) (*Broker, error) {
	c, err := transport.Dial(ctx, endpoint)
	if err != nil {
		return nil, err
	}
	b, err := NewClient(ctx, c, cfg)
	if err != nil {
		c.Close()
		return nil, err
	}
	return b, nil
}

// NewClient runs the client side of the handshake on an established
// connection and returns the running Broker. cfg may be nil.
func NewClient(ctx context.Context, c net.Conn, cfg *Config) (*Broker, error) {
	b := newBroker(c, cfg.resolved(), false, nil)
	if err := b.connectHandshake(ctx); err != nil {
		b.shutdown(err)
		return nil, err
	}
	b.start()
	return b, nil
}

// connectHandshake runs the client side of dialect negotiation: read the
// server's offer, pick the first dialect we know, send it and our version.
func (b *Broker) connectHandshake(ctx context.Context) error {
	deadline := time.Now().Add(b.cfg.Limits.HandshakeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	b.conn.SetDeadline(deadline)
	// ctx ending interrupts the handshake; once it is over, the deadline is
	// lifted, and an interruption that comes later leaves it alone.
	var mu sync.Mutex
	over := false
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if !over {
			b.conn.SetDeadline(time.Unix(1, 0))
		}
	})
	defer func() {
		stop()
		mu.Lock()
		over = true
		b.conn.SetDeadline(time.Time{})
		mu.Unlock()
	}()

	offer, err := b.dec.Decode()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("pb: handshake: %w", ctx.Err())
		}
		return fmt.Errorf("pb: handshake: %w", err)
	}
	list, ok := offer.([]any)
	if !ok {
		return protocolErrorf("server sent %T instead of a dialect offer", offer)
	}
	for _, item := range list {
		if name, ok := item.([]byte); ok && string(name) == native.DialectName {
			b.peerIsBraid = true
		}
	}
	for _, item := range list {
		name, ok := item.([]byte)
		if !ok || !b.cfg.knownDialect(name) {
			continue
		}
		buf, err := banana.Append(nil, name, banana.DialectNone, b.cfg.Limits.Banana)
		if err != nil {
			return err
		}
		if _, err := b.conn.Write(buf); err != nil {
			return fmt.Errorf("pb: handshake: %w", err)
		}
		b.selectDialect(string(name))
		// The version goes out in the new dialect, written before the
		// handshake's deadline is lifted: a failed write fails the dial.
		if err := b.sendInline([]any{"version", ProtocolVersion}); err != nil {
			return err
		}
		if err := b.Err(); err != nil {
			return fmt.Errorf("pb: handshake: %w", err)
		}
		return nil
	}
	return protocolErrorf("server offers no dialect we know: %v", list)
}
