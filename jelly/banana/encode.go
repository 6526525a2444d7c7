package banana

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"math/bits"
)

// MaxIntBits is the bit length of the largest integer magnitude that fits
// in PrefixLimit base-128 digits: every value v with |v| < 2^MaxIntBits can
// be sent (spec §1.2, §1.3).
const MaxIntBits = 7 * PrefixLimit

// Append appends the Banana encoding of the expression expr to dst and
// returns the extended slice.
//
// expr may be any of:
//
//	int, int8, int16, int32, int64       integer (type byte chosen by value)
//	uint, uint8, uint16, uint32, uint64  integer
//	bool                                 integer 1 or 0, as Python sends it
//	*big.Int                             integer; |v| must be below 2^448
//	float64, float32                     FLOAT (float32 is widened)
//	[]byte, string                       STRING (Banana has no text type)
//	[]any                                LIST of expressions
//
// The integer type byte follows from the value, never from the Go type
// (spec §1.3): INT for 0..2^31-1, NEG for -2^31..-1, LONGINT or LONGNEG
// beyond. In DialectPB a byte string (either []byte or string) that equals
// one of the 31 vocabulary words is written as a VOCAB token, exactly as
// Twisted does.
//
// Append enforces l (after Limits.WithDefaults): byte strings longer than
// MaxString, lists longer than MaxList and encodings longer than
// MaxExpression give an error wrapping ErrTooLarge; lists nested deeper
// than MaxDepth (which includes a list that contains itself) give an error
// wrapping ErrUnencodable and ErrTooDeep; unsupported Go types, nil
// *big.Int and integers too large for the wire give an error wrapping
// ErrUnencodable. On any error Append returns dst unchanged (same length,
// nothing half-written), so a refused expression never corrupts a stream.
//
// Encoding an integer, float or short byte string into a dst with enough
// spare capacity does not allocate.
func Append(dst []byte, expr any, d Dialect, l Limits) ([]byte, error) {
	l = l.WithDefaults()
	e := encoder{dialect: d, lim: &l, start: len(dst)}
	out, err := e.append(dst, expr, 0)
	if err != nil {
		return dst[:e.start], err
	}
	return out, nil
}

type encoder struct {
	dialect Dialect
	lim     *Limits
	start   int // len(dst) when Append was called
}

// room checks that n more bytes keep the encoding within MaxExpression.
func (e *encoder) room(dst []byte, n int) error {
	if n > e.lim.MaxExpression-(len(dst)-e.start) {
		return fmt.Errorf("%w: encoding would exceed %d bytes", ErrTooLarge, e.lim.MaxExpression)
	}
	return nil
}

func (e *encoder) append(dst []byte, expr any, depth int) ([]byte, error) {
	switch v := expr.(type) {
	case int64:
		return e.appendInt64(dst, v)
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
	case []byte:
		if e.dialect == DialectPB {
			if i, ok := VocabIndex(v); ok {
				return e.appendHeader(dst, uint64(i), typeVocab)
			}
		}
		if err := e.checkString(dst, len(v)); err != nil {
			return dst, err
		}
		return append(append(appendB128(dst, uint64(len(v))), typeString), v...), nil
	case string:
		if e.dialect == DialectPB {
			if i, ok := vocabIndexString(v); ok {
				return e.appendHeader(dst, uint64(i), typeVocab)
			}
		}
		if err := e.checkString(dst, len(v)); err != nil {
			return dst, err
		}
		return append(append(appendB128(dst, uint64(len(v))), typeString), v...), nil
	case []any:
		return e.appendList(dst, v, depth)
	case nil:
		return dst, fmt.Errorf("%w: nil (Banana has no None; use jelly)", ErrUnencodable)
	default:
		return dst, fmt.Errorf("%w: unsupported type %T", ErrUnencodable, expr)
	}
}

// appendHeader writes a base-128 prefix and a type byte.
func (e *encoder) appendHeader(dst []byte, n uint64, typ byte) ([]byte, error) {
	if err := e.room(dst, b128Len(n)+1); err != nil {
		return dst, err
	}
	return append(appendB128(dst, n), typ), nil
}

