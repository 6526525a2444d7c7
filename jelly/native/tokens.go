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

// Reader walks the tokens of msgpack-encoded expressions held in memory
// (token.Reader). Malformed input gives an error wrapping
// banana.ErrProtocol, never a panic. Input from ReadFrame has been checked
// against the Decoder's limits already; for input framed otherwise (a
// length-prefixed message, say), SetLimits makes the Reader refuse strings
// and lists beyond them, as the Decoder would. Nesting depth is left to
// the consumer (token.ExprBuilder.MaxDepth).
type Reader struct {
	b       []byte
	limited bool
	maxStr  int // MaxString
	maxList int // MaxList
	textMax int // the longest text within the limits, -1 if none is
}

var (
	_ token.PrefixReader = (*Reader)(nil)
	_ token.FlatReader   = (*Reader)(nil)
)

// Reset makes r read b. It keeps the limits set by SetLimits.
func (r *Reader) Reset(b []byte) { r.b = b }

// SetLimits makes r refuse, with errors wrapping banana.ErrProtocol and
// banana.ErrTooLarge, a byte string longer than l.MaxString or a list
// longer than l.MaxList (zero fields take their defaults); text counts as
// a list of two byte strings, "unicode" and its payload.
func (r *Reader) SetLimits(l banana.Limits) {
	l = l.WithDefaults()
	r.limited, r.maxStr, r.maxList, r.textMax = true, l.MaxString, l.MaxList, -1
	if l.MaxList >= 2 && l.MaxString >= len(unicodeTag) {
		r.textMax = l.MaxString
	}
}

// overLimit is the error for a string, list or text of n beyond max.
func overLimit(what string, n uint64, max int) error {
	return fmt.Errorf("%w: %s of %d exceeds the limit of %d (%w)", banana.ErrProtocol, what, n, max, banana.ErrTooLarge)
}

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
	if r.limited && n > uint64(r.maxStr) {
		return overLimit("string", n, r.maxStr)
	}
	t.Kind, t.Bytes = token.Bytes, r.b[:n:n]
	r.b = r.b[n:]
	return nil
}

func (r *Reader) list(n uint64, t *token.Token) error {
	if n > uint64(len(r.b)) {
		return errTruncated
	}
	if r.limited && n > uint64(r.maxList) {
		return overLimit("list", n, r.maxList)
	}
	t.Kind, t.N = token.List, int(n)
	return nil
}

// Next implements token.Reader. It returns text (ExtText) as a
// token.Text, whose payload it has checked to be valid UTF-8.
func (r *Reader) Next(t *token.Token) error {
	b := r.b
	if len(b) == 0 {
		return token.ErrEnd
	}
	c := b[0]
	// The formats PB sends most, decoded inline; only the fields of the
	// token's kind are set.
	switch c >> 4 {
	case 0, 1, 2, 3, 4, 5, 6, 7: // positive fixint
		t.Kind, t.Int = token.Int, int64(c)
		r.b = b[1:]
		return nil
	case 0xe, 0xf: // negative fixint
		t.Kind, t.Int = token.Int, int64(int8(c))
		r.b = b[1:]
		return nil
	case 0x9: // fixarray
		n := int(c & 0x0f)
		r.b = b[1:]
		if n > len(b)-1 {
			return errTruncated
		}
		if r.limited && n > r.maxList {
			return overLimit("list", uint64(n), r.maxList)
		}
		t.Kind, t.N = token.List, n
		return nil
	case 0xa, 0xb: // fixstr
		n := int(c&0x1f) + 1
		if n > len(b) {
			r.b = b[1:]
			return errTruncated
		}
		if r.limited && n-1 > r.maxStr {
			r.b = b[1:]
			return overLimit("string", uint64(n-1), r.maxStr)
		}
		t.Kind, t.Bytes = token.Bytes, b[1:n:n]
		r.b = b[n:]
		return nil
	}
	switch c {
	case cFloat64:
		if len(b) >= 9 {
			t.Kind, t.Float = token.Float, math.Float64frombits(binary.BigEndian.Uint64(b[1:]))
			r.b = b[9:]
			return nil
		}
	case cFixExt1, cFixExt2, cFixExt4, cFixExt8, cFixExt16:
		if n := 2 + 1<<(c-cFixExt1); len(b) >= n && int8(b[1]) == ExtText {
			r.b = b[n:]
			return r.text(b[2:n:n], t)
		}
	case cExt8:
		if len(b) >= 3 && int8(b[2]) == ExtText {
			if n := 3 + int(b[1]); len(b) >= n {
				r.b = b[n:]
				return r.text(b[3:n:n], t)
			}
		}
	}
	r.b = b[1:]
	return r.next(c, t)
}

