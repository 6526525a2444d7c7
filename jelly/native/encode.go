package native

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"unicode/utf8"

	"github.com/braidkit/braid/jelly/banana"
)

// DialectName is the name under which PB offers this codec during dialect
// negotiation. Only Braid peers know it; Twisted never offers it.
const DialectName = "braid-msgpack"

// ExtBigInt is the msgpack extension type that carries an integer outside
// the range of the msgpack integer formats (below -2^63 or above 2^64-1).
// Its payload is a sign byte (0 for positive, 1 for negative) followed by
// the magnitude, big-endian, with no leading zero byte.
const ExtBigInt int8 = 1

// ExtText is the msgpack extension type that carries text: the expression
// ["unicode", s], which jelly gives every Go string, in one value. Its
// payload is s, which must be valid UTF-8; the Decoder returns the same
// expression as for the list (two byte strings), and a Reader a
// token.Text.
const ExtText int8 = 2

// unicodeTag is the first member of a text expression.
const unicodeTag = "unicode"

// MaxIntBits bounds integers as in Banana: every integer v with
// |v| < 2^MaxIntBits can be sent, and no other.
const MaxIntBits = banana.MaxIntBits

// maxBigPayload is the longest ExtBigInt payload: a sign byte and a
// magnitude of MaxIntBits bits.
const maxBigPayload = 1 + MaxIntBits/8

// msgpack format bytes (the msgpack specification; the same values as
// github.com/vmihailenco/msgpack/v5/msgpcode).
const (
	cPosFixMax = 0x7f
	cFixMap    = 0x80 // 0x80-0x8f
	cFixArray  = 0x90 // 0x90-0x9f
	cFixStr    = 0xa0 // 0xa0-0xbf
	cNil       = 0xc0
	cFalse     = 0xc2
	cTrue      = 0xc3
	cBin8      = 0xc4
	cBin16     = 0xc5
	cBin32     = 0xc6
	cExt8      = 0xc7
	cExt16     = 0xc8
	cExt32     = 0xc9
	cFloat32   = 0xca
	cFloat64   = 0xcb
	cUint8     = 0xcc
	cUint16    = 0xcd
	cUint32    = 0xce
	cUint64    = 0xcf
	cInt8      = 0xd0
	cInt16     = 0xd1
	cInt32     = 0xd2
	cInt64     = 0xd3
	cFixExt1   = 0xd4
	cFixExt2   = 0xd5
	cFixExt4   = 0xd6
	cFixExt8   = 0xd7
	cFixExt16  = 0xd8
	cStr8      = 0xd9
	cStr16     = 0xda
	cStr32     = 0xdb
	cArray16   = 0xdc
	cArray32   = 0xdd
	cMap16     = 0xde
	cMap32     = 0xdf
	cNegFixMin = 0xe0
)

// Append appends the msgpack encoding of the expression expr to dst and
// returns the extended slice. It accepts exactly what banana.Append
// accepts:
//
//	int, int8, int16, int32, int64       integer: the shortest msgpack int
//	uint, uint8, uint16, uint32, uint64  (uint formats for v >= 0, int
//	                                     formats for v < 0)
//	bool                                 integer 1 or 0, as Banana sends it
//	*big.Int                             an int format if it fits in one,
//	                                     else ExtBigInt; |v| < 2^448
//	float64, float32                     float 64 (float32 is widened)
//	[]byte, string                       fixstr if at most 31 bytes of valid
//	                                     UTF-8, else bin 8/16/32
//	[]any                                fixarray or array 16/32; but
//	                                     ["unicode", s] with s valid UTF-8
//	                                     (s and the tag each a string or a
//	                                     []byte) is ExtText
//
// Append enforces l (after Limits.WithDefaults) as banana.Append does: byte
// strings longer than MaxString, lists longer than MaxList and encodings
// longer than MaxExpression give an error wrapping banana.ErrTooLarge;
// lists nested deeper than MaxDepth (including a list that contains
// itself) an error wrapping banana.ErrUnencodable and banana.ErrTooDeep;
// nil, other Go types, nil *big.Int and integers of 2^448 or more an error
// wrapping banana.ErrUnencodable. On any error Append returns dst
// unchanged (same length, nothing half-written).
//
// Limits apply to the expression whatever its encoding: text counts as a
// list of two byte strings, "unicode" and s. Encoding an integer, float or
// byte string into a dst with enough spare capacity does not allocate.
func Append(dst []byte, expr any, l banana.Limits) ([]byte, error) {
	l = l.WithDefaults()
	e := encoder{lim: &l, start: len(dst)}
	out, err := e.append(dst, expr, 0)
	if err != nil {
		return dst[:e.start], err
	}
	return out, nil
}

