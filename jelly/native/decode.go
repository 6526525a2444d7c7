package native

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/braidkit/braid/jelly/internal/body"
	"io"
	"math"
	"math/big"

	"github.com/braidkit/braid/jelly/banana"
)

const (
	// initialListCap is the most list slots allocated before the elements
	// arrive; a list grows as its elements are actually decoded.
	initialListCap = 16
)

// A Decoder reads msgpack-encoded expressions from a stream.
//
// The Decoder reads from the bufio.Reader given to NewDecoder and consumes
// exactly the bytes of the expressions it returns: anything after the last
// decoded expression stays in the reader, so the caller can hand the stream
// to another codec. A Decoder is not safe for concurrent use.
type Decoder struct {
	r     *bufio.Reader
	lim   banana.Limits
	err   error // sticky: set once the stream is out of step
	n     int   // bytes of the current expression read so far
	stack []frame
	// openBuf is ReadFrame's stack of open lists.
	openBuf []int
	extBuf  [maxBigPayload]byte
	// textMax is the longest text within the limits, -1 if none is.
	textMax int
	// body reads string bodies; short ones share arena blocks, each slice
	// handed out once with its capacity clipped.
	body body.Reader
}

// frame is a list being decoded: the members so far and the count the
// header announced.
type frame struct {
	items []any
	want  int
}

// NewDecoder returns a Decoder that reads from r with limits l (zero
// fields take their defaults, see banana.Limits.WithDefaults). The caller
// keeps ownership of r.
func NewDecoder(r *bufio.Reader, l banana.Limits) *Decoder {
	d := &Decoder{r: r, lim: l.WithDefaults(), textMax: -1}
	if d.lim.MaxList >= 2 && d.lim.MaxString >= len(unicodeTag) {
		d.textMax = d.lim.MaxString
	}
	return d
}

// Decode reads exactly one complete top-level expression, blocking on the
// reader until all of it has arrived. The result is an int64, *big.Int
// (only for integers that do not fit in an int64), float64, []byte or
// []any, as from banana's Decoder; it is owned by the caller. (Byte strings
// of up to 64 bytes are carved, with their capacity clipped, from 1 KiB
// blocks, so keeping one alive keeps at most its block alive.)
//
// Every limit is checked on the announced length before anything is
// allocated for it. Decode returns io.EOF only when the stream ends cleanly
// before the first byte of an expression, and io.ErrUnexpectedEOF when it
// ends inside one. Malformed input, and msgpack values outside the
// expression model (nil, bool, maps, extension types other than
// ExtBigInt), give an error wrapping banana.ErrProtocol (and
// banana.ErrTooLarge or banana.ErrTooDeep where a limit was exceeded).
// Other read errors are returned as they are. After an error that leaves
// the stream in the middle of an expression (any error but io.EOF or a
// read error before the first byte), the Decoder is unusable and every
// later call returns the same error.
func (d *Decoder) Decode() (any, error) {
	if d.err != nil {
		return nil, d.err
	}
	d.n = 0
	v, err := d.decode()
	if err != nil {
		if d.n > 0 {
			d.err = err
		}
		return nil, err
	}
	return v, nil
}

func (d *Decoder) decode() (any, error) {
	stack := d.stack[:0]
	defer func() {
		clear(stack) // drop references to partial lists
		d.stack = stack[:0]
	}()
	for {
		v, open, err := d.element(len(stack))
		if err != nil {
			return nil, err
		}
		if open > 0 {
			stack = append(stack, frame{items: make([]any, 0, min(open, initialListCap)), want: open})
			continue
		}
		// v is complete: add it to the innermost open list, closing every
		// list it completes.
		for {
			if len(stack) == 0 {
				return v, nil
			}
			top := &stack[len(stack)-1]
			top.items = append(top.items, v)
			if len(top.items) < top.want {
				break
			}
			v = top.items
			*top = frame{}
			stack = stack[:len(stack)-1]
		}
	}
}

func protoErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", banana.ErrProtocol, fmt.Sprintf(format, args...))
}

