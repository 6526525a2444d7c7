package jelly

import "context"

// DefaultMaxDepth is the nesting bound used when Options.MaxDepth is 0.
const DefaultMaxDepth = 256

// Options configure one Jelly or Unjelly call. The zero value (or a nil
// *Options) means: no registered classes, NewSecurity defaults, no
// extension, DefaultMaxDepth.
type Options struct {
	// Registry holds the classes for pass-by-copy values; nil means none.
	Registry *Registry
	// Security decides what may be unjellied; nil means NewSecurity().
	Security *Security
	// Extension owns tags and Go types of a higher layer (PB's remote
	// references and caches); nil means none.
	Extension Extension
	// MaxDepth bounds the nesting of values in both directions; 0 means
	// DefaultMaxDepth. Unjelly counts one level per tagged list (reference
	// wrappers included); Jelly counts one per container, class instance,
	// pointer or other non-basic value. Exceeding it is ErrTooDeep.
	MaxDepth int
}

func (o *Options) maxDepth() int {
	if o == nil || o.MaxDepth <= 0 {
		return DefaultMaxDepth
	}
	return o.MaxDepth
}

// Extension lets a higher layer (PB) own some Go types and some tags.
// Implementations are called synchronously from Jelly and Unjelly and must
// not retain the Scope or UnScope after returning.
type Extension interface {
	// JellyExt returns the expression for v when v is of a kind the
	// extension owns (ok=false otherwise). It is consulted before the
	// built-in rules for every value that is not a basic type: nil,
	// bool, integers (including *big.Int), floats, string, []byte and nil
	// pointers, slices and maps are never passed to it. Nested values
	// should be jellied with s.Jelly so that they share the caller's
	// reference scope. Values the extension returns are not tracked for
	// references; the extension keeps its own identities (luids).
	JellyExt(ctx context.Context, s *Scope, v any) (expr any, ok bool, err error)
	// HandlesTag reports whether UnjellyExt owns this tag (for PB:
	// "remote", "local", "cached", "lcache", or a cache class name). An
	// owned tag is accepted whatever the Security says, and takes
	// precedence over the Registry and the built-in tags.
	HandlesTag(tag []byte) bool
	// UnjellyExt decodes [tag, ...] for a tag it owns; expr is the whole
	// list including the tag. tag and expr are read-only. Nested values should be decoded with
	// s.Unjelly. If the value can be referenced from inside itself (it is
	// the body of a [reference, n, body]), call s.Bind with it before
	// decoding nested values.
	UnjellyExt(ctx context.Context, s *UnScope, tag []byte, expr []any) (any, error)
}

// StateGetter is implemented by a pass-by-copy type that chooses its own
// state, like Twisted's getStateToCopy. JellyState's result is jellied in
// place of the exported fields.
type StateGetter interface {
	JellyState(ctx context.Context) (any, error)
}

// StateSetter is implemented (usually by *T) by a registered type that
// restores itself from a generic state, like Twisted's setCopyableState.
// state is the unjellied state (usually a Dict); a None state arrives as
// an empty Dict.
type StateSetter interface {
	SetJellyState(ctx context.Context, state any) error
}

// Classer is implemented by a type that chooses its class name (jelly tag)
// for encoding, like Twisted's getTypeToCopy. Such a value jellies as
// [JellyClass(), state] even when its type is not registered; decoding the
// class on the other side needs a registration there.
type Classer interface {
	JellyClass() string
}

// Jelly turns a Go value into a jelly expression, ready for a Banana (or
// other) encoder. Each call is a fresh reference scope: ids start at 1.
// The returned tree must be treated as read-only; nodes may be shared.
// See the package documentation for the mapping.
func Jelly(ctx context.Context, v any, o *Options) (any, error) {
	s := newScope(ctx, o)
	return s.top(v)
}

// Unjelly turns a jelly expression into a Go value of the generic model
// described in the package documentation. Each call is a fresh reference
// scope. Byte strings in the result may alias the expression.
func Unjelly(ctx context.Context, expr any, o *Options) (any, error) {
	s := newUnScope(ctx, o)
	return s.Unjelly(expr)
}
