package main

import (
	"context"
	"fmt"

	"github.com/braidkit/braid/jelly"
	"github.com/braidkit/braid/pb"
)

// Point is the Copyable conformance.Point: it travels by value with the
// state {"x": x, "y": y}.
type Point struct {
	X any `jelly:"x"`
	Y any `jelly:"y"`
}

// counter is the one conformance.Counter every connection shares.
type counterValue = pb.Live[int64]

// registry returns the classes the conformance program sends and receives.
func registry() *jelly.Registry {
	r := jelly.NewRegistry()
	if err := r.Register("conformance.Point", Point{}); err != nil {
		panic(err)
	}
	return r
}

// RemotePoint returns a Point copy.
func (r *Root) RemotePoint(ctx context.Context, x, y any) (*Point, error) {
	return &Point{X: x, Y: y}, nil
}

// RemotePointSum returns x + y of a Point the client sent.
func (r *Root) RemotePointSum(ctx context.Context, p *Point) (any, error) {
	if p == nil {
		return nil, fmt.Errorf("pointSum needs a conformance.Point")
	}
	return add(p.X, p.Y)
}

// RemoteCounter returns the shared counter as a cached copy.
func (r *Root) RemoteCounter(ctx context.Context) (*counterValue, error) { return r.counter, nil }

// RemoteBump adds one to the shared counter; every observer sees it.
func (r *Root) RemoteBump(ctx context.Context) (int64, error) {
	return r.counter.Update(ctx, func(n int64) int64 { return n + 1 }), nil
}

// RemoteObservers returns how many copies of the counter are kept up to
// date (a test hook).
func (r *Root) RemoteObservers(ctx context.Context) (int, error) { return r.counter.Observers(), nil }
