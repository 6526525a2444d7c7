// Package jelly converts between Go values and Jelly expressions, the
// object layer of Twisted's Perspective Broker (spec pb-wire.md, section
// 2). A Jelly expression is a Banana s-expression tree made of int64,
// *big.Int, float64, byte strings and lists; package jelly/banana turns it
// into bytes. This package never touches bytes or connections.
//
//	v, err := jelly.Unjelly(ctx, expr, &jelly.Options{Registry: reg})
//	expr, err := jelly.Jelly(ctx, value, &jelly.Options{Registry: reg})
//
// Byte strings in expressions that Jelly produces may be Go strings (tags,
// unicode text) or []byte; Banana writes both as STRINGs. Expressions given
// to Unjelly use []byte (a Go string is accepted as the same thing).
//
// # Type mapping
//
// This table is the contract between Go and Python. Read a row left to
// right for sending (the Go values Jelly accepts, the expression it makes,
// the Python value a Twisted peer gets) and right to left for receiving
// (what a Python value arrives as, and the generic Go value Unjelly
// returns for it). Convert then assigns generic values to typed Go
// targets. Every row is tested both ways against Twisted 22.4
// (twisted_test.go).
//
//	Go value given to Jelly            jelly expression               Python value            Unjelly returns
//	---------------------------------  -----------------------------  ----------------------  -------------------------------
//	nil; nil pointer, map, interface   [None]                         None                    nil
//	  or slice (not a byte slice)
//	bool                               [boolean, b'true'|b'false']    bool                    bool
//	int, int8..int64, uint8..uint32,   bare int                       int                     int64
//	  uint, uint64, uintptr
//	*big.Int, big.Int, uint64>2^63-1   bare int (LONGINT/LONGNEG)     int                     int64 if it fits, else *big.Int
//	float32, float64                   bare float                     float                   float64
//	[]byte, any byte slice, [N]byte    bare string                    bytes                   []byte
//	string (must be valid UTF-8)       [unicode, b'utf-8 text']       str                     string (strict UTF-8)
//	List, other slices and arrays      [list, e1, ...]                list                    List
//	Tuple; Pair as (key, value)        [tuple, e1, ...]               tuple                   Tuple
//	Set                                [set, e1, ...]                 set                     Set
//	FrozenSet                          [frozenset, e1, ...]           frozenset               FrozenSet
//	Dict; map[K]V; unregistered        [dictionary, [k, v], ...]      dict                    Dict (sender's order)
//	  struct (exported fields)
//	time.Time                          [datetime, b'Y M D h m s us']  datetime.datetime       time.Time in time.UTC
//	Date                               [date, b'Y M D']               datetime.date           Date
//	TimeOfDay                          [time, b'h m s us']            datetime.time           TimeOfDay
//	time.Duration                      [timedelta, b'd s us']         datetime.timedelta      time.Duration
//	Decimal                            [decimal, coef, exp]           decimal.Decimal         Decimal
//	Unpersistable                      [unpersistable, b'reason']     jelly.Unpersistable     Unpersistable
//	registered T or *T; Classer        [b'pkg.Class', state]          RemoteCopy registered   *T (or the factory's result)
//	                                                                  for the class, or an
//	                                                                  allowed class instance
//	Instance                           [b'pkg.Class', state]          allowed class instance  Instance (class allowed, not registered)
//	(extension types)                  extension tags (remote, ...)   pb flavors              what the Extension returns
//	shared or cyclic objects           [reference, n, body],          same object twice       the same Go value twice
//	                                   [dereference, n]
//
// Details of the Go → jelly direction:
//
//   - Integers are sent by value; Banana chooses INT, NEG, LONGINT or
//     LONGNEG from the value. Banana cannot send magnitudes of 2^448 or more.
//   - A nil byte slice is sent as an empty byte string, not None; the nil
//     List, Tuple, Set, FrozenSet and Dict are sent empty. Other nil slices
//     and maps, and nil pointers, are None.
//   - A string must be valid UTF-8 (use []byte for binary data); otherwise
//     Jelly fails with ErrUnjellyable, because Python would refuse it.
//   - map[K]V is sent with its keys sorted when K is a string, integer,
//     float or bool kind, so output is deterministic; other key kinds go in
//     map order. Dict keeps its order and may hold keys Go maps cannot
//     ([]byte, Tuple).
//   - time.Time is sent as the wall clock in its own location (the location
//     itself is lost: Python's naive datetime), truncated to microseconds.
//     Years outside 1..9999 fail with ErrUnjellyable.
//   - time.Duration is normalised like Python: days of either sign, seconds
//     0..86399, microseconds 0..999999 (-1µs is "-1 86399 999999").
//     Sub-microsecond parts are truncated toward zero.
//   - Decimal carries the sign in Coef (so there is no negative zero, as in
//     Twisted, which drops it). NaN and infinities cannot be represented.
//   - Chan, func, complex and unsafe.Pointer values fail with
//     ErrUnjellyable, naming the Go type.
//
// Details of the jelly → Go direction:
//
//   - datetime, date, time and timedelta text is split on ASCII whitespace
//     and each field parsed like Python's int(). As in Python, datetime
//     takes 3 to 7 fields, date exactly 3, time 0 to 4 and timedelta 3;
//     values out of range are ErrMalformed. A timedelta beyond
//     time.Duration's ±292 years is ErrUnjellyable.
//   - A Python Copyable, or an instance of a class the sender's security
//     allows, arrives as [b'module.Class', state], and decodes to *T when
//     the class is registered, to Instance when Security.AllowClass allowed
//     it, and fails with ErrInsecure otherwise. An instance of a class the
//     Python sender does not allow arrives as Unpersistable{"instance of
//     class M.C deemed insecure"}.
//   - [persistent, x] becomes Unpersistable{"Persistent callback not
//     found"}, as in PB, which has no persistent store. Unpersistable keeps
//     the raw reason (Twisted's own object shows it as "Unpersistable data:
//     b'...'").
//   - Byte strings in the result may alias the expression.
//
// # Structs and field names
//
// An exported struct field named X is sent under the unicode key "x": the Go
// name with its first letter lower-cased (UserName → "userName", ID →
// "iD"). A tag `jelly:"name"` sets the key, and `jelly:"-"` skips the
// field. Unexported fields are skipped. Fields of embedded structs are
// promoted as in encoding/json. Fields go in declaration order.
//
// A struct whose type is registered (Registry.Register) or implements
// Classer jellies as [class, state]: Twisted's Copyable. Its state is what
// JellyState returns (StateGetter), or else the dictionary of its fields.
// Receiving [class, state] for a registered class makes a new *T and fills
// it with SetJellyState (StateSetter) or, else, with ConvertValue from the
// state dictionary (keys matched exactly, then case-insensitively; unknown
// keys ignored). A None state — which Python 3.11 sends for an instance
// with no attributes — counts as an empty dictionary. A struct that is
// neither registered nor a Classer is sent as a plain dictionary.
//
// # Typed values
//
// Convert (and ConvertValue) assign a generic value to a typed Go target,
// the way json.Unmarshal does: ints to any integer kind with an overflow
// check (and to *big.Int, big.Int and floats), floats to float kinds,
// string and []byte to each other (bytes into a string must be UTF-8),
// List, Tuple, Set and FrozenSet to slices and same-length arrays, Dict to
// maps and to structs (field names as above; unknown keys ignored), *T to
// T, nil to the zero value, and anything to an interface it satisfies.
// Errors name the path: `jelly: cannot convert jelly.List to int at [2]`.
// A container shared in the source is converted once, so sharing (and, for
// slice, map and pointer targets, cycles) carry over and a small expression
// cannot make Convert do exponential work.
//
// # References and cycles
//
// Within one Jelly call (one scope) the encoder tracks the identity of
// slices (data pointer, length and type, when the length is not zero),
// maps, and pointers to structs and arrays. The second time an object is
// met, anywhere, including inside itself, it gets the next id n: its first
// occurrence is rewritten in place to [reference, n, body] and this and
// every later occurrence become [dereference, n]. So ids follow second
// encounters, exactly as Twisted numbers them: with a=[1] and c=[2],
// [a, c, c, a] is [list, [reference, 2, [list, 1]], [reference, 1, [list,
// 2]], [dereference, 1], [dereference, 2]]. Strings, numbers, byte
// strings, times and other values are not tracked, as in Twisted. PB
// jellies arguments, keyword arguments and each answer in separate calls.
//
// Unjelly allocates a list, tuple, set, frozenset, dictionary or registered
// class value before decoding its contents, so a [dereference, n] inside
// its own [reference, n, ...] returns the same Go value (the same backing
// array or pointer): a Python cycle comes back as a Go cycle. A
// dereference to an id that is not yet defined, or to a value that cannot
// exist before its contents (an Instance, a factory's result, a string),
// is ErrMalformed, and so is an id defined twice. Sharing of empty
// containers is not kept: every zero-length Go slice looks alike, so a
// Python (d, d) with d = {} comes back as two empty Dicts and is sent on as
// two.
//
// # Security
//
// Unjelly accepts what the Options' Security allows; a nil Security is
// NewSecurity(), Twisted's globalSecurity: the basic tags None, boolean,
// unicode, list, tuple, dictionary, set, frozenset, datetime, date, time,
// timedelta, decimal, reference, dereference, unpersistable and
// persistent. Registered classes and Extension tags are always accepted.
// A dotted class name that is not registered decodes to Instance only if
// Security.AllowClass allowed it. Everything else fails with ErrInsecure:
// class, module, function, method, instance, copy, cache, unknown tags and
// unallowed class names, e.g.
//
//	jelly: insecure: class "__main__.Unregistered" not allowed
//
// Tags are resolved in Twisted's order: Extension, Registry, allowed tags
// (a dotted tag always passes this step), built-in decoders, allowed
// classes.
//
// # Extension hooks
//
// A higher layer (PB) plugs in an Extension: JellyExt sees every non-basic
// value first and may claim it (Referenceables become [remote, luid]);
// HandlesTag and UnjellyExt claim tags on the way in (remote, local,
// cached, lcache, cache classes). The hooks receive the Scope or UnScope so
// that nested values share the call's reference table; UnScope.Bind lets
// a value that contains itself be referenced while it is being decoded.
//
// # Limits and errors
//
// Options.MaxDepth (default 256) bounds nesting in both directions (one
// level per tagged list on the way in, per container, instance or pointer
// on the way out), so a
// deeply nested or cyclic value never exhausts the stack; exceeding it is
// ErrTooDeep. Sizes of strings and lists are bounded by the Banana decoder
// before expressions reach this package. Every error wraps one of
// ErrInsecure, ErrUnjellyable, ErrMalformed, ErrTooDeep, ErrConvert or
// ErrRegistry, or is a hook's (Extension, StateGetter, StateSetter,
// factory) own error, wrapped with context.
//
// Jelly and Unjelly keep no state between calls. A Registry and a Security
// may be shared by concurrent calls.
package jelly
