package jelly

import "errors"

// Sentinel errors. Every error returned by this package wraps exactly one of
// them (or, for values produced by hooks, the hook's own error), so callers
// can classify a failure with errors.Is.
var (
	// ErrInsecure is wrapped when the input names a tag or class that the
	// Security in force does not allow: class, module, function, method,
	// instance, copy, cache, unknown undotted tags and dotted class names
	// that are neither registered nor allowed. It is Twisted's InsecureJelly.
	ErrInsecure = errors.New("jelly: insecure")

	// ErrUnjellyable is wrapped when a value has no form on the other side:
	// a Go value with no jelly form (a channel, a function, a complex
	// number, a string that is not UTF-8, a time outside Python's years
	// 1..9999) or a jelly value with no Go form (a timedelta beyond
	// time.Duration).
	ErrUnjellyable = errors.New("jelly: unjellyable")

	// ErrMalformed is wrapped when an expression is not valid jelly: an
	// untagged or empty list, a wrong number of fields, a field of the
	// wrong kind, bad date text, invalid UTF-8 in a unicode string, or a
	// dereference to an unknown id.
	ErrMalformed = errors.New("jelly: malformed")

	// ErrTooDeep is wrapped when values nest deeper than Options.MaxDepth,
	// in either direction.
	ErrTooDeep = errors.New("jelly: nesting too deep")

	// ErrConvert is wrapped by Convert and ConvertValue when a generic value
	// does not fit the Go target type. Unjelly wraps it, together with
	// ErrMalformed, when the state of a registered class does not fit the
	// registered type.
	ErrConvert = errors.New("jelly: cannot convert")

	// ErrRegistry is wrapped by Registry.Register and
	// Registry.RegisterFactory when a registration is refused.
	ErrRegistry = errors.New("jelly: registry")
)
