package native

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/big"
	"slices"
	"unicode/utf8"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/jelly/token"
)

// Writer appends expressions to a byte slice token by token
// (token.Writer), producing exactly the bytes Append produces for the same
// expression, with the same limits. The zero Writer is not ready: call
// Reset first.
type Writer struct {
	e    encoder
	lim  banana.Limits
	buf  []byte
	nest token.Nesting
	err  error
}

var _ token.Writer = (*Writer)(nil)

// Reset makes w append to dst with limits l (zero fields take their
// defaults). MaxExpression applies to everything written after Reset.
func (w *Writer) Reset(dst []byte, l banana.Limits) {
	w.lim = l.WithDefaults()
	w.e = encoder{lim: &w.lim, start: len(dst)}
	w.buf = dst
	w.nest.Reset()
	w.err = nil
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
		w.err = fmt.Errorf("%w: %w: lists nested more than %d deep (cyclic list?)", banana.ErrUnencodable, banana.ErrTooDeep, w.lim.MaxDepth)
		return w.err
	}
	if n > w.lim.MaxList || uint64(n) > math.MaxUint32 {
		w.err = fmt.Errorf("%w: list of %d elements is longer than the limit of %d", banana.ErrTooLarge, n, w.lim.MaxList)
		return w.err
	}
	dst := w.buf
	switch {
	case n <= 15:
		if err := w.e.room(dst, 1); err != nil {
			w.err = err
			return err
		}
		dst = append(dst, cFixArray|byte(n))
	case n <= math.MaxUint16:
		if err := w.e.room(dst, 3); err != nil {
			w.err = err
			return err
		}
		dst = binary.BigEndian.AppendUint16(append(dst, cArray16), uint16(n))
	default:
		if err := w.e.room(dst, 5); err != nil {
			w.err = err
			return err
		}
		dst = binary.BigEndian.AppendUint32(append(dst, cArray32), uint32(n))
	}
	w.buf = dst
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
	dst, err := w.e.appendStrHeader(w.buf, len(v), len(v) <= maxFixStr && utf8.Valid(v))
	if err != nil {
		w.err = err
		return err
	}
	w.buf = append(dst, v...)
	w.nest.Done()
	return nil
}

// String implements token.Writer.
func (w *Writer) String(v string) error {
	if w.err != nil {
		return w.err
	}
	dst, err := w.e.appendStrHeader(w.buf, len(v), len(v) <= maxFixStr && utf8.ValidString(v))
	if err != nil {
		w.err = err
		return err
	}
	w.buf = append(dst, v...)
	w.nest.Done()
	return nil
}

// Reader walks the tokens of msgpack-encoded expressions held in memory
// (token.Reader). It expects input as ReadFrame returns it; malformed
// input gives an error wrapping banana.ErrProtocol, never a panic.
type Reader struct {
	b []byte
}

var _ token.Reader = (*Reader)(nil)

// Reset makes r read b.
func (r *Reader) Reset(b []byte) { r.b = b }

// Len returns how many bytes are left.
func (r *Reader) Len() int { return len(r.b) }

func (r *Reader) uint(n int) (uint64, bool) {
	if len(r.b) < n {
		return 0, false
	}
	p := r.b[:n]
	r.b = r.b[n:]
	switch n {
	case 1:
		return uint64(p[0]), true
	case 2:
		return uint64(binary.BigEndian.Uint16(p)), true
	case 4:
		return uint64(binary.BigEndian.Uint32(p)), true
	default:
		return binary.BigEndian.Uint64(p), true
	}
}

var errTruncated = fmt.Errorf("%w: truncated element", banana.ErrProtocol)

func (r *Reader) str(n uint64, t *token.Token) error {
	if n > uint64(len(r.b)) {
		return errTruncated
	}
	t.Kind, t.Bytes = token.Bytes, r.b[:n:n]
	r.b = r.b[n:]
	return nil
}

func (r *Reader) list(n uint64, t *token.Token) error {
	if n > uint64(len(r.b)) {
		return errTruncated
	}
	t.Kind, t.N = token.List, int(n)
	return nil
}

