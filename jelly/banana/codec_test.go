package banana

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"math/big"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vector is a verified encoding from the spec (§1.3-§1.9, Appendix A and
// D; all printed by Twisted 22.4).
type vector struct {
	name    string
	dialect Dialect
	value   any
	wire    []byte
	// encodeOnly: value does not come back as itself (e.g. bool).
	encodeOnly bool
}

func specVectors(t testing.TB) []vector {
	max448 := bigAdd(pow2(448), -1)
	vs := []vector{
		// §1.3 / Appendix D integers.
		{name: "0", value: int64(0), wire: hx(t, "00 81")},
		{name: "1", value: int64(1), wire: hx(t, "01 81")},
		{name: "10", value: int64(10), wire: hx(t, "0a 81")},
		{name: "127", value: int64(127), wire: hx(t, "7f 81")},
		{name: "128", value: int64(128), wire: hx(t, "00 01 81")},
		{name: "255", value: int64(255), wire: hx(t, "7f 01 81")},
		{name: "256", value: int64(256), wire: hx(t, "00 02 81")},
		{name: "300", value: int64(300), wire: hx(t, "2c 02 81")},
		{name: "1015", value: int64(1015), wire: hx(t, "77 07 81")},
		{name: "16383", value: int64(16383), wire: hx(t, "7f 7f 81")},
		{name: "16384", value: int64(16384), wire: hx(t, "00 00 01 81")},
		{name: "2^31-1", value: int64(math.MaxInt32), wire: hx(t, "7f 7f 7f 7f 07 81")},
		{name: "2^31", value: int64(1 << 31), wire: hx(t, "00 00 00 00 08 85")},
		{name: "2^32", value: int64(1 << 32), wire: hx(t, "00 00 00 00 10 85")},
		{name: "2^63", value: pow2(63), wire: hx(t, "00 00 00 00 00 00 00 00 00 01 85")},
		{name: "123456789123456789", value: int64(123456789123456789), wire: hx(t, "15 3e 41 66 3a 69 26 5b 01 85")},
		{name: "-1", value: int64(-1), wire: hx(t, "01 83")},
		{name: "-127", value: int64(-127), wire: hx(t, "7f 83")},
		{name: "-128", value: int64(-128), wire: hx(t, "00 01 83")},
		{name: "-1015", value: int64(-1015), wire: hx(t, "77 07 83")},
		{name: "-2147483647", value: int64(-2147483647), wire: hx(t, "7f 7f 7f 7f 07 83")},
		{name: "2^31-3", value: int64(1<<31 - 3), wire: hx(t, "7d 7f 7f 7f 07 81")},
		{name: "2^31+1", value: int64(1<<31 + 1), wire: hx(t, "01 00 00 00 08 85")},
		{name: "2^31+2", value: int64(1<<31 + 2), wire: hx(t, "02 00 00 00 08 85")},
		{name: "-2^31+2", value: int64(-1<<31 + 2), wire: hx(t, "7e 7f 7f 7f 07 83")},
		{name: "-2^31-2", value: int64(-1<<31 - 2), wire: hx(t, "02 00 00 00 08 86")},
		{name: "-2^31-3", value: int64(-1<<31 - 3), wire: hx(t, "03 00 00 00 08 86")},
		{name: "-2^31", value: int64(math.MinInt32), wire: hx(t, "00 00 00 00 08 83")},
		{name: "-2^31-1", value: int64(math.MinInt32 - 1), wire: hx(t, "01 00 00 00 08 86")},
		{name: "2^448-1", value: max448, wire: cat(rep(0x7f, 64), []byte{0x85})},
		{name: "-(2^448-1)", value: bigNeg(max448), wire: cat(rep(0x7f, 64), []byte{0x86})},
		// Derived from the rules: the int64 extremes.
		{name: "MaxInt64", value: int64(math.MaxInt64), wire: hx(t, "7f 7f 7f 7f 7f 7f 7f 7f 7f 85")},
		{name: "MinInt64", value: int64(math.MinInt64), wire: hx(t, "00 00 00 00 00 00 00 00 00 01 86")},
		{name: "2^64", value: pow2(64), wire: hx(t, "00 00 00 00 00 00 00 00 00 02 85")},
		{name: "-(2^63+1)", value: bigNeg(bigAdd(pow2(63), 1)), wire: hx(t, "01 00 00 00 00 00 00 00 00 01 86")},

		// §1.4 floats.
		{name: "0.0", value: 0.0, wire: hx(t, "84 00 00 00 00 00 00 00 00")},
		{name: "1.0", value: 1.0, wire: hx(t, "84 3f f0 00 00 00 00 00 00")},
		{name: "1.5", value: 1.5, wire: hx(t, "84 3f f8 00 00 00 00 00 00")},
		{name: "-2.25", value: -2.25, wire: hx(t, "84 c0 02 00 00 00 00 00 00")},
		{name: "1015.0", value: 1015.0, wire: hx(t, "84 40 8f b8 00 00 00 00 00")},
		{name: "1e300", value: 1e300, wire: hx(t, "84 7e 37 e4 3c 88 00 75 9c")},
		{name: "inf", value: math.Inf(1), wire: hx(t, "84 7f f0 00 00 00 00 00 00")},
		{name: "-inf", value: math.Inf(-1), wire: hx(t, "84 ff f0 00 00 00 00 00 00")},
		{name: "-0.0", value: math.Copysign(0, -1), wire: hx(t, "84 80 00 00 00 00 00 00 00")},
		// CPython's NaN. (Go's math.NaN() has a different payload, which
		// Append sends unchanged, as Python would.)
		{name: "nan", value: math.Float64frombits(0x7ff8000000000000), wire: hx(t, "84 7f f8 00 00 00 00 00 00")},

		// §1.5 byte strings.
		{name: "b''", value: []byte{}, wire: hx(t, "00 82")},
		{name: "b'a'", value: []byte("a"), wire: hx(t, "01 82 61")},
		{name: "b'hello'", value: []byte("hello"), wire: hx(t, "05 82 68 65 6c 6c 6f")},
		{name: "200 x", value: bytes.Repeat([]byte("x"), 200), wire: cat(hx(t, "48 01 82"), rep('x', 200))},
		{name: "high bytes", value: []byte{0x80, 0x81, 0x82, 0x83}, wire: hx(t, "04 82 80 81 82 83")},

		// §1.6 lists.
		{name: "[]", value: []any{}, wire: hx(t, "00 80")},
		{name: "[1]", value: []any{int64(1)}, wire: hx(t, "01 80 01 81")},
		{name: "[1, 2]", value: []any{int64(1), int64(2)}, wire: hx(t, "02 80 01 81 02 81")},
		{name: "nested", value: []any{[]byte("a"), []any{[]byte("b"), []any{}}, int64(-3)},
			wire: hx(t, "03 80 01 82 61 02 80 01 82 62 00 80 03 83")},
		{name: "[1.5, [2]]", value: []any{1.5, []any{int64(2)}}, wire: hx(t, "02 80 84 3f f8 00 00 00 00 00 00 01 80 02 81")},
		{name: "[True, False]", value: []any{true, false}, wire: hx(t, "02 80 01 81 00 81"), encodeOnly: true},

		// §1.8 words that are not in the vocabulary go out in full even in pb.
		{name: "pb didNotUnderstand", dialect: DialectPB, value: []byte("didNotUnderstand"),
			wire: hx(t, "10 82 64 69 64 4e 6f 74 55 6e 64 65 72 73 74 61 6e 64")},
		{name: "pb unicode", dialect: DialectPB, value: []byte("unicode"), wire: hx(t, "07 82 75 6e 69 63 6f 64 65")},
		{name: "pb boolean", dialect: DialectPB, value: []byte("boolean"), wire: hx(t, "07 82 62 6f 6f 6c 65 61 6e")},
		{name: "pb root", dialect: DialectPB, value: []byte("root"), wire: hx(t, "04 82 72 6f 6f 74")},
		{name: "none [version, 6]", value: []any{[]byte("version"), int64(6)},
			wire: hx(t, "02 80 07 82 76 65 72 73 69 6f 6e 06 81")},
		{name: "pb [version, 6]", dialect: DialectPB, value: []any{[]byte("version"), int64(6)}, wire: hx(t, "02 80 13 87 06 81")},
		{name: "none [list, 1, 2]", value: []any{[]byte("list"), int64(1), int64(2)},
			wire: hx(t, "03 80 04 82 6c 69 73 74 01 81 02 81")},
		{name: "pb [list, 1, 2]", dialect: DialectPB, value: []any{[]byte("list"), int64(1), int64(2)},
			wire: hx(t, "03 80 08 87 01 81 02 81")},

		// §1.9 handshake.
		{name: "offer none", value: []any{[]byte("pb"), []byte("none")}, wire: hx(t, "02 80 02 82 70 62 04 82 6e 6f 6e 65")},
		{name: "offer pb", dialect: DialectPB, value: []any{[]byte("pb"), []byte("none")},
			wire: hx(t, "02 80 02 82 70 62 04 82 6e 6f 6e 65")},
		{name: "choice", value: []byte("pb"), wire: hx(t, "02 82 70 62")},

		// Appendix A messages (dialect pb).
		{name: "message add", dialect: DialectPB,
			value: []any{[]byte("message"), int64(1), []byte("root"), []byte("add"), int64(1),
				[]any{[]byte("tuple"), int64(1), int64(2)}, []any{[]byte("dictionary")}},
			wire: hx(t, "07 80 1a 87 01 81 04 82 72 6f 6f 74 03 82 61 64 64 01 81 03 80 0b 87 01 81 02 81 01 80 05 87")},
		{name: "answer 3", dialect: DialectPB, value: []any{[]byte("answer"), int64(1), int64(3)},
			wire: hx(t, "03 80 1b 87 01 81 03 81")},
		{name: "message echo", dialect: DialectPB,
			value: []any{[]byte("message"), int64(2), []byte("root"), []byte("echo"), int64(1),
				[]any{[]byte("tuple"), []any{[]byte("unicode"), []byte("x")}, []byte("y"), 1.5,
					[]any{[]byte("None")}, []any{[]byte("boolean"), []byte("true")}},
				[]any{[]byte("dictionary"), []any{[]any{[]byte("unicode"), []byte("k")}, []any{[]byte("unicode"), []byte("v")}}}},
			wire: hx(t, "07 80 1a 87 02 81 04 82 72 6f 6f 74 04 82 65 63 68 6f 01 81 06 80 0b 87 02 80 07 82 75 6e 69 63 6f 64 65 01 82 78 01 82 79 84 3f f8 00 00 00 00 00 00 01 80 01 87 02 80 07 82 62 6f 6f 6c 65 61 6e 04 82 74 72 75 65 02 80 05 87 02 80 02 80 07 82 75 6e 69 63 6f 64 65 01 82 6b 02 80 07 82 75 6e 69 63 6f 64 65 01 82 76")},
		{name: "answer remote", dialect: DialectPB, value: []any{[]byte("answer"), int64(3), []any{[]byte("remote"), int64(1)}},
			wire: hx(t, "03 80 1b 87 03 81 02 80 10 87 01 81")},
		{name: "message ping", dialect: DialectPB,
			value: []any{[]byte("message"), int64(1), int64(1), []byte("ping"), int64(1),
				[]any{[]byte("tuple"), int64(42)}, []any{[]byte("dictionary")}},
			wire: hx(t, "07 80 1a 87 01 81 01 81 04 82 70 69 6e 67 01 81 02 80 0b 87 2a 81 01 80 05 87")},
		{name: "answer dict", dialect: DialectPB,
			value: []any{[]byte("answer"), int64(6), []any{[]byte("dictionary"),
				[]any{[]any{[]byte("unicode"), []byte("done")}, []any{[]byte("list"), int64(1), int64(2)}}}},
			wire: hx(t, "03 80 1b 87 06 81 02 80 05 87 02 80 02 80 07 82 75 6e 69 63 6f 64 65 04 82 64 6f 6e 65 03 80 08 87 01 81 02 81")},
		{name: "decref", dialect: DialectPB, value: []any{[]byte("decref"), int64(1)}, wire: hx(t, "02 80 1d 87 01 81")},
	}
	// §1.8: every vocabulary word, compressed in pb and spelled out in none.
	for i := 1; i < VocabSize; i++ {
		w := vocabWords[i]
		vs = append(vs,
			vector{name: "pb @" + w, dialect: DialectPB, value: []byte(w), wire: []byte{byte(i), 0x87}},
			vector{name: "none " + w, dialect: DialectNone, value: []byte(w),
				wire: cat([]byte{byte(len(w)), 0x82}, []byte(w))})
	}
	return vs
}

func TestEncodeSpecVectors(t *testing.T) {
	for _, v := range specVectors(t) {
		t.Run(v.dialect.String()+"/"+v.name, func(t *testing.T) {
			got, err := Append(nil, v.value, v.dialect, Limits{})
			require.NoError(t, err)
			assert.Equal(t, spaced(v.wire), spaced(got))

			// Appending keeps what is already in dst.
			got, err = Append([]byte{0xAA}, v.value, v.dialect, Limits{})
			require.NoError(t, err)
			assert.Equal(t, cat([]byte{0xAA}, v.wire), got)
		})
	}
}

func TestDecodeSpecVectors(t *testing.T) {
	for _, v := range specVectors(t) {
		if v.encodeOnly {
			continue
		}
		t.Run(v.dialect.String()+"/"+v.name, func(t *testing.T) {
			got, rest, err := DecodeBytes(v.wire, v.dialect, Limits{})
			require.NoError(t, err)
			assert.Empty(t, rest)
			assert.True(t, Equal(v.value, got), "got %#v want %#v", got, v.value)
			requireCanonicalTypes(t, got)

			// Trailing bytes are left alone.
			got, rest, err = DecodeBytes(cat(v.wire, []byte{0x01, 0x02}), v.dialect, Limits{})
			require.NoError(t, err)
			assert.Equal(t, []byte{0x01, 0x02}, rest)
			assert.True(t, Equal(v.value, got))

			// Every proper prefix is incomplete, not an error.
			for i := 0; i < len(v.wire); i++ {
				_, rest, err := DecodeBytes(v.wire[:i], v.dialect, Limits{})
				require.ErrorIs(t, err, io.ErrUnexpectedEOF, "prefix of %d bytes", i)
				require.Len(t, rest, i)
			}
		})
	}
}

func TestDecodeStreamingOneByteAtATime(t *testing.T) {
	// All vectors of each dialect back to back, fed one byte per Read.
	for _, d := range []Dialect{DialectNone, DialectPB} {
		var stream []byte
		var want []any
		for _, v := range specVectors(t) {
			if v.dialect != d || v.encodeOnly {
				continue
			}
			stream = append(stream, v.wire...)
			want = append(want, v.value)
		}
		got, err := decodeAll(oneByteReader{bytes.NewReader(stream)}, d, Limits{})
		require.ErrorIs(t, err, io.EOF)
		require.Len(t, got, len(want))
		for i := range want {
			assert.True(t, Equal(want[i], got[i]), "expression %d: got %#v want %#v", i, got[i], want[i])
		}
	}
}

func TestEncodeIntegerTypes(t *testing.T) {
	// The type byte depends on the value, never on the Go type.
	cases := []struct {
		v    any
		wire string
	}{
		{int(300), "2c 02 81"},
		{int8(-128), "00 01 83"},
		{int16(-1015), "77 07 83"},
		{int32(math.MinInt32), "00 00 00 00 08 83"},
		{int64(5), "05 81"},
		{uint(1 << 31), "00 00 00 00 08 85"},
		{uint8(255), "7f 01 81"},
		{uint16(16384), "00 00 01 81"},
		{uint32(math.MaxUint32), "7f 7f 7f 7f 0f 85"},
		{uint64(math.MaxUint64), "7f 7f 7f 7f 7f 7f 7f 7f 7f 01 85"},
		{uint64(1 << 63), "00 00 00 00 00 00 00 00 00 01 85"},
		{true, "01 81"},
		{false, "00 81"},
		{big.NewInt(5), "05 81"},
		{big.NewInt(-1 << 31), "00 00 00 00 08 83"},
		{big.NewInt(1 << 31), "00 00 00 00 08 85"},
		{big.NewInt(math.MinInt64), "00 00 00 00 00 00 00 00 00 01 86"},
		{float32(1.5), "84 3f f8 00 00 00 00 00 00"},
		{"hello", "05 82 68 65 6c 6c 6f"},
	}
	for _, c := range cases {
		got, err := Append(nil, c.v, DialectNone, Limits{})
		require.NoError(t, err, "%T %v", c.v, c.v)
		assert.Equal(t, c.wire, spaced(got), "%T %v", c.v, c.v)
	}
	// Strings are compressed in pb exactly like []byte.
	got, err := Append(nil, "message", DialectPB, Limits{})
	require.NoError(t, err)
	assert.Equal(t, "1a 87", spaced(got))
}

func TestEncodeBigIntDigits(t *testing.T) {
	// Every power of two and its neighbours up to the limit round-trips
	// and uses the fewest digits.
	for n := uint(0); n <= MaxIntBits; n++ {
		for _, delta := range []int64{-1, 0, 1} {
			v := bigAdd(pow2(n), delta)
			for _, x := range []*big.Int{v, bigNeg(v)} {
				if x.BitLen() > MaxIntBits {
					continue
				}
				wire, err := Append(nil, x, DialectNone, Limits{})
				require.NoError(t, err, "%v", x)
				mag := new(big.Int).Abs(x)
				digits := max(1, (mag.BitLen()+6)/7)
				require.Len(t, wire, digits+1, "%v", x)
				got, rest, err := DecodeBytes(wire, DialectNone, Limits{})
				require.NoError(t, err)
				require.Empty(t, rest)
				require.True(t, Equal(x, got), "%v: got %v", x, got)
				requireCanonicalTypes(t, got)
			}
		}
	}
}

func TestEncodeErrorsLeaveDstUnchanged(t *testing.T) {
	cyclic := make([]any, 1)
	cyclic[0] = cyclic
	small := Limits{MaxString: 10, MaxList: 3, MaxDepth: 4, MaxExpression: 64}
	cases := []struct {
		name string
		v    any
		lim  Limits
		errs []error
	}{
		{"2^448", pow2(448), Limits{}, []error{ErrUnencodable}},
		{"-2^448", bigNeg(pow2(448)), Limits{}, []error{ErrUnencodable}},
		{"2^448 inside a list", []any{int64(1), []byte("abc"), pow2(448)}, Limits{}, []error{ErrUnencodable}},
		{"nil big", (*big.Int)(nil), Limits{}, []error{ErrUnencodable}},
		{"nil", nil, Limits{}, []error{ErrUnencodable}},
		{"map", map[string]int{}, Limits{}, []error{ErrUnencodable}},
		{"struct in list", []any{int64(1), struct{}{}}, Limits{}, []error{ErrUnencodable}},
		{"named slice", []string{"a"}, Limits{}, []error{ErrUnencodable}},
		{"string 655361", make([]byte, DefaultSizeLimit+1), Limits{}, []error{ErrTooLarge}},
		{"text 655361", string(make([]byte, DefaultSizeLimit+1)), Limits{}, []error{ErrTooLarge}},
		{"list 655361", make([]any, DefaultSizeLimit+1), Limits{}, []error{ErrTooLarge}},
		{"string over small limit", []any{[]byte("0123456789a")}, small, []error{ErrTooLarge}},
		{"list over small limit", []any{int64(1), []any{1, 2, 3, 4}}, small, []error{ErrTooLarge}},
		{"too deep", []any{[]any{[]any{[]any{[]any{}}}}}, small, []error{ErrUnencodable, ErrTooDeep}},
		{"cyclic", cyclic, Limits{}, []error{ErrUnencodable, ErrTooDeep}},
		{"expression too long", []any{[]any{"0123456789", "0123456789", "0123456789"},
			[]any{"0123456789", "0123456789", "0123456789"}}, small, []error{ErrTooLarge}},
		{"float over MaxExpression", 1.5, Limits{MaxExpression: 8}, []error{ErrTooLarge}},
		{"int over MaxExpression", int64(300), Limits{MaxExpression: 2}, []error{ErrTooLarge}},
		{"big over MaxExpression", pow2(63), Limits{MaxExpression: 10}, []error{ErrTooLarge}},
		{"list header over MaxExpression", []any{int64(1), []any{}}, Limits{MaxExpression: 5}, []error{ErrTooLarge}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := make([]byte, 3, 1024)
			copy(dst, "abc")
			got, err := Append(dst, c.v, DialectNone, c.lim)
			require.Error(t, err)
			for _, e := range c.errs {
				assert.ErrorIs(t, err, e)
			}
			assert.Equal(t, "abc", string(got))
			assert.Equal(t, 3, len(got))
			assert.Equal(t, 1024, cap(got), "must be dst itself")
		})
	}
	// Exactly MaxExpression bytes are fine.
	_, err := Append(nil, []any{"0123456789", "0123456789", []any{"0123456789", "0123456789", "0123456789"}}, DialectNone, small)
	require.NoError(t, err)
	_, err = Append(nil, pow2(63), DialectNone, Limits{MaxExpression: 11})
	require.NoError(t, err)

	// The error names the unsupported type.
	_, err = Append(nil, map[string]int{}, DialectNone, Limits{})
	assert.ErrorContains(t, err, "map[string]int")
}