// Prefix implements token.PrefixReader. With limits set, it declines a
// prefix whose lists or byte strings break them (Next refuses those).
func (r *Reader) Prefix(p *token.Prefix) bool {
	enc := p.Encoding(token.SlotNative, encodePrefix)
	if len(r.b) < len(enc) || string(r.b[:len(enc)]) != string(enc) {
		return false
	}
	if r.limited {
		if _, maxList, maxString := p.Needs(); maxList > r.maxList || maxString > r.maxStr {
			return false
		}
	}
	r.b = r.b[len(enc):]
	return true
}

// Flat implements token.FlatReader. It takes the formats the Writer
// writes (and float 32, and every integer format for an Int that fits an
// int64); for anything else it declines, and Next reads the tokens.
func (r *Reader) Flat(f *token.Flat, vals []token.Token) bool {
	fe := flatOf(f)
	steps := fe.steps
	if len(vals) < len(steps) || r.limited && (fe.maxList > r.maxList || fe.maxString > r.maxStr) {
		return false
	}
	vals = vals[:len(steps)]
	b := r.b
	for i := range steps {
		st := &steps[i]
		n := len(st.pre)
		// The prefix, then at least one byte of the scalar.
		if n <= 16 && len(b) > 16 {
			if binary.LittleEndian.Uint64(b)&st.mlo != st.lo || binary.LittleEndian.Uint64(b[8:])&st.mhi != st.hi {
				return false
			}
		} else if len(b) <= n || string(b[:n]) != string(st.pre) {
			return false
		}
		b = b[n:]
		v := &vals[i]
		var ok bool
		switch st.kind {
		case token.Int:
			switch c := b[0]; {
			case c <= cPosFixMax:
				v.Kind, v.Int = token.Int, int64(c)
				b = b[1:]
				continue
			case c == cUint16 && len(b) >= 3:
				v.Kind, v.Int = token.Int, int64(binary.BigEndian.Uint16(b[1:]))
				b = b[3:]
				continue
			}
			b, ok = flatInt(b, v)
		case token.Float:
			if len(b) >= 9 && b[0] == cFloat64 {
				v.Kind, v.Float = token.Float, math.Float64frombits(binary.BigEndian.Uint64(b[1:]))
				b = b[9:]
				continue
			}
			b, ok = flatFloat32(b, v)
		case token.Text:
			// Text in an ext 8, the Writer's format from 3 to 255 bytes
			// (but 4, 8 and 16).
			if len(b) >= 3 && b[0] == cExt8 && int8(b[2]) == ExtText {
				k := int(b[1])
				if len(b)-3 >= k && (!r.limited || k <= r.textMax) {
					if p := b[3 : 3+k : 3+k]; validText(p) {
						v.Kind, v.Bytes = token.Text, p
						b = b[3+k:]
						continue
					}
				}
			}
			b, ok = r.flatText(b, v)
		case token.Bytes:
			b, ok = r.flatBytes(b, v)
		}
		if !ok {
			return false
		}
	}
	if n := len(fe.last); n > 0 {
		if len(b) < n || string(b[:n]) != string(fe.last) {
			return false
		}
		b = b[n:]
	}
	r.b = b
	return true
}

// flatInt reads an Int scalar for Flat, in any msgpack integer format (b
// is not empty), if it fits an int64.
func flatInt(b []byte, v *token.Token) ([]byte, bool) {
	c := b[0]
	var size int
	switch {
	case c <= cPosFixMax || c >= cNegFixMin:
		v.Kind, v.Int = token.Int, int64(int8(c))
		if c <= cPosFixMax {
			v.Int = int64(c)
		}
		return b[1:], true
	case c == cUint8 || c == cInt8:
		size = 1
	case c == cUint16 || c == cInt16:
		size = 2
	case c == cUint32 || c == cInt32:
		size = 4
	case c == cUint64 || c == cInt64:
		size = 8
	default:
		return b, false
	}
	if len(b) <= size {
		return b, false
	}
	p := b[1 : 1+size]
	var x int64
	switch c {
	case cUint8:
		x = int64(p[0])
	case cInt8:
		x = int64(int8(p[0]))
	case cUint16:
		x = int64(binary.BigEndian.Uint16(p))
	case cInt16:
		x = int64(int16(binary.BigEndian.Uint16(p)))
	case cUint32:
		x = int64(binary.BigEndian.Uint32(p))
	case cInt32:
		x = int64(int32(binary.BigEndian.Uint32(p)))
	case cUint64:
		u := binary.BigEndian.Uint64(p)
		if u > math.MaxInt64 {
			return b, false
		}
		x = int64(u)
	default:
		x = int64(binary.BigEndian.Uint64(p))
	}
	v.Kind, v.Int = token.Int, x
	return b[1+size:], true
}

