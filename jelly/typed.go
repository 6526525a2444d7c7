package jelly

import (
	"math"
	"reflect"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/braidkit/braid/jelly/internal/body"
	"github.com/braidkit/braid/jelly/token"
)

// TypedDecoder decodes expressions read from a token.Reader straight into
// typed Go values, without the generic value model: the fast path of
// Unjelly followed by ConvertValue for plain data (numbers, text, byte
// strings, booleans, None, and slices, arrays and structs of them). It
// declines (Decode returns false) anything else: other tags, references,
// conversions that would fail or that it does not know, dictionary keys
// that match no field. A caller that is declined decodes the same
// expression again with Unjelly and ConvertValue, which gives the result
// or the error; so TypedDecoder never changes what a value decodes to, it
// only skips work.
//
// A TypedDecoder may be reused; it is not safe for concurrent use.
type TypedDecoder struct {
	o     *Options
	pr    token.PrefixReader // the Reader, if it is one
	fr    token.FlatReader   // the Reader, if it is one
	vals  []token.Token      // scalars of flat structs (FlatReader)
	known uint16             // tags whose status has been computed
	plain uint16             // tags that decode with their built-in meaning
	depth int
	max   int // o.maxDepth()
	tok   token.Token
	// arena holds the bytes of short decoded strings (body.Reader.Slice):
	// each is carved from a shared block and never written again, so many
	// short strings cost one allocation per block instead of one each.
	arena body.Reader
	// share is the shortest byte string taken as a slice of the input
	// instead of copied (ShareBytes; 0: none), and shared reports that
	// one was since Reset.
	share  int
	shared bool
	// The last type decoded into and its plan: PB decodes the same few
	// types over and over, and this spares the plan cache's lookup.
	lastT reflect.Type
	lastP decFunc
}

// ShareBytes makes d decode each byte string of at least min bytes into a
// []byte that is a slice of the input rather than a copy: for a caller
// whose input buffer is not used again once a byte string was shared
// (Shared). min <= 0 turns sharing off, the default. Reset keeps it.
func (d *TypedDecoder) ShareBytes(min int) { d.share = max(min, 0) }

// bytes returns b, a byte string of the input, as a []byte of the result:
// shared (ShareBytes) or copied.
func (d *TypedDecoder) bytes(b []byte) []byte {
	if n := len(b); d.share > 0 && n >= d.share {
		d.shared = true
		return b[:n:n]
	}
	return append([]byte{}, b...)
}

// Shared reports whether d has decoded a byte string as a slice of its
// input since Reset (ShareBytes). The input must then not be reused, even
// if Decode declined.
func (d *TypedDecoder) Shared() bool { return d.shared }

// str returns b as a new string, carved from the arena when short (a kept
// string pins at most its 1 KiB block).
func (d *TypedDecoder) str(b []byte) string {
	n := len(b)
	if n == 0 || n > body.ArenaString {
		return string(b)
	}
	s := d.arena.Slice(n)
	copy(s, b)
	return unsafe.String(&s[0], n)
}

// Tags the TypedDecoder understands.
const (
	tagNone = iota
	tagBoolean
	tagUnicode
	tagList
	tagTuple
	tagSet
	tagFrozenSet
	tagDictionary
)

var typedTags = [...]string{"None", "boolean", "unicode", "list", "tuple", "set", "frozenset", "dictionary"}

// Reset prepares d for one message decoded under o.
func (d *TypedDecoder) Reset(o *Options) {
	d.o = o
	d.known, d.plain = 0, 0
	d.depth = 0
	d.shared = false
	d.max = o.maxDepth()
}

// tag identifies a tag among typedTags whose built-in meaning is in force
// (no extension owns it, it is not a registered class, the Security
// allows it); -1 otherwise.
func (d *TypedDecoder) tag(b []byte) int {
	var k int
	switch string(b) {
	case "None":
		k = tagNone
	case "boolean":
		k = tagBoolean
	case "unicode":
		k = tagUnicode
	case "list":
		k = tagList
	case "tuple":
		k = tagTuple
	case "set":
		k = tagSet
	case "frozenset":
		k = tagFrozenSet
	case "dictionary":
		k = tagDictionary
	default:
		return -1
	}
	if !d.plainTag(k, b) {
		return -1
	}
	return k
}