func TestEncodeLimitsBoundaries(t *testing.T) {
	// Exactly the limit is allowed, as in Twisted (655360 -> 00 00 28 82).
	wire, err := Append(nil, make([]byte, DefaultSizeLimit), DialectNone, Limits{})
	require.NoError(t, err)
	assert.Equal(t, "00 00 28 82", spaced(wire[:4]))
	assert.Len(t, wire, 4+DefaultSizeLimit)

	list := make([]any, DefaultSizeLimit)
	for i := range list {
		list[i] = 0
	}
	wire, err = Append(nil, list, DialectNone, Limits{})
	require.NoError(t, err)
	assert.Equal(t, "00 00 28 80", spaced(wire[:4]))

	// MaxDepth lists may nest, one more may not.
	lim := Limits{MaxDepth: 3}
	_, err = Append(nil, []any{[]any{[]any{int64(1)}}}, DialectNone, lim)
	require.NoError(t, err)
	_, err = Append(nil, []any{[]any{[]any{[]any{}}}}, DialectNone, lim)
	require.ErrorIs(t, err, ErrTooDeep)
}

func TestEncodeDoesNotAllocate(t *testing.T) {
	dst := make([]byte, 0, 256)
	values := []any{int64(123456789), int64(-5), int64(math.MinInt64), uint64(math.MaxUint64), 1.5,
		"hello", []byte("hello"), "message", []any{int64(1), "root"}}
	for _, d := range []Dialect{DialectNone, DialectPB} {
		for _, v := range values {
			allocs := testing.AllocsPerRun(100, func() {
				_, _ = Append(dst[:0], v, d, Limits{})
			})
			assert.Zero(t, allocs, "%s %T %v", d, v, v)
		}
	}
}

