package native

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"slices"
	"unicode/utf8"
	"unsafe"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/jelly/token"
)

// Writer appends expressions to a byte slice token by token
// (token.Writer), producing exactly the bytes Append produces for the same
// expression, with the same limits. In particular the tokens List(2),
// Bytes("unicode"), Bytes(s) with s valid UTF-8 give ExtText, as Append
// does for that list; Text (token.TextWriter) writes the same in one
// call. The zero Writer is not ready: call Reset first.
type Writer struct {
	e    encoder
	lim  banana.Limits
	buf  []byte
	nest token.Nesting
	err  error

	// A list of two that may turn out to be text, written as ExtText
	// once its second member arrives: pend is pendList after its header,
	// at buf[textAt], and pendTag after the tag "unicode" too. tagOver
	// records that the tag broke MaxExpression, an error unless the list
	// is folded into the shorter ExtText.
	pend    uint8
	tagOver bool
	textAt  int

	share int       // ShareBytes: byte strings this long are left out of buf
	segs  []Segment // and listed here

	scalars []token.Token // for Scalars
}

const (
	pendNone = iota
	pendList
	pendTag
)

var (
	_ token.TextWriter   = (*Writer)(nil)
	_ token.PrefixWriter = (*Writer)(nil)
	_ token.FlatWriter   = (*Writer)(nil)
)

// Reset makes w append to dst with limits l (zero fields take their
// defaults). MaxExpression applies to everything written after Reset.
func (w *Writer) Reset(dst []byte, l banana.Limits) {
	w.lim = l.WithDefaults()
	w.e = encoder{lim: &w.lim, start: len(dst)}
	w.buf = dst
	w.nest.Reset()
	w.err = nil
	w.pend, w.tagOver = pendNone, false
	w.share = 0
	clear(w.segs) // let the shared byte strings go
	w.segs = w.segs[:0]
}

// Result returns the extended slice. If a token was refused, or the last
// expression is incomplete, it returns the slice given to Reset (same
// length, nothing half-written) and the error.
func (w *Writer) Result() ([]byte, error) {
	if w.err == nil && w.nest.Depth() > 0 {
		w.err = fmt.Errorf("%w: incomplete expression (%d lists open)", banana.ErrUnencodable, w.nest.Depth())
	}
	if w.err != nil {
		return w.buf[:w.e.start], w.err
	}
	return w.buf, nil
}

func (w *Writer) fail(err error) error {
	w.err = err
	return err
}

// settle ends a pending text list that the next token shows is not text:
// the tag written in it must then have fitted.
func (w *Writer) settle() error {
	if w.pend == pendTag && w.tagOver {
		return w.fail(w.e.tooLarge())
	}
	w.pend = pendNone
	return nil
}

func (w *Writer) set(b []byte, err error) error {
	if err != nil {
		return w.fail(err)
	}
	w.buf = b
	w.nest.Done()
	return nil
}

// List implements token.Writer.
func (w *Writer) List(n int) error {
	if w.err != nil {
		return w.err
	}
	if w.pend != pendNone {
		if err := w.settle(); err != nil {
			return err
		}
	}
	if w.nest.Depth() >= w.lim.MaxDepth {
		return w.fail(fmt.Errorf("%w: %w: lists nested more than %d deep (cyclic list?)", banana.ErrUnencodable, banana.ErrTooDeep, w.lim.MaxDepth))
	}
	if n > w.lim.MaxList || uint64(n) > math.MaxUint32 {
		return w.fail(fmt.Errorf("%w: list of %d elements is longer than the limit of %d", banana.ErrTooLarge, n, w.lim.MaxList))
	}
	dst := w.buf
	switch {
	case n <= 15:
		if err := w.e.room(dst, 1); err != nil {
			return w.fail(err)
		}
		dst = append(dst, cFixArray|byte(n))
	case n <= math.MaxUint16:
		if err := w.e.room(dst, 3); err != nil {
			return w.fail(err)
		}
		dst = binary.BigEndian.AppendUint16(append(dst, cArray16), uint16(n))
	default:
		if err := w.e.room(dst, 5); err != nil {
			return w.fail(err)
		}
		dst = binary.BigEndian.AppendUint32(append(dst, cArray32), uint32(n))
	}
	switch n {
	case 0:
		w.nest.Done()
	case 2:
		w.pend, w.textAt = pendList, len(w.buf)
		w.nest.Push(n)
	default:
		w.nest.Push(n)
	}
	w.buf = dst
	return nil
}

// Int implements token.Writer.
func (w *Writer) Int(v int64) error {
	if w.err != nil {
		return w.err
	}
	if w.pend != pendNone {
		if err := w.settle(); err != nil {
			return err
		}
	}
	return w.set(w.e.appendInt64(w.buf, v))
}

