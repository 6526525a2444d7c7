package jelly

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"reflect"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/braidkit/braid/jelly/token"
)

// TypeDecliner is an optional interface of an Extension. DeclinesType
// reports whether JellyExt declines (returns ok=false without error for)
// every value whose dynamic type is t. It is asked only about types that
// are not pointers, interfaces or maps. JellyTo streams values whose types
// the extension declines without building an expression tree.
type TypeDecliner interface {
	DeclinesType(t reflect.Type) bool
}

// JellyTo writes the expression for v to w: the same tokens, so the same
// bytes, that Jelly followed by the codec's Append would give. Values that
// cannot share structure (plain numbers, strings, byte strings, and
// structs, arrays and one top-level slice built from them, whose types the
// Registry, the Extension and the Classer and StateGetter rules leave as
// they are) are streamed without an expression tree; anything else is
// jellied as a tree first. A Tuple or List at the top, such as PB's
// arguments, is streamed when each member can be and no two members are
// the same slice.
//
// On error, what was written to w is incomplete and must be discarded.
func JellyTo(ctx context.Context, w token.Writer, v any, o *Options) error {
	if ok, err := streamTop(w, v, o); ok {
		return err
	}
	expr, err := Jelly(ctx, v, o)
	if err != nil {
		return err
	}
	return token.WriteExpr(w, expr)
}

// streamTop streams v if it can; ok is false (and nothing was written) if
// v must take the tree path.
func streamTop(tw token.Writer, v any, o *Options) (ok bool, err error) {
	w := newSink(tw)
	return streamTo(&w, v, o)
}

func streamTo(w *sink, v any, o *Options) (ok bool, err error) {
	switch x := v.(type) {
	case Tuple:
		return streamSeq(w, "tuple", x, typeTuple, o)
	case List:
		return streamSeq(w, "list", x, typeList, o)
	}
	if isBasicValue(v) {
		return true, streamBasic(w, v)
	}
	p, ok := planFor(v, o, 1)
	if !ok {
		return false, nil
	}
	return true, p.enc(w, dataOf(v))
}

// streamSeq streams [tag, members...] for a top-level Tuple or List.
func streamSeq(w *sink, tag string, elems []any, t reflect.Type, o *Options) (bool, error) {
	if !extDeclines(o, t) || (o != nil && o.Registry.load() != nil && o.Registry.hasType(t)) || o.maxDepth() < 1 {
		return false, nil
	}
	var seen [4]identity
	nseen := 0
	for _, e := range elems {
		if isBasicValue(e) {
			continue
		}
		p, ok := planFor(e, o, 2)
		if !ok {
			return false, nil
		}
		if p.tracked {
			d := dataOf(e)
			id := identity{p: *(*unsafe.Pointer)(d), n: *(*int)(unsafe.Add(d, unsafe.Sizeof(uintptr(0)))), t: reflect.TypeOf(e)}
			if id.p == nil || id.n == 0 {
				continue
			}
			if nseen == len(seen) {
				return false, nil
			}
			for _, s := range seen[:nseen] {
				if s == id {
					return false, nil
				}
			}
			seen[nseen] = id
			nseen++
		}
	}
	if err := w.List(len(elems) + 1); err != nil {
		return true, err
	}
	if err := w.String(tag); err != nil {
		return true, err
	}
	for _, e := range elems {
		if isBasicValue(e) {
			if err := streamBasic(w, e); err != nil {
				return true, err
			}
			continue
		}
		p, _ := planFor(e, o, 2)
		if err := p.enc(w, dataOf(e)); err != nil {
			return true, err
		}
	}
	return true, nil
}

// dataOf returns a pointer to the value held by the interface v. Streamed
// types are never pointer-shaped (they hold no pointer, or a string or
// slice header of several words), so the interface holds a pointer to the
// value.
func dataOf(v any) unsafe.Pointer {
	return (*[2]unsafe.Pointer)(unsafe.Pointer(&v))[1]
}

// isBasicValue reports whether put handles v without reflection.
func isBasicValue(v any) bool {
	switch v.(type) {
	case nil, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, uintptr,
		float64, float32, string, []byte, *big.Int:
		return true
	}
	return false
}

var (
	tokNone  = "None"
	tokBool  = "boolean"
	tokTrue  = "true"
	tokFalse = "false"
	tokUni   = "unicode"
	tokList  = "list"
	tokDict  = "dictionary"
)