// Next implements token.Reader.
func (r *Reader) Next(t *token.Token) error {
	b := r.b
	if len(b) == 0 {
		return token.ErrEnd
	}
	c := b[0]
	// The formats PB sends most, decoded inline.
	switch {
	case c <= cPosFixMax:
		*t = token.Token{Kind: token.Int, Int: int64(c)}
		r.b = b[1:]
		return nil
	case c >= cFixStr && c < cNil:
		n := int(c&0x1f) + 1
		if n > len(b) {
			r.b = b[1:]
			return errTruncated
		}
		*t = token.Token{Kind: token.Bytes, Bytes: b[1:n:n]}
		r.b = b[n:]
		return nil
	case c >= cFixArray && c < cFixStr:
		n := int(c & 0x0f)
		r.b = b[1:]
		if n > len(b)-1 {
			return errTruncated
		}
		*t = token.Token{Kind: token.List, N: n}
		return nil
	case c == cFloat64:
		if len(b) < 9 {
			r.b = b[1:]
			return errTruncated
		}
		*t = token.Token{Kind: token.Float, Float: math.Float64frombits(binary.BigEndian.Uint64(b[1:]))}
		r.b = b[9:]
		return nil
	case c >= cNegFixMin:
		*t = token.Token{Kind: token.Int, Int: int64(int8(c))}
		r.b = b[1:]
		return nil
	}
	r.b = b[1:]
	return r.next(c, t)
}

// next is Next for the less common formats; c is the first byte, already
// consumed.
func (r *Reader) next(c byte, t *token.Token) error {
	*t = token.Token{}
	switch {
	case c >= cFixArray && c < cFixStr:
		return r.list(uint64(c&0x0f), t)
	case c >= cFixStr && c < cNil:
		return r.str(uint64(c&0x1f), t)
	}
	var size int
	switch c {
	case cBin8, cStr8, cUint8, cInt8:
		size = 1
	case cBin16, cStr16, cArray16, cUint16, cInt16:
		size = 2
	case cBin32, cStr32, cArray32, cUint32, cInt32, cFloat32:
		size = 4
	case cUint64, cInt64, cFloat64:
		size = 8
	case cFixExt1, cFixExt2, cFixExt4, cFixExt8, cFixExt16:
		return r.ext(uint64(1)<<(c-cFixExt1), t)
	case cExt8, cExt16, cExt32:
		n, ok := r.uint(1 << (c - cExt8))
		if !ok {
			return errTruncated
		}
		return r.ext(n, t)
	default:
		return fmt.Errorf("%w: msgpack byte 0x%02x is not an expression", banana.ErrProtocol, c)
	}
	u, ok := r.uint(size)
	if !ok {
		return errTruncated
	}
	switch c {
	case cBin8, cStr8, cBin16, cStr16, cBin32, cStr32:
		return r.str(u, t)
	case cArray16, cArray32:
		return r.list(u, t)
	case cUint8, cUint16, cUint32, cUint64:
		if u > math.MaxInt64 {
			t.Kind, t.Big = token.Big, new(big.Int).SetUint64(u)
		} else {
			t.Kind, t.Int = token.Int, int64(u)
		}
	case cInt8:
		t.Kind, t.Int = token.Int, int64(int8(u))
	case cInt16:
		t.Kind, t.Int = token.Int, int64(int16(u))
	case cInt32:
		t.Kind, t.Int = token.Int, int64(int32(u))
	case cInt64:
		t.Kind, t.Int = token.Int, int64(u)
	case cFloat32:
		t.Kind, t.Float = token.Float, float64(math.Float32frombits(uint32(u)))
	case cFloat64:
		t.Kind, t.Float = token.Float, math.Float64frombits(u)
	}
	return nil
}

