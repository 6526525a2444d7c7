package pb

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"

	"github.com/braidkit/braid/jelly"
)

// Cacheable is implemented by values that travel as cached copies (Twisted's
// pb.Cacheable): the first time one is sent over a connection the peer gets
// its state and an entry in its cache table; later sends name that entry.
// The exporter keeps an Observer per connection and pushes changes through
// it; the peer's copy runs its Observe* methods.
//
// The class name comes from jelly (a registered type or jelly.Classer). Live
// is a ready-made Cacheable for a single watched value.
type Cacheable interface {
	// CacheState returns the state sent to a new observer, which the value
	// should keep to push changes. ctx carries the perspective the value is
	// sent under.
	CacheState(ctx context.Context, o *Observer) (any, error)
	// StoppedObserving tells the value that o is gone (the peer released
	// every copy, or the connection ended); it is called once per observer.
	StoppedObserving(ctx context.Context, o *Observer)
}

// RemoteCache is implemented by a peer's copy of a Cacheable that wants to
// set its own state; otherwise the state is converted into the copy with
// jelly.Convert. Changes from the exporter arrive as calls of the copy's
// Observe* methods.
type RemoteCache interface {
	SetCacheState(ctx context.Context, state any) error
}

// Observer is the exporter's handle on one connection's copy of a
// Cacheable. Calls on it run the copy's Observe* methods.
type Observer struct {
	b     *Broker
	luid  int64
	persp any
}

// Broker returns the connection of the observing peer.
func (o *Observer) Broker() *Broker { return o.b }

// Perspective returns the perspective the Cacheable was sent under.
func (o *Observer) Perspective() any { return o.persp }

// CallRemote calls an Observe* method of the peer's copy and waits for the
// answer.
func (o *Observer) CallRemote(ctx context.Context, method string, args ...any) (any, error) {
	return o.b.callCache(ctx, o, method, args, true)
}

// SendRemote calls an Observe* method of the peer's copy without waiting
// for (or asking for) an answer.
func (o *Observer) SendRemote(ctx context.Context, method string, args ...any) error {
	_, err := o.b.callCache(ctx, o, method, args, false)
	return err
}

// cacheOut is a Cacheable this side has sent over the connection.
type cacheOut struct {
	obj      Cacheable
	persp    any
	refs     int
	observer *Observer
}

// cacheIn is a copy this side received.
type cacheIn struct {
	obj  any
	refs int // copies handed out, each owed one decache
}

func (b *Broker) callCache(ctx context.Context, o *Observer, method string, args []any, wantAnswer bool) (any, error) {
	b.mu.Lock()
	co := b.cachesOut[o.luid]
	b.mu.Unlock()
	if co == nil || co.observer != o {
		return nil, fmt.Errorf("%w: the peer no longer observes this cache", ErrDeadReference)
	}
	v, _, err := b.callCommand(ctx, "cachemessage", o.luid, method, args, nil, wantAnswer, o.persp, nil)
	return v, err
}

// jellyCacheable sends a Cacheable: its state the first time on this
// connection, [cached, luid] afterwards.
func (e *brokerExt) jellyCacheable(ctx context.Context, s *jelly.Scope, c Cacheable) (any, error) {
	b := e.b
	key := exportKey{obj: c, persp: e.persp}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, ErrConnectionLost
	}
	if luid, ok := b.cacheByKey[key]; ok {
		b.cachesOut[luid].refs++
		b.mu.Unlock()
		return []any{"cached", luid}, nil
	}
	if len(b.cachesOut) >= b.cfg.Limits.MaxReferences {
		b.mu.Unlock()
		return nil, fmt.Errorf("%w (caches)", ErrTooManyReferences)
	}
	b.nextLUID++
	luid := b.nextLUID
	o := &Observer{b: b, luid: luid, persp: e.persp}
	b.cachesOut[luid] = &cacheOut{obj: c, persp: e.persp, refs: 1, observer: o}
	b.cacheByKey[key] = luid
	b.mu.Unlock()

	class, ok := e.classOf(c)
	if !ok {
		b.dropCacheOut(luid, false)
		return nil, fmt.Errorf("%w: Cacheable %T has no class name (register it or implement jelly.Classer)", jelly.ErrUnjellyable, c)
	}
	state, err := c.CacheState(ctx, o)
	if err == nil {
		var expr any
		if expr, err = s.Jelly(state); err == nil {
			return []any{class, luid, expr}, nil
		}
	}
	b.dropCacheOut(luid, true)
	return nil, err
}

