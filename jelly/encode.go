package jelly

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"
)

// Shared, read-only leaf nodes.
var (
	noneNode  = []any{"None"}
	trueNode  = []any{"boolean", "true"}
	falseNode = []any{"boolean", "false"}
)

// Read-only type handles.
var (
	typeList          = reflect.TypeFor[List]()
	typeTuple         = reflect.TypeFor[Tuple]()
	typeSet           = reflect.TypeFor[Set]()
	typeFrozenSet     = reflect.TypeFor[FrozenSet]()
	typeDict          = reflect.TypeFor[Dict]()
	typePair          = reflect.TypeFor[Pair]()
	typeDate          = reflect.TypeFor[Date]()
	typeTimeOfDay     = reflect.TypeFor[TimeOfDay]()
	typeDecimal       = reflect.TypeFor[Decimal]()
	typeUnpersistable = reflect.TypeFor[Unpersistable]()
	typeInstance      = reflect.TypeFor[Instance]()
	typeTime          = reflect.TypeFor[time.Time]()
	typeDuration      = reflect.TypeFor[time.Duration]()
	typeBigInt        = reflect.TypeFor[big.Int]()
	typeBigIntPtr     = reflect.TypeFor[*big.Int]()
	typeClasser       = reflect.TypeFor[Classer]()
	typeStateGetter   = reflect.TypeFor[StateGetter]()
)

// typeMeta caches which of the package's interfaces a type implements.
type typeMeta struct {
	classer    bool // T implements Classer
	ptrClasser bool // only *T does
	getter     bool // T implements StateGetter
	ptrGetter  bool // only *T does
}

var typeMetaCache sync.Map // reflect.Type -> *typeMeta; computed from the type alone

func metaOf(t reflect.Type) *typeMeta {
	if m, ok := typeMetaCache.Load(t); ok {
		return m.(*typeMeta)
	}
	m := &typeMeta{
		classer: t.Implements(typeClasser),
		getter:  t.Implements(typeStateGetter),
	}
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface {
		pt := reflect.PointerTo(t)
		m.ptrClasser = !m.classer && pt.Implements(typeClasser)
		m.ptrGetter = !m.getter && pt.Implements(typeStateGetter)
	}
	v, _ := typeMetaCache.LoadOrStore(t, m)
	return v.(*typeMeta)
}

// identity names a tracked Go object: a slice (data pointer, length and
// type), a map (its pointer) or a pointer to a struct or array.
type identity struct {
	p unsafe.Pointer
	n int
	t reflect.Type
}

// refEntry remembers where the first node of a tracked object was placed.
type refEntry struct {
	key    identity
	parent []any
	idx    int
	id     int64
}

const (
	holderOpen = 1 // a Scope.Jelly call is filling the holder
	holderDone = 2 // the holder's node has been handed to the extension
)

// Scope is the state of one Jelly call: the reference table and the depth.
// An Extension receives it to jelly nested values in the same scope.
type Scope struct {
	ctx      context.Context
	reg      *Registry
	ext      Extension
	maxDepth int
	depth    int
	nextID   int64
	entries  []refEntry
	index    map[identity]int
	holders  map[*any]uint8 // Scope.Jelly holders
	pending  map[*any]int64 // nodes handed out, to be wrapped in the final tree
	small    [4]refEntry
	root     [1]any
}

func newScope(ctx context.Context, o *Options) *Scope {
	if ctx == nil {
		ctx = context.Background()
	}
	s := &Scope{ctx: ctx, maxDepth: o.maxDepth()}
	if o != nil {
		s.reg = o.Registry
		s.ext = o.Extension
	}
	s.entries = s.small[:0]
	return s
}

// Context returns the context of the Jelly call.
func (s *Scope) Context() context.Context { return s.ctx }

// Jelly jellies v in this scope, for an Extension that builds an
// expression around nested values. Shared and cyclic objects are
// referenced across the whole top-level value, as Twisted does. The
// extension must place the result in the expression it returns.
func (s *Scope) Jelly(v any) (any, error) {
	h := make([]any, 1)
	if s.holders == nil {
		s.holders = map[*any]uint8{}
	}
	key := &h[0]
	s.holders[key] = holderOpen
	err := s.put(h, 0, v)
	s.holders[key] = holderDone
	if err != nil {
		return nil, err
	}
	return h[0], nil
}

