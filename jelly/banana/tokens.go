package banana

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/big"
	"slices"

	"github.com/braidkit/braid/jelly/token"
)

// Writer appends expressions to a byte slice token by token
// (token.Writer), producing exactly the bytes Append produces for the
// same expression, with the same limits. It lets package jelly encode a
// value without building an expression tree. The zero Writer is not ready:
// call Reset first.
type Writer struct {
	e    encoder
	lim  Limits
	buf  []byte
	nest token.Nesting
	err  error
}

var _ token.Writer = (*Writer)(nil)

// Reset makes w append to dst, in dialect d with limits l (zero fields take
// their defaults). MaxExpression applies to everything written after
// Reset.
func (w *Writer) Reset(dst []byte, d Dialect, l Limits) {
	w.lim = l.WithDefaults()
	w.e = encoder{dialect: d, lim: &w.lim, start: len(dst)}
	w.buf = dst
	w.nest.Reset()
	w.err = nil
}

// Result returns the extended slice. If a token was refused, or the last
// expression is incomplete, it returns the slice given to Reset (same
// length, nothing half-written) and the error.
func (w *Writer) Result() ([]byte, error) {
	if w.err == nil && w.nest.Depth() > 0 {
		w.err = fmt.Errorf("%w: incomplete expression (%d lists open)", ErrUnencodable, w.nest.Depth())
	}
	if w.err != nil {
		return w.buf[:w.e.start], w.err
	}
	return w.buf, nil
}

