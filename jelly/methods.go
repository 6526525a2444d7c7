package jelly

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Get returns the value stored under key, comparing keys by value: numbers
// by numeric value (int64, *big.Int, float64 and Go integer kinds), strings
// with strings, byte strings with byte strings (a string never equals a
// []byte, as str never equals bytes in Python), tuples element by element,
// and other keys with ==. The last matching entry wins, as in Python.
func (d Dict) Get(key any) (any, bool) {
	for i := len(d) - 1; i >= 0; i-- {
		if KeyEqual(d[i].Key, key) {
			return d[i].Value, true
		}
	}
	return nil, false
}

// Set stores value under key (compared as in Get), replacing an existing
// entry in place or appending a new one.
func (d *Dict) Set(key, value any) {
	for i := len(*d) - 1; i >= 0; i-- {
		if KeyEqual((*d)[i].Key, key) {
			(*d)[i].Value = value
			return
		}
	}
	*d = append(*d, Pair{Key: key, Value: value})
}

// KeyEqual reports whether two dictionary keys are equal by value, with
// the rules of Dict.Get.
func KeyEqual(a, b any) bool { return keyEqual(a, b, 0) }

// keyEqualMaxDepth bounds the comparison of nested (possibly cyclic) tuples.
const keyEqualMaxDepth = DefaultMaxDepth

func keyEqual(a, b any, depth int) bool {
	if depth > keyEqualMaxDepth {
		return false
	}
	if ra, ok := numeric(a); ok {
		rb, ok := numeric(b)
		return ok && ra.Cmp(rb) == 0
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case Tuple:
		y, ok := b.(Tuple)
		return ok && seqEqual(x, y, depth)
	case FrozenSet:
		y, ok := b.(FrozenSet)
		return ok && seqEqual(x, y, depth)
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case Decimal:
		y, ok := b.(Decimal)
		return ok && x.String() == y.String()
	}
	defer func() { _ = recover() }() // uncomparable dynamic types
	return a == b
}

func seqEqual(a, b []any, depth int) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) > 0 && &a[0] == &b[0] {
		return true
	}
	for i := range a {
		if !keyEqual(a[i], b[i], depth+1) {
			return false
		}
	}
	return true
}

// numeric returns a number key as a big.Rat, for comparing across types.
// Booleans are not numbers here.
func numeric(v any) (*big.Rat, bool) {
	switch x := v.(type) {
	case int64:
		return new(big.Rat).SetInt64(x), true
	case int:
		return new(big.Rat).SetInt64(int64(x)), true
	case int32:
		return new(big.Rat).SetInt64(int64(x)), true
	case uint64:
		return new(big.Rat).SetUint64(x), true
	case *big.Int:
		if x == nil {
			return nil, false
		}
		return new(big.Rat).SetInt(x), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, false
		}
		return new(big.Rat).SetFloat64(x), true
	}
	return nil, false
}

// String formats d as Python's str(Decimal) does: plain notation when the
// exponent is at most 0 and the adjusted exponent is at least -6,
// scientific notation otherwise ("9.95", "-78.901", "1E+3", "0.00").
func (d Decimal) String() string {
	coef := d.Coef
	if coef == nil {
		coef = new(big.Int)
	}
	digits := new(big.Int).Abs(coef).String()
	sign := ""
	if coef.Sign() < 0 {
		sign = "-"
	}
	adjusted := d.Exp + len(digits) - 1
	if d.Exp <= 0 && adjusted >= -6 {
		if d.Exp == 0 {
			return sign + digits
		}
		point := len(digits) + d.Exp
		if point > 0 {
			return sign + digits[:point] + "." + digits[point:]
		}
		return sign + "0." + strings.Repeat("0", -point) + digits
	}
	s := sign + digits[:1]
	if len(digits) > 1 {
		s += "." + digits[1:]
	}
	return s + fmt.Sprintf("E%+d", adjusted)
}

// ParseDecimal parses decimal text such as "9.95", "-78.901", "1E+3" or
// "0.00" into a Decimal, keeping its digits and exponent as written (as
// Python's Decimal constructor does). NaN and infinities are refused,
// because jelly cannot carry them.
func ParseDecimal(s string) (Decimal, error) {
	orig := s
	bad := func() (Decimal, error) {
		return Decimal{}, fmt.Errorf("jelly: invalid decimal %q", orig)
	}
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil {
			return bad()
		}
		exp = e
		s = s[:i]
	}
	intPart, frac, hasPoint := strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return bad()
	}
	if hasPoint {
		exp -= len(frac)
	}
	digits := intPart + frac
	for _, c := range digits {
		if c < '0' || c > '9' {
			return bad()
		}
	}
	coef, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return bad()
	}
	if neg {
		coef.Neg(coef)
	}
	return Decimal{Coef: coef, Exp: exp}, nil
}

// String returns the date as YYYY-MM-DD.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// String returns the time as HH:MM:SS.ffffff (like Python's isoformat,
// without the fraction when it is zero).
func (t TimeOfDay) String() string {
	if t.Microsecond == 0 {
		return fmt.Sprintf("%02d:%02d:%02d", t.Hour, t.Minute, t.Second)
	}
	return fmt.Sprintf("%02d:%02d:%02d.%06d", t.Hour, t.Minute, t.Second, t.Microsecond)
}