func (s *Scope) top(v any) (any, error) {
	dst := s.root[:]
	if err := s.put(dst, 0, v); err != nil {
		return nil, err
	}
	out := dst[0]
	if len(s.pending) > 0 {
		if n, changed := s.wrapPending(out); changed {
			out = n
		}
		if len(s.pending) > 0 {
			return nil, fmt.Errorf("%w: an extension dropped a value jellied with Scope.Jelly that is referenced elsewhere", ErrUnjellyable)
		}
	}
	return out, nil
}

// wrapPending finds, in the finished tree, the first nodes that were handed
// to an extension before they turned out to be shared, and wraps them in
// [reference, id, node].
func (s *Scope) wrapPending(n any) (any, bool) {
	l, ok := n.([]any)
	if !ok || len(l) == 0 {
		return n, false
	}
	for j := range l {
		if c, changed := s.wrapPending(l[j]); changed {
			l[j] = c
		}
	}
	if id, ok := s.pending[&l[0]]; ok {
		delete(s.pending, &l[0])
		return []any{"reference", id, l}, true
	}
	return n, false
}

func (s *Scope) find(key identity) (int, bool) {
	if s.index != nil {
		k, ok := s.index[key]
		return k, ok
	}
	for k := range s.entries {
		if s.entries[k].key == key {
			return k, true
		}
	}
	return 0, false
}

// track handles identity. If key was met before, it writes a dereference
// into dst[i] (wrapping the first occurrence on the second encounter) and
// returns true. Otherwise it records dst[i] as the first occurrence and
// returns false; the caller must then store the object's node in dst[i]
// before jellying its children.
func (s *Scope) track(dst []any, i int, key identity) bool {
	if k, ok := s.find(key); ok {
		e := &s.entries[k]
		if e.id == 0 {
			s.nextID++
			e.id = s.nextID
			first := e.parent[e.idx]
			e.parent[e.idx] = []any{"reference", e.id, first}
			if s.holders != nil && s.holders[&e.parent[0]] == holderDone {
				if fl, ok := first.([]any); ok && len(fl) > 0 {
					if s.pending == nil {
						s.pending = map[*any]int64{}
					}
					s.pending[&fl[0]] = e.id
				}
			}
		}
		dst[i] = []any{"dereference", e.id}
		return true
	}
	s.entries = append(s.entries, refEntry{key: key, parent: dst, idx: i})
	if s.index != nil {
		s.index[key] = len(s.entries) - 1
	} else if len(s.entries) > 8 {
		s.index = make(map[identity]int, 2*len(s.entries))
		for k := range s.entries {
			s.index[s.entries[k].key] = k
		}
	}
	return false
}

func (s *Scope) tooDeep() error {
	return fmt.Errorf("%w: more than %d levels", ErrTooDeep, s.maxDepth)
}

// put jellies v into dst[i].
func (s *Scope) put(dst []any, i int, v any) error {
	switch x := v.(type) {
	case nil:
		dst[i] = noneNode
	case bool:
		dst[i] = boolNode(x)
	case int:
		dst[i] = int64(x)
	case int8:
		dst[i] = int64(x)
	case int16:
		dst[i] = int64(x)
	case int32:
		dst[i] = int64(x)
	case int64:
		dst[i] = x
	case uint:
		dst[i] = uintExpr(uint64(x))
	case uint8:
		dst[i] = int64(x)
	case uint16:
		dst[i] = int64(x)
	case uint32:
		dst[i] = int64(x)
	case uint64:
		dst[i] = uintExpr(x)
	case uintptr:
		dst[i] = uintExpr(uint64(x))
	case float64:
		dst[i] = x
	case float32:
		dst[i] = float64(x)
	case string:
		return putString(dst, i, x)
	case []byte:
		if x == nil {
			x = []byte{}
		}
		dst[i] = x
	case *big.Int:
		if x == nil {
			dst[i] = noneNode
		} else {
			dst[i] = bigExpr(x)
		}
	default:
		return s.putNonBasic(dst, i, reflect.ValueOf(v), v)
	}
	return nil
}