// Uint implements token.Writer.
func (w *Writer) Uint(v uint64) error {
	if w.err != nil {
		return w.err
	}
	if w.pend != pendNone {
		if err := w.settle(); err != nil {
			return err
		}
	}
	return w.set(w.e.appendUint64(w.buf, v))
}

// Big implements token.Writer.
func (w *Writer) Big(v *big.Int) error {
	if w.err != nil {
		return w.err
	}
	if w.pend != pendNone {
		if err := w.settle(); err != nil {
			return err
		}
	}
	return w.set(w.e.appendBig(w.buf, v))
}

// Float implements token.Writer.
func (w *Writer) Float(v float64) error {
	if w.err != nil {
		return w.err
	}
	if w.pend != pendNone {
		if err := w.settle(); err != nil {
			return err
		}
	}
	return w.set(w.e.appendFloat(w.buf, v))
}

// Bytes implements token.Writer.
func (w *Writer) Bytes(v []byte) error {
	if w.share > 0 && len(v) >= w.share && w.pend != pendTag && w.err == nil {
		return w.shareBytes(v)
	}
	return writeStr(w, v)
}

// String implements token.Writer.
func (w *Writer) String(v string) error { return writeStr(w, v) }

func writeStr[T string | []byte](w *Writer, v T) error {
	if w.err != nil {
		return w.err
	}
	switch w.pend {
	case pendList:
		if asString(v) == unicodeTag {
			// Perhaps text: the room check waits for the list's second
			// member, which may fold the list into a shorter ExtText.
			if err := w.e.checkStr(len(v)); err != nil {
				return w.fail(err)
			}
			w.tagOver = w.e.room(w.buf, 1+len(v)) != nil
			w.buf = append(append(w.buf, cFixStr|byte(len(v))), v...)
			w.pend = pendTag
			w.nest.Done()
			return nil
		}
		w.pend = pendNone
	case pendTag:
		if validUTF8(v) {
			// Text: rewrite the list as ExtText.
			w.pend = pendNone
			if err := w.e.checkStr(len(v)); err != nil {
				return w.fail(err)
			}
			dst, err := appendText(&w.e, w.buf[:w.textAt], v)
			if err != nil {
				return w.fail(err)
			}
			w.buf = dst
			w.nest.Done()
			return nil
		}
		if err := w.settle(); err != nil {
			return err
		}
	}
	dst, err := w.e.appendStrHeader(w.buf, len(v), len(v) <= maxFixStr && validUTF8(v))
	if err != nil {
		return w.fail(err)
	}
	w.buf = append(dst, v...)
	w.nest.Done()
	return nil
}

// Text implements token.TextWriter: it writes ["unicode", s] as ExtText.
func (w *Writer) Text(s string) error {
	if w.err != nil {
		return w.err
	}
	if !validUTF8(s) {
		return token.ErrNotText
	}
	if w.pend != pendNone {
		if err := w.settle(); err != nil {
			return err
		}
	}
	if err := w.e.checkText(len(s), w.nest.Depth()); err != nil {
		return w.fail(err)
	}
	dst, err := appendText(&w.e, w.buf, s)
	if err != nil {
		return w.fail(err)
	}
	w.buf = dst
	w.nest.Done()
	return nil
}

// Prefix appends a token.Prefix from its cached encoding
// (token.PrefixWriter); the result is the same as writing its tokens.
func (w *Writer) Prefix(p *token.Prefix) error {
	if w.err != nil {
		return w.err
	}
	enc := p.Encoding(token.SlotNative, encodePrefix)
	listDepth, maxList, maxString := p.Needs()
	if w.pend != pendNone || w.nest.Depth()+listDepth >= w.lim.MaxDepth || maxList > w.lim.MaxList ||
		maxString > w.lim.MaxString || len(enc) > w.lim.MaxExpression-(len(w.buf)-w.e.start) {
		// Near a limit, or inside a list that may be text: token by
		// token, which gives the same bytes or the exact error.
		return p.Replay(w)
	}
	w.buf = append(w.buf, enc...)
	w.nest.Apply(p)
	// A prefix that ends inside a list of two may leave text pending.
	toks := p.Tokens()
	if k := len(toks); k > 0 && toks[k-1].Kind == token.List && toks[k-1].N == 2 {
		w.pend, w.textAt = pendList, len(w.buf)-1
	} else if k > 1 && toks[k-2].Kind == token.List && toks[k-2].N == 2 &&
		toks[k-1].Kind == token.Bytes && string(toks[k-1].Bytes) == unicodeTag {
		w.pend, w.tagOver, w.textAt = pendTag, false, len(w.buf)-2-len(unicodeTag)
	}
	return nil
}