func streamBasic(w *sink, v any) error {
	switch x := v.(type) {
	case nil:
		return writeNone(w)
	case bool:
		return writeBool(w, x)
	case int:
		return w.Int(int64(x))
	case int8:
		return w.Int(int64(x))
	case int16:
		return w.Int(int64(x))
	case int32:
		return w.Int(int64(x))
	case int64:
		return w.Int(x)
	case uint:
		return w.Uint(uint64(x))
	case uint8:
		return w.Uint(uint64(x))
	case uint16:
		return w.Uint(uint64(x))
	case uint32:
		return w.Uint(uint64(x))
	case uint64:
		return w.Uint(x)
	case uintptr:
		return w.Uint(uint64(x))
	case float64:
		return w.Float(x)
	case float32:
		return w.Float(float64(x))
	case string:
		return writeString(w, x)
	case []byte:
		return w.Bytes(x)
	case *big.Int:
		if x == nil {
			return writeNone(w)
		}
		return w.Big(x)
	}
	return fmt.Errorf("%w: %T is not basic", ErrUnjellyable, v)
}

var (
	prefixNone  = token.NewPrefix(func(w token.Writer) { w.List(1); w.String(tokNone) })
	prefixTrue  = token.NewPrefix(func(w token.Writer) { w.List(2); w.String(tokBool); w.String(tokTrue) })
	prefixFalse = token.NewPrefix(func(w token.Writer) { w.List(2); w.String(tokBool); w.String(tokFalse) })
	prefixUni   = token.NewPrefix(func(w token.Writer) { w.List(2); w.String(tokUni) })
)

func writeNone(w *sink) error { return w.prefix(prefixNone) }

func writeBool(w *sink, b bool) error {
	if b {
		return w.prefix(prefixTrue)
	}
	return w.prefix(prefixFalse)
}

// writeString writes a Go string as text, ["unicode", s].
func writeString(w *sink, s string) error {
	if w.tw != nil {
		if err := w.tw.Text(s); err != token.ErrNotText {
			return err
		}
	} else if utf8.ValidString(s) {
		if err := w.prefix(prefixUni); err != nil {
			return err
		}
		return w.String(s)
	}
	return fmt.Errorf("%w: string %.40q is not valid UTF-8 (use []byte for binary data)", ErrUnjellyable, s)
}

// sink is the token.Writer a value is streamed to, with its optional
// interfaces looked up once.
type sink struct {
	token.Writer
	pw token.PrefixWriter // nil if the Writer is not one
	tw token.TextWriter   // nil if the Writer is not one
	fw token.FlatWriter   // nil if the Writer is not one
	// vals holds the scalars of flat structs (FlatWriter.Scalars).
	vals []token.Token
}

func newSink(w token.Writer) sink {
	var s sink
	s.reset(w)
	return s
}

// reset makes s write to w.
func (s *sink) reset(w token.Writer) {
	s.vals = nil // the scalars are the Writer's (FlatWriter.Scalars)
	s.Writer = w
	s.pw, _ = w.(token.PrefixWriter)
	s.tw, _ = w.(token.TextWriter)
	s.fw, _ = w.(token.FlatWriter)
}

// release drops s's references to its Writer.
func (s *sink) release() {
	*s = sink{}
}

// scalars returns n tokens for FlatWriter.Flat (w.fw is not nil).
func (w *sink) scalars(n int) []token.Token {
	if len(w.vals) < n {
		w.vals = w.fw.Scalars(n)
	}
	return w.vals[:n]
}

// elems writes the n members of the array at data, of plan ep; members
// that are structs of scalars go to the FlatWriter in one call each.
func (w *sink) elems(data unsafe.Pointer, n int, size uintptr, ep *streamPlan) error {
	if ep.flat != nil && w.fw != nil && n > 0 {
		vals := w.scalars(len(ep.loads))
		for i := 0; i < n; i++ {
			q := unsafe.Add(data, uintptr(i)*size)
			if loadFlat(vals, ep.loads, q) && w.fw.Flat(ep.flat, vals) {
				continue
			}
			if err := ep.enc(w, q); err != nil {
				return err
			}
		}
		return nil
	}
	for i := 0; i < n; i++ {
		if err := ep.enc(w, unsafe.Add(data, uintptr(i)*size)); err != nil {
			return err
		}
	}
	return nil
}

// prefix writes p, from its cached encoding if the Writer can.
func (w *sink) prefix(p *token.Prefix) error {
	if w.pw != nil {
		return w.pw.Prefix(p)
	}
	return p.Replay(w.Writer)
}