func (e *brokerExt) classOf(v any) (string, bool) {
	if c, ok := v.(jelly.Classer); ok {
		return c.JellyClass(), true
	}
	return e.b.cfg.Registry.ClassOf(reflect.TypeOf(v))
}

// dropCacheOut forgets a sent cache, telling the Cacheable its observer is
// gone when it had been told of it.
func (b *Broker) dropCacheOut(luid int64, observed bool) {
	b.mu.Lock()
	co := b.cachesOut[luid]
	if co != nil {
		delete(b.cachesOut, luid)
		delete(b.cacheByKey, exportKey{obj: co.obj, persp: co.persp})
	}
	b.mu.Unlock()
	if co != nil && observed {
		co.obj.StoppedObserving(withCallContext(b.ctx, b, co.persp), co.observer)
	}
}

// handleDecache drops one count of a cache this side sent; at zero the
// Cacheable stops observing and the peer is told to uncache.
func (b *Broker) handleDecache(luid int64) error {
	b.mu.Lock()
	co := b.cachesOut[luid]
	if co == nil {
		b.mu.Unlock()
		return protocolErrorf("decache of unknown cache id %d", luid)
	}
	co.refs--
	last := co.refs == 0
	b.mu.Unlock()
	if last {
		b.dropCacheOut(luid, true)
		return b.send([]any{"uncache", luid})
	}
	return nil
}

// unjellyCache makes (or finds) this side's copy of a cache the peer sent.
func (e *brokerExt) unjellyCache(s *jelly.UnScope, tag []byte, expr []any, mk func() any) (any, error) {
	b := e.b
	luid, ok := expr[1].(int64)
	if !ok {
		return nil, fmt.Errorf("%w: cache id is %T", jelly.ErrMalformed, expr[1])
	}
	b.mu.Lock()
	if _, dup := b.cachesIn[luid]; dup {
		b.mu.Unlock()
		return nil, fmt.Errorf("%w: cache id %d sent twice", jelly.ErrMalformed, luid)
	}
	if len(b.cachesIn) >= b.cfg.Limits.MaxReferences {
		b.mu.Unlock()
		return nil, fmt.Errorf("%w (received caches)", ErrTooManyReferences)
	}
	b.mu.Unlock()
	obj := mk()
	s.Bind(obj)
	state, err := s.Unjelly(expr[2])
	if err != nil {
		return nil, err
	}
	if rc, ok := obj.(RemoteCache); ok {
		err = rc.SetCacheState(s.Context(), state)
	} else if state != nil {
		err = jelly.Convert(state, obj)
	}
	if err != nil {
		return nil, fmt.Errorf("pb: cache %s state: %w", tag, err)
	}
	b.mu.Lock()
	b.cachesIn[luid] = &cacheIn{obj: obj, refs: 1}
	b.cacheIDs[obj] = luid
	b.mu.Unlock()
	e.receivedCaches = append(e.receivedCaches, luid)
	return obj, nil
}

// unjellyCached finds the copy for [cached, luid] and takes one more count.
func (e *brokerExt) unjellyCached(expr []any) (any, error) {
	if len(expr) != 2 {
		return nil, fmt.Errorf("%w: cached has %d fields", jelly.ErrMalformed, len(expr))
	}
	luid, ok := expr[1].(int64)
	if !ok {
		return nil, fmt.Errorf("%w: cache id is %T", jelly.ErrMalformed, expr[1])
	}
	b := e.b
	b.mu.Lock()
	defer b.mu.Unlock()
	ci := b.cachesIn[luid]
	if ci == nil {
		return nil, fmt.Errorf("%w: unknown cache id %d", jelly.ErrMalformed, luid)
	}
	ci.refs++
	e.receivedCaches = append(e.receivedCaches, luid)
	return ci.obj, nil
}

// ReleaseCache tells the peer that this side is done with its copy of a
// Cacheable (every time it was received): the peer stops sending changes.
// Copies that are never released are released when the connection ends.
func (b *Broker) ReleaseCache(copy any) {
	b.mu.Lock()
	luid, ok := b.cacheIDs[copy]
	b.mu.Unlock()
	if ok {
		b.releaseCacheID(luid)
	}
}

func (b *Broker) releaseCacheID(luid int64) {
	b.mu.Lock()
	ci := b.cachesIn[luid]
	n := 0
	if ci != nil && !b.closed {
		n = ci.refs
		ci.refs = 0
	}
	b.mu.Unlock()
	for i := 0; i < n; i++ {
		if b.send([]any{"decache", luid}) != nil {
			return
		}
	}
}

