package banana

import (
	"math"
	"math/big"
)

// Equal reports whether a and b are the same Banana expression, that is,
// whether they would decode from equivalent wire forms. It accepts every
// type that Append accepts:
//
//   - integers compare by value, whatever their Go types (int64 and
//     *big.Int, uint8 and int, ...); bool counts as 0 or 1;
//   - floats compare by bit pattern, except that all NaNs are equal
//     (so 0.0 and -0.0 differ, as they do on the wire); float32 is widened;
//   - []byte and string compare by their bytes (nil equals empty);
//   - []any compare element by element (nil equals empty).
//
// Values of different kinds (an integer and a float, a string and a list)
// are never equal, and neither are values of unsupported types. Equal is
// meant for tests and does not detect cyclic lists.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case []byte:
		switch y := b.(type) {
		case []byte:
			return string(x) == string(y)
		case string:
			return string(x) == y
		}
		return false
	case string:
		switch y := b.(type) {
		case []byte:
			return x == string(y)
		case string:
			return x == y
		}
		return false
	case float64, float32:
		fx, _ := asFloat(a)
		fy, ok := asFloat(b)
		if !ok {
			return false
		}
		if math.IsNaN(fx) || math.IsNaN(fy) {
			return math.IsNaN(fx) && math.IsNaN(fy)
		}
		return math.Float64bits(fx) == math.Float64bits(fy)
	}
	ix, ok := asInt(a)
	if !ok {
		return false
	}
	iy, ok := asInt(b)
	if !ok {
		return false
	}
	return ix.equal(iy)
}

func asFloat(v any) (float64, bool) {
	switch f := v.(type) {
	case float64:
		return f, true
	case float32:
		return float64(f), true
	}
	return 0, false
}

// integer is an integer value: small when big is nil, else big.
type integer struct {
	neg   bool
	small uint64 // magnitude
	big   *big.Int
}

func (x integer) equal(y integer) bool {
	if x.big == nil && y.big == nil {
		return x.neg == y.neg && x.small == y.small || x.small == 0 && y.small == 0
	}
	return x.toBig().Cmp(y.toBig()) == 0
}

func (x integer) toBig() *big.Int {
	if x.big != nil {
		return x.big
	}
	z := new(big.Int).SetUint64(x.small)
	if x.neg {
		z.Neg(z)
	}
	return z
}

func fromInt64(v int64) integer {
	if v < 0 {
		return integer{neg: true, small: uint64(-v)}
	}
	return integer{small: uint64(v)}
}

func asInt(v any) (integer, bool) {
	switch n := v.(type) {
	case int64:
		return fromInt64(n), true
	case int:
		return fromInt64(int64(n)), true
	case int32:
		return fromInt64(int64(n)), true
	case int16:
		return fromInt64(int64(n)), true
	case int8:
		return fromInt64(int64(n)), true
	case uint64:
		return integer{small: n}, true
	case uint:
		return integer{small: uint64(n)}, true
	case uint32:
		return integer{small: uint64(n)}, true
	case uint16:
		return integer{small: uint64(n)}, true
	case uint8:
		return integer{small: uint64(n)}, true
	case bool:
		if n {
			return integer{small: 1}, true
		}
		return integer{}, true
	case *big.Int:
		if n == nil {
			return integer{}, false
		}
		return integer{big: n}, true
	}
	return integer{}, false
}
