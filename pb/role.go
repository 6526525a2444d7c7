package pb

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Callers read their own answers.
//
// On a connection it dialed, a goroutine that made a call and waits for
// its answer reads the connection itself when nobody else is reading it,
// instead of sleeping until a reader goroutine hands the answer over. With
// one call in flight, that takes a goroutine hand-off, and the thread
// wake-up that comes with it, out of every call.
//
// Reading is a role, held by one goroutine at a time: the connection's
// reader goroutine (readLoop), a caller in readForAnswer, or nobody, when
// the role's token lies in readerRole.free. A caller that has sent its
// call takes the token if it is free, and otherwise waits for its answer
// (waiting callers do not queue for the token). Once it has its answer it puts
// the token back for the next caller, or, while other calls wait for
// answers, gives it to a new reader goroutine (with several calls in
// flight, one reader handing answers out costs less than the role passing
// from caller to caller). The reader goroutine, when it has handed an
// answer to a caller and no call waits for one, puts the token back at its
// next wait for input and exits, so that the caller's next call finds the
// connection free; and the reader watch (watch.go) starts
// a reader goroutine for a connection whose token has lain free for a
// whole tick, so that the peer's calls and pings are read when no call is
// being made.
//
// A reading caller handles what it reads as the reader goroutine would,
// except the peer's calls: it hands each to a new reader goroutine, which
// runs it and reads on, so a caller never waits for a handler that is not
// its own. A caller whose context ends stops reading between messages;
// while it waits for the next message to begin, a read deadline in the
// past interrupts the wait, and nothing of a message has been consumed
// then. That needs a connection whose reads survive a deadline — TCP,
// Unix and TLS; on others (WebSocket) callers leave reading to the reader
// goroutine. (A message that has begun to arrive is read whole first,
// which MessageTimeout bounds.)

// readerRole is the state of the reading role, on connections where
// callers read.
type readerRole struct {
	free chan struct{} // holds the token while nobody reads
	gen  atomic.Uint64 // counts takings and releases of the token, for the watch

	// The read of a caller whose context may end: seq identifies it;
	// waiting is set while it waits for input, and deadline when its
	// interruption has set a read deadline.
	mu       sync.Mutex
	seq      uint64
	waiting  bool
	deadline bool
}

// readingCaller is a caller reading for its answer.
type readingCaller struct {
	ctx context.Context
	seq uint64 // its interruptible read (readerRole.seq), 0 if its ctx cannot end
}

// initRole decides, as the Broker is made, whether callers read their
// answers: on the dialing side of a connection that survives read
// deadlines.
func (b *Broker) initRole() {
	if b.isServer {
		return
	}
	switch b.conn.(type) {
	case *net.TCPConn, *net.UnixConn, *tls.Conn:
	default:
		return
	}
	// Empty: the reader goroutine holds the token.
	b.role = &readerRole{free: make(chan struct{}, 1)}
}

// takeRole takes the token if it is free.
func (b *Broker) takeRole() bool {
	select {
	case <-b.role.free:
		b.role.gen.Add(1)
		return true
	default:
		return false
	}
}

// releaseRole puts the token back, for the next caller to take, or for
// the watch to give to a new reader goroutine if nobody takes it within a
// tick. A call that became pending meanwhile, whose caller may have found
// the token still held and waits for its answer, gets a reader goroutine:
// either such a caller finds the token free, or this sees its call
// pending.
func (b *Broker) releaseRole() {
	b.role.free <- struct{}{}
	b.role.gen.Add(1) // (after the token: see readerWatch.tick)
	if !b.nonePending() && b.takeRole() {
		b.startReader(nil)
		return
	}
	if !b.watched.Load() {
		b.watch.add(b)
	}
}

// roleGen returns the reading role's count of takings and releases (0 if
// callers do not read).
func (b *Broker) roleGen() uint64 {
	if b.role == nil {
		return 0
	}
	return b.role.gen.Load()
}

// roleFree reports whether the reading role's token is free.
func (b *Broker) roleFree() bool { return b.role != nil && len(b.role.free) > 0 }

// nonePending reports whether no call waits for its answer.
func (b *Broker) nonePending() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.pending) == 0
}