// element reads one element at nesting depth depth (the number of open
// lists). It returns either a complete value, or open > 0 when it read the
// header of a non-empty list with that many members.
func (d *Decoder) element(depth int) (v any, open int, err error) {
	c, err := d.r.ReadByte()
	if err != nil {
		if err == io.EOF && d.n > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, 0, err
	}
	if d.n++; d.n > d.lim.MaxExpression {
		return nil, 0, d.tooLong()
	}
	switch {
	case c <= cPosFixMax:
		return int64(c), 0, nil
	case c >= cNegFixMin:
		return int64(int8(c)), 0, nil
	case c < cFixArray:
		return nil, 0, protoErr("msgpack map (0x%02x) is not an expression", c)
	case c < cFixStr:
		return d.list(uint64(c&0x0f), depth)
	case c < cNil:
		return d.str(uint64(c & 0x1f))
	}
	switch c {
	case cBin8, cStr8:
		n, err := d.uint(1)
		if err != nil {
			return nil, 0, err
		}
		return d.str(n)
	case cBin16, cStr16:
		n, err := d.uint(2)
		if err != nil {
			return nil, 0, err
		}
		return d.str(n)
	case cBin32, cStr32:
		n, err := d.uint(4)
		if err != nil {
			return nil, 0, err
		}
		return d.str(n)
	case cArray16:
		n, err := d.uint(2)
		if err != nil {
			return nil, 0, err
		}
		return d.list(n, depth)
	case cArray32:
		n, err := d.uint(4)
		if err != nil {
			return nil, 0, err
		}
		return d.list(n, depth)
	case cUint8, cUint16, cUint32, cUint64:
		u, err := d.uint(1 << (c - cUint8))
		if err != nil {
			return nil, 0, err
		}
		if u > math.MaxInt64 {
			return new(big.Int).SetUint64(u), 0, nil
		}
		return int64(u), 0, nil
	case cInt8:
		u, err := d.uint(1)
		return int64(int8(u)), 0, err
	case cInt16:
		u, err := d.uint(2)
		return int64(int16(u)), 0, err
	case cInt32:
		u, err := d.uint(4)
		return int64(int32(u)), 0, err
	case cInt64:
		u, err := d.uint(8)
		return int64(u), 0, err
	case cFloat64:
		u, err := d.uint(8)
		return math.Float64frombits(u), 0, err
	case cFloat32:
		u, err := d.uint(4)
		return float64(math.Float32frombits(uint32(u))), 0, err
	case cFixExt1, cFixExt2, cFixExt4, cFixExt8, cFixExt16:
		return d.ext(1<<(c-cFixExt1), depth)
	case cExt8:
		n, err := d.uint(1)
		if err != nil {
			return nil, 0, err
		}
		return d.ext(n, depth)
	case cExt16:
		n, err := d.uint(2)
		if err != nil {
			return nil, 0, err
		}
		return d.ext(n, depth)
	case cExt32:
		n, err := d.uint(4)
		if err != nil {
			return nil, 0, err
		}
		return d.ext(n, depth)
	case cNil:
		return nil, 0, protoErr("msgpack nil is not an expression")
	case cFalse, cTrue:
		return nil, 0, protoErr("msgpack bool is not an expression (booleans are sent as integers)")
	case cMap16, cMap32:
		return nil, 0, protoErr("msgpack map (0x%02x) is not an expression", c)
	default: // 0xc1
		return nil, 0, protoErr("invalid msgpack byte 0x%02x", c)
	}
}

