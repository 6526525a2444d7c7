package pb

import (
	"context"
	"sync"
)

// callCtx is the context of one incoming call: the connection's context
// with the broker and perspective as values, cancelled when the connection
// ends, when the caller sends "cancel" (native dialect), and when the
// handler returns. It costs one allocation; the done channel, and the
// watch on the connection's context that closes it, are made only when a
// handler asks for Done, which most quick handlers never do.
type callCtx struct {
	context.Context // the connection's context
	b               *Broker
	persp           any

	mu   sync.Mutex
	done chan struct{}
	err  error
	stop func() bool // ends the watch on the connection's context
}

func newCallCtx(b *Broker, persp any) *callCtx {
	return &callCtx{Context: b.ctx, b: b, persp: persp}
}

// Value answers the broker and perspective keys, then asks the connection.
func (c *callCtx) Value(key any) any {
	switch key {
	case brokerKey:
		return c.b
	case perspectiveKey:
		if c.persp != nil {
			return c.persp
		}
		return nil
	}
	return c.Context.Value(key)
}

// Done returns a channel closed when the call is cancelled.
func (c *callCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		c.syncParentLocked()
		if c.err != nil {
			close(c.done)
		} else {
			c.stop = context.AfterFunc(c.Context, func() { c.cancel(c.Context.Err()) })
		}
	}
	return c.done
}

// Err reports why the call was cancelled, or nil.
func (c *callCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil && c.syncParentLocked() && c.done != nil {
		close(c.done)
	}
	return c.err
}

// syncParentLocked takes over the connection's cancellation if it has
// happened; it reports whether c became cancelled by it.
func (c *callCtx) syncParentLocked() bool {
	if c.err == nil {
		if err := c.Context.Err(); err != nil {
			c.err = err
			return true
		}
	}
	return false
}

// cancel ends the call's context with err, once.
func (c *callCtx) cancel(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return
	}
	c.err = err
	if c.done != nil {
		close(c.done)
	}
	if c.stop != nil {
		c.stop()
	}
}
