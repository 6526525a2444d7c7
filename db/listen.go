package db

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Notification is one PostgreSQL NOTIFY.
type Notification struct {
	// Channel is the channel it was sent on.
	Channel string
	// Payload is the text sent with it ("" when none).
	Payload string
	// PID is the process id of the server backend that sent it.
	PID uint32
}

// listener is one LISTEN connection.
type listener interface {
	wait(ctx context.Context) (Notification, error)
	close()
}

// Listen subscribes to a PostgreSQL notification channel on a connection
// of its own (not one of the pool's) and delivers each notification on the
// returned channel, in order. The channel is closed when ctx ends, or when
// the connection fails (which is logged); read it promptly, as a slow reader
// holds up delivery. On SQLite, Listen returns an error matching
// ErrNotSupported.
func (p *Pool) Listen(ctx context.Context, channel string) (<-chan Notification, error) {
	l, err := p.b.listen(ctx, channel)
	if err != nil {
		return nil, fmt.Errorf("db: listen %q: %w", channel, err)
	}
	ch := make(chan Notification, 16)
	go func() {
		defer close(ch)
		defer l.close()
		for {
			n, err := l.wait(ctx)
			if err != nil {
				if ctx.Err() == nil {
					p.log.Warn("db: listener failed", "channel", channel, "err", err)
				}
				return
			}
			select {
			case ch <- n:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch, nil
}

// Notify sends a notification with pg_notify. On SQLite it returns an error
// matching ErrNotSupported.
func (p *Pool) Notify(ctx context.Context, channel, payload string) error {
	if err := p.b.notify(ctx, channel, payload); err != nil {
		return fmt.Errorf("db: notify %q: %w", channel, err)
	}
	return nil
}

// pgxListener is a dedicated pgx connection that has run LISTEN.
type pgxListener struct{ conn *pgx.Conn }

func (b *pgxBackend) listen(ctx context.Context, channel string) (listener, error) {
	conn, err := pgx.ConnectConfig(ctx, b.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "listen "+pgx.Identifier{channel}.Sanitize()); err != nil {
		closeConn(conn)
		return nil, err
	}
	return &pgxListener{conn: conn}, nil
}

func (l *pgxListener) wait(ctx context.Context) (Notification, error) {
	n, err := l.conn.WaitForNotification(ctx)
	if err != nil {
		return Notification{}, err
	}
	return Notification{Channel: n.Channel, Payload: n.Payload, PID: n.PID}, nil
}

func (l *pgxListener) close() { closeConn(l.conn) }

func closeConn(c *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.Close(ctx)
}

// Hub shares one LISTEN connection per channel among any number of
// subscribers, and keeps it up: when the connection fails, the hub
// reconnects (notifications sent meanwhile are lost, and this is logged).
// It is the hook for publishing notifications to PB observers: a Cacheable
// subscribes when its first observer arrives and forwards each notification
// to its observers. A Hub is safe for concurrent use.
type Hub struct {
	p      *Pool
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	chans  map[string]*hubChannel
	nextID uint64
	closed bool
}

type hubChannel struct {
	cancel context.CancelFunc
	subs   map[uint64]func(Notification)
}

// NewHub returns a Hub delivering the pool's notifications.
func NewHub(p *Pool) *Hub {
	ctx, cancel := context.WithCancel(context.Background())
	return &Hub{p: p, ctx: ctx, cancel: cancel, chans: map[string]*hubChannel{}}
}

// ErrHubClosed is returned by Subscribe on a closed Hub.
var ErrHubClosed = errors.New("db: hub closed")

// Subscribe calls fn with each notification on channel until unsubscribe
// is called. The first subscriber to a channel opens its LISTEN connection
// (ctx bounds only that); the last to leave closes it. fn runs on the
// channel's delivery goroutine, one notification at a time and in order for
// all of the channel's subscribers, so it must return quickly.
func (h *Hub) Subscribe(ctx context.Context, channel string, fn func(Notification)) (unsubscribe func(), err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrHubClosed
	}
	hc := h.chans[channel]
	if hc == nil {
		l, err := h.p.b.listen(ctx, channel)
		if err != nil {
			return nil, fmt.Errorf("db: listen %q: %w", channel, err)
		}
		cctx, cancel := context.WithCancel(h.ctx)
		hc = &hubChannel{cancel: cancel, subs: map[uint64]func(Notification){}}
		h.chans[channel] = hc
		h.wg.Add(1)
		go h.run(cctx, channel, hc, l)
	}
	h.nextID++
	id := h.nextID
	hc.subs[id] = fn
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			delete(hc.subs, id)
			if len(hc.subs) == 0 {
				hc.cancel()
				if h.chans[channel] == hc {
					delete(h.chans, channel)
				}
			}
		})
	}, nil
}

func (h *Hub) run(ctx context.Context, channel string, hc *hubChannel, l listener) {
	defer h.wg.Done()
	backoff := 100 * time.Millisecond
	for {
		n, err := l.wait(ctx)
		if err == nil {
			h.mu.Lock()
			fns := make([]func(Notification), 0, len(hc.subs))
			for _, fn := range hc.subs {
				fns = append(fns, fn)
			}
			h.mu.Unlock()
			for _, fn := range fns {
				fn(n)
			}
			continue
		}
		l.close()
		if ctx.Err() != nil {
			return
		}
		h.p.log.Warn("db: hub listener failed; reconnecting (notifications may be lost)", "channel", channel, "err", err)
		for {
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			backoff = min(2*backoff, 5*time.Second)
			if l, err = h.p.b.listen(ctx, channel); err == nil {
				backoff = 100 * time.Millisecond
				break
			}
			h.p.log.Warn("db: hub cannot reconnect", "channel", channel, "err", err)
		}
	}
}

// Close ends every subscription and waits for the listeners to stop. It
// does not close the Pool.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	h.chans = map[string]*hubChannel{}
	h.mu.Unlock()
	h.cancel()
	h.wg.Wait()
}