// flatFloat32 reads a Float scalar for Flat in the float 32 format.
func flatFloat32(b []byte, v *token.Token) ([]byte, bool) {
	if len(b) < 5 || b[0] != cFloat32 {
		return b, false
	}
	v.Kind, v.Float = token.Float, float64(math.Float32frombits(binary.BigEndian.Uint32(b[1:])))
	return b[5:], true
}

// flatText reads a Text scalar for Flat: ExtText (b is not empty).
func (r *Reader) flatText(b []byte, v *token.Token) ([]byte, bool) {
	var h int
	var u uint64
	switch c := b[0]; {
	case c == cExt8 && len(b) >= 3:
		h, u = 3, uint64(b[1])
	case c >= cFixExt1 && c <= cFixExt16:
		h, u = 2, 1<<(c-cFixExt1)
	case c == cExt16 || c == cExt32:
		var ok bool
		if h, u, ok = header(b[1:], c); !ok {
			return b, false
		}
	default:
		return b, false
	}
	if len(b) < h || u > uint64(len(b)-h) || int8(b[h-1]) != ExtText {
		return b, false
	}
	k := int(u)
	if r.limited && k > r.textMax {
		return b, false
	}
	p := b[h : h+k : h+k]
	if !validText(p) {
		return b, false
	}
	v.Kind, v.Bytes = token.Text, p
	return b[h+k:], true
}

// flatBytes reads a Bytes scalar for Flat: a str or bin (b is not empty).
func (r *Reader) flatBytes(b []byte, v *token.Token) ([]byte, bool) {
	var h, k int
	if c := b[0]; c>>5 == cFixStr>>5 {
		h, k = 1, int(c&0x1f)
	} else {
		switch c {
		case cBin8, cStr8, cBin16, cStr16, cBin32, cStr32:
		default:
			return b, false
		}
		hdr, u, ok := header(b[1:], c)
		if !ok || u > uint64(len(b)-hdr) {
			return b, false
		}
		h, k = hdr, int(u)
	}
	if len(b)-h < k || r.limited && k > r.maxStr {
		return b, false
	}
	v.Kind, v.Bytes = token.Bytes, b[h:h+k:h+k]
	return b[h+k:], true
}

var errBadText = fmt.Errorf("%w: text extension that is not valid UTF-8", banana.ErrProtocol)

// text makes t the text token for payload p.
func (r *Reader) text(p []byte, t *token.Token) error {
	if r.limited && len(p) > r.textMax {
		return overLimit("text", uint64(len(p)), r.textMax)
	}
	if !validText(p) {
		return errBadText
	}
	t.Kind, t.Bytes = token.Text, p
	return nil
}

