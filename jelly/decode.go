package jelly

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"time"
	"unicode/utf8"
	"unsafe"
)

// refState is one entry of the decoder's reference table.
type refState struct {
	v     any
	ready bool // v may be returned for a dereference
}

// UnScope is the state of one Unjelly call: the reference table and the
// depth. An Extension receives it to unjelly nested values in the same
// scope.
type UnScope struct {
	ctx      context.Context
	reg      *Registry
	sec      *Security
	ext      Extension
	maxDepth int
	depth    int
	refs     map[int64]*refState

	// pending is the reference id whose body is about to be decoded; the
	// next list handler takes it (hasPending) so that a container can be
	// bound before its children are decoded.
	pending    int64
	hasPending bool
	// extRef is the id an Extension may Bind while UnjellyExt runs.
	extRef    int64
	hasExtRef bool

	intern map[string]any // short dictionary keys, see dictKey
}

func newUnScope(ctx context.Context, o *Options) *UnScope {
	if ctx == nil {
		ctx = context.Background()
	}
	s := &UnScope{ctx: ctx, maxDepth: o.maxDepth()}
	if o != nil {
		s.reg = o.Registry
		s.sec = o.Security
		s.ext = o.Extension
	}
	return s
}

// Context returns the context of the Unjelly call.
func (s *UnScope) Context() context.Context { return s.ctx }

// Bind records v as the value of the reference being defined, when the
// expression an Extension is decoding is the body of [reference, n, body].
// Call it before decoding nested values that may dereference n (a cycle).
// Otherwise it does nothing.
func (s *UnScope) Bind(v any) {
	if s.hasExtRef {
		s.bind(s.extRef, v)
		s.hasExtRef = false
	}
}

func (s *UnScope) bind(id int64, v any) {
	s.refs[id] = &refState{v: v, ready: true}
}

// Interning of short dictionary keys: record-like dictionaries repeat the
// same few keys, and a shared string saves two allocations per key.
const (
	internMaxLen     = 64
	internMaxEntries = 1024
)

