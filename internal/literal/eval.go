package literal

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/braidkit/braid/jelly"
)

// Env gives an expression its variables and performs its method calls.
type Env interface {
	// Lookup returns the value of a variable.
	Lookup(name string) (any, error)
	// CallMethod calls method on recv, the value of the expression before
	// the dot, with evaluated arguments.
	CallMethod(ctx context.Context, recv any, method string, args []any, kwargs []Kwarg) (any, error)
}

// Kwarg is one evaluated keyword argument.
type Kwarg struct {
	Name  string
	Value any
}

// Eval evaluates an expression. env may be nil when the expression has no
// names or method calls (as from Parse).
func Eval(ctx context.Context, e Expr, env Env) (any, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	switch e := e.(type) {
	case Const:
		return e.Value, nil
	case *Seq:
		elems := make([]any, 0, len(e.Elems))
		for _, x := range e.Elems {
			v, err := Eval(ctx, x, env)
			if err != nil {
				return nil, err
			}
			elems = append(elems, v)
		}
		switch e.Kind {
		case TupleKind:
			return jelly.Tuple(elems), nil
		case SetKind:
			return jelly.Set(elems), nil
		}
		return jelly.List(elems), nil
	case *DictExpr:
		d := make(jelly.Dict, 0, len(e.Keys))
		for i := range e.Keys {
			k, err := Eval(ctx, e.Keys[i], env)
			if err != nil {
				return nil, err
			}
			v, err := Eval(ctx, e.Values[i], env)
			if err != nil {
				return nil, err
			}
			d = append(d, jelly.Pair{Key: k, Value: v})
		}
		return d, nil
	case *Unary:
		x, err := Eval(ctx, e.X, env)
		if err != nil {
			return nil, err
		}
		return unary(e.Op, x)
	case *Index:
		x, err := Eval(ctx, e.X, env)
		if err != nil {
			return nil, err
		}
		k, err := Eval(ctx, e.Key, env)
		if err != nil {
			return nil, err
		}
		return index(x, k)
	case *Name:
		if env == nil {
			return nil, fmt.Errorf("unknown name %s", e.Name)
		}
		return env.Lookup(e.Name)
	case *Call:
		var recv any
		if e.Recv != nil {
			if env == nil {
				return nil, fmt.Errorf("method calls are not allowed here")
			}
			r, err := Eval(ctx, e.Recv, env)
			if err != nil {
				return nil, err
			}
			recv = r
		}
		args := make([]any, 0, len(e.Args))
		for _, a := range e.Args {
			v, err := Eval(ctx, a, env)
			if err != nil {
				return nil, err
			}
			args = append(args, v)
		}
		var kw []Kwarg
		for _, k := range e.Kwargs {
			v, err := Eval(ctx, k.Value, env)
			if err != nil {
				return nil, err
			}
			kw = append(kw, Kwarg{Name: k.Name, Value: v})
		}
		if e.Recv != nil {
			return env.CallMethod(ctx, recv, e.Func, args, kw)
		}
		return callBuiltin(e.Func, args, kw)
	}
	return nil, fmt.Errorf("literal: unknown expression %T", e)
}

func emptyDict() jelly.Dict { return jelly.Dict{} }

// index returns x[k] for a list, tuple or dict, as Python does (negative
// indexes count from the end).
func index(x, k any) (any, error) {
	var elems []any
	switch c := x.(type) {
	case jelly.Dict:
		v, ok := c.Get(k)
		if !ok {
			return nil, fmt.Errorf("KeyError: %s", Format(k))
		}
		return v, nil
	case jelly.List:
		elems = c
	case jelly.Tuple:
		elems = c
	default:
		return nil, fmt.Errorf("%s is not subscriptable", TypeName(x))
	}
	i, ok := k.(int64)
	if !ok {
		return nil, fmt.Errorf("%s indices must be integers, not %s", TypeName(x), TypeName(k))
	}
	if i < 0 {
		i += int64(len(elems))
	}
	if i < 0 || i >= int64(len(elems)) {
		return nil, fmt.Errorf("%s index out of range", TypeName(x))
	}
	return elems[i], nil
}

// unary applies - or + to a number.
func unary(op byte, v any) (any, error) {
	switch x := v.(type) {
	case int64:
		if op == '+' {
			return x, nil
		}
		if x == math.MinInt64 {
			return new(big.Int).Neg(big.NewInt(x)), nil
		}
		return -x, nil
	case *big.Int:
		if op == '+' {
			return x, nil
		}
		return normInt(new(big.Int).Neg(x)), nil
	case float64:
		if op == '+' {
			return x, nil
		}
		return -x, nil
	case bool:
		n := int64(0)
		if x {
			n = 1
		}
		if op == '-' {
			n = -n
		}
		return n, nil
	}
	return nil, fmt.Errorf("bad operand type for unary %c: %s", op, TypeName(v))
}