// Scalars implements token.FlatWriter.
func (w *Writer) Scalars(n int) []token.Token {
	if len(w.scalars) < n {
		w.scalars = make([]token.Token, n)
	}
	return w.scalars[:n]
}

// flatEnc is what a Writer or Reader keeps of a token.Flat: a step for
// each scalar, with the encoding of the prefix before it, and the
// encoding of the prefix after the last scalar, if there is one.
type flatEnc struct {
	steps []flatStep
	last  []byte
	// The Writer may append the prefixes' encodings one after the other:
	// none leaves a list that may be text open (pend).
	simple bool
	// fixed bounds the bytes of the element but those of its scalars'
	// byte strings.
	fixed int
	// The Flat's longest list and byte string (token.Flat.Needs).
	maxList, maxString int
}

type flatStep struct {
	pre []byte
	// A prefix of at most 16 bytes is copied as two words, lo and hi (its
	// bytes, little-endian, padded with zeros), and compared as two
	// words masked with mlo and mhi.
	lo, hi   uint64
	mlo, mhi uint64
	kind     token.Kind
}

// flatSlack is the room Flat makes beyond the element's bytes, for the
// two-word copies of prefixes.
const flatSlack = 16

func flatOf(f *token.Flat) *flatEnc {
	return f.Cached(token.SlotNative, buildFlatEnc).(*flatEnc)
}

func buildFlatEnc(f *token.Flat) any {
	fe := &flatEnc{simple: true}
	_, fe.maxList, fe.maxString = f.Needs()
	kinds := f.Kinds()
	for i, p := range f.Prefixes() {
		enc := p.Encoding(token.SlotNative, encodePrefix)
		fe.fixed += len(enc)
		if toks := p.Tokens(); endsPending(toks) {
			fe.simple = false
		}
		if i == len(kinds) {
			fe.last = enc
			break
		}
		st := flatStep{pre: enc, kind: kinds[i]}
		if len(enc) <= 16 {
			var w [16]byte
			copy(w[:], enc)
			st.lo, st.hi = binary.LittleEndian.Uint64(w[:]), binary.LittleEndian.Uint64(w[8:])
			for j := range w {
				w[j] = 0
				if j < len(enc) {
					w[j] = 0xff
				}
			}
			st.mlo, st.mhi = binary.LittleEndian.Uint64(w[:]), binary.LittleEndian.Uint64(w[8:])
		}
		fe.steps = append(fe.steps, st)
		switch kinds[i] {
		case token.Int, token.Float:
			fe.fixed += 9
		case token.Text:
			fe.fixed += 6 // the longest ext header
		case token.Bytes:
			fe.fixed += 5 // the longest bin header
		}
	}
	return fe
}

// endsPending reports whether tokens leave a list that may be text open:
// they end with List(2), or with List(2), Bytes("unicode").
func endsPending(toks []token.Token) bool {
	k := len(toks)
	return k > 0 && toks[k-1].Kind == token.List && toks[k-1].N == 2 ||
		k > 1 && toks[k-2].Kind == token.List && toks[k-2].N == 2 && toks[k-1].Kind == token.Bytes && string(toks[k-1].Bytes) == unicodeTag
}