// streamPlan is how values of one Go type are streamed.
type streamPlan struct {
	ok      bool           // the type can be streamed
	tracked bool           // values are tracked for sharing (a non-byte slice)
	depth   int            // levels of non-basic values, as Jelly counts them
	types   []reflect.Type // non-basic types met, for the registry and extension checks
	enc     func(w *sink, p unsafe.Pointer) error
	// A struct of scalars: its Flat and how to load its fields.
	flat  *token.Flat
	loads []flatLoad
}

var streamPlans sync.Map // reflect.Type -> *streamPlan

// planFor returns the plan for v's type if v can be streamed under o at
// depth level (1 for the top).
func planFor(v any, o *Options, level int) (*streamPlan, bool) {
	p := planOf(reflect.TypeOf(v))
	if !p.ok || level-1+p.depth > o.maxDepth() {
		return nil, false
	}
	var reg *registrySnap
	if o != nil {
		reg = o.Registry.load()
	}
	for _, t := range p.types {
		if reg != nil {
			if _, ok := reg.byType[t]; ok {
				return nil, false
			}
		}
		if !extDeclines(o, t) {
			return nil, false
		}
	}
	return p, true
}

func (r *Registry) hasType(t reflect.Type) bool {
	_, ok := r.classOfType(t)
	return ok
}

func extDeclines(o *Options, t reflect.Type) bool {
	if o == nil || o.Extension == nil {
		return true
	}
	d, ok := o.Extension.(TypeDecliner)
	return ok && d.DeclinesType(t)
}

var notStreamable = &streamPlan{}

func planOf(t reflect.Type) *streamPlan {
	if p, ok := streamPlans.Load(t); ok {
		return p.(*streamPlan)
	}
	p := buildPlan(t, map[reflect.Type]bool{})
	if p == nil {
		p = notStreamable
	}
	v, _ := streamPlans.LoadOrStore(t, p)
	return v.(*streamPlan)
}

// buildPlan builds the plan for t; nil means t cannot be streamed.
func buildPlan(t reflect.Type, busy map[reflect.Type]bool) *streamPlan {
	if busy[t] {
		return nil // a recursive type
	}
	busy[t] = true
	defer delete(busy, t)

	// An unnamed basic type, reached as a field or element, takes no level.
	basic := t.PkgPath() == "" && t.Name() != "" || t == reflect.TypeFor[[]byte]()
	if basic {
		enc := basicEnc(t)
		if enc == nil {
			return nil
		}
		return &streamPlan{ok: true, enc: enc}
	}
	// Everything else goes through Jelly's non-basic rules: it must not be
	// one of the package's value types, a Classer or a StateGetter.
	switch t {
	case typeList, typeTuple, typeSet, typeFrozenSet, typeDict, typePair, typeTime, typeDuration,
		typeDate, typeTimeOfDay, typeDecimal, typeUnpersistable, typeInstance, typeBigInt, typeBigIntPtr:
		return nil
	}
	m := metaOf(t)
	if m.classer || m.ptrClasser || m.getter || m.ptrGetter {
		return nil
	}
	p := &streamPlan{ok: true, depth: 1, types: []reflect.Type{t}}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.String:
		p.enc = basicEnc(t)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			p.enc = encBytes
			break
		}
		ep := buildPlan(t.Elem(), busy)
		if ep == nil || ep.tracked {
			return nil
		}
		p.tracked = true
		p.depth += ep.depth
		p.types = append(p.types, ep.types...)
		size := t.Elem().Size()
		p.enc = func(w *sink, ptr unsafe.Pointer) error {
			data := *(*unsafe.Pointer)(ptr)
			if data == nil {
				return writeNone(w)
			}
			n := *(*int)(unsafe.Add(ptr, unsafe.Sizeof(uintptr(0))))
			if err := w.List(n + 1); err != nil {
				return err
			}
			if err := w.String(tokList); err != nil {
				return err
			}
			return w.elems(data, n, size, ep)
		}
	case reflect.Array:
		n := t.Len()
		if t.Elem().Kind() == reflect.Uint8 {
			p.enc = func(w *sink, ptr unsafe.Pointer) error {
				return w.Bytes(unsafe.Slice((*byte)(ptr), n))
			}
			break
		}
		ep := buildPlan(t.Elem(), busy)
		if ep == nil || ep.tracked {
			return nil
		}
		p.depth += ep.depth
		p.types = append(p.types, ep.types...)
		size := t.Elem().Size()
		p.enc = func(w *sink, ptr unsafe.Pointer) error {
			if err := w.List(n + 1); err != nil {
				return err
			}
			if err := w.String(tokList); err != nil {
				return err
			}
			return w.elems(ptr, n, size, ep)
		}
	case reflect.Struct:
		si := cachedStructInfo(t)
		type fieldPlan struct {
			off uintptr
			key *token.Prefix // [[unicode, name], ... : the entry up to its value
			enc func(w *sink, p unsafe.Pointer) error
		}
		fps := make([]fieldPlan, len(si.fields))
		maxDepth := 0
		for k := range si.fields {
			f := &si.fields[k]
			off, ok := fieldOffset(t, f.index)
			if !ok {
				return nil
			}
			fp := buildPlan(f.typ, busy)
			if fp == nil || fp.tracked {
				return nil
			}
			maxDepth = max(maxDepth, fp.depth)
			p.types = append(p.types, fp.types...)
			fps[k] = fieldPlan{off: off, key: si.keys[k], enc: fp.enc}
		}
		p.depth += maxDepth
		open := si.open
		if len(fps) == 0 {
			p.enc = func(w *sink, ptr unsafe.Pointer) error { return w.prefix(open) }
			break
		}
		// The first key comes with the dictionary's opening.
		fps[0].key = open
		// A struct of scalars goes to a FlatWriter in one call, its
		// fields loaded by flatLoads.
		flat := si.flat
		var loads []flatLoad
		if flat != nil {
			loads = make([]flatLoad, len(fps))
			for k := range fps {
				loads[k] = flatLoad{off: fps[k].off, op: flatOp(si.fields[k].typ)}
			}
			p.flat, p.loads = flat, loads
		}
		p.enc = func(w *sink, ptr unsafe.Pointer) error {
			if flat != nil && w.fw != nil {
				if vals := w.scalars(len(loads)); loadFlat(vals, loads, ptr) && w.fw.Flat(flat, vals) {
					return nil
				}
			}
			for k := range fps {
				f := &fps[k]
				if err := w.prefix(f.key); err != nil {
					return err
				}
				if err := f.enc(w, unsafe.Add(ptr, f.off)); err != nil {
					return err
				}
			}
			return nil
		}
	default:
		return nil
	}
	if p.enc == nil {
		return nil
	}
	return p
}