func (w *Writer) set(b []byte, err error) error {
	if err != nil {
		w.err = err
		return err
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
	if w.nest.Depth() >= w.lim.MaxDepth {
		w.err = fmt.Errorf("%w: %w: lists nested more than %d deep (cyclic list?)", ErrUnencodable, ErrTooDeep, w.lim.MaxDepth)
		return w.err
	}
	if n > w.lim.MaxList {
		w.err = fmt.Errorf("%w: list of %d elements is longer than the limit of %d", ErrTooLarge, n, w.lim.MaxList)
		return w.err
	}
	b, err := w.e.appendHeader(w.buf, uint64(n), typeList)
	if err != nil {
		w.err = err
		return err
	}
	w.buf = b
	if n == 0 {
		w.nest.Done()
	} else {
		w.nest.Push(n)
	}
	return nil
}

// Int implements token.Writer.
func (w *Writer) Int(v int64) error {
	if w.err != nil {
		return w.err
	}
	return w.set(w.e.appendInt64(w.buf, v))
}

// Uint implements token.Writer.
func (w *Writer) Uint(v uint64) error {
	if w.err != nil {
		return w.err
	}
	return w.set(w.e.appendUint64(w.buf, v))
}

// Big implements token.Writer.
func (w *Writer) Big(v *big.Int) error {
	if w.err != nil {
		return w.err
	}
	return w.set(w.e.appendBig(w.buf, v))
}

// Float implements token.Writer.
func (w *Writer) Float(v float64) error {
	if w.err != nil {
		return w.err
	}
	return w.set(w.e.appendFloat(w.buf, v))
}

// Bytes implements token.Writer.
func (w *Writer) Bytes(v []byte) error {
	if w.err != nil {
		return w.err
	}
	if w.e.dialect == DialectPB {
		if i, ok := VocabIndex(v); ok {
			return w.set(w.e.appendHeader(w.buf, uint64(i), typeVocab))
		}
	}
	if err := w.e.checkString(w.buf, len(v)); err != nil {
		w.err = err
		return err
	}
	w.buf = append(append(appendB128(w.buf, uint64(len(v))), typeString), v...)
	w.nest.Done()
	return nil
}

// String implements token.Writer.
func (w *Writer) String(v string) error {
	if w.err != nil {
		return w.err
	}
	if w.e.dialect == DialectPB {
		if i, ok := vocabIndexString(v); ok {
			return w.set(w.e.appendHeader(w.buf, uint64(i), typeVocab))
		}
	}
	if err := w.e.checkString(w.buf, len(v)); err != nil {
		w.err = err
		return err
	}
	w.buf = append(append(appendB128(w.buf, uint64(len(v))), typeString), v...)
	w.nest.Done()
	return nil
}

// Reader walks the tokens of Banana-encoded expressions held in memory
// (token.Reader). It trusts its input to be well formed within the
// limits, as ReadFrame returns it; malformed input gives an error wrapping
// ErrProtocol, never a panic. VOCAB tokens come back as the word.
type Reader struct {
	b       []byte
	dialect Dialect
}

var _ token.Reader = (*Reader)(nil)

// Reset makes r read b in dialect d.
func (r *Reader) Reset(b []byte, d Dialect) { r.b, r.dialect = b, d }

// Len returns how many bytes are left.
func (r *Reader) Len() int { return len(r.b) }

// Next implements token.Reader.
func (r *Reader) Next(t *Token) error {
	b := r.b
	if len(b) == 0 {
		return token.ErrEnd
	}
	// Prefix digits, least significant first.
	var u uint64
	var over bool
	i := 0
	var shift uint
	for ; i < len(b) && b[i] < 0x80; i++ {
		d := uint64(b[i])
		if d != 0 {
			if shift >= 64 || (shift > 57 && d>>(64-shift) != 0) {
				over = true
			}
		}
		u |= d << shift
		shift += 7
	}
	if i == len(b) {
		return fmt.Errorf("%w: truncated element", ErrProtocol)
	}
	typ := b[i]
	digits := b[:i]
	b = b[i+1:]
	*t = token.Token{}
	switch typ {
	case typeList:
		if over || u > uint64(len(b)) {
			return fmt.Errorf("%w: list too long", ErrProtocol)
		}
		t.Kind, t.N = token.List, int(u)
	case typeString:
		if over || u > uint64(len(b)) {
			return fmt.Errorf("%w: truncated string", ErrProtocol)
		}
		t.Kind, t.Bytes = token.Bytes, b[:u:u]
		b = b[u:]
	case typeInt, typeLongInt, typeNeg, typeLongNeg:
		neg := typ == typeNeg || typ == typeLongNeg
		switch {
		case !over && !neg && u <= math.MaxInt64:
			t.Kind, t.Int = token.Int, int64(u)
		case !over && neg && u <= 1<<63:
			t.Kind, t.Int = token.Int, int64(-u)
		default:
			var d Decoder
			nd := copy(d.digits[:], digits)
			if nd < len(digits) {
				return fmt.Errorf("%w: more than %d prefix digits", ErrProtocol, PrefixLimit)
			}
			z := d.prefixBig(nd)
			if neg {
				z.Neg(z)
			}
			if z.IsInt64() {
				t.Kind, t.Int = token.Int, z.Int64()
			} else {
				t.Kind, t.Big = token.Big, z
			}
		}
	case typeFloat:
		if len(b) < 8 {
			return fmt.Errorf("%w: truncated float", ErrProtocol)
		}
		t.Kind, t.Float = token.Float, math.Float64frombits(binary.BigEndian.Uint64(b))
		b = b[8:]
	case typeVocab:
		if r.dialect != DialectPB || over || u == 0 || u >= uint64(len(vocabWords)) {
			return fmt.Errorf("%w: unknown VOCAB index", ErrProtocol)
		}
		w := vocabBytes[u]
		t.Kind, t.Bytes = token.Bytes, w[:len(w):len(w)]
	default:
		return fmt.Errorf("%w: unknown type byte 0x%02x", ErrProtocol, typ)
	}
	r.b = b
	return nil
}

// Token is token.Token, for the signatures here.
type Token = token.Token

var vocabBytes = func() [][]byte {
	out := make([][]byte, len(vocabWords))
	for i, w := range vocabWords {
		out[i] = []byte(w)
	}
	return out
}()

// ReadFrame reads exactly one complete top-level expression, as Decode
// does, with the same limits, errors and blocking, but instead of building
// it appends its encoded bytes to dst and returns the extended slice, to
// be walked with a Reader. dst grows only as bytes arrive.
func (d *Decoder) ReadFrame(dst []byte) ([]byte, error) {
	if d.err != nil {
		return dst, d.err
	}
	d.n = 0
	start := len(dst)
	out, err := d.frame(dst)
	if err != nil {
		if d.n > 0 {
			d.err = err
		}
		return dst[:start], err
	}
	return out, nil
}

func (d *Decoder) frame(dst []byte) ([]byte, error) {
	open := d.openBuf[:0]
	defer func() { d.openBuf = open[:0] }()
	for {
		nd := 0
		var typ byte
		for {
			c, err := d.r.ReadByte()
			if err != nil {
				return dst, d.readErr(err)
			}
			if d.n++; d.n > d.lim.MaxExpression {
				return dst, d.tooLong()
			}
			dst = append(dst, c)
			if c >= 0x80 {
				typ = c
				break
			}
			if nd == PrefixLimit {
				return dst, fmt.Errorf("%w: more than %d prefix digits", ErrProtocol, PrefixLimit)
			}
			d.digits[nd] = c
			nd++
		}
		switch typ {
		case typeList:
			n, ok := d.prefixUint(nd)
			if !ok || n > uint64(d.lim.MaxList) {
				return dst, fmt.Errorf("%w: list of %s elements exceeds the limit of %d (%w)",
					ErrProtocol, d.prefixString(nd), d.lim.MaxList, ErrTooLarge)
			}
			if len(open) >= d.lim.MaxDepth {
				return dst, fmt.Errorf("%w: lists nested more than %d deep (%w)", ErrProtocol, d.lim.MaxDepth, ErrTooDeep)
			}
			if n > 0 {
				open = append(open, int(n))
				continue
			}
		case typeString:
			n, ok := d.prefixUint(nd)
			if !ok || n > uint64(d.lim.MaxString) {
				return dst, fmt.Errorf("%w: byte string of %s bytes exceeds the limit of %d (%w)",
					ErrProtocol, d.prefixString(nd), d.lim.MaxString, ErrTooLarge)
			}
			if int(n) > d.lim.MaxExpression-d.n {
				return dst, d.tooLong()
			}
			d.n += int(n)
			var err error
			if dst, err = readInto(d.r, dst, int(n)); err != nil {
				return dst, d.bodyErr(err)
			}
		case typeInt, typeLongInt, typeNeg, typeLongNeg:
		case typeFloat:
			if 8 > d.lim.MaxExpression-d.n {
				return dst, d.tooLong()
			}
			d.n += 8
			var err error
			if dst, err = readInto(d.r, dst, 8); err != nil {
				return dst, d.bodyErr(err)
			}
		case typeVocab:
			if d.dialect != DialectPB {
				return dst, fmt.Errorf("%w: VOCAB token in dialect %q", ErrProtocol, d.dialect.String())
			}
			i, ok := d.prefixUint(nd)
			if !ok || i == 0 || i >= uint64(len(vocabWords)) {
				return dst, fmt.Errorf("%w: unknown VOCAB index %s", ErrProtocol, d.prefixString(nd))
			}
		default:
			return dst, fmt.Errorf("%w: unknown type byte 0x%02x", ErrProtocol, typ)
		}
		// One element is complete: close every list it completes.
		for {
			if len(open) == 0 {
				return dst, nil
			}
			open[len(open)-1]--
			if open[len(open)-1] > 0 {
				break
			}
			open = open[:len(open)-1]
		}
	}
}

// readInto appends n bytes from r to dst, growing dst only as the bytes
// arrive (by at most what has arrived, or 4 KiB).
func readInto(r io.Reader, dst []byte, n int) ([]byte, error) {
	for n > 0 {
		if len(dst) == cap(dst) {
			dst = slices.Grow(dst, min(n, max(cap(dst), 4096)))
		}
		k := min(n, cap(dst)-len(dst))
		m, err := io.ReadFull(r, dst[len(dst):len(dst)+k])
		dst = dst[:len(dst)+m]
		n -= m
		if err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// Prefix appends a token.Prefix from its cached encoding
// (token.PrefixWriter); the result is the same as writing its tokens.
func (w *Writer) Prefix(p *token.Prefix) error {
	if w.err != nil {
		return w.err
	}
	slot, d := token.SlotBanana, w.e.dialect
	if d == DialectPB {
		slot = token.SlotBananaPB
	}
	enc := p.Encoding(slot, func(toks []token.Token) []byte {
		var s Writer
		s.Reset(nil, d, Limits{})
		_ = token.WriteTokens(&s, toks)
		return s.buf // a prefix leaves lists open
	})
	toks := p.Tokens()
	if !prefixFits(toks, w.nest.Depth(), w.lim.MaxDepth, w.lim.MaxList, w.lim.MaxString) || w.e.room(w.buf, len(enc)) != nil {
		return p.Replay(w)
	}
	w.buf = append(w.buf, enc...)
	for i := range toks {
		if toks[i].Kind == token.List && toks[i].N > 0 {
			w.nest.Push(toks[i].N)
		} else {
			w.nest.Done()
		}
	}
	return nil
}

// prefixFits reports whether writing toks at depth cannot break a limit
// (conservatively).
func prefixFits(toks []token.Token, depth, maxDepth, maxList, maxString int) bool {
	for i := range toks {
		t := &toks[i]
		switch t.Kind {
		case token.List:
			if depth >= maxDepth || t.N > maxList {
				return false
			}
			if t.N > 0 {
				depth++
			}
		case token.Bytes:
			if len(t.Bytes) > maxString {
				return false
			}
		}
	}
	return true
}

// PrefixFits is prefixFits for package native.
func PrefixFits(toks []token.Token, depth int, l Limits) bool {
	return prefixFits(toks, depth, l.MaxDepth, l.MaxList, l.MaxString)
}