// typedTagBytes are typedTags as byte strings.
var typedTagBytes = func() (b [len(typedTags)][]byte) {
	for i, t := range typedTags {
		b[i] = []byte(t)
	}
	return b
}()

// plainTag reports whether the tag typedTags[k], spelled b, has its
// built-in meaning.
func (d *TypedDecoder) plainTag(k int, b []byte) bool {
	bit := uint16(1) << k
	if d.known&bit == 0 {
		d.known |= bit
		ok := true
		var reg *Registry
		var sec *Security
		var ext Extension
		if d.o != nil {
			reg, sec, ext = d.o.Registry, d.o.Security, d.o.Extension
		}
		if ext != nil && ext.HandlesTag(b) {
			ok = false
		} else if reg.entry(b) != nil {
			ok = false
		} else if !sec.tagAllowedBytes(b) {
			ok = false
		}
		if ok {
			d.plain |= bit
		}
	}
	return d.plain&bit != 0
}

// text reports whether a Text token, ["unicode", s] in one, may be taken
// as text here: the list is within the depth limit and the tag is plain.
func (d *TypedDecoder) text() bool {
	return d.depth < d.maxDepth() && d.plainTag(tagUnicode, typedTagBytes[tagUnicode])
}

// Seq reads the header of a [tuple|list, ...] expression and returns its
// member count, for a caller that decodes the members one by one (PB's
// arguments). ok is false if the expression is anything else.
func (d *TypedDecoder) Seq(r token.Reader) (n int, ok bool) {
	d.pr, _ = r.(token.PrefixReader)
	d.fr, _ = r.(token.FlatReader)
	t := &d.tok
	if r.Next(t) != nil || t.Kind != token.List || t.N < 1 {
		return 0, false
	}
	n = t.N - 1
	if r.Next(t) != nil || t.Kind != token.Bytes {
		return 0, false
	}
	switch d.tag(t.Bytes) {
	case tagTuple, tagList:
		return n, d.maxDepth() >= 1
	}
	return 0, false
}

// EmptyDict reads an expression and reports whether it is an empty
// dictionary or None (PB's keyword arguments when there are none).
func (d *TypedDecoder) EmptyDict(r token.Reader) bool {
	t := &d.tok
	if r.Next(t) != nil || t.Kind != token.List || t.N != 1 {
		return false
	}
	if r.Next(t) != nil || t.Kind != token.Bytes {
		return false
	}
	switch d.tag(t.Bytes) {
	case tagDictionary, tagNone:
		return true
	}
	return false
}

func (d *TypedDecoder) maxDepth() int {
	if d.max == 0 { // not Reset
		d.max = d.o.maxDepth()
	}
	return d.max
}

// Decode reads one expression from r into dst, which must be settable and
// hold its zero value. It reports false if it declined; dst may then be
// partly filled and r partly read.
func (d *TypedDecoder) Decode(r token.Reader, dst reflect.Value, level int) bool {
	if !dst.CanAddr() {
		return false
	}
	t := dst.Type()
	p := d.lastP
	if t != d.lastT {
		p = decPlanOf(t)
		d.lastT, d.lastP = t, p
	}
	if p == nil {
		return false
	}
	d.pr, _ = r.(token.PrefixReader)
	d.fr, _ = r.(token.FlatReader)
	d.depth = level
	return p(d, r, dst.Addr().UnsafePointer())
}

// A decFunc decodes one expression into the value at p.
type decFunc func(d *TypedDecoder, r token.Reader, p unsafe.Pointer) bool

var decPlans sync.Map // reflect.Type -> decFunc (nil: not supported)

