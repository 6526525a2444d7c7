package pb

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"sync/atomic"

	"github.com/braidkit/braid/jelly"
)

// Referenceable marks a type whose values are passed by reference: embed it
// in a struct, and a *T sent to the peer arrives there as a RemoteReference
// whose calls run T's Remote* methods here.
//
//	type Counter struct {
//		pb.Referenceable
//		n int
//	}
//
//	func (c *Counter) RemoteAdd(ctx context.Context, d int) (int, error)
type Referenceable struct{}

func (Referenceable) pbReferenceable() {}

// Viewable marks a type whose values are passed by reference bound to the
// perspective (avatar) that sent them: calls run its View* methods, which
// take the context, then the calling perspective, then the arguments.
type Viewable struct{}

func (Viewable) pbViewable() {}

type referencer interface{ pbReferenceable() }
type viewer interface{ pbViewable() }

// byReference reports whether v travels as a reference, and with which
// dispatch prefix.
func byReference(v any) (kind string, ok bool) {
	switch v.(type) {
	case viewer:
		return prefixView, true
	case referencer, Handler:
		return prefixRemote, true
	}
	return "", false
}

// RemoteReference is a reference to an object exported by the peer. Its
// methods are safe for concurrent use.
//
// Each reference the peer sends arrives as its own RemoteReference and holds
// one count on the peer's object. Call Release when done with it; a
// reference that becomes unreachable is released by the garbage collector,
// but later than you may want.
type RemoteReference struct {
	b        *Broker
	luid     int64
	name     string // set for named objects such as the root; never released
	id       any    // luid or name, boxed once for the messages that name it
	released atomic.Bool
	cleanup  runtime.Cleanup
}

type decrefTicket struct {
	b    *Broker
	luid int64
}

func newRemoteReference(b *Broker, luid int64) *RemoteReference {
	r := &RemoteReference{b: b, luid: luid, id: luid}
	r.cleanup = runtime.AddCleanup(r, func(t decrefTicket) { t.b.sendDecref(t.luid) }, decrefTicket{b, luid})
	return r
}

// Broker returns the connection the reference belongs to.
func (r *RemoteReference) Broker() *Broker { return r.b }

// String describes the reference for logs.
func (r *RemoteReference) String() string {
	if r.name != "" {
		return fmt.Sprintf("<RemoteReference %q on %s>", r.name, r.b.RemoteAddr())
	}
	return fmt.Sprintf("<RemoteReference %d on %s>", r.luid, r.b.RemoteAddr())
}

// Release tells the peer that this reference is no longer used. Calls on it
// fail with ErrDeadReference afterwards. Releasing twice, or releasing the
// root, does nothing.
func (r *RemoteReference) Release() {
	if r.name != "" || !r.released.CompareAndSwap(false, true) {
		return
	}
	r.cleanup.Stop()
	r.b.sendDecref(r.luid)
}

// objectID is the value that names the target in a message.
func (r *RemoteReference) objectID() any { return r.id }

// CallRemote calls a method of the remote object and waits for its answer.
// The method name is sent as written; a Twisted peer runs remote_<method>.
// Arguments are jellied (see package jelly); a Referenceable argument is
// passed by reference. The result is an unjellied value, and a
// *RemoteReference for each reference it contains.
//
// CallRemote returns when the answer arrives, when ctx is done (the call is
// then abandoned locally; its answer is dropped), or when the connection is
// lost (ErrConnectionLost).
func (r *RemoteReference) CallRemote(ctx context.Context, method string, args ...any) (any, error) {
	return r.CallRemoteKw(ctx, method, args, nil)
}

// CallRemoteKw is CallRemote with keyword arguments.
func (r *RemoteReference) CallRemoteKw(ctx context.Context, method string, args []any, kwargs Kwargs) (any, error) {
	if r.released.Load() {
		return nil, fmt.Errorf("%w: %s was released", ErrDeadReference, r)
	}
	return r.b.call(ctx, r.objectID(), method, args, kwargs, true)
}

// SendRemote calls a method without asking for an answer (Twisted's
// pbanswer=False): the peer runs it and replies nothing, not even an error.
func (r *RemoteReference) SendRemote(ctx context.Context, method string, args ...any) error {
	if r.released.Load() {
		return fmt.Errorf("%w: %s was released", ErrDeadReference, r)
	}
	_, err := r.b.call(ctx, r.objectID(), method, args, nil, false)
	return err
}

// Call calls a remote method and converts its result to T with
// jelly.Convert.
func Call[T any](ctx context.Context, r *RemoteReference, method string, args ...any) (T, error) {
	var zero T
	if r.released.Load() {
		return zero, fmt.Errorf("%w: %s was released", ErrDeadReference, r)
	}
	var typ reflect.Type
	if t := reflect.TypeFor[T](); jelly.TypedDecodable(t) {
		typ = t
	}
	v, rv, err := r.b.callCommand(ctx, "message", r.objectID(), method, args, nil, true, PerspectiveFromContext(ctx), typ)
	if err != nil {
		return zero, err
	}
	if rv.IsValid() {
		return *rv.Interface().(*T), nil
	}
	return convertResult[T](v, method)
}

// convertResult converts an unjellied answer to T. It is kept apart from
// Call so that Call's own result does not escape to the heap.
func convertResult[T any](v any, method string) (T, error) {
	var out T
	if err := jelly.ConvertValue(v, reflect.ValueOf(&out).Elem()); err != nil {
		return out, fmt.Errorf("pb: result of %s: %w", method, err)
	}
	return out, nil
}
