package pb

import (
	"context"
	"fmt"
	"reflect"

	"github.com/braidkit/braid/jelly"
)

// brokerExt teaches jelly the PB flavours: references travel as
// [remote, luid] and come back as [local, luid]; failures travel as
// CopyableFailure instances.
type brokerExt struct {
	b     *Broker
	persp any
	// received and receivedCaches collect the references and cache counts
	// taken while unjellying one payload, so they can be returned if the
	// payload turns out to be bad.
	received       []*RemoteReference
	receivedCaches []int64
}

type ctxKey int

const (
	brokerKey ctxKey = iota
	perspectiveKey
)

// withCallContext returns ctx carrying the broker and the perspective a call
// runs under.
func withCallContext(ctx context.Context, b *Broker, persp any) context.Context {
	ctx = context.WithValue(ctx, brokerKey, b)
	if persp != nil {
		ctx = context.WithValue(ctx, perspectiveKey, persp)
	}
	return ctx
}

// BrokerFromContext returns the connection a handler's call arrived on.
func BrokerFromContext(ctx context.Context) *Broker {
	b, _ := ctx.Value(brokerKey).(*Broker)
	return b
}

// PerspectiveFromContext returns the perspective (the logged-in avatar) a
// call runs under, or nil for calls outside a login.
func PerspectiveFromContext(ctx context.Context) any {
	return ctx.Value(perspectiveKey)
}

func (e *brokerExt) JellyExt(ctx context.Context, s *jelly.Scope, v any) (any, bool, error) {
	switch v := v.(type) {
	case exportedRef:
		return []any{"remote", v.luid}, true, nil
	case *RemoteReference:
		if v.b != e.b {
			return nil, true, fmt.Errorf("pb: %s belongs to another connection; references cannot be passed on", v)
		}
		if v.name != "" {
			return []any{"local", v.name}, true, nil
		}
		return []any{"local", v.luid}, true, nil
	}
	if reflect.TypeOf(v).Kind() == reflect.Pointer {
		e.b.mu.Lock()
		luid, isCopy := e.b.cacheIDs[v]
		e.b.mu.Unlock()
		if isCopy {
			return []any{"lcache", luid}, true, nil
		}
	}
	if c, ok := v.(Cacheable); ok {
		expr, err := e.jellyCacheable(ctx, s, c)
		return expr, true, err
	}
	kind, ok := byReference(v)
	if !ok {
		return nil, false, nil
	}
	if !reflect.TypeOf(v).Comparable() {
		return nil, true, fmt.Errorf("pb: %T is passed by reference and must be a pointer", v)
	}
	var persp any
	if kind == prefixView {
		persp = e.persp
	}
	luid, err := e.b.exportObject(v, kind, persp)
	if err != nil {
		return nil, true, err
	}
	return []any{"remote", luid}, true, nil
}

func (e *brokerExt) HandlesTag(tag []byte) bool {
	switch string(tag) {
	case "remote", "local", "cached", "lcache", TypeCopyableFail:
		return true
	}
	_, ok := e.b.cfg.CacheTypes[string(tag)]
	return ok
}

func (e *brokerExt) UnjellyExt(ctx context.Context, s *jelly.UnScope, tag []byte, expr []any) (any, error) {
	switch string(tag) {
	case "remote":
		if len(expr) != 2 {
			return nil, fmt.Errorf("%w: remote reference has %d fields", jelly.ErrMalformed, len(expr))
		}
		luid, ok := expr[1].(int64)
		if !ok {
			return nil, fmt.Errorf("%w: remote reference id is %T", jelly.ErrMalformed, expr[1])
		}
		r := newRemoteReference(e.b, luid)
		e.received = append(e.received, r)
		return r, nil
	case "local":
		if len(expr) != 2 {
			return nil, fmt.Errorf("%w: local reference has %d fields", jelly.ErrMalformed, len(expr))
		}
		switch id := expr[1].(type) {
		case int64:
			return e.b.localObject(id), nil
		case []byte:
			if ex := e.b.lookupExport(id); ex != nil {
				return ex.obj, nil
			}
			return nil, nil
		}
		return nil, fmt.Errorf("%w: local reference id is %T", jelly.ErrMalformed, expr[1])
	case "cached":
		return e.unjellyCached(expr)
	case "lcache":
		if len(expr) != 2 {
			return nil, fmt.Errorf("%w: lcache has %d fields", jelly.ErrMalformed, len(expr))
		}
		luid, _ := expr[1].(int64)
		e.b.mu.Lock()
		co := e.b.cachesOut[luid]
		e.b.mu.Unlock()
		if co == nil {
			return nil, fmt.Errorf("%w: lcache of unknown cache id %v", jelly.ErrMalformed, expr[1])
		}
		return co.obj, nil
	case TypeCopyableFail:
		if len(expr) != 2 {
			return nil, fmt.Errorf("%w: CopyableFailure has %d fields", jelly.ErrMalformed, len(expr))
		}
		state, err := s.Unjelly(expr[1])
		if err != nil {
			return nil, err
		}
		return failureFromState(state)
	}
	if mk := e.b.cfg.CacheTypes[string(tag)]; mk != nil && len(expr) == 3 {
		return e.unjellyCache(s, tag, expr, mk)
	}
	return nil, fmt.Errorf("%w: pb cannot unjelly %q", jelly.ErrInsecure, tag)
}

// jelly turns a value into an expression for this connection, serializing
// Viewables, Copyables and Cacheables for the perspective persp.
func (b *Broker) jelly(v any, persp any) (any, error) {
	ext := &brokerExt{b: b, persp: persp}
	ctx := b.ctx
	if persp != nil {
		ctx = context.WithValue(ctx, perspectiveKey, persp)
	}
	return jelly.Jelly(ctx, v, &jelly.Options{Registry: b.cfg.Registry, Security: b.cfg.Security, Extension: ext})
}

// unjelly turns a received expression into values. If it fails, references
// already made from it are released, so the peer's counts stay right.
func (b *Broker) unjelly(expr any) (any, error) {
	ext := &brokerExt{b: b}
	v, err := jelly.Unjelly(b.ctx, expr, &jelly.Options{Registry: b.cfg.Registry, Security: b.cfg.Security, Extension: ext})
	if err != nil {
		for _, r := range ext.received {
			r.Release()
		}
		for _, luid := range ext.receivedCaches {
			b.releaseOneCache(luid)
		}
		return nil, err
	}
	return v, nil
}