// next is Next for the less common formats; c is the first byte, already
// consumed.
func (r *Reader) next(c byte, t *token.Token) error {
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
	if int8(typ) == ExtText && n <= uint64(len(r.b)) {
		p := r.b[:n:n]
		r.b = r.b[n:]
		return r.text(p, t)
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
				var check func(n uint64) error
				switch int8(typ) {
				case ExtBigInt:
					check = d.checkBig
				case ExtText:
					check = func(n uint64) error { return d.checkText(n, len(open)) }
				default:
					return dst, protoErr("msgpack extension type %d is not an expression", int8(typ))
				}
				if err := check(n); err != nil {
					return dst, err
				}
				at := len(dst)
				if dst, err = readFull(d.r, dst, int(n)); err != nil {
					return dst, bodyErr(err)
				}
				d.n += int(n)
				if int8(typ) == ExtText {
					if !validUTF8(dst[at:]) {
						return dst, errBadText
					}
				} else if err := checkBigPayload(dst[at:]); err != nil {
					return dst, err
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
// or that is anything but an int, float, str/bin, array or valid text:
// frame reads that one byte by byte, with the exact errors. It counts d.n
// as frame does.
func (d *Decoder) scan(buf []byte, open []int) (int, bool, []int) {
	// Every element must end by the end of buf and by MaxExpression. The
	// limits are read from d where needed, which leaves the registers to
	// the loop.
	buf = buf[:min(len(buf), d.lim.MaxExpression-d.n)]
	// top is the count of members still to come in the innermost open
	// list, 0 when none is open; open holds those of the lists around it.
	top := 0
	if len(open) > 0 {
		top = open[len(open)-1]
		open = open[:len(open)-1]
	}
	i := 0
	for i < len(buf) {
		c := buf[i]
		var size, list int // the element's bytes; a list's member count
		switch c >> 4 {
		case 0, 1, 2, 3, 4, 5, 6, 7, 0xe, 0xf: // fixint
			size = 1
		case 0xa, 0xb: // fixstr
			size = 1 + int(c&0x1f)
			if size > d.lim.MaxString+1 {
				goto stop
			}
		case 0x9: // fixarray
			size, list = 1, int(c&0x0f)
			goto openList
		default:
			var hdr int
			var k uint64
			ok := false
			switch c {
			case cFloat64, cUint64, cInt64:
				size = 9
			case cFloat32, cUint32, cInt32:
				size = 5
			case cUint16, cInt16:
				size = 3
			case cUint8, cInt8:
				size = 2
			case cStr8, cBin8, cStr16, cBin16, cStr32, cBin32:
				if hdr, k, ok = header(buf[i+1:], c); !ok || k > uint64(d.lim.MaxString) {
					goto stop
				}
				size = hdr + int(k)
			case cArray16, cArray32:
				if hdr, k, ok = header(buf[i+1:], c); !ok || k > uint64(d.lim.MaxList) {
					goto stop
				}
				size, list = hdr, int(k)
				goto openList
			case cFixExt1, cFixExt2, cFixExt4, cFixExt8, cFixExt16, cExt8, cExt16, cExt32:
				// Text, a list of two at this depth; ExtBigInt is left to
				// frame.
				if c >= cFixExt1 {
					hdr, k, ok = 2, uint64(fixExtLen[c&7]), i+1 < len(buf)
				} else {
					hdr, k, ok = header(buf[i+1:], c)
				}
				if !ok || int8(buf[i+hdr-1]) != ExtText || k > uint64(len(buf)-i-hdr) || int(k) > d.textMax ||
					depth(top, open) >= d.lim.MaxDepth {
					goto stop
				}
				size = hdr + int(k)
				if !ascii(buf[i+hdr:], int(k)) && !utf8.Valid(buf[i+hdr:i+size]) {
					goto stop
				}
			default:
				goto stop
			}
		}
		// A complete element.
		if size > len(buf)-i {
			break
		}
		i += size
	closeLists:
		for {
			if top > 1 {
				top--
				break
			}
			if top == 0 || len(open) == 0 {
				// The frame is complete.
				d.n += i
				return i, true, open[:0]
			}
			top = open[len(open)-1]
			open = open[:len(open)-1]
		}
		continue
	openList:
		// Every member takes a byte at least.
		if size > len(buf)-i || list > d.lim.MaxList || depth(top, open) >= d.lim.MaxDepth ||
			list > d.lim.MaxExpression-d.n-i-size {
			break
		}
		i += size
		if list == 0 {
			goto closeLists
		}
		if top > 0 {
			open = append(open, top)
		}
		top = list
	}
stop:
	if top > 0 {
		open = append(open, top)
	}
	d.n += i
	return i, false, open
}

// fixExtLen is the payload length of fixext formats, by format byte & 7
// (cFixExt1 is 0xd4).
var fixExtLen = [8]int{4: 1, 5: 2, 6: 4, 7: 8, 0: 16}

// asciiMask[n] selects the top bits of n bytes.
var asciiMask = [9]uint64{0, 0x80, 0x8080, 0x808080, 0x80808080, 0x8080808080, 0x808080808080, 0x80808080808080, 0x8080808080808080}

// ascii reports whether the first n bytes of b are ASCII; when it cannot
// tell quickly it reports false.
func ascii(b []byte, n int) bool {
	return n < len(asciiMask) && len(b) >= 8 && binary.LittleEndian.Uint64(b)&asciiMask[n] == 0
}

// depth is the number of open lists for scan.
func depth(top int, open []int) int {
	if top > 0 {
		return len(open) + 1
	}
	return 0
}

// header reads the header of a str, bin, array or extension element whose
// first byte c is not in b (the bytes after it), and returns the length
// of the whole header (c included) and the length it announces. ok is
// false when b does not hold the whole header.
func header(b []byte, c byte) (hdr int, n uint64, ok bool) {
	var size int
	switch c {
	case cFixExt1, cFixExt2, cFixExt4, cFixExt8, cFixExt16:
		// The type byte only.
		return 2, 1 << (c - cFixExt1), len(b) >= 1
	case cStr8, cBin8:
		size = 1
	case cExt8:
		size = 1
		hdr = 1
	case cStr16, cBin16, cArray16:
		size = 2
	case cExt16:
		size, hdr = 2, 1
	case cStr32, cBin32, cArray32:
		size = 4
	case cExt32:
		size, hdr = 4, 1
	}
	if len(b) < size+hdr {
		return 0, 0, false
	}
	switch size {
	case 1:
		n = uint64(b[0])
	case 2:
		n = uint64(binary.BigEndian.Uint16(b))
	default:
		n = uint64(binary.BigEndian.Uint32(b))
	}
	return 1 + size + hdr, n, true
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