type encoder struct {
	lim    *banana.Limits
	start  int // len(dst) when Append was called
	shared int // bytes of shared byte strings left out of dst (Writer.ShareBytes)
}

// room checks that n more bytes keep the encoding within MaxExpression.
func (e *encoder) room(dst []byte, n int) error {
	if n > e.lim.MaxExpression-(len(dst)-e.start+e.shared) {
		return e.tooLarge()
	}
	return nil
}

func (e *encoder) tooLarge() error {
	return fmt.Errorf("%w: encoding would exceed %d bytes", banana.ErrTooLarge, e.lim.MaxExpression)
}

func (e *encoder) append(dst []byte, expr any, depth int) ([]byte, error) {
	switch v := expr.(type) {
	case []byte:
		dst, err := e.appendStrHeader(dst, len(v), len(v) <= maxFixStr && utf8.Valid(v))
		if err != nil {
			return dst, err
		}
		return append(dst, v...), nil
	case string:
		dst, err := e.appendStrHeader(dst, len(v), len(v) <= maxFixStr && utf8.ValidString(v))
		if err != nil {
			return dst, err
		}
		return append(dst, v...), nil
	case int64:
		return e.appendInt64(dst, v)
	case []any:
		return e.appendList(dst, v, depth)
	case int:
		return e.appendInt64(dst, int64(v))
	case int32:
		return e.appendInt64(dst, int64(v))
	case int16:
		return e.appendInt64(dst, int64(v))
	case int8:
		return e.appendInt64(dst, int64(v))
	case uint64:
		return e.appendUint64(dst, v)
	case uint:
		return e.appendUint64(dst, uint64(v))
	case uint32:
		return e.appendUint64(dst, uint64(v))
	case uint16:
		return e.appendUint64(dst, uint64(v))
	case uint8:
		return e.appendUint64(dst, uint64(v))
	case bool:
		if v {
			return e.appendUint64(dst, 1)
		}
		return e.appendUint64(dst, 0)
	case *big.Int:
		return e.appendBig(dst, v)
	case float64:
		return e.appendFloat(dst, v)
	case float32:
		return e.appendFloat(dst, float64(v))
	case nil:
		return dst, fmt.Errorf("%w: nil (the expression model has no None; use jelly)", banana.ErrUnencodable)
	default:
		return dst, fmt.Errorf("%w: unsupported type %T", banana.ErrUnencodable, expr)
	}
}

// maxFixStr is the longest byte string written as a fixstr.
const maxFixStr = 31

// checkStr checks that a byte string of n bytes may be written.
func (e *encoder) checkStr(n int) error {
	if n > e.lim.MaxString || uint64(n) > math.MaxUint32 {
		return fmt.Errorf("%w: byte string of %d bytes is longer than the limit of %d", banana.ErrTooLarge, n, e.lim.MaxString)
	}
	return nil
}

// appendStrHeader checks that a byte string of n bytes may be written and
// writes its header: a fixstr header if fix, else a bin header.
func (e *encoder) appendStrHeader(dst []byte, n int, fix bool) ([]byte, error) {
	if err := e.checkStr(n); err != nil {
		return dst, err
	}
	if fix {
		if err := e.room(dst, 1+n); err != nil {
			return dst, err
		}
		return append(dst, cFixStr|byte(n)), nil
	}
	if err := e.room(dst, binHeaderLen(n)+n); err != nil {
		return dst, err
	}
	return appendBinHeader(dst, n), nil
}

// binHeaderLen is the length of the bin header for n bytes.
func binHeaderLen(n int) int {
	switch {
	case n <= math.MaxUint8:
		return 2
	case n <= math.MaxUint16:
		return 3
	default:
		return 5
	}
}

