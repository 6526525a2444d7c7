package banana

import (
	"math"
	"math/big"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEqual(t *testing.T) {
	eq := [][2]any{
		{int64(5), big.NewInt(5)},
		{int64(-5), int(-5)},
		{uint8(200), int64(200)},
		{uint64(math.MaxUint64), new(big.Int).SetUint64(math.MaxUint64)},
		{int64(math.MinInt64), big.NewInt(math.MinInt64)},
		{true, int64(1)},
		{false, int64(0)},
		{int64(0), uint(0)},
		{pow2(200), pow2(200)},
		{1.5, float32(1.5)},
		{math.NaN(), math.Float64frombits(0x7ff8000000000000)},
		{math.Inf(1), math.Inf(1)},
		{[]byte("abc"), "abc"},
		{"abc", []byte("abc")},
		{[]byte(nil), []byte{}},
		{"", []byte(nil)},
		{[]any(nil), []any{}},
		{[]any{1, "a", []any{2.5}}, []any{int64(1), []byte("a"), []any{2.5}}},
	}
	for _, c := range eq {
		assert.True(t, Equal(c[0], c[1]), "%#v == %#v", c[0], c[1])
		assert.True(t, Equal(c[1], c[0]), "%#v == %#v", c[1], c[0])
	}
	ne := [][2]any{
		{int64(5), int64(6)},
		{int64(5), int64(-5)},
		{int64(1), 1.0},
		{uint64(math.MaxUint64), int64(-1)},
		{pow2(64), int64(0)},
		{bigNeg(pow2(63)), pow2(63)},
		{0.0, math.Copysign(0, -1)},
		{math.NaN(), 1.0},
		{[]byte("a"), []byte("b")},
		{[]byte("a"), []any{[]byte("a")}},
		{"1", int64(1)},
		{[]any{1}, []any{1, 2}},
		{[]any{1, 2}, []any{1, 3}},
		{nil, nil},
		{nil, int64(0)},
		{(*big.Int)(nil), int64(0)},
		{struct{}{}, struct{}{}},
	}
	for _, c := range ne {
		assert.False(t, Equal(c[0], c[1]), "%#v != %#v", c[0], c[1])
		assert.False(t, Equal(c[1], c[0]), "%#v != %#v", c[1], c[0])
	}
}