func boolNode(b bool) []any {
	if b {
		return trueNode
	}
	return falseNode
}

func uintExpr(u uint64) any {
	if u > math.MaxInt64 {
		return new(big.Int).SetUint64(u)
	}
	return int64(u)
}

func bigExpr(x *big.Int) any {
	if x.IsInt64() {
		return x.Int64()
	}
	return x
}

func putString(dst []any, i int, x string) error {
	if !utf8.ValidString(x) {
		return fmt.Errorf("%w: string %.40q is not valid UTF-8 (use []byte for binary data)", ErrUnjellyable, x)
	}
	dst[i] = []any{"unicode", x}
	return nil
}

// putRV jellies a value reached through reflection (a field, an element, a
// map key or value), avoiding interface conversions for basic types.
func (s *Scope) putRV(dst []any, i int, rv reflect.Value) error {
	t := rv.Type()
	if t.PkgPath() == "" {
		switch t.Kind() {
		case reflect.Bool:
			dst[i] = boolNode(rv.Bool())
			return nil
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			dst[i] = rv.Int()
			return nil
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			dst[i] = uintExpr(rv.Uint())
			return nil
		case reflect.Float32, reflect.Float64:
			dst[i] = rv.Float()
			return nil
		case reflect.String:
			return putString(dst, i, rv.String())
		case reflect.Interface:
			if rv.IsNil() {
				dst[i] = noneNode
				return nil
			}
			return s.put(dst, i, rv.Elem().Interface())
		case reflect.Slice:
			if t.Elem().Kind() == reflect.Uint8 && t.Elem().PkgPath() == "" {
				b := rv.Bytes()
				if b == nil {
					b = []byte{}
				}
				dst[i] = b
				return nil
			}
		}
	}
	return s.putNonBasic(dst, i, rv, nil)
}

// isNil reports whether rv is a nil pointer, map, interface or slice that
// jellies as None. Byte slices and the package's container types are
// never None: a nil one is empty.
func isNil(rv reflect.Value) bool {
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Interface:
		return rv.IsNil()
	case reflect.Slice:
		if !rv.IsNil() || rv.Type().Elem().Kind() == reflect.Uint8 {
			return false
		}
		switch rv.Type() {
		case typeList, typeTuple, typeSet, typeFrozenSet, typeDict:
			return false
		}
		return true
	}
	return false
}

// putNonBasic jellies everything but the basic types. v is rv's interface
// value when the caller has it, else nil.
func (s *Scope) putNonBasic(dst []any, i int, rv reflect.Value, v any) error {
	if isNil(rv) {
		dst[i] = noneNode
		return nil
	}
	s.depth++
	defer func() { s.depth-- }()
	if s.depth > s.maxDepth {
		return s.tooDeep()
	}
	if s.ext != nil && rv.CanInterface() {
		if v == nil {
			v = rv.Interface()
		}
		expr, ok, err := s.ext.JellyExt(s.ctx, s, v)
		if err != nil {
			return err
		}
		if ok {
			dst[i] = expr
			return nil
		}
	}
	if done, err := s.putValueType(dst, i, rv, v); done {
		return err
	}
	if cls, ok := s.classOf(rv); ok {
		return s.putClass(dst, i, cls, rv)
	}
	return s.putKind(dst, i, rv)
}

func iface(rv reflect.Value, v any) any {
	if v != nil {
		return v
	}
	return rv.Interface()
}