func (e *encoder) appendInt64(dst []byte, v int64) ([]byte, error) {
	switch {
	case v >= 0 && v <= math.MaxInt32:
		return e.appendHeader(dst, uint64(v), typeInt)
	case v > math.MaxInt32:
		return e.appendHeader(dst, uint64(v), typeLongInt)
	case v >= math.MinInt32:
		return e.appendHeader(dst, uint64(-v), typeNeg)
	default:
		// -v wraps for MinInt64, but uint64(-v) is still 2^63.
		return e.appendHeader(dst, uint64(-v), typeLongNeg)
	}
}

func (e *encoder) appendUint64(dst []byte, v uint64) ([]byte, error) {
	if v <= math.MaxInt32 {
		return e.appendHeader(dst, v, typeInt)
	}
	return e.appendHeader(dst, v, typeLongInt)
}

func (e *encoder) appendBig(dst []byte, v *big.Int) ([]byte, error) {
	if v == nil {
		return dst, fmt.Errorf("%w: nil *big.Int", ErrUnencodable)
	}
	if v.IsInt64() {
		return e.appendInt64(dst, v.Int64())
	}
	n := v.BitLen()
	if n > MaxIntBits {
		return dst, fmt.Errorf("%w: int is too large to send (%d bits, limit %d)", ErrUnencodable, n, MaxIntBits)
	}
	typ := byte(typeLongInt)
	if v.Sign() < 0 {
		typ = typeLongNeg
	}
	digits := (n + 6) / 7
	if err := e.room(dst, digits+1); err != nil {
		return dst, err
	}
	words := v.Bits() // magnitude, least significant word first
	for k := 0; k < digits; k++ {
		p := 7 * k
		w, s := p/bits.UintSize, uint(p%bits.UintSize)
		d := uint(words[w]) >> s
		if s > bits.UintSize-7 && w+1 < len(words) {
			d |= uint(words[w+1]) << (bits.UintSize - s)
		}
		dst = append(dst, byte(d&0x7f))
	}
	return append(dst, typ), nil
}

func (e *encoder) appendFloat(dst []byte, v float64) ([]byte, error) {
	if err := e.room(dst, 9); err != nil {
		return dst, err
	}
	dst = append(dst, typeFloat)
	return binary.BigEndian.AppendUint64(dst, math.Float64bits(v)), nil
}

// checkString checks that a STRING of n bytes may be written.
func (e *encoder) checkString(dst []byte, n int) error {
	if n > e.lim.MaxString {
		return fmt.Errorf("%w: byte string of %d bytes is longer than the limit of %d", ErrTooLarge, n, e.lim.MaxString)
	}
	return e.room(dst, b128Len(uint64(n))+1+n)
}

func (e *encoder) appendList(dst []byte, v []any, depth int) ([]byte, error) {
	if depth >= e.lim.MaxDepth {
		return dst, fmt.Errorf("%w: %w: lists nested more than %d deep (cyclic list?)", ErrUnencodable, ErrTooDeep, e.lim.MaxDepth)
	}
	if len(v) > e.lim.MaxList {
		return dst, fmt.Errorf("%w: list of %d elements is longer than the limit of %d", ErrTooLarge, len(v), e.lim.MaxList)
	}
	dst, err := e.appendHeader(dst, uint64(len(v)), typeList)
	if err != nil {
		return dst, err
	}
	for _, x := range v {
		if dst, err = e.append(dst, x, depth+1); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// appendB128 appends n in base 128, least significant digit first, using
// the fewest digits (zero is one 00 digit).
func appendB128(dst []byte, n uint64) []byte {
	for n >= 0x80 {
		dst = append(dst, byte(n&0x7f))
		n >>= 7
	}
	return append(dst, byte(n))
}

// b128Len is the number of digits appendB128 writes for n.
func b128Len(n uint64) int {
	if n == 0 {
		return 1
	}
	return (bits.Len64(n) + 6) / 7
}