func (r *Reader) ext(n uint64, t *token.Token) error {
	typ, ok := r.uint(1)
	if !ok {
		return errTruncated
	}
	if int8(typ) != ExtBigInt || n < 2 || n > maxBigPayload || n > uint64(len(r.b)) {
		return fmt.Errorf("%w: bad msgpack extension", banana.ErrProtocol)
	}
	b := r.b[:n]
	r.b = r.b[n:]
	if b[0] > 1 || b[1] == 0 {
		return fmt.Errorf("%w: bad integer extension", banana.ErrProtocol)
	}
	z := new(big.Int).SetBytes(b[1:])
	if b[0] == 1 {
		z.Neg(z)
	}
	if z.IsInt64() {
		t.Kind, t.Int = token.Int, z.Int64()
	} else {
		t.Kind, t.Big = token.Big, z
	}
	return nil
}

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
		// Take every complete element already buffered in one pass; the
		// element-by-element code below handles the rest (an element not
		// wholly buffered, and every error).
		if k := d.r.Buffered(); k > 0 {
			buf, _ := d.r.Peek(k)
			var i int
			var end bool
			i, end, open = d.scan(buf, open)
			dst = append(dst, buf[:i]...)
			d.r.Discard(i)
			if end {
				return dst, nil
			}
		}
		// The element's first byte and its fixed-size header or body.
		c, err := d.r.ReadByte()
		if err != nil {
			if err == io.EOF && d.n > 0 {
				err = io.ErrUnexpectedEOF
			}
			return dst, err
		}
		if d.n++; d.n > d.lim.MaxExpression {
			return dst, d.tooLong()
		}
		dst = append(dst, c)
		hdr := func(n int) (uint64, error) {
			if n > d.lim.MaxExpression-d.n {
				return 0, d.tooLong()
			}
			p, err := d.r.Peek(n)
			if err != nil {
				return 0, bodyErr(err)
			}
			dst = append(dst, p...)
			d.r.Discard(n)
			d.n += n
			switch n {
			case 1:
				return uint64(p[0]), nil
			case 2:
				return uint64(binary.BigEndian.Uint16(p)), nil
			case 4:
				return uint64(binary.BigEndian.Uint32(p)), nil
			default:
				return binary.BigEndian.Uint64(p), nil
			}
		}
		var listN uint64
		isList := false
		strN := uint64(0)
		isStr := false
		switch {
		case c <= cPosFixMax, c >= cNegFixMin:
		case c < cFixArray:
			return dst, protoErr("msgpack map (0x%02x) is not an expression", c)
		case c < cFixStr:
			listN, isList = uint64(c&0x0f), true
		case c < cNil:
			strN, isStr = uint64(c&0x1f), true
		default:
			switch c {
			case cBin8, cStr8, cBin16, cStr16, cBin32, cStr32:
				sz := 1
				switch c {
				case cBin16, cStr16:
					sz = 2
				case cBin32, cStr32:
					sz = 4
				}
				n, err := hdr(sz)
				if err != nil {
					return dst, err
				}
				strN, isStr = n, true
			case cArray16, cArray32:
				sz := 2
				if c == cArray32 {
					sz = 4
				}
				n, err := hdr(sz)
				if err != nil {
					return dst, err
				}
				listN, isList = n, true
			case cUint8, cUint16, cUint32, cUint64:
				if _, err := hdr(1 << (c - cUint8)); err != nil {
					return dst, err
				}
			case cInt8, cInt16, cInt32, cInt64:
				if _, err := hdr(1 << (c - cInt8)); err != nil {
					return dst, err
				}
			case cFloat64:
				if _, err := hdr(8); err != nil {
					return dst, err
				}
			case cFloat32:
				if _, err := hdr(4); err != nil {
					return dst, err
				}
			case cFixExt1, cFixExt2, cFixExt4, cFixExt8, cFixExt16, cExt8, cExt16, cExt32:
				var n uint64
				if c >= cFixExt1 && c <= cFixExt16 {
					n = 1 << (c - cFixExt1)
				} else {
					sz := 1 << (c - cExt8)
					if n, err = hdr(sz); err != nil {
						return dst, err
					}
				}
				typ, err := hdr(1)
				if err != nil {
					return dst, err
				}
				if int8(typ) != ExtBigInt {
					return dst, protoErr("msgpack extension type %d is not an expression", int8(typ))
				}
				if n > maxBigPayload {
					return dst, fmt.Errorf("%w: integer of %d bytes exceeds %d bits (%w)",
						banana.ErrProtocol, n-1, MaxIntBits, banana.ErrTooLarge)
				}
				if n < 2 {
					return dst, protoErr("integer extension of %d bytes (want a sign byte and a magnitude)", n)
				}
				if int(n) > d.lim.MaxExpression-d.n {
					return dst, d.tooLong()
				}
				at := len(dst)
				if dst, err = readFull(d.r, dst, int(n)); err != nil {
					return dst, bodyErr(err)
				}
				d.n += int(n)
				if dst[at] > 1 {
					return dst, protoErr("integer extension with sign byte 0x%02x (want 0 or 1)", dst[at])
				}
				if dst[at+1] == 0 {
					return dst, protoErr("integer extension with a leading zero byte")
				}
			case cNil:
				return dst, protoErr("msgpack nil is not an expression")
			case cFalse, cTrue:
				return dst, protoErr("msgpack bool is not an expression (booleans are sent as integers)")
			case cMap16, cMap32:
				return dst, protoErr("msgpack map (0x%02x) is not an expression", c)
			default:
				return dst, protoErr("invalid msgpack byte 0x%02x", c)
			}
		}
		if isList {
			if listN > uint64(d.lim.MaxList) {
				return dst, fmt.Errorf("%w: list of %d elements exceeds the limit of %d (%w)",
					banana.ErrProtocol, listN, d.lim.MaxList, banana.ErrTooLarge)
			}
			if len(open) >= d.lim.MaxDepth {
				return dst, fmt.Errorf("%w: lists nested more than %d deep (%w)", banana.ErrProtocol, d.lim.MaxDepth, banana.ErrTooDeep)
			}
			if int(listN) > d.lim.MaxExpression-d.n {
				return dst, d.tooLong()
			}
			if listN > 0 {
				open = append(open, int(listN))
				continue
			}
		}
		if isStr {
			if strN > uint64(d.lim.MaxString) {
				return dst, fmt.Errorf("%w: byte string of %d bytes exceeds the limit of %d (%w)",
					banana.ErrProtocol, strN, d.lim.MaxString, banana.ErrTooLarge)
			}
			n := int(strN)
			if n > d.lim.MaxExpression-d.n {
				return dst, d.tooLong()
			}
			d.n += n
			var err error
			if dst, err = readFull(d.r, dst, n); err != nil {
				return dst, bodyErr(err)
			}
		}
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