// flatLoad says how to load a struct field of a flat kind (flatKind)
// into a token.Token.
type flatLoad struct {
	off uintptr
	op  uint8
}

// flatLoad ops.
const (
	loadInt8 = iota
	loadInt16
	loadInt32
	loadInt64
	loadUint8
	loadUint16
	loadUint32
	loadUint64
	loadFloat32
	loadFloat64
	loadString
	loadBytes
)

// flatOp is the load op for a field of type t, whose kind flatKind takes.
func flatOp(t reflect.Type) uint8 {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return loadInt8 + uint8(bits.TrailingZeros(uint(t.Size())))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return loadUint8 + uint8(bits.TrailingZeros(uint(t.Size())))
	case reflect.Float32:
		return loadFloat32
	case reflect.Float64:
		return loadFloat64
	case reflect.String:
		return loadString
	}
	return loadBytes
}

// loadFlat loads the fields of the struct at p into vals. It reports false
// for an unsigned value too large for a token's Int (the tokens one by one
// write it).
func loadFlat(vals []token.Token, loads []flatLoad, p unsafe.Pointer) bool {
	vals = vals[:len(loads)]
	for k := range loads {
		l := &loads[k]
		v := &vals[k]
		q := unsafe.Add(p, l.off)
		switch l.op {
		case loadInt8:
			v.Int = int64(*(*int8)(q))
		case loadInt16:
			v.Int = int64(*(*int16)(q))
		case loadInt32:
			v.Int = int64(*(*int32)(q))
		case loadInt64:
			v.Int = *(*int64)(q)
		case loadUint8:
			v.Int = int64(*(*uint8)(q))
		case loadUint16:
			v.Int = int64(*(*uint16)(q))
		case loadUint32:
			v.Int = int64(*(*uint32)(q))
		case loadUint64:
			u := *(*uint64)(q)
			if u > math.MaxInt64 {
				return false
			}
			v.Int = int64(u)
		case loadFloat32:
			v.Float = float64(*(*float32)(q))
		case loadFloat64:
			v.Float = *(*float64)(q)
		case loadString:
			// The Writer only reads the bytes (token.FlatWriter).
			s := *(*string)(q)
			v.Bytes = unsafe.Slice(unsafe.StringData(s), len(s))
		default:
			v.Bytes = *(*[]byte)(q)
		}
	}
	return true
}