// putValueType handles the package's value types and the time and big
// types. done is false for any other type.
func (s *Scope) putValueType(dst []any, i int, rv reflect.Value, v any) (done bool, err error) {
	switch rv.Type() {
	case typeList:
		return true, s.putAnySeq(dst, i, "list", iface(rv, v).(List), typeList)
	case typeTuple:
		return true, s.putAnySeq(dst, i, "tuple", iface(rv, v).(Tuple), typeTuple)
	case typeSet:
		return true, s.putAnySeq(dst, i, "set", iface(rv, v).(Set), typeSet)
	case typeFrozenSet:
		return true, s.putAnySeq(dst, i, "frozenset", iface(rv, v).(FrozenSet), typeFrozenSet)
	case typeDict:
		return true, s.putDict(dst, i, iface(rv, v).(Dict))
	case typePair:
		p := iface(rv, v).(Pair)
		node := []any{"tuple", nil, nil}
		dst[i] = node
		if err := s.put(node, 1, p.Key); err != nil {
			return true, err
		}
		return true, s.put(node, 2, p.Value)
	case typeTime:
		return true, putTime(dst, i, iface(rv, v).(time.Time))
	case typeDuration:
		dst[i] = []any{"timedelta", durationText(iface(rv, v).(time.Duration))}
		return true, nil
	case typeDate:
		return true, putDate(dst, i, iface(rv, v).(Date))
	case typeTimeOfDay:
		return true, putTimeOfDay(dst, i, iface(rv, v).(TimeOfDay))
	case typeDecimal:
		d := iface(rv, v).(Decimal)
		var coef any = int64(0)
		if d.Coef != nil {
			coef = bigExpr(d.Coef)
		}
		dst[i] = []any{"decimal", coef, int64(d.Exp)}
		return true, nil
	case typeUnpersistable:
		dst[i] = []any{"unpersistable", iface(rv, v).(Unpersistable).Reason}
		return true, nil
	case typeInstance:
		in := iface(rv, v).(Instance)
		if err := checkClassName(in.Class, "jelly.Instance"); err != nil {
			return true, err
		}
		node := []any{in.Class, nil}
		dst[i] = node
		return true, s.put(node, 1, in.State)
	case typeBigInt:
		b := iface(rv, v).(big.Int)
		dst[i] = bigExpr(new(big.Int).Set(&b))
		return true, nil
	case typeBigIntPtr:
		return true, s.put(dst, i, iface(rv, v))
	}
	return false, nil
}

func checkClassName(cls string, from any) error {
	if cls == "" || basicTags[cls] || reservedTags[cls] {
		return fmt.Errorf("%w: %v has class name %q, which is empty or a built-in tag", ErrUnjellyable, from, cls)
	}
	return nil
}

