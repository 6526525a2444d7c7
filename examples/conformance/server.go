package main

import (
	"context"
	"fmt"
	"math/big"
	"sync"

	"github.com/braidkit/braid/db"
	"github.com/braidkit/braid/pb"
)

// Failure is the error fail(message) raises. It crosses the wire with the
// type name conformance.Failure, so Twisted code can trap it by that name.
type Failure struct{ Message string }

func (f *Failure) Error() string { return f.Message }

// PBType names the error on the wire.
func (f *Failure) PBType() string { return "conformance.Failure" }

// Root is the conformance root; each connection gets its own, so that a
// reference stored by one client is not visible to another.
type Root struct {
	pb.Referenceable
	counter *counterValue
	db      *db.Facade // nil without -db

	mu     sync.Mutex
	stored *pb.RemoteReference
}

// RemoteEcho returns its argument unchanged.
func (r *Root) RemoteEcho(ctx context.Context, x any) (any, error) { return x, nil }

// RemoteAdd adds two numbers: ints of any size, or floats.
func (r *Root) RemoteAdd(ctx context.Context, a, b any) (any, error) { return add(a, b) }

// RemoteFail returns a conformance.Failure carrying message.
func (r *Root) RemoteFail(ctx context.Context, message string) error {
	return &Failure{Message: message}
}

// RemoteChild returns a new Child called name, passed by reference.
func (r *Root) RemoteChild(ctx context.Context, name string) (*Child, error) {
	return &Child{name: name}, nil
}

// RemoteStore keeps a reference to an object of the caller's.
func (r *Root) RemoteStore(ctx context.Context, ref *pb.RemoteReference) error {
	r.mu.Lock()
	old := r.stored
	r.stored = ref
	r.mu.Unlock()
	if old != nil && old != ref {
		old.Release()
	}
	return nil
}

// RemoteCallStored calls method on the stored reference and returns its
// answer: the server calling back into the client.
func (r *Root) RemoteCallStored(ctx context.Context, method string, args ...any) (any, error) {
	r.mu.Lock()
	ref := r.stored
	r.mu.Unlock()
	if ref == nil {
		return nil, fmt.Errorf("nothing stored")
	}
	return ref.CallRemote(ctx, method, args...)
}

// RemoteRefs returns how many objects the server exports to this
// connection, not counting the root.
func (r *Root) RemoteRefs(ctx context.Context) (int, error) {
	return pb.BrokerFromContext(ctx).ExportCount(), nil
}

// RemoteDb returns the database facade (-db), passed by reference.
func (r *Root) RemoteDb(ctx context.Context) (*db.Facade, error) {
	if r.db == nil {
		return nil, fmt.Errorf("no database: start the server with -db DSN")
	}
	return r.db, nil
}

// Child is a small stateful object handed out by reference.
type Child struct {
	pb.Referenceable

	name string
	mu   sync.Mutex
	v    any
}

// RemoteName returns the child's name.
func (c *Child) RemoteName(ctx context.Context) (string, error) { return c.name, nil }

// RemoteSet stores v.
func (c *Child) RemoteSet(ctx context.Context, v any) error {
	c.mu.Lock()
	c.v = v
	c.mu.Unlock()
	return nil
}

// RemoteGet returns the last value stored, or None.
func (c *Child) RemoteGet(ctx context.Context) (any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.v, nil
}

// add implements Python's + for the numbers Jelly carries.
func add(a, b any) (any, error) {
	fa, aFloat := a.(float64)
	fb, bFloat := b.(float64)
	if aFloat || bFloat {
		if !aFloat {
			x, ok := toBig(a)
			if !ok {
				return nil, typeError(a, b)
			}
			fa, _ = new(big.Float).SetInt(x).Float64()
		}
		if !bFloat {
			x, ok := toBig(b)
			if !ok {
				return nil, typeError(a, b)
			}
			fb, _ = new(big.Float).SetInt(x).Float64()
		}
		return fa + fb, nil
	}
	x, ok1 := toBig(a)
	y, ok2 := toBig(b)
	if !ok1 || !ok2 {
		return nil, typeError(a, b)
	}
	s := new(big.Int).Add(x, y)
	if s.IsInt64() {
		return s.Int64(), nil
	}
	return s, nil
}

func toBig(v any) (*big.Int, bool) {
	switch v := v.(type) {
	case int64:
		return big.NewInt(v), true
	case *big.Int:
		return v, true
	case bool:
		if v {
			return big.NewInt(1), true
		}
		return big.NewInt(0), true
	}
	return nil, false
}

func typeError(a, b any) error {
	return &pb.RemoteError{Type: pb.TypeTypeError, Value: fmt.Sprintf("unsupported operand types for +: %T and %T", a, b)}
}
