package literal

import (
	"bytes"
	"math"
	"math/big"
	"time"

	"github.com/braidkit/braid/jelly"
)

// Equal reports whether two generic values are the same value as the
// literal syntax writes it: same types (ints compare by value whether
// int64 or *big.Int), same elements in the same order, floats equal bit
// for bit except that every NaN equals every NaN, datetimes equal by wall
// clock to the microsecond, Decimals by coefficient and exponent.
func Equal(a, b any) bool { return equal(a, b, 0) }

func equal(a, b any, depth int) bool {
	if depth > 4*maxDepth {
		return false
	}
	if ia, ok := intValue(a); ok {
		ib, ok := intValue(b)
		return ok && ia.Cmp(ib) == 0
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		if !ok {
			return false
		}
		if math.IsNaN(x) || math.IsNaN(y) {
			return math.IsNaN(x) && math.IsNaN(y)
		}
		return math.Float64bits(x) == math.Float64bits(y)
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case jelly.List:
		y, ok := b.(jelly.List)
		return ok && equalSlices(x, y, depth)
	case jelly.Tuple:
		y, ok := b.(jelly.Tuple)
		return ok && equalSlices(x, y, depth)
	case jelly.Set:
		y, ok := b.(jelly.Set)
		return ok && equalSlices(x, y, depth)
	case jelly.FrozenSet:
		y, ok := b.(jelly.FrozenSet)
		return ok && equalSlices(x, y, depth)
	case jelly.Dict:
		y, ok := b.(jelly.Dict)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i].Key, y[i].Key, depth+1) || !equal(x[i].Value, y[i].Value, depth+1) {
				return false
			}
		}
		return true
	case time.Time:
		y, ok := b.(time.Time)
		return ok && wall(x) == wall(y)
	case jelly.Date:
		y, ok := b.(jelly.Date)
		return ok && x == y
	case jelly.TimeOfDay:
		y, ok := b.(jelly.TimeOfDay)
		return ok && x == y
	case time.Duration:
		y, ok := b.(time.Duration)
		return ok && x/time.Microsecond == y/time.Microsecond
	case jelly.Decimal:
		y, ok := b.(jelly.Decimal)
		return ok && x.Exp == y.Exp && coef(x).Cmp(coef(y)) == 0
	case jelly.Instance:
		y, ok := b.(jelly.Instance)
		return ok && x.Class == y.Class && equal(x.State, y.State, depth+1)
	case jelly.Unpersistable:
		y, ok := b.(jelly.Unpersistable)
		return ok && x == y
	}
	return a == b
}

func equalSlices(x, y []any, depth int) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if !equal(x[i], y[i], depth+1) {
			return false
		}
	}
	return true
}

func intValue(v any) (*big.Int, bool) {
	switch x := v.(type) {
	case int64:
		return big.NewInt(x), true
	case *big.Int:
		if x != nil {
			return x, true
		}
	}
	return nil, false
}

func coef(d jelly.Decimal) *big.Int {
	if d.Coef == nil {
		return new(big.Int)
	}
	return d.Coef
}

// wall is a time's wall clock to the microsecond, without its location.
func wall(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1000*1000, time.UTC)
}