// uint reads an n-byte (1, 2, 4 or 8) big-endian unsigned integer that is
// part of the current element.
func (d *Decoder) uint(n int) (uint64, error) {
	if n > d.lim.MaxExpression-d.n {
		return 0, d.tooLong()
	}
	p, err := d.r.Peek(n)
	if err != nil {
		return 0, bodyErr(err)
	}
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

// list checks a list header announcing n members.
func (d *Decoder) list(n uint64, depth int) (any, int, error) {
	if n > uint64(d.lim.MaxList) {
		return nil, 0, fmt.Errorf("%w: list of %d elements exceeds the limit of %d (%w)",
			banana.ErrProtocol, n, d.lim.MaxList, banana.ErrTooLarge)
	}
	if depth >= d.lim.MaxDepth {
		return nil, 0, fmt.Errorf("%w: lists nested more than %d deep (%w)", banana.ErrProtocol, d.lim.MaxDepth, banana.ErrTooDeep)
	}
	if int(n) > d.lim.MaxExpression-d.n { // every member takes a byte at least
		return nil, 0, d.tooLong()
	}
	if n == 0 {
		return []any{}, 0, nil
	}
	return nil, int(n), nil
}

// str reads a byte string (bin or str) of n bytes.
func (d *Decoder) str(u uint64) (any, int, error) {
	if u > uint64(d.lim.MaxString) {
		return nil, 0, fmt.Errorf("%w: byte string of %d bytes exceeds the limit of %d (%w)",
			banana.ErrProtocol, u, d.lim.MaxString, banana.ErrTooLarge)
	}
	n := int(u)
	if n > d.lim.MaxExpression-d.n {
		return nil, 0, d.tooLong()
	}
	d.n += n
	b, err := d.body.Read(d.r, n)
	if err != nil {
		return nil, 0, bodyErr(err)
	}
	return b, 0, nil
}

// ext reads an extension value with an n-byte payload at nesting depth
// depth: the type byte comes first.
func (d *Decoder) ext(u uint64, depth int) (any, int, error) {
	typ, err := d.uint(1)
	if err != nil {
		return nil, 0, err
	}
	switch int8(typ) {
	case ExtText:
		return d.text(u, depth)
	case ExtBigInt:
	default:
		return nil, 0, protoErr("msgpack extension type %d is not an expression", int8(typ))
	}
	if err := d.checkBig(u); err != nil {
		return nil, 0, err
	}
	n := int(u)
	b := d.extBuf[:n]
	if _, err := io.ReadFull(d.r, b); err != nil {
		return nil, 0, bodyErr(err)
	}
	d.n += n
	if err := checkBigPayload(b); err != nil {
		return nil, 0, err
	}
	z := new(big.Int).SetBytes(b[1:])
	if b[0] == 1 {
		z.Neg(z)
	}
	if z.IsInt64() {
		return z.Int64(), 0, nil
	}
	return z, 0, nil
}

// checkBig checks the length of an ExtBigInt payload, before it is read.
func (d *Decoder) checkBig(n uint64) error {
	if n > maxBigPayload {
		return fmt.Errorf("%w: integer of %d bytes exceeds %d bits (%w)",
			banana.ErrProtocol, n-1, MaxIntBits, banana.ErrTooLarge)
	}
	if n < 2 {
		return protoErr("integer extension of %d bytes (want a sign byte and a magnitude)", n)
	}
	if int(n) > d.lim.MaxExpression-d.n {
		return d.tooLong()
	}
	return nil
}

// checkBigPayload checks an ExtBigInt payload.
func checkBigPayload(b []byte) error {
	if b[0] > 1 {
		return protoErr("integer extension with sign byte 0x%02x (want 0 or 1)", b[0])
	}
	if b[1] == 0 {
		return protoErr("integer extension with a leading zero byte")
	}
	return nil
}

// text reads an ExtText payload of n bytes at nesting depth depth and
// returns the expression it stands for, ["unicode", payload].
func (d *Decoder) text(u uint64, depth int) (any, int, error) {
	if err := d.checkText(u, depth); err != nil {
		return nil, 0, err
	}
	n := int(u)
	d.n += n
	b, err := d.body.Read(d.r, n)
	if err != nil {
		return nil, 0, bodyErr(err)
	}
	if !validUTF8(b) {
		return nil, 0, errBadText
	}
	tag := d.body.Slice(len(unicodeTag))
	copy(tag, unicodeTag)
	return []any{tag, b}, 0, nil
}

// checkText checks, before its payload is read, an ExtText of n bytes at
// nesting depth depth against the limits that its expression, a list of
// two byte strings, must meet; the checks and errors are those of the
// list's elements, in order.
func (d *Decoder) checkText(n uint64, depth int) error {
	if 2 > d.lim.MaxList {
		return fmt.Errorf("%w: list of %d elements exceeds the limit of %d (%w)",
			banana.ErrProtocol, 2, d.lim.MaxList, banana.ErrTooLarge)
	}
	if depth >= d.lim.MaxDepth {
		return fmt.Errorf("%w: lists nested more than %d deep (%w)", banana.ErrProtocol, d.lim.MaxDepth, banana.ErrTooDeep)
	}
	for _, l := range [2]uint64{uint64(len(unicodeTag)), n} {
		if l > uint64(d.lim.MaxString) {
			return fmt.Errorf("%w: byte string of %d bytes exceeds the limit of %d (%w)",
				banana.ErrProtocol, l, d.lim.MaxString, banana.ErrTooLarge)
		}
	}
	if int(n) > d.lim.MaxExpression-d.n {
		return d.tooLong()
	}
	return nil
}

// bodyErr maps an error from reading the rest of an element, which always
// comes after its first byte.
func bodyErr(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (d *Decoder) tooLong() error {
	return fmt.Errorf("%w: expression longer than %d bytes (%w)", banana.ErrProtocol, d.lim.MaxExpression, banana.ErrTooLarge)
}

// DecodeBytes decodes the first expression in b with limits l and returns
// it with the bytes that follow it. If b holds no complete expression
// (including when b is empty) the error is io.ErrUnexpectedEOF. On error
// rest is b. Errors are those of Decoder.Decode.
func DecodeBytes(b []byte, l banana.Limits) (expr any, rest []byte, err error) {
	src := bytes.NewReader(b)
	br := bufio.NewReaderSize(src, 64)
	dec := NewDecoder(br, l)
	expr, err = dec.Decode()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, b, err
	}
	used := len(b) - src.Len() - br.Buffered()
	return expr, b[used:], nil
}