func appendBinHeader(dst []byte, n int) []byte {
	switch {
	case n <= math.MaxUint8:
		return append(dst, cBin8, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, cBin16), uint16(n))
	default:
		return binary.BigEndian.AppendUint32(append(dst, cBin32), uint32(n))
	}
}

func (e *encoder) appendInt64(dst []byte, v int64) ([]byte, error) {
	if v >= 0 {
		return e.appendUint64(dst, uint64(v))
	}
	var n int
	switch {
	case v >= -32:
		n = 1
	case v >= math.MinInt8:
		n = 2
	case v >= math.MinInt16:
		n = 3
	case v >= math.MinInt32:
		n = 5
	default:
		n = 9
	}
	if err := e.room(dst, n); err != nil {
		return dst, err
	}
	switch n {
	case 1:
		return append(dst, byte(v)), nil
	case 2:
		return append(dst, cInt8, byte(v)), nil
	case 3:
		return binary.BigEndian.AppendUint16(append(dst, cInt16), uint16(v)), nil
	case 5:
		return binary.BigEndian.AppendUint32(append(dst, cInt32), uint32(v)), nil
	default:
		return binary.BigEndian.AppendUint64(append(dst, cInt64), uint64(v)), nil
	}
}

func (e *encoder) appendUint64(dst []byte, v uint64) ([]byte, error) {
	var n int
	switch {
	case v <= cPosFixMax:
		n = 1
	case v <= math.MaxUint8:
		n = 2
	case v <= math.MaxUint16:
		n = 3
	case v <= math.MaxUint32:
		n = 5
	default:
		n = 9
	}
	if err := e.room(dst, n); err != nil {
		return dst, err
	}
	switch n {
	case 1:
		return append(dst, byte(v)), nil
	case 2:
		return append(dst, cUint8, byte(v)), nil
	case 3:
		return binary.BigEndian.AppendUint16(append(dst, cUint16), uint16(v)), nil
	case 5:
		return binary.BigEndian.AppendUint32(append(dst, cUint32), uint32(v)), nil
	default:
		return binary.BigEndian.AppendUint64(append(dst, cUint64), v), nil
	}
}

func (e *encoder) appendBig(dst []byte, v *big.Int) ([]byte, error) {
	if v == nil {
		return dst, fmt.Errorf("%w: nil *big.Int", banana.ErrUnencodable)
	}
	if v.IsInt64() {
		return e.appendInt64(dst, v.Int64())
	}
	if v.IsUint64() {
		return e.appendUint64(dst, v.Uint64())
	}
	bits := v.BitLen()
	if bits > MaxIntBits {
		return dst, fmt.Errorf("%w: int is too large to send (%d bits, limit %d)", banana.ErrUnencodable, bits, MaxIntBits)
	}
	payload := 1 + (bits+7)/8 // 9 to 57: the value needs 64 bits or more
	if err := e.room(dst, extHeaderLen(payload)+payload); err != nil {
		return dst, err
	}
	dst = appendExtHeader(dst, payload, ExtBigInt)
	sign := byte(0)
	if v.Sign() < 0 {
		sign = 1
	}
	dst = append(dst, sign)
	n := len(dst)
	dst = append(dst, make([]byte, payload-1)...)
	v.FillBytes(dst[n:]) // the magnitude, big-endian
	return dst, nil
}

func (e *encoder) appendFloat(dst []byte, v float64) ([]byte, error) {
	if err := e.room(dst, 9); err != nil {
		return dst, err
	}
	return binary.BigEndian.AppendUint64(append(dst, cFloat64), math.Float64bits(v)), nil
}

// extHeaderLen is the length of the shortest extension header for a
// payload of n bytes.
func extHeaderLen(n int) int {
	switch {
	case n == 1 || n == 2 || n == 4 || n == 8 || n == 16:
		return 2 // fixext: format, type
	case n <= math.MaxUint8:
		return 3 // ext 8: format, length, type
	case n <= math.MaxUint16:
		return 4
	default:
		return 6
	}
}

