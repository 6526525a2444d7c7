package db

import (
	"database/sql/driver"
	"fmt"
	"math"
	"math/big"
	"net/netip"
	"strconv"
	"time"

	"github.com/braidkit/braid/jelly"
	"github.com/jackc/pgx/v5/pgtype"
)

// normalize turns a value read from a driver into one of the types Row
// documents, so that results look alike on every backend and can be sent
// over PB as they are.
func normalize(v any) any {
	switch x := v.(type) {
	case nil, int64, float64, bool, string, []byte, jelly.Decimal:
		return x
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint:
		if uint64(x) <= math.MaxInt64 {
			return int64(x)
		}
		return new(big.Int).SetUint64(uint64(x))
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x)
		}
		return new(big.Int).SetUint64(x)
	case float32:
		return float64(x)
	case time.Time:
		if x.Location() != time.UTC {
			return x.UTC()
		}
		return x
	case pgtype.Numeric:
		return numericValue(x)
	case [16]byte: // uuid
		return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
	case pgtype.Time:
		if !x.Valid {
			return nil
		}
		us := x.Microseconds
		return jelly.TimeOfDay{
			Hour: int(us / 3600e6), Minute: int(us / 60e6 % 60), Second: int(us / 1e6 % 60), Microsecond: int(us % 1e6),
		}
	case pgtype.Interval:
		if !x.Valid {
			return nil
		}
		if x.Months == 0 {
			return time.Duration(x.Days)*24*time.Hour + time.Duration(x.Microseconds)*time.Microsecond
		}
	case netip.Prefix:
		if x.IsSingleIP() {
			return x.Addr().String()
		}
		return x.String()
	case netip.Addr:
		return x.String()
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	}
	if vr, ok := v.(driver.Valuer); ok {
		if dv, err := vr.Value(); err == nil {
			if _, again := dv.(driver.Valuer); !again {
				return normalize(dv)
			}
		}
	}
	if s, ok := v.(fmt.Stringer); ok {
		return s.String()
	}
	return v
}

func numericValue(n pgtype.Numeric) any {
	switch {
	case !n.Valid:
		return nil
	case n.NaN:
		return math.NaN()
	case n.InfinityModifier == pgtype.Infinity:
		return math.Inf(1)
	case n.InfinityModifier == pgtype.NegativeInfinity:
		return math.Inf(-1)
	}
	c := new(big.Int)
	if n.Int != nil {
		c.Set(n.Int)
	}
	return jelly.Decimal{Coef: c, Exp: int(n.Exp)}
}

// pgxArg converts arguments that pgx cannot encode by itself, such as the
// values a PB peer sends (jelly.Decimal, jelly.Date, lists).
func pgxArg(v any) any {
	switch x := v.(type) {
	case jelly.Decimal:
		if x.Coef == nil {
			return pgtype.Numeric{Int: new(big.Int), Valid: true}
		}
		return pgtype.Numeric{Int: x.Coef, Exp: int32(x.Exp), Valid: true}
	case *jelly.Decimal:
		if x == nil {
			return nil
		}
		return pgxArg(*x)
	case *big.Int:
		if x == nil {
			return nil
		}
		return pgtype.Numeric{Int: x, Valid: true}
	case jelly.Date:
		return pgtype.Date{Time: time.Date(x.Year, x.Month, x.Day, 0, 0, 0, 0, time.UTC), Valid: true}
	case jelly.TimeOfDay:
		us := int64(x.Hour)*3600e6 + int64(x.Minute)*60e6 + int64(x.Second)*1e6 + int64(x.Microsecond)
		return pgtype.Time{Microseconds: us, Valid: true}
	case jelly.List:
		return convertList(x, pgxArg)
	case jelly.Tuple:
		return convertList(x, pgxArg)
	}
	return v
}

// sqlArg converts arguments for database/sql drivers.
func sqlArg(v any) any {
	switch x := v.(type) {
	case jelly.Decimal:
		return x.String()
	case *jelly.Decimal:
		if x == nil {
			return nil
		}
		return x.String()
	case *big.Int:
		if x == nil {
			return nil
		}
		if x.IsInt64() {
			return x.Int64()
		}
		return x.String()
	case jelly.Date:
		return fmt.Sprintf("%04d-%02d-%02d", x.Year, int(x.Month), x.Day)
	case jelly.TimeOfDay:
		return fmt.Sprintf("%02d:%02d:%02d.%06d", x.Hour, x.Minute, x.Second, x.Microsecond)
	case time.Duration:
		return x.String()
	}
	return v
}

func convertList(l []any, f func(any) any) []any {
	out := make([]any, len(l))
	for i, e := range l {
		out[i] = f(e)
	}
	return out
}

func convertArgs(args []any, f func(any) any) []any {
	if len(args) == 0 {
		return args
	}
	return convertList(args, f)
}

// pgxLooseArg converts a facade caller's argument for pgx. PB peers send
// untyped numbers and booleans, and PostgreSQL infers a parameter's type
// from the statement ("select $1" makes it text), so numbers and booleans
// are wrapped in values that pgx can encode as that type or as text.
func pgxLooseArg(v any) any {
	switch x := v.(type) {
	case int64:
		return looseInt{x}
	case int:
		return looseInt{int64(x)}
	case float64:
		return looseFloat{x}
	case bool:
		return looseBool{x}
	case jelly.List:
		return convertList(x, pgxLooseArg)
	case jelly.Tuple:
		return convertList(x, pgxLooseArg)
	}
	return pgxArg(v)
}

type looseInt struct{ v int64 }

func (x looseInt) Int64Value() (pgtype.Int8, error) { return pgtype.Int8{Int64: x.v, Valid: true}, nil }
func (x looseInt) NumericValue() (pgtype.Numeric, error) {
	return pgtype.Numeric{Int: big.NewInt(x.v), Valid: true}, nil
}
func (x looseInt) TextValue() (pgtype.Text, error) {
	return pgtype.Text{String: strconv.FormatInt(x.v, 10), Valid: true}, nil
}

type looseFloat struct{ v float64 }

func (x looseFloat) Float64Value() (pgtype.Float8, error) {
	return pgtype.Float8{Float64: x.v, Valid: true}, nil
}
func (x looseFloat) TextValue() (pgtype.Text, error) {
	return pgtype.Text{String: strconv.FormatFloat(x.v, 'g', -1, 64), Valid: true}, nil
}

type looseBool struct{ v bool }

func (x looseBool) BoolValue() (pgtype.Bool, error) { return pgtype.Bool{Bool: x.v, Valid: true}, nil }
func (x looseBool) TextValue() (pgtype.Text, error) {
	return pgtype.Text{String: strconv.FormatBool(x.v), Valid: true}, nil
}