// fieldOffset returns the offset of the field at index, which must be
// reached through exported fields or embedded structs held by value.
func fieldOffset(t reflect.Type, index []int) (uintptr, bool) {
	var off uintptr
	for i, x := range index {
		if t.Kind() != reflect.Struct {
			return 0, false
		}
		sf := t.Field(x)
		if i < len(index)-1 && !sf.IsExported() {
			return 0, false // promoted through an unexported embedded struct
		}
		off += sf.Offset
		t = sf.Type
	}
	return off, true
}

func encBytes(w *sink, p unsafe.Pointer) error {
	return w.Bytes(*(*[]byte)(p))
}

// basicEnc returns the encoder for a type of basic kind (named or not).
func basicEnc(t reflect.Type) func(w *sink, p unsafe.Pointer) error {
	switch t.Kind() {
	case reflect.Bool:
		return func(w *sink, p unsafe.Pointer) error { return writeBool(w, *(*bool)(p)) }
	case reflect.Int:
		return func(w *sink, p unsafe.Pointer) error { return w.Int(int64(*(*int)(p))) }
	case reflect.Int8:
		return func(w *sink, p unsafe.Pointer) error { return w.Int(int64(*(*int8)(p))) }
	case reflect.Int16:
		return func(w *sink, p unsafe.Pointer) error { return w.Int(int64(*(*int16)(p))) }
	case reflect.Int32:
		return func(w *sink, p unsafe.Pointer) error { return w.Int(int64(*(*int32)(p))) }
	case reflect.Int64:
		return func(w *sink, p unsafe.Pointer) error { return w.Int(*(*int64)(p)) }
	case reflect.Uint:
		return func(w *sink, p unsafe.Pointer) error { return w.Uint(uint64(*(*uint)(p))) }
	case reflect.Uint8:
		return func(w *sink, p unsafe.Pointer) error { return w.Uint(uint64(*(*uint8)(p))) }
	case reflect.Uint16:
		return func(w *sink, p unsafe.Pointer) error { return w.Uint(uint64(*(*uint16)(p))) }
	case reflect.Uint32:
		return func(w *sink, p unsafe.Pointer) error { return w.Uint(uint64(*(*uint32)(p))) }
	case reflect.Uint64:
		return func(w *sink, p unsafe.Pointer) error { return w.Uint(*(*uint64)(p)) }
	case reflect.Uintptr:
		return func(w *sink, p unsafe.Pointer) error { return w.Uint(uint64(*(*uintptr)(p))) }
	case reflect.Float32:
		return func(w *sink, p unsafe.Pointer) error { return w.Float(float64(*(*float32)(p))) }
	case reflect.Float64:
		return func(w *sink, p unsafe.Pointer) error { return w.Float(*(*float64)(p)) }
	case reflect.String:
		return func(w *sink, p unsafe.Pointer) error { return writeString(w, *(*string)(p)) }
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return encBytes
		}
	}
	return nil
}

// StreamTo writes v to w like JellyTo, but only when v can be streamed
// without an expression tree; ok is false (and nothing was written) when
// it cannot, and the Extension is never called. On error, what was written
// is incomplete and must be discarded.
func StreamTo(w token.Writer, v any, o *Options) (ok bool, err error) {
	return streamTop(w, v, o)
}

// StreamTuple is StreamTo for Tuple(elems), without converting elems to an
// interface.
func StreamTuple(w token.Writer, elems []any, o *Options) (ok bool, err error) {
	s := newSink(w)
	return streamSeq(&s, "tuple", elems, typeTuple, o)
}

// A Streamer does what StreamTo and StreamTuple do, keeping its working
// state from one call to the next, so that streaming a value allocates
// nothing (the functions allocate that state each time). The zero
// Streamer is ready to use; it is not safe for concurrent use, and it
// keeps no reference to a Writer or a value once a call has returned.
type Streamer struct {
	s sink
}

// StreamTo is StreamTo, writing to w.
func (st *Streamer) StreamTo(w token.Writer, v any, o *Options) (ok bool, err error) {
	st.s.reset(w)
	defer st.s.release()
	return streamTo(&st.s, v, o)
}

// StreamTuple is StreamTuple, writing to w.
func (st *Streamer) StreamTuple(w token.Writer, elems []any, o *Options) (ok bool, err error) {
	st.s.reset(w)
	defer st.s.release()
	return streamSeq(&st.s, "tuple", elems, typeTuple, o)
}