// appendExtHeader appends the shortest extension header for a payload of n
// bytes of type typ.
func appendExtHeader(dst []byte, n int, typ int8) []byte {
	switch n {
	case 1:
		return append(dst, cFixExt1, byte(typ))
	case 2:
		return append(dst, cFixExt2, byte(typ))
	case 4:
		return append(dst, cFixExt4, byte(typ))
	case 8:
		return append(dst, cFixExt8, byte(typ))
	case 16:
		return append(dst, cFixExt16, byte(typ))
	}
	switch {
	case n <= math.MaxUint8:
		return append(dst, cExt8, byte(n), byte(typ))
	case n <= math.MaxUint16:
		return append(binary.BigEndian.AppendUint16(append(dst, cExt16), uint16(n)), byte(typ))
	default:
		return append(binary.BigEndian.AppendUint32(append(dst, cExt32), uint32(n)), byte(typ))
	}
}

// checkText checks the limits that the text expression ["unicode", s],
// with s of n bytes, must meet at nesting depth depth: those of a list of
// two byte strings, in the order the list's tokens would meet them.
func (e *encoder) checkText(n, depth int) error {
	if depth >= e.lim.MaxDepth {
		return fmt.Errorf("%w: %w: lists nested more than %d deep (cyclic list?)", banana.ErrUnencodable, banana.ErrTooDeep, e.lim.MaxDepth)
	}
	if 2 > e.lim.MaxList {
		return fmt.Errorf("%w: list of %d elements is longer than the limit of %d", banana.ErrTooLarge, 2, e.lim.MaxList)
	}
	if err := e.checkStr(len(unicodeTag)); err != nil {
		return err
	}
	return e.checkStr(n)
}

// appendText appends the text s (valid UTF-8, checked by checkText) as
// ExtText.
func appendText[T string | []byte](e *encoder, dst []byte, s T) ([]byte, error) {
	if err := e.room(dst, extHeaderLen(len(s))+len(s)); err != nil {
		return dst, err
	}
	return append(appendExtHeader(dst, len(s), ExtText), s...), nil
}

// isText reports whether v is ["unicode", s] with s valid UTF-8, the tag
// and s each a string or a []byte, and returns s's length.
func isText(v []any) (int, bool) {
	if len(v) != 2 {
		return 0, false
	}
	switch tag := v[0].(type) {
	case string:
		if tag != unicodeTag {
			return 0, false
		}
	case []byte:
		if string(tag) != unicodeTag {
			return 0, false
		}
	default:
		return 0, false
	}
	switch s := v[1].(type) {
	case string:
		return len(s), utf8.ValidString(s)
	case []byte:
		return len(s), utf8.Valid(s)
	}
	return 0, false
}

func (e *encoder) appendList(dst []byte, v []any, depth int) ([]byte, error) {
	if n, ok := isText(v); ok {
		if err := e.checkText(n, depth); err != nil {
			return dst, err
		}
		if s, ok := v[1].(string); ok {
			return appendText(e, dst, s)
		}
		return appendText(e, dst, v[1].([]byte))
	}
	if depth >= e.lim.MaxDepth {
		return dst, fmt.Errorf("%w: %w: lists nested more than %d deep (cyclic list?)", banana.ErrUnencodable, banana.ErrTooDeep, e.lim.MaxDepth)
	}
	if len(v) > e.lim.MaxList || uint64(len(v)) > math.MaxUint32 {
		return dst, fmt.Errorf("%w: list of %d elements is longer than the limit of %d", banana.ErrTooLarge, len(v), e.lim.MaxList)
	}
	n := len(v)
	switch {
	case n <= 15:
		if err := e.room(dst, 1); err != nil {
			return dst, err
		}
		dst = append(dst, cFixArray|byte(n))
	case n <= math.MaxUint16:
		if err := e.room(dst, 3); err != nil {
			return dst, err
		}
		dst = binary.BigEndian.AppendUint16(append(dst, cArray16), uint16(n))
	default:
		if err := e.room(dst, 5); err != nil {
			return dst, err
		}
		dst = binary.BigEndian.AppendUint32(append(dst, cArray32), uint32(n))
	}
	var err error
	for _, x := range v {
		if dst, err = e.append(dst, x, depth+1); err != nil {
			return dst, err
		}
	}
	return dst, nil
}