// restartReader gives a token that has lain free since the watch's last
// tick (gen unchanged) to a new reader goroutine. It reports whether it
// did.
func (b *Broker) restartReader(gen uint64) bool {
	if b.role == nil || b.role.gen.Load() != gen || len(b.role.free) == 0 {
		return false
	}
	if !b.takeRole() {
		return false
	}
	b.startReader(nil)
	return true
}

// handOff starts a reader goroutine that takes over from a reading caller:
// it runs the peer's call run first, if any, then reads on.
func (b *Broker) handOff(run func()) {
	if !b.startReader(run) && run != nil {
		go run() // it finds the connection closed
	}
}

// startReader starts a reader goroutine, which runs run first if it is not
// nil, unless the connection has ended: the connection's end waits for its
// readers (Close), so none may start after it.
func (b *Broker) startReader(run func()) bool {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return false
	}
	b.loops.Add(1)
	b.mu.Unlock()
	if run == nil {
		go b.readLoop()
		return true
	}
	go func() {
		v := b.beginBusy()
		run()
		if !b.endBusy(v) {
			b.loops.Done()
			return // taken over meanwhile
		}
		b.readLoop()
	}()
	return true
}

// readForAnswer reads the connection, as the holder of the reading role,
// until pc's answer has come. It reports false, with the role no longer
// its, when the caller must wait for its answer instead: another
// goroutine reads now, or ctx ended (the caller then returns).
func (b *Broker) readForAnswer(ctx context.Context, pc *pendingCall) (callResult, bool) {
	var stop func() bool
	var seq uint64
	if ctx.Done() != nil {
		r := b.role
		r.mu.Lock()
		r.seq++
		seq = r.seq
		r.mu.Unlock()
		stop = context.AfterFunc(ctx, func() { b.interrupt(seq) })
	}
	c := readingCaller{ctx: ctx, seq: seq}
	for {
		select {
		case res := <-pc.ch:
			b.endRead(stop)
			// Write what was held for the reader before leaving; leave the
			// role to the next caller, or to a reader goroutine while
			// other calls wait for answers.
			if b.flushHeld() {
				if b.nonePending() {
					b.releaseRole()
				} else {
					b.startReader(nil)
				}
			}
			return res, true
		default:
		}
		if ctx.Err() != nil {
			b.endRead(stop)
			b.handOff(nil)
			return callResult{}, false
		}
		switch b.readOne(&c) {
		case readOn:
		case readGone:
			b.endRead(stop)
			return callResult{}, false
		case readFailed:
			b.endRead(stop)
			return <-pc.ch, true // the connection's end fails every pending call
		case readInterrupted:
			b.endRead(stop)
			b.handOff(nil) // a reader goroutine reads on
			return callResult{}, false
		}
	}
}

// waitInputCaller is waitInput for a caller whose context may end: the
// wait ends when input arrives or when the context ends
// (readInterrupted); what arrived stays buffered.
func (b *Broker) waitInputCaller(c *readingCaller) readStep {
	r := b.role
	r.mu.Lock()
	r.waiting = true
	r.mu.Unlock()
	if c.ctx.Err() != nil { // ended before the wait could be interrupted
		r.mu.Lock()
		r.waiting = false
		r.mu.Unlock()
		return readInterrupted
	}
	_, err := b.br.Peek(1)
	r.mu.Lock()
	r.waiting = false
	hit := r.deadline
	if hit {
		r.deadline = false
		b.conn.SetReadDeadline(time.Time{})
	}
	r.mu.Unlock()
	if hit {
		return readInterrupted
	}
	if err != nil {
		b.fail(err)
		return readFailed
	}
	return readOn
}

// interrupt makes the read seq stop waiting for input, if it waits.
func (b *Broker) interrupt(seq uint64) {
	r := b.role
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seq == seq && r.waiting {
		r.deadline = true
		b.conn.SetReadDeadline(time.Unix(1, 0))
	}
}

// endRead ends a reading caller's read: its interruption will not run, or
// if it is running already, finds a later sequence number or no wait and
// does nothing (interrupt).
func (b *Broker) endRead(stop func() bool) {
	if stop != nil {
		stop()
	}
}