// releaseOneCache returns one count of a copy (used when a payload that
// named it turned out to be bad).
func (b *Broker) releaseOneCache(luid int64) {
	b.mu.Lock()
	ci := b.cachesIn[luid]
	ok := ci != nil && ci.refs > 0 && !b.closed
	if ok {
		ci.refs--
	}
	b.mu.Unlock()
	if ok {
		_ = b.send([]any{"decache", luid})
	}
}

// handleUncache drops a copy the exporter stopped serving.
func (b *Broker) handleUncache(luid int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	ci := b.cachesIn[luid]
	if ci == nil {
		return protocolErrorf("uncache of unknown cache id %d", luid)
	}
	delete(b.cachesIn, luid)
	delete(b.cacheIDs, ci.obj)
	return nil
}

// stopAllObserving tells every Cacheable still out that its observer is
// gone; the connection has ended.
func stopAllObserving(ctx context.Context, b *Broker, out map[int64]*cacheOut) {
	ids := make([]int64, 0, len(out))
	for id := range out {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		co := out[id]
		co.obj.StoppedObserving(withCallContext(ctx, b, co.persp), co.observer)
	}
}

// Live is a value many peers watch: it travels as a Cacheable whose state is
// {"value": v}, and every Set pushes setValue(v) to each observer, which a
// Twisted RemoteCache handles in observe_setValue and a Braid LiveCopy in
// ObserveSetValue. Live is safe for concurrent use.
type Live[T any] struct {
	class string

	mu        sync.Mutex
	value     T
	observers []*Observer
}

// NewLive returns a Live value of the given class name.
func NewLive[T any](class string, v T) *Live[T] {
	return &Live[T]{class: class, value: v}
}

// JellyClass returns the class name the value travels under.
func (l *Live[T]) JellyClass() string { return l.class }

// Get returns the current value.
func (l *Live[T]) Get() T {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.value
}

// Observers returns how many copies are being kept up to date.
func (l *Live[T]) Observers() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.observers)
}

// Set changes the value and pushes it to every observer, without waiting
// for them.
func (l *Live[T]) Set(ctx context.Context, v T) {
	l.Update(ctx, func(T) T { return v })
}

// Update changes the value with f, atomically, pushes the result to every
// observer and returns it.
func (l *Live[T]) Update(ctx context.Context, f func(T) T) T {
	l.mu.Lock()
	l.value = f(l.value)
	v := l.value
	obs := slices.Clone(l.observers)
	// Pushing under the lock keeps every observer's sequence of values in
	// the order of the updates.
	for _, o := range obs {
		_ = o.SendRemote(ctx, "setValue", v)
	}
	l.mu.Unlock()
	return v
}

// CacheState implements Cacheable.
func (l *Live[T]) CacheState(ctx context.Context, o *Observer) (any, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.observers = append(l.observers, o)
	return jelly.Dict{{Key: "value", Value: l.value}}, nil
}

// StoppedObserving implements Cacheable.
func (l *Live[T]) StoppedObserving(ctx context.Context, o *Observer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.observers = slices.DeleteFunc(l.observers, func(x *Observer) bool { return x == o })
}

// LiveCopy is a peer's copy of a Live value (or of any Cacheable with the
// same {"value": v} state and setValue updates). Register it for the class
// in Config.CacheTypes.
type LiveCopy[T any] struct {
	mu      sync.Mutex
	value   T
	changes chan T
}

// NewLiveCopy returns an empty copy; changes, if not nil, receives every
// value set after the first (a full channel drops the oldest waiting value
// rather than block the connection).
func NewLiveCopy[T any](changes chan T) *LiveCopy[T] {
	return &LiveCopy[T]{changes: changes}
}

// Get returns the latest value.
func (c *LiveCopy[T]) Get() T {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.value
}

// SetCacheState implements RemoteCache.
func (c *LiveCopy[T]) SetCacheState(ctx context.Context, state any) error {
	d, ok := state.(jelly.Dict)
	if !ok {
		return fmt.Errorf("pb: live value state is %T, not a dictionary", state)
	}
	v, _ := d.Get("value")
	var t T
	if err := jelly.Convert(v, &t); err != nil {
		return err
	}
	c.mu.Lock()
	c.value = t
	c.mu.Unlock()
	return nil
}

// ObserveSetValue receives a change.
func (c *LiveCopy[T]) ObserveSetValue(ctx context.Context, v T) error {
	c.mu.Lock()
	c.value = v
	c.mu.Unlock()
	if c.changes != nil {
		for {
			select {
			case c.changes <- v:
				return nil
			default:
			}
			select {
			case <-c.changes:
			default:
			}
		}
	}
	return nil
}