func decPlanOf(t reflect.Type) decFunc {
	if f, ok := decPlans.Load(t); ok {
		return f.(decFunc)
	}
	f := buildDec(t, map[reflect.Type]bool{})
	v, _ := decPlans.LoadOrStore(t, f)
	return v.(decFunc)
}

// next reads a token; a list token is checked against the depth limit.
func (d *TypedDecoder) next(r token.Reader) (*token.Token, bool) {
	t := &d.tok
	if r.Next(t) != nil {
		return nil, false
	}
	return t, true
}

// open reads the tag of a list whose header was just read, counting one
// level, and returns its known-tag index (or -1).
func (d *TypedDecoder) open(r token.Reader) int {
	d.depth++
	if d.depth > d.maxDepth() {
		return -1
	}
	t := &d.tok
	if r.Next(t) != nil || t.Kind != token.Bytes {
		return -1
	}
	return d.tag(t.Bytes)
}

// leaf reads a value that is a bare token or a tagged list with one
// payload: it returns the token, or for [None] sets none, and for
// [unicode, b] (or a Text token) returns a Bytes token holding valid
// UTF-8, with text set.
func (d *TypedDecoder) leaf(r token.Reader) (t *token.Token, none, text, ok bool) {
	t, ok = d.next(r)
	if !ok {
		return nil, false, false, false
	}
	switch t.Kind {
	case token.List:
	case token.Text:
		if !d.text() {
			return nil, false, false, false
		}
		t.Kind = token.Bytes
		return t, false, true, true
	default:
		return t, false, false, true
	}
	n := t.N
	if n < 1 {
		return nil, false, false, false
	}
	k := d.open(r)
	d.depth--
	switch {
	case k == tagNone && n == 1:
		return nil, true, false, true
	case k == tagUnicode && n == 2:
		t, ok = d.next(r)
		if !ok || t.Kind != token.Bytes || !utf8.Valid(t.Bytes) {
			return nil, false, false, false
		}
		return t, false, true, true
	case k == tagBoolean && n == 2:
		t, ok = d.next(r)
		if !ok || t.Kind != token.Bytes {
			return nil, false, false, false
		}
		switch string(t.Bytes) {
		case "true":
			t.Kind, t.Int = token.Invalid, 1
		case "false":
			t.Kind, t.Int = token.Invalid, 0
		default:
			return nil, false, false, false
		}
		return t, false, false, true // Kind Invalid marks a boolean
	}
	return nil, false, false, false
}

