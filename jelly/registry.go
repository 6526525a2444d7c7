package jelly

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
)

// Registry maps class names (jelly tags such as "myapp.models.Point") to
// Go types, for pass-by-copy values: Twisted's setUnjellyableForClass and
// setUnjellyableFactoryForClass. A registered type T jellies, as T or *T,
// to [class, state], and [class, state] unjellies to a new *T.
//
// Registered classes are always accepted by Unjelly, whatever the Security
// says. A Registry is safe for concurrent use; register everything before
// the first connection to get deterministic behaviour.
type Registry struct {
	mu   sync.Mutex // serialises writers
	snap atomic.Pointer[registrySnap]
}

type registrySnap struct {
	byClass map[string]*classEntry
	byType  map[reflect.Type]string
}

type classEntry struct {
	class   string
	typ     reflect.Type // nil for a factory
	factory func(ctx context.Context, state any) (any, error)
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry { return &Registry{} }

func (r *Registry) load() *registrySnap {
	if r == nil {
		return nil
	}
	return r.snap.Load()
}

func (r *Registry) add(e *classEntry) error {
	if e.class == "" {
		return fmt.Errorf("%w: empty class name", ErrRegistry)
	}
	if basicTags[e.class] || reservedTags[e.class] {
		return fmt.Errorf("%w: class name %q is a built-in jelly tag", ErrRegistry, e.class)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.snap.Load()
	n := &registrySnap{byClass: map[string]*classEntry{}, byType: map[reflect.Type]string{}}
	if old != nil {
		if _, dup := old.byClass[e.class]; dup {
			return fmt.Errorf("%w: class %q is already registered", ErrRegistry, e.class)
		}
		if e.typ != nil {
			if c, dup := old.byType[e.typ]; dup {
				return fmt.Errorf("%w: type %v is already registered as class %q", ErrRegistry, e.typ, c)
			}
		}
		for k, v := range old.byClass {
			n.byClass[k] = v
		}
		for k, v := range old.byType {
			n.byType[k] = v
		}
	}
	n.byClass[e.class] = e
	if e.typ != nil {
		n.byType[e.typ] = e.class
	}
	r.snap.Store(n)
	return nil
}

// Register binds class to the type of v. v may be a value or a pointer of
// a named type T (usually a struct). Values of T and *T then jelly as
// [class, state], and Unjelly turns [class, state] into a new *T.
//
// The state is what T's JellyState method returns (StateGetter), or else,
// for a struct, a Dict of its exported fields keyed by unicode field names
// (see the package documentation for the naming rule), or, for another
// kind, the jelly of the underlying value. On receipt the state is handed to
// *T's SetJellyState method (StateSetter), or else converted into *T with
// ConvertValue. A None state is treated as an empty Dict.
//
// Each class and each type may be registered once.
func (r *Registry) Register(class string, v any) error {
	if v == nil {
		return fmt.Errorf("%w: Register(%q, nil): need a value or pointer of a named type", ErrRegistry, class)
	}
	t := reflect.TypeOf(v)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Name() == "":
		return fmt.Errorf("%w: Register(%q): type %v is not a named type", ErrRegistry, class, reflect.TypeOf(v))
	case t.Kind() == reflect.Pointer || t.Kind() == reflect.Interface || t.Kind() == reflect.Chan ||
		t.Kind() == reflect.Func || t.Kind() == reflect.UnsafePointer:
		return fmt.Errorf("%w: Register(%q): type %v cannot be copied", ErrRegistry, class, t)
	}
	return r.add(&classEntry{class: class, typ: t})
}

// RegisterFactory binds class to a factory, like Twisted's
// setUnjellyableFactoryForClass: Unjelly decodes the state generically
// (a None state becomes an empty Dict) and returns whatever f returns for
// it. A factory takes no part in encoding.
func (r *Registry) RegisterFactory(class string, f func(ctx context.Context, state any) (any, error)) error {
	if f == nil {
		return fmt.Errorf("%w: RegisterFactory(%q, nil)", ErrRegistry, class)
	}
	return r.add(&classEntry{class: class, factory: f})
}

// Lookup reports whether class is registered and, if it was registered
// with Register, its Go type T (decoded values are *T). For a class
// registered with RegisterFactory it returns (nil, true).
func (r *Registry) Lookup(class string) (reflect.Type, bool) {
	s := r.load()
	if s == nil {
		return nil, false
	}
	e, ok := s.byClass[class]
	if !ok {
		return nil, false
	}
	return e.typ, true
}

// ClassOf returns the class name registered for t, or for t's element type
// when t is a pointer.
func (r *Registry) ClassOf(t reflect.Type) (string, bool) {
	s := r.load()
	if s == nil || t == nil {
		return "", false
	}
	if c, ok := s.byType[t]; ok {
		return c, true
	}
	if t.Kind() == reflect.Pointer {
		c, ok := s.byType[t.Elem()]
		return c, ok
	}
	return "", false
}

func (r *Registry) entry(class []byte) *classEntry {
	s := r.load()
	if s == nil {
		return nil
	}
	return s.byClass[string(class)]
}

func (r *Registry) classOfType(t reflect.Type) (string, bool) {
	s := r.load()
	if s == nil {
		return "", false
	}
	c, ok := s.byType[t]
	return c, ok
}