// callBuiltin runs a built-in constructor.
func callBuiltin(fn string, args []any, kw []Kwarg) (any, error) {
	switch fn {
	case "set", "frozenset":
		if len(kw) > 0 {
			return nil, fmt.Errorf("%s() takes no keyword arguments", fn)
		}
		var elems []any
		switch len(args) {
		case 0:
			elems = []any{}
		case 1:
			var ok bool
			if elems, ok = iterable(args[0]); !ok {
				return nil, fmt.Errorf("%s() argument must be a list, tuple, set or frozenset, not %s", fn, TypeName(args[0]))
			}
			elems = append([]any{}, elems...)
		default:
			return nil, fmt.Errorf("%s() takes at most 1 argument (%d given)", fn, len(args))
		}
		if fn == "set" {
			return jelly.Set(elems), nil
		}
		return jelly.FrozenSet(elems), nil
	case "float":
		if len(kw) > 0 || len(args) > 1 {
			return nil, fmt.Errorf("float() takes at most 1 positional argument")
		}
		if len(args) == 0 {
			return 0.0, nil
		}
		switch x := args[0].(type) {
		case float64:
			return x, nil
		case int64:
			return float64(x), nil
		case *big.Int:
			f, _ := new(big.Float).SetInt(x).Float64()
			if math.IsInf(f, 0) {
				return nil, fmt.Errorf("int too large to convert to float")
			}
			return f, nil
		case string:
			return parseFloatString(x)
		}
		return nil, fmt.Errorf("float() argument must be a string or a number, not %s", TypeName(args[0]))
	case "datetime", "date", "time":
		return dateTime(fn, args, kw)
	case "timedelta":
		return timeDelta(args, kw)
	case "Decimal":
		if len(kw) > 0 || len(args) != 1 {
			return nil, fmt.Errorf("Decimal() takes exactly 1 argument")
		}
		var d jelly.Decimal
		switch x := args[0].(type) {
		case string:
			var err error
			if d, err = jelly.ParseDecimal(x); err != nil {
				return nil, fmt.Errorf("invalid Decimal %q (NaN and infinities cannot be sent)", x)
			}
		case int64:
			d = jelly.Decimal{Coef: big.NewInt(x)}
		case *big.Int:
			d = jelly.Decimal{Coef: new(big.Int).Set(x)}
		default:
			return nil, fmt.Errorf("Decimal() argument must be a string or an int, not %s", TypeName(args[0]))
		}
		// Keep the exponent where printing it cannot overflow.
		if d.Exp > maxDecimalExp || d.Exp < -maxDecimalExp || d.Coef.BitLen() > 4*maxIntDigits {
			return nil, fmt.Errorf("Decimal out of range")
		}
		return d, nil
	case "Instance":
		if len(kw) > 0 || len(args) != 2 {
			return nil, fmt.Errorf("Instance() takes 2 arguments: the class name and the state")
		}
		class, ok := args[0].(string)
		if !ok || class == "" {
			return nil, fmt.Errorf("Instance() class name must be a non-empty string")
		}
		return jelly.Instance{Class: class, State: args[1]}, nil
	case "Unpersistable":
		if len(kw) > 0 || len(args) != 1 {
			return nil, fmt.Errorf("Unpersistable() takes 1 argument: the reason")
		}
		reason, ok := args[0].(string)
		if !ok {
			return nil, fmt.Errorf("Unpersistable() reason must be a string")
		}
		return jelly.Unpersistable{Reason: reason}, nil
	}
	return nil, fmt.Errorf("unknown function %s", fn)
}

// maxDecimalExp bounds Decimal exponents (Python's own bound on 64-bit
// machines is about 10^18; this keeps arithmetic on them safe).
const maxDecimalExp = 1 << 40

// parseFloatString parses the argument of float("..."), as Python's
// float() does: decimal text, "inf", "infinity" and "nan" in any case,
// with an optional sign and surrounding spaces.
func parseFloatString(s string) (float64, error) {
	t := strings.TrimSpace(s)
	body := strings.TrimLeft(t, "+-")
	if len(t)-len(body) > 1 || body == "" {
		return 0, fmt.Errorf("could not convert string to float: %q", s)
	}
	neg := strings.HasPrefix(t, "-")
	switch strings.ToLower(body) {
	case "inf", "infinity":
		if neg {
			return math.Inf(-1), nil
		}
		return math.Inf(1), nil
	case "nan":
		return math.NaN(), nil
	}
	// Only Python's decimal float syntax: digits, one point, an exponent.
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !(isDigit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-' || c == '_') {
			return 0, fmt.Errorf("could not convert string to float: %q", s)
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("could not convert string to float: %q", s)
	}
	return f, nil
}

// iterable returns the elements of a list, tuple, set or frozenset.
func iterable(v any) ([]any, bool) {
	switch x := v.(type) {
	case jelly.List:
		return x, true
	case jelly.Tuple:
		return x, true
	case jelly.Set:
		return x, true
	case jelly.FrozenSet:
		return x, true
	}
	return nil, false
}