// classOf reports the class name under which rv jellies as [class, state]:
// its JellyClass (Classer), or its registered name.
func (s *Scope) classOf(rv reflect.Value) (string, bool) {
	t := rv.Type()
	m := metaOf(t)
	switch {
	case m.classer && rv.CanInterface():
		return rv.Interface().(Classer).JellyClass(), true
	case m.ptrClasser && rv.CanInterface():
		return addressable(rv).Interface().(Classer).JellyClass(), true
	}
	if s.reg == nil {
		return "", false
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return s.reg.classOfType(t)
}

// addressable returns a pointer to rv's value (a copy when rv is not
// addressable), so that pointer methods can be called.
func addressable(rv reflect.Value) reflect.Value {
	if rv.CanAddr() {
		return rv.Addr()
	}
	p := reflect.New(rv.Type())
	p.Elem().Set(rv)
	return p
}

// putClass writes [cls, state] for a registered or Classer value.
func (s *Scope) putClass(dst []any, i int, cls string, rv reflect.Value) error {
	if err := checkClassName(cls, rv.Type()); err != nil {
		return err
	}
	if rv.Kind() == reflect.Pointer && s.track(dst, i, identity{p: rv.UnsafePointer(), t: rv.Type()}) {
		return nil
	}
	node := []any{cls, nil}
	dst[i] = node
	m := metaOf(rv.Type())
	var getter StateGetter
	switch {
	case m.getter:
		getter = rv.Interface().(StateGetter)
	case m.ptrGetter:
		getter = addressable(rv).Interface().(StateGetter)
	}
	if getter != nil {
		st, err := getter.JellyState(s.ctx)
		if err != nil {
			return fmt.Errorf("jelly: %v.JellyState: %w", rv.Type(), err)
		}
		return s.put(node, 1, st)
	}
	ev := rv
	if ev.Kind() == reflect.Pointer {
		ev = ev.Elem()
	}
	if ev.Kind() == reflect.Struct {
		return s.putFields(node, 1, ev)
	}
	s.depth++
	defer func() { s.depth-- }()
	if s.depth > s.maxDepth {
		return s.tooDeep()
	}
	return s.putKind(node, 1, ev)
}

// putKind jellies rv by its kind, after the extension, the value types and
// the class rules have declined it.
func (s *Scope) putKind(dst []any, i int, rv reflect.Value) error {
	t := rv.Type()
	switch t.Kind() {
	case reflect.Bool:
		dst[i] = boolNode(rv.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		dst[i] = rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		dst[i] = uintExpr(rv.Uint())
	case reflect.Float32, reflect.Float64:
		dst[i] = rv.Float()
	case reflect.String:
		return putString(dst, i, rv.String())
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			b := rv.Bytes()
			if b == nil {
				b = []byte{}
			}
			dst[i] = b
			return nil
		}
		if rv.IsNil() {
			dst[i] = noneNode
			return nil
		}
		n := rv.Len()
		if n > 0 && s.track(dst, i, identity{p: rv.UnsafePointer(), n: n, t: t}) {
			return nil
		}
		return s.putElems(dst, i, rv, n)
	case reflect.Array:
		n := rv.Len()
		if t.Elem().Kind() == reflect.Uint8 {
			b := make([]byte, n)
			reflect.Copy(reflect.ValueOf(b), rv)
			dst[i] = b
			return nil
		}
		return s.putElems(dst, i, rv, n)
	case reflect.Map:
		if rv.IsNil() {
			dst[i] = noneNode
			return nil
		}
		if s.track(dst, i, identity{p: rv.UnsafePointer(), t: t}) {
			return nil
		}
		return s.putMap(dst, i, rv)
	case reflect.Struct:
		return s.putFields(dst, i, rv)
	case reflect.Pointer:
		if rv.IsNil() {
			dst[i] = noneNode
			return nil
		}
		ek := t.Elem().Kind()
		if (ek == reflect.Struct || ek == reflect.Array) && s.track(dst, i, identity{p: rv.UnsafePointer(), t: t}) {
			return nil
		}
		return s.putRV(dst, i, rv.Elem())
	case reflect.Interface:
		if rv.IsNil() {
			dst[i] = noneNode
			return nil
		}
		return s.putRV(dst, i, rv.Elem())
	default:
		return fmt.Errorf("%w: cannot jelly a value of Go type %v", ErrUnjellyable, t)
	}
	return nil
}

func (s *Scope) putElems(dst []any, i int, rv reflect.Value, n int) error {
	node := make([]any, n+1)
	node[0] = "list"
	dst[i] = node
	for j := 0; j < n; j++ {
		if err := s.putRV(node, j+1, rv.Index(j)); err != nil {
			return err
		}
	}
	return nil
}

func (s *Scope) putAnySeq(dst []any, i int, tag string, elems []any, t reflect.Type) error {
	if len(elems) > 0 && s.track(dst, i, identity{p: unsafe.Pointer(unsafe.SliceData(elems)), n: len(elems), t: t}) {
		return nil
	}
	node := make([]any, len(elems)+1)
	node[0] = tag
	dst[i] = node
	for j, e := range elems {
		if err := s.put(node, j+1, e); err != nil {
			return err
		}
	}
	return nil
}

func (s *Scope) putDict(dst []any, i int, d Dict) error {
	if len(d) > 0 && s.track(dst, i, identity{p: unsafe.Pointer(unsafe.SliceData(d)), n: len(d), t: typeDict}) {
		return nil
	}
	node := make([]any, len(d)+1)
	node[0] = "dictionary"
	dst[i] = node
	pairs := make([]any, 2*len(d))
	for j := range d {
		p := pairs[2*j : 2*j+2 : 2*j+2]
		node[j+1] = p
		if err := s.put(p, 0, d[j].Key); err != nil {
			return err
		}
		if err := s.put(p, 1, d[j].Value); err != nil {
			return err
		}
	}
	return nil
}

func (s *Scope) putMap(dst []any, i int, rv reflect.Value) error {
	keys := rv.MapKeys()
	sortKeys(keys)
	node := make([]any, len(keys)+1)
	node[0] = "dictionary"
	dst[i] = node
	pairs := make([]any, 2*len(keys))
	for j, k := range keys {
		p := pairs[2*j : 2*j+2 : 2*j+2]
		node[j+1] = p
		if err := s.putRV(p, 0, k); err != nil {
			return err
		}
		if err := s.putRV(p, 1, rv.MapIndex(k)); err != nil {
			return err
		}
	}
	return nil
}

// sortKeys orders map keys of string, integer, float and bool kinds, so
// that the output is deterministic. Other kinds keep map order.
func sortKeys(keys []reflect.Value) {
	if len(keys) < 2 {
		return
	}
	switch keys[0].Kind() {
	case reflect.String:
		sort.Slice(keys, func(a, b int) bool { return keys[a].String() < keys[b].String() })
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		sort.Slice(keys, func(a, b int) bool { return keys[a].Int() < keys[b].Int() })
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		sort.Slice(keys, func(a, b int) bool { return keys[a].Uint() < keys[b].Uint() })
	case reflect.Float32, reflect.Float64:
		sort.Slice(keys, func(a, b int) bool { return keys[a].Float() < keys[b].Float() })
	case reflect.Bool:
		sort.Slice(keys, func(a, b int) bool { return !keys[a].Bool() && keys[b].Bool() })
	}
}

// putFields writes a struct's exported fields as a dictionary with unicode
// keys, in declaration order.
func (s *Scope) putFields(dst []any, i int, rv reflect.Value) error {
	si := cachedStructInfo(rv.Type())
	n := 0
	for k := range si.fields {
		if _, ok := fieldByIndex(rv, si.fields[k].index); ok {
			n++
		}
	}
	node := make([]any, n+1)
	node[0] = "dictionary"
	dst[i] = node
	pairs := make([]any, 2*n)
	j := 0
	for k := range si.fields {
		f := &si.fields[k]
		fv, ok := fieldByIndex(rv, f.index)
		if !ok {
			continue
		}
		p := pairs[2*j : 2*j+2 : 2*j+2]
		node[j+1] = p
		p[0] = f.key
		if err := s.putRV(p, 1, fv); err != nil {
			return err
		}
		j++
	}
	return nil
}

func appendFields(buf []byte, xs ...int64) []byte {
	for k, x := range xs {
		if k > 0 {
			buf = append(buf, ' ')
		}
		buf = strconv.AppendInt(buf, x, 10)
	}
	return buf
}

func putTime(dst []any, i int, t time.Time) error {
	y, mo, d := t.Date()
	if y < 1 || y > 9999 {
		return fmt.Errorf("%w: time %v: year outside Python's range 1..9999", ErrUnjellyable, t)
	}
	h, mi, sec := t.Clock()
	text := appendFields(make([]byte, 0, 32), int64(y), int64(mo), int64(d), int64(h), int64(mi), int64(sec), int64(t.Nanosecond()/1000))
	dst[i] = []any{"datetime", text}
	return nil
}

func putDate(dst []any, i int, d Date) error {
	if !validDate(int64(d.Year), int64(d.Month), int64(d.Day)) {
		return fmt.Errorf("%w: invalid date %+v", ErrUnjellyable, d)
	}
	dst[i] = []any{"date", appendFields(make([]byte, 0, 16), int64(d.Year), int64(d.Month), int64(d.Day))}
	return nil
}

func putTimeOfDay(dst []any, i int, t TimeOfDay) error {
	if !validClock(int64(t.Hour), int64(t.Minute), int64(t.Second), int64(t.Microsecond)) {
		return fmt.Errorf("%w: invalid time of day %+v", ErrUnjellyable, t)
	}
	dst[i] = []any{"time", appendFields(make([]byte, 0, 20), int64(t.Hour), int64(t.Minute), int64(t.Second), int64(t.Microsecond))}
	return nil
}

// durationText normalises d like Python's timedelta: days (any sign),
// seconds 0..86399, microseconds 0..999999. Sub-microsecond parts are
// truncated toward zero.
func durationText(d time.Duration) []byte {
	const usPerDay = 86400 * 1000000
	us := int64(d / time.Microsecond)
	days := us / usPerDay
	rem := us % usPerDay
	if rem < 0 {
		days--
		rem += usPerDay
	}
	return appendFields(make([]byte, 0, 24), days, rem/1000000, rem%1000000)
}

func validDate(y, m, d int64) bool {
	if y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= int64(daysIn(int(y), time.Month(m)))
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func validClock(h, m, s, us int64) bool {
	return h >= 0 && h < 24 && m >= 0 && m < 60 && s >= 0 && s < 60 && us >= 0 && us < 1000000
}