// dictKey decodes a dictionary key, sharing the Go string of short unicode
// keys within the call.
func (s *UnScope) dictKey(e any) (any, error) {
	if kl, ok := e.([]any); ok && len(kl) == 2 {
		tag, ok1 := kl[0].([]byte)
		b, ok2 := kl[1].([]byte)
		if ok1 && ok2 && string(tag) == "unicode" && len(b) <= internMaxLen &&
			(s.ext == nil || !s.ext.HandlesTag(tag)) && s.reg.entry(tag) == nil && s.sec.tagAllowedBytes(tag) {
			if v, ok := s.intern[string(b)]; ok {
				return v, nil
			}
			if !utf8.Valid(b) {
				return nil, malformed("unicode value %.40q is not valid UTF-8", b)
			}
			var v any = string(b)
			if s.intern == nil {
				s.intern = make(map[string]any, 8)
			}
			if len(s.intern) < internMaxEntries {
				s.intern[v.(string)] = v
			}
			return v, nil
		}
	}
	return s.Unjelly(e)
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// Unjelly decodes expr in this scope (for an Extension's nested values).
func (s *UnScope) Unjelly(expr any) (any, error) {
	switch x := expr.(type) {
	case int64, float64, []byte:
		return expr, nil
	case []any:
		return s.list(x)
	case *big.Int:
		if x == nil {
			return nil, malformed("nil *big.Int in expression")
		}
		if x.IsInt64() {
			return x.Int64(), nil
		}
		return x, nil
	case string:
		return []byte(x), nil
	case int:
		return int64(x), nil
	}
	return nil, malformed("unexpected expression of Go type %T", expr)
}

// tagBytes returns a byte-string expression's bytes. A Go string (which
// callers may use when building expressions by hand) is viewed in place,
// without copying; the result must not be modified.
func tagBytes(x any) ([]byte, bool) {
	switch t := x.(type) {
	case []byte:
		return t, true
	case string:
		return unsafe.Slice(unsafe.StringData(t), len(t)), true
	}
	return nil, false
}

func wantLen(l []any, tag []byte, n int) error {
	if len(l) != n {
		return malformed("[%s ...] needs %d fields, got %d", tag, n-1, len(l)-1)
	}
	return nil
}

// list decodes a tagged list, resolving the tag in Twisted's order: the
// extension's tags, the registry, the security check, the built-in tags,
// then allowed dotted class names.
func (s *UnScope) list(l []any) (any, error) {
	ref, hasRef := s.pending, s.hasPending
	s.hasPending = false
	if len(l) == 0 {
		return nil, malformed("empty list")
	}
	tag, ok := tagBytes(l[0])
	if !ok {
		return nil, malformed("list does not start with a tag (first element is %T)", l[0])
	}
	s.depth++
	defer func() { s.depth-- }()
	if s.depth > s.maxDepth {
		return nil, fmt.Errorf("%w: more than %d levels", ErrTooDeep, s.maxDepth)
	}
	if s.ext != nil && s.ext.HandlesTag(tag) {
		oldRef, oldHas := s.extRef, s.hasExtRef
		s.extRef, s.hasExtRef = ref, hasRef
		v, err := s.ext.UnjellyExt(s.ctx, s, tag, l)
		s.extRef, s.hasExtRef = oldRef, oldHas
		return v, err
	}
	if e := s.reg.entry(tag); e != nil {
		return s.class(e, tag, l, ref, hasRef)
	}
	dotted := bytes.IndexByte(tag, '.') >= 0
	if !dotted && !s.sec.tagAllowedBytes(tag) {
		return nil, fmt.Errorf("%w: tag %q not allowed", ErrInsecure, tag)
	}
	switch string(tag) {
	case "None":
		if err := wantLen(l, tag, 1); err != nil {
			return nil, err
		}
		return nil, nil
	case "boolean":
		if err := wantLen(l, tag, 2); err != nil {
			return nil, err
		}
		b, _ := tagBytes(l[1])
		switch string(b) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, malformed("boolean value %v is neither true nor false", l[1])
	case "unicode":
		if err := wantLen(l, tag, 2); err != nil {
			return nil, err
		}
		b, ok := tagBytes(l[1])
		if !ok {
			return nil, malformed("unicode value is %T, not bytes", l[1])
		}
		if !utf8.Valid(b) {
			return nil, malformed("unicode value %.40q is not valid UTF-8", b)
		}
		return string(b), nil
	case "list":
		out := make(List, len(l)-1)
		if hasRef {
			s.bind(ref, out)
		}
		return out, s.elems(out, l)
	case "tuple":
		out := make(Tuple, len(l)-1)
		if hasRef {
			s.bind(ref, out)
		}
		return out, s.elems(out, l)
	case "set":
		out := make(Set, len(l)-1)
		if hasRef {
			s.bind(ref, out)
		}
		return out, s.elems(out, l)
	case "frozenset":
		out := make(FrozenSet, len(l)-1)
		if hasRef {
			s.bind(ref, out)
		}
		return out, s.elems(out, l)
	case "dictionary":
		out := make(Dict, len(l)-1)
		if hasRef {
			s.bind(ref, out)
		}
		for j, e := range l[1:] {
			kv, ok := e.([]any)
			if !ok || len(kv) != 2 {
				return nil, malformed("dictionary entry %d is not a [key, value] pair", j)
			}
			k, err := s.dictKey(kv[0])
			if err != nil {
				return nil, err
			}
			v, err := s.Unjelly(kv[1])
			if err != nil {
				return nil, err
			}
			out[j] = Pair{Key: k, Value: v}
		}
		return out, nil
	case "datetime":
		f, err := timeFields(l, tag, 3, 7)
		if err != nil {
			return nil, err
		}
		if !validDate(f[0], f[1], f[2]) || !validClock(f[3], f[4], f[5], f[6]) {
			return nil, malformed("datetime %q out of range", l[1])
		}
		return time.Date(int(f[0]), time.Month(f[1]), int(f[2]), int(f[3]), int(f[4]), int(f[5]), int(f[6])*1000, time.UTC), nil
	case "date":
		f, err := timeFields(l, tag, 3, 3)
		if err != nil {
			return nil, err
		}
		if !validDate(f[0], f[1], f[2]) {
			return nil, malformed("date %q out of range", l[1])
		}
		return Date{Year: int(f[0]), Month: time.Month(f[1]), Day: int(f[2])}, nil
	case "time":
		f, err := timeFields(l, tag, 0, 4)
		if err != nil {
			return nil, err
		}
		if !validClock(f[0], f[1], f[2], f[3]) {
			return nil, malformed("time %q out of range", l[1])
		}
		return TimeOfDay{Hour: int(f[0]), Minute: int(f[1]), Second: int(f[2]), Microsecond: int(f[3])}, nil
	case "timedelta":
		f, err := timeFields(l, tag, 3, 3)
		if err != nil {
			return nil, err
		}
		return timedelta(f[0], f[1], f[2])
	case "decimal":
		return decimal(l, tag)
	case "unpersistable":
		if err := wantLen(l, tag, 2); err != nil {
			return nil, err
		}
		b, ok := tagBytes(l[1])
		if !ok {
			return nil, malformed("unpersistable reason is %T, not bytes", l[1])
		}
		return Unpersistable{Reason: string(b)}, nil
	case "persistent":
		if err := wantLen(l, tag, 2); err != nil {
			return nil, err
		}
		return Unpersistable{Reason: "Persistent callback not found"}, nil
	case "reference":
		return s.reference(l, tag)
	case "dereference":
		if err := wantLen(l, tag, 2); err != nil {
			return nil, err
		}
		id, ok := l[1].(int64)
		if !ok {
			return nil, malformed("dereference id is %T, not an int", l[1])
		}
		r := s.refs[id]
		if r == nil {
			return nil, malformed("dereference to unknown id %d", id)
		}
		if !r.ready {
			return nil, malformed("dereference to id %d inside its own definition, whose value cannot be built before its contents", id)
		}
		return r.v, nil
	case "class", "module", "function", "method", "instance":
		return nil, fmt.Errorf("%w: tag %q has no Go meaning", ErrInsecure, tag)
	}
	if dotted {
		if !s.sec.classAllowedBytes(tag) {
			return nil, fmt.Errorf("%w: class %q not allowed", ErrInsecure, tag)
		}
		if err := wantLen(l, tag, 2); err != nil {
			return nil, err
		}
		state, err := s.Unjelly(l[1])
		if err != nil {
			return nil, err
		}
		if state == nil {
			state = Dict{}
		}
		return Instance{Class: string(tag), State: state}, nil
	}
	return nil, fmt.Errorf("%w: tag %q has no decoder", ErrInsecure, tag)
}

func (s *UnScope) elems(out []any, l []any) error {
	for j, e := range l[1:] {
		v, err := s.Unjelly(e)
		if err != nil {
			return err
		}
		out[j] = v
	}
	return nil
}

func (s *UnScope) reference(l []any, tag []byte) (any, error) {
	if err := wantLen(l, tag, 3); err != nil {
		return nil, err
	}
	id, ok := l[1].(int64)
	if !ok {
		return nil, malformed("reference id is %T, not an int", l[1])
	}
	if s.refs == nil {
		s.refs = map[int64]*refState{}
	}
	if _, dup := s.refs[id]; dup {
		return nil, malformed("reference id %d defined twice", id)
	}
	s.refs[id] = &refState{}
	s.pending, s.hasPending = id, true
	v, err := s.Unjelly(l[2])
	s.hasPending = false
	if err != nil {
		return nil, err
	}
	r := s.refs[id]
	r.v, r.ready = v, true
	return v, nil
}

// class decodes [class, state] for a registered class.
func (s *UnScope) class(e *classEntry, tag []byte, l []any, ref int64, hasRef bool) (any, error) {
	if err := wantLen(l, tag, 2); err != nil {
		return nil, err
	}
	if e.typ == nil {
		state, err := s.Unjelly(l[1])
		if err != nil {
			return nil, err
		}
		if state == nil {
			state = Dict{}
		}
		v, err := e.factory(s.ctx, state)
		if err != nil {
			return nil, fmt.Errorf("jelly: factory for class %q: %w", e.class, err)
		}
		return v, nil
	}
	p := reflect.New(e.typ)
	pv := p.Interface()
	if hasRef {
		s.bind(ref, pv)
	}
	state, err := s.Unjelly(l[1])
	if err != nil {
		return nil, err
	}
	if state == nil {
		state = Dict{}
	}
	if setter, ok := pv.(StateSetter); ok {
		if err := setter.SetJellyState(s.ctx, state); err != nil {
			return nil, fmt.Errorf("jelly: class %q: SetJellyState: %w", e.class, err)
		}
		return pv, nil
	}
	if err := ConvertValue(state, p.Elem()); err != nil {
		return nil, fmt.Errorf("%w: state of class %q: %w", ErrMalformed, e.class, err)
	}
	return pv, nil
}

// timeFields parses [tag, b'i i i ...'] into up to 7 integers (missing
// trailing fields are zero), accepting between min and max fields as
// Python's constructors do.
func timeFields(l []any, tag []byte, min, max int) ([7]int64, error) {
	var f [7]int64
	if err := wantLen(l, tag, 2); err != nil {
		return f, err
	}
	text, ok := tagBytes(l[1])
	if !ok {
		return f, malformed("%s value is %T, not bytes", tag, l[1])
	}
	n := 0
	for i := 0; i < len(text); {
		for i < len(text) && isSpace(text[i]) {
			i++
		}
		if i == len(text) {
			break
		}
		j := i
		for j < len(text) && !isSpace(text[j]) {
			j++
		}
		if n == max {
			return f, malformed("%s %q has more than %d fields", tag, text, max)
		}
		x, ok := pyInt(text[i:j])
		if !ok {
			return f, malformed("%s %q: field %q is not an integer", tag, text, text[i:j])
		}
		f[n] = x
		n++
		i = j
	}
	if n < min {
		return f, malformed("%s %q has fewer than %d fields", tag, text, min)
	}
	return f, nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// pyInt parses a decimal integer the way Python's int() does for ASCII:
// an optional sign, digits, and single underscores between digits.
func pyInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || b[0] == '_' || b[len(b)-1] == '_' {
		return 0, false
	}
	var x uint64
	prevUnderscore := false
	for _, c := range b {
		if c == '_' {
			if prevUnderscore {
				return 0, false
			}
			prevUnderscore = true
			continue
		}
		prevUnderscore = false
		if c < '0' || c > '9' {
			return 0, false
		}
		if x > (math.MaxInt64)/10 {
			return 0, false
		}
		x = x*10 + uint64(c-'0')
		if x > math.MaxInt64 {
			return 0, false
		}
	}
	if neg {
		return -int64(x), true
	}
	return int64(x), true
}

// timedelta builds a Duration from Python's (days, seconds, microseconds),
// which need not be normalised.
func timedelta(days, secs, us int64) (any, error) {
	total := new(big.Int).Mul(big.NewInt(days), big.NewInt(86400*1000000))
	total.Add(total, new(big.Int).Mul(big.NewInt(secs), big.NewInt(1000000)))
	total.Add(total, big.NewInt(us))
	total.Mul(total, big.NewInt(1000))
	if !total.IsInt64() {
		return nil, fmt.Errorf("%w: timedelta(%d, %d, %d) is beyond time.Duration's range", ErrUnjellyable, days, secs, us)
	}
	return time.Duration(total.Int64()), nil
}

func decimal(l []any, tag []byte) (any, error) {
	if err := wantLen(l, tag, 3); err != nil {
		return nil, err
	}
	var coef *big.Int
	switch c := l[1].(type) {
	case int64:
		coef = big.NewInt(c)
	case *big.Int:
		coef = new(big.Int).Set(c)
	default:
		return nil, malformed("decimal digits are %T, not an int", l[1])
	}
	switch e := l[2].(type) {
	case int64:
		if int64(int(e)) != e {
			return nil, fmt.Errorf("%w: decimal exponent %d out of range", ErrUnjellyable, e)
		}
		return Decimal{Coef: coef, Exp: int(e)}, nil
	case *big.Int:
		return nil, fmt.Errorf("%w: decimal exponent %v out of range", ErrUnjellyable, e)
	}
	return nil, malformed("decimal exponent is %T, not an int", l[2])
}
