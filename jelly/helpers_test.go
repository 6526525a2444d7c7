package jelly

import (
	"context"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"
)

// bigText stands for a *big.Int in normalised expressions, so that
// comparisons do not depend on big.Int's internal representation.
type bigText string

// norm makes an expression comparable: Go strings become []byte (Banana
// writes both as STRINGs), Go ints become int64, big ints become bigText.
func norm(x any) any {
	switch v := x.(type) {
	case string:
		return []byte(v)
	case int:
		return int64(v)
	case *big.Int:
		if v.IsInt64() {
			return v.Int64()
		}
		return bigText(v.String())
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = norm(e)
		}
		return out
	}
	return x
}

// L builds an expected expression.
func L(xs ...any) []any { return norm(xs).([]any) }

// U is [unicode, s].
func U(s string) []any { return L("unicode", s) }

func bigInt(s string) *big.Int {
	b, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return b
}

func jellyT(t *testing.T, v any, o *Options) any {
	t.Helper()
	expr, err := Jelly(context.Background(), v, o)
	require.NoError(t, err)
	return norm(expr)
}

// denorm turns bigText back into *big.Int, for feeding expected
// expressions to Unjelly.
func denorm(x any) any {
	switch v := x.(type) {
	case bigText:
		return bigInt(string(v))
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = denorm(e)
		}
		return out
	}
	return x
}

func unjellyT(t *testing.T, expr any, o *Options) any {
	t.Helper()
	v, err := Unjelly(context.Background(), denorm(norm(expr)), o)
	require.NoError(t, err)
	return v
}