// Flat implements token.FlatWriter. It checks the limits once for the
// whole element, allowing for the longest encoding of each scalar (and
// the byte strings one by one against MaxString); near a limit it
// declines, and the tokens one by one give the exact result.
func (w *Writer) Flat(f *token.Flat, vals []token.Token) bool {
	if w.err != nil || w.pend != pendNone {
		return false
	}
	fe := flatOf(f)
	listDepth, maxList, maxString := f.Needs()
	lim := &w.lim
	if !fe.simple || len(vals) < len(fe.steps) || w.nest.Depth()+listDepth >= lim.MaxDepth ||
		maxList > lim.MaxList || maxList > math.MaxUint32 || maxString > lim.MaxString {
		return false
	}
	vals = vals[:len(fe.steps)]
	maxStr := min(lim.MaxString, math.MaxUint32)
	need := fe.fixed
	for i := range fe.steps {
		if k := fe.steps[i].kind; k == token.Text || k == token.Bytes {
			n := len(vals[i].Bytes)
			if n > maxStr || k == token.Bytes && w.share > 0 && n >= w.share {
				return false // (a byte string to share goes token by token)
			}
			need += n
		}
	}
	buf := w.buf
	if need > lim.MaxExpression-(len(buf)-w.e.start+w.e.shared) {
		return false
	}
	if cap(buf)-len(buf) < need+flatSlack {
		buf = slices.Grow(buf, need+flatSlack)
	}
	for i := range fe.steps {
		st := &fe.steps[i]
		v := &vals[i]
		if n := len(buf); len(st.pre) <= 16 {
			b := buf[n : n+16]
			binary.LittleEndian.PutUint64(b, st.lo)
			binary.LittleEndian.PutUint64(b[8:], st.hi)
			buf = buf[:n+len(st.pre)]
		} else {
			buf = append(buf, st.pre...)
		}
		switch st.kind {
		case token.Int:
			buf = appendInt(buf, v.Int)
		case token.Float:
			buf = binary.BigEndian.AppendUint64(append(buf, cFloat64), math.Float64bits(v.Float))
		case token.Text:
			s := v.Bytes
			if !validText(s) {
				return false // w.buf is untouched
			}
			if n := len(s); n < len(fixExtFormat) && fixExtFormat[n] != 0 {
				buf = append(buf, fixExtFormat[n], byte(ExtText))
			} else if n <= math.MaxUint8 {
				buf = append(buf, cExt8, byte(n), byte(ExtText))
			} else {
				buf = appendExtHeader(buf, n, ExtText)
			}
			buf = append(buf, s...)
		case token.Bytes:
			s := v.Bytes
			if len(s) <= maxFixStr && validText(s) {
				buf = append(buf, cFixStr|byte(len(s)))
			} else {
				buf = appendBinHeader(buf, len(s))
			}
			buf = append(buf, s...)
		default:
			return false
		}
	}
	buf = append(buf, fe.last...)
	w.buf = buf
	w.nest.Done()
	return true
}

// fixExtFormat is the fixext format for a payload of n bytes, 0 if none.
var fixExtFormat = [17]byte{1: cFixExt1, 2: cFixExt2, 4: cFixExt4, 8: cFixExt8, 16: cFixExt16}

// appendInt appends v in the shortest msgpack integer format, as
// encoder.appendInt64 does (without its room check).
func appendInt(dst []byte, v int64) []byte {
	switch {
	case v >= 0 && v <= cPosFixMax, v < 0 && v >= -32:
		return append(dst, byte(v))
	case v >= 0:
		u := uint64(v)
		switch {
		case u <= math.MaxUint8:
			return append(dst, cUint8, byte(u))
		case u <= math.MaxUint16:
			return binary.BigEndian.AppendUint16(append(dst, cUint16), uint16(u))
		case u <= math.MaxUint32:
			return binary.BigEndian.AppendUint32(append(dst, cUint32), uint32(u))
		}
		return binary.BigEndian.AppendUint64(append(dst, cUint64), u)
	case v >= math.MinInt8:
		return append(dst, cInt8, byte(v))
	case v >= math.MinInt16:
		return binary.BigEndian.AppendUint16(append(dst, cInt16), uint16(v))
	case v >= math.MinInt32:
		return binary.BigEndian.AppendUint32(append(dst, cInt32), uint32(v))
	}
	return binary.BigEndian.AppendUint64(append(dst, cInt64), uint64(v))
}

// encodePrefix is the encoding of a token.Prefix's tokens.
func encodePrefix(toks []token.Token) []byte {
	var s Writer
	s.Reset(nil, banana.Limits{})
	_ = token.WriteTokens(&s, toks)
	return s.buf // a prefix leaves lists open
}

// validUTF8 is utf8.Valid, quicker for short ASCII.
func validUTF8[T string | []byte](s T) bool {
	if len(s) < 16 {
		for i := 0; i < len(s); i++ {
			if s[i] >= utf8.RuneSelf {
				return utf8.ValidString(asString(s[i:]))
			}
		}
		return true
	}
	return utf8.ValidString(asString(s))
}

// validText is validUTF8 for []byte, small enough to be inlined. Below 16
// bytes it tests for ASCII with two overlapping word loads.
func validText(b []byte) bool {
	n := len(b)
	var or uint64
	switch {
	case n >= 16:
		return utf8.Valid(b)
	case n >= 8:
		or = binary.LittleEndian.Uint64(b) | binary.LittleEndian.Uint64(b[n-8:])
	case n >= 4:
		or = uint64(binary.LittleEndian.Uint32(b) | binary.LittleEndian.Uint32(b[n-4:]))
	case n > 0:
		or = uint64(b[0] | b[n/2] | b[n-1])
	}
	return or&0x8080808080808080 == 0 || utf8.Valid(b)
}

// asString views s as a string without copying it (a slice header starts
// with the fields of a string header). The result is valid only while
// s's bytes stay unchanged.
func asString[T string | []byte](s T) string { return *(*string)(unsafe.Pointer(&s)) }
