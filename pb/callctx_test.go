package pb

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func closedWithin(ch <-chan struct{}, d time.Duration) bool {
	select {
	case <-ch:
		return true
	default:
	}
	select {
	case <-ch:
		return true
	case <-time.After(d):
		return false
	}
}

// The call context keeps the context contract whichever way it ends and
// whenever Done is first asked for.
func TestCallCtx(t *testing.T) {
	newB := func() *Broker {
		ctx, cancel := context.WithCancel(context.Background())
		return &Broker{ctx: ctx, cancel: cancel}
	}
	t.Run("values", func(t *testing.T) {
		b := newB()
		defer b.cancel()
		c := newCallCtx(b, "avatar")
		assert.Same(t, b, BrokerFromContext(c))
		assert.Equal(t, "avatar", PerspectiveFromContext(c))
		assert.Nil(t, PerspectiveFromContext(newCallCtx(b, nil)))
	})
	t.Run("cancel before Done", func(t *testing.T) {
		b := newB()
		defer b.cancel()
		c := newCallCtx(b, nil)
		assert.NoError(t, c.Err())
		c.cancel(context.Canceled)
		assert.ErrorIs(t, c.Err(), context.Canceled)
		assert.True(t, closedWithin(c.Done(), 0))
	})
	t.Run("cancel after Done", func(t *testing.T) {
		b := newB()
		defer b.cancel()
		c := newCallCtx(b, nil)
		done := c.Done()
		assert.False(t, closedWithin(done, 10*time.Millisecond))
		child, stop := context.WithCancel(c)
		defer stop()
		c.cancel(context.Canceled)
		assert.True(t, closedWithin(done, time.Second))
		assert.True(t, closedWithin(child.Done(), time.Second), "a derived context ends too")
	})
	t.Run("connection ends, Done watched", func(t *testing.T) {
		b := newB()
		c := newCallCtx(b, nil)
		done := c.Done()
		b.cancel()
		require.True(t, closedWithin(done, time.Second))
		assert.True(t, errors.Is(c.Err(), context.Canceled))
	})
	t.Run("connection ends, Done not yet asked", func(t *testing.T) {
		b := newB()
		c := newCallCtx(b, nil)
		b.cancel()
		assert.ErrorIs(t, c.Err(), context.Canceled)
		assert.True(t, closedWithin(c.Done(), 0), "Err non-nil means Done is closed")
		c.cancel(errors.New("later"))
		assert.ErrorIs(t, c.Err(), context.Canceled, "the first reason stays")
	})
}