func buildDec(t reflect.Type, busy map[reflect.Type]bool) decFunc {
	if busy[t] {
		return nil
	}
	busy[t] = true
	defer delete(busy, t)
	size := t.Size()
	zero := func(p unsafe.Pointer) {
		clear(unsafe.Slice((*byte)(p), size))
	}
	switch t {
	case typeBigInt, typeBigIntPtr:
		return nil
	}
	switch k := t.Kind(); k {
	case reflect.Bool:
		return func(d *TypedDecoder, r token.Reader, p unsafe.Pointer) bool {
			tk, none, _, ok := d.leaf(r)
			if !ok {
				return false
			}
			if none {
				*(*bool)(p) = false
				return true
			}
			if tk.Kind != token.Invalid {
				return false
			}
			*(*bool)(p) = tk.Int == 1
			return true
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := size * 8
		return func(d *TypedDecoder, r token.Reader, p unsafe.Pointer) bool {
			tk, none, _, ok := d.leaf(r)
			if !ok {
				return false
			}
			var x int64
			if !none {
				if tk.Kind != token.Int {
					return false
				}
				x = tk.Int
				if bits < 64 && (x < -1<<(bits-1) || x > 1<<(bits-1)-1) {
					return false
				}
			}
			switch bits {
			case 8:
				*(*int8)(p) = int8(x)
			case 16:
				*(*int16)(p) = int16(x)
			case 32:
				*(*int32)(p) = int32(x)
			default:
				*(*int64)(p) = x
			}
			return true
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		bits := size * 8
		return func(d *TypedDecoder, r token.Reader, p unsafe.Pointer) bool {
			tk, none, _, ok := d.leaf(r)
			if !ok {
				return false
			}
			var x uint64
			if !none {
				if tk.Kind != token.Int || tk.Int < 0 {
					return false
				}
				x = uint64(tk.Int)
				if bits < 64 && x > 1<<bits-1 {
					return false
				}
			}
			switch bits {
			case 8:
				*(*uint8)(p) = uint8(x)
			case 16:
				*(*uint16)(p) = uint16(x)
			case 32:
				*(*uint32)(p) = uint32(x)
			default:
				*(*uint64)(p) = x
			}
			return true
		}
	case reflect.Float32, reflect.Float64:
		return func(d *TypedDecoder, r token.Reader, p unsafe.Pointer) bool {
			tk, none, _, ok := d.leaf(r)
			if !ok {
				return false
			}
			var f float64
			if !none {
				if tk.Kind != token.Float {
					return false
				}
				f = tk.Float
			}
			if size == 4 {
				if !math.IsInf(f, 0) && !math.IsNaN(f) && math.Abs(f) > math.MaxFloat32 {
					return false
				}
				*(*float32)(p) = float32(f)
			} else {
				*(*float64)(p) = f
			}
			return true
		}
	case reflect.String:
		return func(d *TypedDecoder, r token.Reader, p unsafe.Pointer) bool {
			tk, none, text, ok := d.leaf(r)
			if !ok {
				return false
			}
			if none {
				*(*string)(p) = ""
				return true
			}
			if !text && (tk.Kind != token.Bytes || !utf8.Valid(tk.Bytes)) {
				return false
			}
			*(*string)(p) = d.str(tk.Bytes)
			return true
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return func(d *TypedDecoder, r token.Reader, p unsafe.Pointer) bool {
				tk, none, _, ok := d.leaf(r)
				if !ok {
					return false
				}
				if none {
					*(*[]byte)(p) = nil
					return true
				}
				if tk.Kind != token.Bytes {
					return false
				}
				*(*[]byte)(p) = d.bytes(tk.Bytes)
				return true
			}
		}
		elem := buildDec(t.Elem(), busy)
		if elem == nil {
			return nil
		}
		et := t.Elem()
		esize := et.Size()
		fe := flatDecOf(et)
		return func(d *TypedDecoder, r token.Reader, p unsafe.Pointer) bool {
			n, none, ok := d.seq(r)
			if !ok {
				return false
			}
			if none {
				zero(p)
				return true
			}
			s := reflect.MakeSlice(t, n, n)
			data := s.UnsafePointer()
			if !d.elems(r, data, n, esize, elem, fe) {
				return false
			}
			d.depth--
			reflect.NewAt(t, p).Elem().Set(s)
			return true
		}
	case reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil
		}
		elem := buildDec(t.Elem(), busy)
		if elem == nil {
			return nil
		}
		esize, want := t.Elem().Size(), t.Len()
		fe := flatDecOf(t.Elem())
		return func(d *TypedDecoder, r token.Reader, p unsafe.Pointer) bool {
			n, none, ok := d.seq(r)
			if !ok {
				return false
			}
			if none {
				zero(p)
				return true
			}
			if n != want {
				return false
			}
			if !d.elems(r, p, n, esize, elem, fe) {
				return false
			}
			d.depth--
			return true
		}
	case reflect.Struct:
		si := cachedStructInfo(t)
		fds := make([]fieldDec, len(si.fields))
		for k := range si.fields {
			f := &si.fields[k]
			off, ok := fieldOffset(t, f.index)
			if !ok {
				return nil
			}
			fd := buildDec(f.typ, busy)
			if fd == nil {
				return nil
			}
			fds[k] = fieldDec{off: off, dec: fd}
		}
		fe := flatDecOf(t)
		return func(d *TypedDecoder, r token.Reader, p unsafe.Pointer) bool {
			// With a PrefixReader, the dictionary's opening and its keys
			// are matched against the prefixes the encoder writes,
			// wherever they may be taken as they are (the tags plain,
			// the key's text within the depth limit); with a FlatReader,
			// a struct of scalars is read in one step there.
			var pr token.PrefixReader
			if (d.pr != nil || d.fr != nil) && d.prefixOK() {
				pr = d.pr
				if fe != nil && d.fr != nil {
					if vals := d.scalars(len(fe.stores)); d.fr.Flat(fe.flat, vals) {
						return d.storeFlat(vals, fe.stores, p)
					}
				}
			}
			n, j := 0, 0
			if pr != nil && pr.Prefix(si.open) {
				d.depth++
				n = len(fds)
				if n > 0 {
					if !fds[0].dec(d, r, unsafe.Add(p, fds[0].off)) {
						return false
					}
					j = 1
				}
			} else {
				tk, ok := d.next(r)
				if !ok || tk.Kind != token.List || tk.N < 1 {
					return false
				}
				n = tk.N - 1
				switch d.open(r) {
				case tagNone:
					if n != 0 {
						return false
					}
					zero(p)
					d.depth--
					return true
				case tagDictionary:
				default:
					return false
				}
			}
			for ; j < n; j++ {
				var fd *fieldDec
				if pr != nil && j < len(fds) && pr.Prefix(si.keys[j]) {
					fd = &fds[j]
				} else if fd = d.key(r, si, fds); fd == nil {
					return false
				}
				if !fd.dec(d, r, unsafe.Add(p, fd.off)) {
					return false
				}
			}
			d.depth--
			return true
		}
	}
	return nil
}

// flatDec reads a struct of scalars (structInfo.flat) from a FlatReader
// in one step, as the encoder writes it, and stores its fields.
type flatDec struct {
	flat   *token.Flat
	stores []flatLoad // where and how each scalar is stored
}

// flatDecOf returns the flatDec for t, nil unless t is a struct of
// scalars whose fields can all be reached.
func flatDecOf(t reflect.Type) *flatDec {
	if t.Kind() != reflect.Struct {
		return nil
	}
	si := cachedStructInfo(t)
	if si.flat == nil {
		return nil
	}
	fe := &flatDec{flat: si.flat, stores: make([]flatLoad, len(si.fields))}
	for k := range si.fields {
		off, ok := fieldOffset(t, si.fields[k].index)
		if !ok {
			return nil
		}
		fe.stores[k] = flatLoad{off: off, op: flatOp(si.fields[k].typ)}
	}
	return fe
}

// prefixOK reports whether a struct's dictionary may be matched here
// against the prefixes the encoder writes (PrefixReader, FlatReader): the
// dictionary and unicode tags are plain, and its key texts within the
// depth limit.
func (d *TypedDecoder) prefixOK() bool {
	return d.depth+2 <= d.maxDepth() && d.plainTag(tagDictionary, typedTagBytes[tagDictionary]) &&
		d.plainTag(tagUnicode, typedTagBytes[tagUnicode])
}

// scalars returns n tokens for FlatReader.Flat.
func (d *TypedDecoder) scalars(n int) []token.Token {
	if len(d.vals) < n {
		d.vals = make([]token.Token, n)
	}
	return d.vals[:n]
}

// elems decodes the n members of a list into the array at data, with
// elem, or straight from the FlatReader for structs of scalars (fe not
// nil).
func (d *TypedDecoder) elems(r token.Reader, data unsafe.Pointer, n int, size uintptr, elem decFunc, fe *flatDec) bool {
	if fe != nil && n > 0 && d.fr != nil && d.prefixOK() {
		vals := d.scalars(len(fe.stores))
		for i := 0; i < n; i++ {
			q := unsafe.Add(data, uintptr(i)*size)
			if d.fr.Flat(fe.flat, vals) {
				if !d.storeFlat(vals, fe.stores, q) {
					return false
				}
			} else if !elem(d, r, q) {
				return false
			}
		}
		return true
	}
	for i := 0; i < n; i++ {
		if !elem(d, r, unsafe.Add(data, uintptr(i)*size)) {
			return false
		}
	}
	return true
}

// storeFlat stores the scalars of a flat struct read from a FlatReader
// into its fields, as the fields' decoders would store the same tokens
// (declining a value out of a field's range).
func (d *TypedDecoder) storeFlat(vals []token.Token, stores []flatLoad, p unsafe.Pointer) bool {
	vals = vals[:len(stores)]
	for k := range stores {
		s := &stores[k]
		v := &vals[k]
		q := unsafe.Add(p, s.off)
		x := v.Int
		switch s.op {
		case loadInt8:
			if x != int64(int8(x)) {
				return false
			}
			*(*int8)(q) = int8(x)
		case loadInt16:
			if x != int64(int16(x)) {
				return false
			}
			*(*int16)(q) = int16(x)
		case loadInt32:
			if x != int64(int32(x)) {
				return false
			}
			*(*int32)(q) = int32(x)
		case loadInt64:
			*(*int64)(q) = x
		case loadUint8:
			if x != int64(uint8(x)) {
				return false
			}
			*(*uint8)(q) = uint8(x)
		case loadUint16:
			if x != int64(uint16(x)) {
				return false
			}
			*(*uint16)(q) = uint16(x)
		case loadUint32:
			if x != int64(uint32(x)) {
				return false
			}
			*(*uint32)(q) = uint32(x)
		case loadUint64:
			if x < 0 {
				return false
			}
			*(*uint64)(q) = uint64(x)
		case loadFloat32:
			f := v.Float
			if !math.IsInf(f, 0) && !math.IsNaN(f) && math.Abs(f) > math.MaxFloat32 {
				return false
			}
			*(*float32)(q) = float32(f)
		case loadFloat64:
			*(*float64)(q) = v.Float
		case loadString:
			*(*string)(q) = d.str(v.Bytes)
		default:
			*(*[]byte)(q) = d.bytes(v.Bytes)
		}
	}
	return true
}

// fieldDec decodes a struct field.
type fieldDec struct {
	off uintptr // the field's offset in the struct
	dec decFunc
}

// key reads the start of a dictionary entry, [key, and returns the field
// it names (nil if none): the key is [unicode, name] (or a Text token),
// or a byte string.
func (d *TypedDecoder) key(r token.Reader, si *structInfo, fds []fieldDec) *fieldDec {
	tk, ok := d.next(r)
	if !ok || tk.Kind != token.List || tk.N != 2 {
		return nil
	}
	if tk, ok = d.next(r); !ok {
		return nil
	}
	switch tk.Kind {
	case token.Text:
		if !d.text() {
			return nil
		}
	case token.List:
		if tk.N != 2 || d.open(r) != tagUnicode {
			return nil
		}
		d.depth--
		if tk, ok = d.next(r); !ok || tk.Kind != token.Bytes || !utf8.Valid(tk.Bytes) {
			return nil
		}
	case token.Bytes:
	default:
		return nil
	}
	if f, ok := si.lookup(string(tk.Bytes)); ok {
		return &fds[f.idx(si)]
	}
	return nil
}

// idx returns f's position in si.fields.
func (f *field) idx(si *structInfo) int {
	return int((uintptr(unsafe.Pointer(f)) - uintptr(unsafe.Pointer(&si.fields[0]))) / unsafe.Sizeof(field{}))
}

// seq reads a [list|tuple|set|frozenset, ...] header (one level, which
// the caller closes with d.depth-- after the members) or [None].
func (d *TypedDecoder) seq(r token.Reader) (n int, none, ok bool) {
	tk, ok := d.next(r)
	if !ok || tk.Kind != token.List || tk.N < 1 {
		return 0, false, false
	}
	n = tk.N - 1
	switch d.open(r) {
	case tagNone:
		d.depth--
		return 0, n == 0, n == 0
	case tagList, tagTuple, tagSet, tagFrozenSet:
		return n, false, true
	}
	return 0, false, false
}

// TypedDecodable reports whether a TypedDecoder can decode into values of
// type t at all.
func TypedDecodable(t reflect.Type) bool { return decPlanOf(t) != nil }
