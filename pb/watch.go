package pb

import (
	"fmt"
	"sync"
	"time"
)

// Two watchers keep a connection's hot path free of timers.
//
// The guard replaces per-message socket deadlines: the reader and the
// writer only record, in atomics, when a message began to arrive and when
// a write began, and one timer per connection, firing at a fraction of
// the shortest limit, compares them with the clock. It enforces
// MessageTimeout, IdleTimeout and WriteTimeout, and sends the native
// dialect's keepalive pings. (Resetting a socket deadline for every
// message costs a timer update that may wake the runtime's network poller
// on another thread, which showed in profiles of one call in flight.)
//
// The reader watch lets incoming calls run on the reading goroutine. The
// reader starts each call's handler itself, writes what the handlers
// queued once no input is left buffered, and only then waits for more.
// While it runs a handler or writes it marks itself busy; a watch shared
// by the connections of one Server (or owned by one client connection)
// wakes every few milliseconds while any of them has been busy lately, and
// when one has stayed busy with the same work for a whole tick — a handler
// that blocks, a peer slow to read — it starts a new goroutine to take
// over reading. The old goroutine finishes its work and exits. So quick
// handlers cost no goroutine and no hand-off, and a slow one delays the
// messages behind it by about 10 ms at most. The watch also writes output
// the reader has held for a whole tick while it waits for the rest of a
// message.

// The reader watch looks at its connections every readerTick while it
// sees one of them busy; while it sees none busy (quick handlers between
// waits for input) it looks half as often each time, down to every
// maxReaderTick. A handler that blocks is thus seen busy within
// maxReaderTick and taken over a readerTick later. (Ticking every
// millisecond throughout cost about a tenth of the calls per second with
// one call in flight.)
const (
	readerTick    = time.Millisecond
	maxReaderTick = 8 * time.Millisecond
)

// guardPeriod is how often the guard of a connection with these settings
// looks at it: half the shortest timeout, a quarter of the keepalive
// interval.
func guardPeriod(cfg *Config, native bool) time.Duration {
	lim := cfg.Limits
	p := min(lim.MessageTimeout, lim.WriteTimeout) / 2
	if lim.IdleTimeout > 0 {
		p = min(p, lim.IdleTimeout/2)
	}
	if cfg.KeepAlive > 0 && native {
		p = min(p, cfg.KeepAlive/4)
	}
	return max(p, time.Millisecond)
}

// startGuard arms the connection's guard.
func (b *Broker) startGuard() {
	now := time.Now().UnixNano()
	b.lastRecv.Store(now)
	period := guardPeriod(b.cfg, b.native)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || b.guard != nil {
		return
	}
	b.guard = time.AfterFunc(period, func() {
		// Re-armed first, so that a check that blocks (a ping queued
		// behind a full output queue) cannot stop the next one.
		b.mu.Lock()
		closed := b.closed
		if !closed {
			b.guard.Reset(period)
		}
		b.mu.Unlock()
		if !closed {
			b.checkGuard(time.Now())
		}
	})
}

// checkGuard enforces the connection's timeouts at now.
func (b *Broker) checkGuard(now time.Time) {
	lim := b.cfg.Limits
	t := now.UnixNano()
	if s := b.writeStart.Load(); s != 0 && t-s > int64(lim.WriteTimeout) {
		b.fail(fmt.Errorf("write: the peer read nothing for %v", lim.WriteTimeout))
		return
	}
	if s := b.msgStart.Load(); s != 0 {
		if t-s > int64(lim.MessageTimeout) {
			b.fail(fmt.Errorf("%w: a message took longer than %v to arrive", ErrProtocol, lim.MessageTimeout))
		}
		return
	}
	idle := time.Duration(t - b.lastRecv.Load())
	if lim.IdleTimeout > 0 && idle > lim.IdleTimeout {
		b.fail(fmt.Errorf("idle for %v", lim.IdleTimeout))
		return
	}
	if iv := b.cfg.KeepAlive; iv > 0 && b.native {
		switch {
		case idle >= 2*iv:
			b.fail(fmt.Errorf("keepalive: nothing from the peer for %v", idle.Round(time.Millisecond)))
		case idle >= iv:
			_ = b.send([]any{"ping", b.pingSeq.Add(1)})
		}
	}
}