// intArgs binds positional and keyword int arguments to parameter names.
func intArgs(fn string, params []string, required int, args []any, kw []Kwarg) ([]int64, error) {
	if len(args) > len(params) {
		return nil, fmt.Errorf("%s() takes at most %d arguments (%d given)", fn, len(params), len(args))
	}
	out := make([]int64, len(params))
	set := make([]bool, len(params))
	assign := func(i int, v any) error {
		n, ok := v.(int64)
		if !ok {
			return fmt.Errorf("%s() argument %s must be an int, not %s", fn, params[i], TypeName(v))
		}
		out[i], set[i] = n, true
		return nil
	}
	for i, a := range args {
		if err := assign(i, a); err != nil {
			return nil, err
		}
	}
	for _, k := range kw {
		i := indexOf(params, k.Name)
		if i < 0 {
			return nil, fmt.Errorf("%s() got an unexpected keyword argument %s", fn, k.Name)
		}
		if set[i] {
			return nil, fmt.Errorf("%s() got multiple values for argument %s", fn, k.Name)
		}
		if err := assign(i, k.Value); err != nil {
			return nil, err
		}
	}
	for i := 0; i < required; i++ {
		if !set[i] {
			return nil, fmt.Errorf("%s() missing required argument %s", fn, params[i])
		}
	}
	return out, nil
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func inRange(fn, name string, v, lo, hi int64) error {
	if v < lo || v > hi {
		return fmt.Errorf("%s() %s must be in %d..%d, not %d", fn, name, lo, hi, v)
	}
	return nil
}

// dateTime builds datetime (time.Time in UTC), date and time values.
func dateTime(fn string, args []any, kw []Kwarg) (any, error) {
	var params []string
	required := 0
	switch fn {
	case "datetime":
		params, required = []string{"year", "month", "day", "hour", "minute", "second", "microsecond"}, 3
	case "date":
		params, required = []string{"year", "month", "day"}, 3
	case "time":
		params = []string{"hour", "minute", "second", "microsecond"}
	}
	n, err := intArgs(fn, params, required, args, kw)
	if err != nil {
		return nil, err
	}
	clock := n
	if fn != "time" {
		if err := inRange(fn, "year", n[0], 1, 9999); err != nil {
			return nil, err
		}
		if err := inRange(fn, "month", n[1], 1, 12); err != nil {
			return nil, err
		}
		days := int64(time.Date(int(n[0]), time.Month(n[1])+1, 0, 0, 0, 0, 0, time.UTC).Day())
		if err := inRange(fn, "day", n[2], 1, days); err != nil {
			return nil, err
		}
		clock = n[3:]
	}
	lims := []int64{23, 59, 59, 999999}
	for i, v := range clock {
		if err := inRange(fn, params[len(params)-len(clock)+i], v, 0, lims[i]); err != nil {
			return nil, err
		}
	}
	switch fn {
	case "date":
		return jelly.Date{Year: int(n[0]), Month: time.Month(n[1]), Day: int(n[2])}, nil
	case "time":
		return jelly.TimeOfDay{Hour: int(n[0]), Minute: int(n[1]), Second: int(n[2]), Microsecond: int(n[3])}, nil
	}
	return time.Date(int(n[0]), time.Month(n[1]), int(n[2]), int(n[3]), int(n[4]), int(n[5]), int(n[6])*1000, time.UTC), nil
}

// timeDelta builds a time.Duration from Python's timedelta arguments.
func timeDelta(args []any, kw []Kwarg) (any, error) {
	params := []string{"days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks"}
	n, err := intArgs("timedelta", params, 0, args, kw)
	if err != nil {
		return nil, err
	}
	// Microseconds per unit, in the order of params.
	units := []int64{86400e6, 1e6, 1, 1e3, 60e6, 3600e6, 7 * 86400e6}
	total := new(big.Int)
	for i, v := range n {
		total.Add(total, new(big.Int).Mul(big.NewInt(v), big.NewInt(units[i])))
	}
	total.Mul(total, big.NewInt(1000)) // nanoseconds
	if !total.IsInt64() {
		return nil, fmt.Errorf("timedelta() out of range (at most about 292 years either way)")
	}
	return time.Duration(total.Int64()), nil
}

// TypeName is the Python name of a generic value's type, for messages.
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case jelly.List:
		return "list"
	case jelly.Tuple:
		return "tuple"
	case jelly.Set:
		return "set"
	case jelly.FrozenSet:
		return "frozenset"
	case jelly.Dict:
		return "dict"
	case time.Time:
		return "datetime"
	case jelly.Date:
		return "date"
	case jelly.TimeOfDay:
		return "time"
	case time.Duration:
		return "timedelta"
	case jelly.Decimal:
		return "Decimal"
	case jelly.Instance:
		return "Instance"
	case jelly.Unpersistable:
		return "Unpersistable"
	}
	return fmt.Sprintf("%T", v)
}
