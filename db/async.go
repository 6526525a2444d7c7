package db

import "context"

// Future is the result of work started with Async or a pool's *Async
// methods. The work runs in its own goroutine, bounded by the context it
// was started with; a Future nobody waits for still finishes and leaves
// nothing behind.
type Future[T any] struct {
	done chan struct{}
	val  T
	err  error
}

// Async runs fn in a new goroutine and returns its Future at once. A panic
// in fn is not recovered: like any goroutine's, it ends the program (after
// RunInteraction has rolled its transaction back).
func Async[T any](ctx context.Context, fn func(ctx context.Context) (T, error)) *Future[T] {
	f := &Future[T]{done: make(chan struct{})}
	go func() {
		defer close(f.done)
		f.val, f.err = fn(ctx)
	}()
	return f
}

// Done is closed when the result is ready.
func (f *Future[T]) Done() <-chan struct{} { return f.done }

// Wait returns the result once it is ready, or ctx's error if ctx ends
// first (the work itself goes on, bounded by its own context).
func (f *Future[T]) Wait(ctx context.Context) (T, error) {
	select {
	case <-f.done:
		return f.val, f.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// WaitAll waits for every future and returns their values in order, or the
// first error in order.
func WaitAll[T any](ctx context.Context, fs ...*Future[T]) ([]T, error) {
	out := make([]T, len(fs))
	for i, f := range fs {
		v, err := f.Wait(ctx)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// RunQueryAsync starts RunQuery and returns its Future.
func (p *Pool) RunQueryAsync(ctx context.Context, query string, args ...any) *Future[[]Row] {
	return Async(ctx, func(ctx context.Context) ([]Row, error) { return p.RunQuery(ctx, query, args...) })
}

// RunOperationAsync starts RunOperation and returns its Future.
func (p *Pool) RunOperationAsync(ctx context.Context, query string, args ...any) *Future[int64] {
	return Async(ctx, func(ctx context.Context) (int64, error) { return p.RunOperation(ctx, query, args...) })
}

// RunInteractionAsync starts RunInteraction and returns its Future.
func (p *Pool) RunInteractionAsync(ctx context.Context, fn func(ctx context.Context, tx Tx) error, opts ...TxOption) *Future[struct{}] {
	return Async(ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, p.RunInteraction(ctx, fn, opts...)
	})
}

// Interact runs fn in a transaction as RunInteraction does and returns
// the value fn returned when the transaction committed.
func Interact[T any](ctx context.Context, p *Pool, fn func(ctx context.Context, tx Tx) (T, error), opts ...TxOption) (T, error) {
	var v T
	err := p.RunInteraction(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		v, err = fn(ctx, tx)
		return err
	}, opts...)
	if err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}