// stopGuardLocked disarms the guard; b.mu is held.
func (b *Broker) stopGuardLocked() {
	if b.guard != nil {
		b.guard.Stop()
	}
}

// readerWatch starts a new reader for connections whose reading goroutine
// has been busy for a whole tick.
type readerWatch struct {
	mu     sync.Mutex
	active map[*Broker]watchSeen
	timer  *time.Timer
	armed  bool
	every  time.Duration // the current interval
}

// watchSeen is what the watch saw of a connection at its last tick.
type watchSeen struct {
	busy    uint64 // the busy word
	holdGen uint64 // the output hold (see flushStale)
	roleGen uint64 // the reading role's takings (role.go)
}

func newReaderWatch() *readerWatch {
	return &readerWatch{active: map[*Broker]watchSeen{}}
}

// add starts watching b.
func (w *readerWatch) add(b *Broker) {
	w.mu.Lock()
	defer w.mu.Unlock()
	b.watched.Store(true)
	if _, ok := w.active[b]; !ok {
		w.active[b] = watchSeen{busy: b.busy.Load() &^ 1, roleGen: b.roleGen()}
	}
	if !w.armed {
		w.armed = true
		w.every = readerTick
		if w.timer == nil {
			w.timer = time.AfterFunc(readerTick, w.tick)
		} else {
			w.timer.Reset(readerTick)
		}
	}
}

// remove stops watching b (its connection has ended).
func (w *readerWatch) remove(b *Broker) {
	w.mu.Lock()
	delete(w.active, b)
	w.mu.Unlock()
}

func (w *readerWatch) tick() {
	w.mu.Lock()
	defer w.mu.Unlock()
	sawBusy := false
	for b, seen := range w.active {
		// Output held since the last tick by a reader that is waiting for
		// the rest of a message goes out now.
		gen, waiting := b.flushStale(seen.holdGen)
		cur := b.busy.Load()
		sawBusy = sawBusy || cur&1 == 1
		// The reading role lain free since the last tick goes to a new
		// reader goroutine; while it is free, the connection stays watched.
		b.restartReader(seen.roleGen)
		role := b.roleGen()
		free := b.roleFree()
		switch {
		case cur&1 == 1 && cur == seen.busy:
			// Busy with the same work since the last tick.
			if b.busy.CompareAndSwap(cur, cur&^1) {
				b.startReader(nil)
			}
			w.active[b] = watchSeen{busy: cur &^ 1, holdGen: gen, roleGen: role}
		case cur == seen.busy && !waiting && !free && role == seen.roleGen:
			// Nothing since the last tick: stop watching, unless the reader
			// got busy meanwhile (it checks watched after marking itself
			// busy, and this checks busy after clearing watched, so one of
			// the two sees the other).
			b.watched.Store(false)
			if b.busy.Load() != cur || b.roleGen() != role {
				b.watched.Store(true)
				continue
			}
			delete(w.active, b)
		default:
			w.active[b] = watchSeen{busy: cur, holdGen: gen, roleGen: role}
		}
	}
	if len(w.active) > 0 {
		if sawBusy {
			w.every = readerTick
		} else {
			w.every = min(2*w.every, maxReaderTick)
		}
		w.timer.Reset(w.every)
	} else {
		w.armed = false
	}
}

// beginBusy marks the reading goroutine busy with something other than
// reading and returns the mark to give endBusy.
func (b *Broker) beginBusy() uint64 {
	v := (b.busy.Load()>>1+1)<<1 | 1
	b.busy.Store(v)
	if !b.watched.Load() {
		b.watch.add(b)
	}
	return v
}

// endBusy clears the mark; it reports false when the watch has meanwhile
// started another reader, in which case the calling goroutine is no longer
// the connection's reader and must leave the reader's state alone.
func (b *Broker) endBusy(v uint64) bool {
	return b.busy.CompareAndSwap(v, v&^1)
}