// scan walks the elements at the start of buf that are wholly there and
// pass every check, closing the lists they complete, and returns how many
// bytes they take and whether they complete the frame. It stops, before
// it, at an element that is cut off by the end of buf, that breaks a limit
// or that is anything but an int, float, str/bin or array: frame reads
// that one byte by byte, with the exact errors. It counts d.n as frame
// does.
func (d *Decoder) scan(buf []byte, open []int) (int, bool, []int) {
	i, n := 0, d.n
	maxExpr, maxStr, maxList, maxDepth := d.lim.MaxExpression, d.lim.MaxString, d.lim.MaxList, d.lim.MaxDepth
	defer func() { d.n = n }()
	for i < len(buf) {
		c := buf[i]
		var size, listN int // size: the element's bytes; listN: a list's members
		isList := false
		switch {
		case c <= cPosFixMax || c >= cNegFixMin:
			size = 1
		case c >= cFixStr && c < cNil:
			size = 1 + int(c&0x1f)
			if int(c&0x1f) > maxStr {
				return i, false, open
			}
		case c >= cFixArray && c < cFixStr:
			size, listN, isList = 1, int(c&0x0f), true
		default:
			rest := buf[i+1:]
			switch c {
			case cFloat64, cUint64, cInt64:
				size = 9
			case cFloat32, cUint32, cInt32:
				size = 5
			case cUint16, cInt16:
				size = 3
			case cUint8, cInt8:
				size = 2
			case cStr8, cBin8:
				if len(rest) < 1 {
					return i, false, open
				}
				l := int(rest[0])
				if l > maxStr {
					return i, false, open
				}
				size = 2 + l
			case cStr16, cBin16:
				if len(rest) < 2 {
					return i, false, open
				}
				l := int(binary.BigEndian.Uint16(rest))
				if l > maxStr {
					return i, false, open
				}
				size = 3 + l
			case cStr32, cBin32:
				if len(rest) < 4 {
					return i, false, open
				}
				l := uint64(binary.BigEndian.Uint32(rest))
				if l > uint64(maxStr) {
					return i, false, open
				}
				size = 5 + int(l)
			case cArray16:
				if len(rest) < 2 {
					return i, false, open
				}
				size, listN, isList = 3, int(binary.BigEndian.Uint16(rest)), true
			case cArray32:
				if len(rest) < 4 {
					return i, false, open
				}
				l := uint64(binary.BigEndian.Uint32(rest))
				if l > uint64(maxList) {
					return i, false, open
				}
				size, listN, isList = 5, int(l), true
			default:
				return i, false, open
			}
		}
		if size > len(buf)-i || size > maxExpr-n {
			return i, false, open
		}
		if isList {
			if listN > maxList || len(open) >= maxDepth || listN > maxExpr-n-size {
				return i, false, open
			}
			i += size
			n += size
			if listN > 0 {
				open = append(open, listN)
				continue
			}
		} else {
			i += size
			n += size
		}
		for {
			if len(open) == 0 {
				return i, true, open
			}
			open[len(open)-1]--
			if open[len(open)-1] > 0 {
				break
			}
			open = open[:len(open)-1]
		}
	}
	return i, false, open
}

// readFull appends n bytes from r to dst, growing dst only as the bytes
// arrive (by at most what has arrived, or 4 KiB).
func readFull(r io.Reader, dst []byte, n int) ([]byte, error) {
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
	enc := p.Encoding(token.SlotNative, func(toks []token.Token) []byte {
		var s Writer
		s.Reset(nil, banana.Limits{})
		_ = token.WriteTokens(&s, toks)
		return s.buf // a prefix leaves lists open
	})
	toks := p.Tokens()
	listDepth, maxList, maxString := p.Needs()
	if w.nest.Depth()+listDepth >= w.lim.MaxDepth || maxList > w.lim.MaxList || maxString > w.lim.MaxString ||
		len(enc) > w.lim.MaxExpression-(len(w.buf)-w.e.start) {
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
