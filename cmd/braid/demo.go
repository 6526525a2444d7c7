package main

import (
	"context"
	"fmt"
	"math/big"
	"sync"
	"sync/atomic"
	"time"

	"github.com/braidkit/braid/jelly"
	"github.com/braidkit/braid/pb"
)

// demoStats counts what the demo service does, for its admin object.
type demoStats struct {
	connections atomic.Int64 // open now
	total       atomic.Int64 // since start
	calls       atomic.Int64
}

// DemoRoot is the demo service's root object: a small calculator and
// key-value store to try braid shell and braid call on.
type DemoRoot struct {
	pb.Referenceable
	stats *demoStats
	store *demoStore
}

// demoStore is the demo's shared store of named children.
type demoStore struct {
	mu       sync.Mutex
	children map[string]*DemoChild
}

func (s *demoStore) child(name string) *DemoChild {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.children[name]
	if !ok {
		c = &DemoChild{name: name}
		s.children[name] = c
	}
	return c
}

func (s *demoStore) names() jelly.List {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := jelly.List{}
	for n := range s.children {
		out = append(out, n)
	}
	return out
}

// PBDoc documents the demo root for describe.
func (r *DemoRoot) PBDoc() (string, map[string]string) {
	return "The demo service of braid serve: try add, echo and child.", map[string]string{
		"echo":     "echo(x) returns x unchanged.",
		"add":      "add(a, b) adds two numbers (ints of any size, or floats).",
		"fail":     "fail(message) raises demo.Failure(message).",
		"child":    "child(name) returns the named child object (made on first use, shared by every client).",
		"children": "children() lists the names of the children made so far.",
		"now":      "now() returns the server's clock as a UTC datetime.",
		"sleep":    "sleep(seconds) returns after that long (at most 60 s): a slow call, to watch a graceful shutdown.",
	}
}

func (r *DemoRoot) count() { r.stats.calls.Add(1) }

// RemoteEcho returns x unchanged.
func (r *DemoRoot) RemoteEcho(ctx context.Context, x any) (any, error) { r.count(); return x, nil }

// RemoteAdd adds two numbers.
func (r *DemoRoot) RemoteAdd(ctx context.Context, a, b any) (any, error) {
	r.count()
	return addNumbers(a, b)
}

// RemoteFail fails with message.
func (r *DemoRoot) RemoteFail(ctx context.Context, message string) error {
	r.count()
	return pb.NewError("demo.Failure", message)
}

// RemoteChild returns the named child, by reference.
func (r *DemoRoot) RemoteChild(ctx context.Context, name string) (*DemoChild, error) {
	r.count()
	return r.store.child(name), nil
}

// RemoteChildren lists the children's names.
func (r *DemoRoot) RemoteChildren(ctx context.Context) (jelly.List, error) {
	r.count()
	return r.store.names(), nil
}

// RemoteNow returns the server's clock.
func (r *DemoRoot) RemoteNow(ctx context.Context) (time.Time, error) {
	r.count()
	return time.Now().UTC(), nil
}

// RemoteSleep returns after seconds (at most a minute), or when the call
// is cancelled.
func (r *DemoRoot) RemoteSleep(ctx context.Context, seconds float64) error {
	r.count()
	if seconds < 0 || seconds > 60 {
		return &pb.RemoteError{Type: "builtins.ValueError", Value: "sleep: seconds must be in 0..60"}
	}
	t := time.NewTimer(time.Duration(seconds * float64(time.Second)))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// DemoChild holds one value.
type DemoChild struct {
	pb.Referenceable
	name string
	mu   sync.Mutex
	v    any
}

// PBDoc documents a child for describe.
func (c *DemoChild) PBDoc() (string, map[string]string) {
	return "A named cell holding one value.", map[string]string{
		"name": "name() returns the child's name.",
		"set":  "set(v) stores v.",
		"get":  "get() returns the value stored last, or None.",
	}
}

// RemoteName returns the child's name.
func (c *DemoChild) RemoteName(ctx context.Context) (string, error) { return c.name, nil }

// RemoteSet stores v.
func (c *DemoChild) RemoteSet(ctx context.Context, v any) error {
	c.mu.Lock()
	c.v = v
	c.mu.Unlock()
	return nil
}

// RemoteGet returns the stored value.
func (c *DemoChild) RemoteGet(ctx context.Context) (any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.v, nil
}

// addNumbers is Python's + on the numbers Jelly carries.
func addNumbers(a, b any) (any, error) {
	fa, aFloat := a.(float64)
	fb, bFloat := b.(float64)
	x, xInt := bigOf(a)
	y, yInt := bigOf(b)
	switch {
	case aFloat && bFloat:
		return fa + fb, nil
	case aFloat && yInt:
		f, _ := new(big.Float).SetInt(y).Float64()
		return fa + f, nil
	case xInt && bFloat:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f + fb, nil
	case xInt && yInt:
		s := new(big.Int).Add(x, y)
		if s.IsInt64() {
			return s.Int64(), nil
		}
		return s, nil
	}
	return nil, &pb.RemoteError{Type: pb.TypeTypeError,
		Value: fmt.Sprintf("unsupported operand types for +: %T and %T", a, b)}
}

func bigOf(v any) (*big.Int, bool) {
	switch v := v.(type) {
	case int64:
		return big.NewInt(v), true
	case *big.Int:
		return v, true
	}
	return nil, false
}

// demoService is the "demo" service type: a PB server of DemoRoot.
type demoService struct {
	stats demoStats
	store demoStore
}

func newDemoService() *demoService {
	return &demoService{store: demoStore{children: map[string]*DemoChild{}}}
}

func (d *demoService) newRoot(b *pb.Broker) any {
	d.stats.connections.Add(1)
	d.stats.total.Add(1)
	go func() {
		<-b.Done()
		d.stats.connections.Add(-1)
	}()
	return &DemoRoot{stats: &d.stats, store: &d.store}
}

// demoAdmin is the demo service's admin object.
type demoAdmin struct {
	pb.Referenceable
	d *demoService
}

// PBDoc documents the admin object.
func (a *demoAdmin) PBDoc() (string, map[string]string) {
	return "Administration of a demo service.", map[string]string{
		"stats":    "stats() returns connection and call counts.",
		"children": "children() lists the children made so far.",
		"reset":    "reset() forgets every child.",
		"root":     "root() returns a demo root object, to try it from here.",
	}
}

// RemoteStats returns counters.
func (a *demoAdmin) RemoteStats(ctx context.Context) (jelly.Dict, error) {
	return jelly.Dict{
		{Key: "connections", Value: a.d.stats.connections.Load()},
		{Key: "connections_total", Value: a.d.stats.total.Load()},
		{Key: "calls", Value: a.d.stats.calls.Load()},
		{Key: "children", Value: int64(len(a.d.store.names()))},
	}, nil
}

// RemoteChildren lists the children.
func (a *demoAdmin) RemoteChildren(ctx context.Context) (jelly.List, error) {
	return a.d.store.names(), nil
}

// RemoteReset forgets every child.
func (a *demoAdmin) RemoteReset(ctx context.Context) error {
	a.d.store.mu.Lock()
	a.d.store.children = map[string]*DemoChild{}
	a.d.store.mu.Unlock()
	return nil
}

// RemoteRoot returns a demo root.
func (a *demoAdmin) RemoteRoot(ctx context.Context) (*DemoRoot, error) {
	return &DemoRoot{stats: &a.d.stats, store: &a.d.store}, nil
}
