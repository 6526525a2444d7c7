package jelly

import (
	"math/big"
	"time"
)

// List is a Python list: [list, e1, e2, ...].
type List []any

// Tuple is a Python tuple: [tuple, e1, e2, ...].
type Tuple []any

// Set is a Python set: [set, e1, ...]. Order is the sender's iteration order.
type Set []any

// FrozenSet is a Python frozenset: [frozenset, e1, ...].
type FrozenSet []any

// Pair is one key/value entry of a Dict.
type Pair struct {
	Key   any
	Value any
}

// Dict is a Python dict: [dictionary, [k1, v1], ...]. It keeps the sender's
// insertion order and allows keys that Go maps cannot hold ([]byte, Tuple).
type Dict []Pair

// Date is a Python datetime.date: [date, "Y M D"].
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// TimeOfDay is a naive Python datetime.time: [time, "h m s us"].
type TimeOfDay struct {
	Hour, Minute, Second, Microsecond int
}

// Decimal is a Python decimal.Decimal: [decimal, coefficient, exponent].
// Its value is Coef × 10^Exp; the sign lives in Coef.
type Decimal struct {
	Coef *big.Int
	Exp  int
}

// Unpersistable stands for a value the sender could not serialize:
// [unpersistable, reason].
type Unpersistable struct {
	Reason string
}

// Instance is an object of a class that Security allows but no Go type is
// registered for: [class-name, state].
type Instance struct {
	Class string
	State any
}