func TestVocab(t *testing.T) {
	require.Equal(t, 32, VocabSize)
	seen := map[string]bool{}
	for i := 1; i < VocabSize; i++ {
		w, ok := VocabWord(i)
		require.True(t, ok)
		require.False(t, seen[string(w)])
		seen[string(w)] = true
		j, ok := VocabIndex(w)
		require.True(t, ok, "%s", w)
		require.Equal(t, i, j)
		j, ok = vocabIndexString(string(w))
		require.True(t, ok)
		require.Equal(t, i, j)
		// The returned word is a copy.
		w[0] = 'X'
		w2, _ := VocabWord(i)
		require.NotEqual(t, w, w2)
	}
	for _, i := range []int{-1, 0, 32, 200} {
		_, ok := VocabWord(i)
		assert.False(t, ok, "%d", i)
	}
	for _, w := range []string{"", "unicode", "boolean", "set", "frozenset", "datetime", "decimal", "root",
		"respond", "didNotUnderstand", "loginAnonymous", "none", "List", "lists", "lis", "messages"} {
		_, ok := VocabIndex([]byte(w))
		assert.False(t, ok, "%q", w)
	}
	// The spec's table, spelled out.
	spec := "None class dereference reference dictionary function instance list module persistent " +
		"tuple unpersistable copy cache cached remote local lcache version login password challenge " +
		"logged_in not_logged_in cachemessage message answer error decref decache uncache"
	for i, w := range bytes.Fields([]byte(spec)) {
		j, ok := VocabIndex(w)
		require.True(t, ok)
		require.Equal(t, i+1, j, "%s", w)
	}
	word := []byte("cachemessage")
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = VocabIndex(word) }))
}

func TestDialectString(t *testing.T) {
	assert.Equal(t, "none", DialectNone.String())
	assert.Equal(t, "pb", DialectPB.String())
	assert.Equal(t, "none", fmt.Sprint(DialectNone))
}
