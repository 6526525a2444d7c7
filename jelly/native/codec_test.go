package native

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"math/big"
	"runtime"
	"strings"
	"testing"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

func TestFormatBytesMatchMsgpcode(t *testing.T) {
	pairs := []struct {
		ours byte
		lib  byte
	}{
		{cPosFixMax, msgpcode.PosFixedNumHigh}, {cNegFixMin, msgpcode.NegFixedNumLow},
		{cFixMap, msgpcode.FixedMapLow}, {cFixArray, msgpcode.FixedArrayLow}, {cFixStr, msgpcode.FixedStrLow},
		{cNil, msgpcode.Nil}, {cFalse, msgpcode.False}, {cTrue, msgpcode.True},
		{cBin8, msgpcode.Bin8}, {cBin16, msgpcode.Bin16}, {cBin32, msgpcode.Bin32},
		{cExt8, msgpcode.Ext8}, {cExt16, msgpcode.Ext16}, {cExt32, msgpcode.Ext32},
		{cFloat32, msgpcode.Float}, {cFloat64, msgpcode.Double},
		{cUint8, msgpcode.Uint8}, {cUint16, msgpcode.Uint16}, {cUint32, msgpcode.Uint32}, {cUint64, msgpcode.Uint64},
		{cInt8, msgpcode.Int8}, {cInt16, msgpcode.Int16}, {cInt32, msgpcode.Int32}, {cInt64, msgpcode.Int64},
		{cFixExt1, msgpcode.FixExt1}, {cFixExt2, msgpcode.FixExt2}, {cFixExt4, msgpcode.FixExt4},
		{cFixExt8, msgpcode.FixExt8}, {cFixExt16, msgpcode.FixExt16},
		{cStr8, msgpcode.Str8}, {cStr16, msgpcode.Str16}, {cStr32, msgpcode.Str32},
		{cArray16, msgpcode.Array16}, {cArray32, msgpcode.Array32}, {cMap16, msgpcode.Map16}, {cMap32, msgpcode.Map32},
	}
	for _, p := range pairs {
		require.Equal(t, p.lib, p.ours)
	}
}

// goldens are exact encodings: Append must produce them and Decode must
// give back want (or the input when want is nil).
var goldens = []struct {
	name string
	in   any
	wire string
	want any
}{
	{"zero", int64(0), "00", nil},
	{"fixint max", int64(127), "7f", nil},
	{"uint8", int64(128), "cc 80", nil},
	{"uint8 max", 255, "cc ff", int64(255)},
	{"uint16", int64(256), "cd 01 00", nil},
	{"uint32", int64(1 << 16), "ce 00 01 00 00", nil},
	{"uint64", int64(1 << 32), "cf 00 00 00 01 00 00 00 00", nil},
	{"int64 max", int64(math.MaxInt64), "cf 7f ff ff ff ff ff ff ff", nil},
	{"minus one", int64(-1), "ff", nil},
	{"negative fixint min", int64(-32), "e0", nil},
	{"int8", int64(-33), "d0 df", nil},
	{"int8 min", int8(-128), "d0 80", int64(-128)},
	{"int16", int64(-129), "d1 ff 7f", nil},
	{"int32", int64(-32769), "d2 ff ff 7f ff", nil},
	{"int64", int64(math.MinInt32 - 1), "d3 ff ff ff ff 7f ff ff ff", nil},
	{"int64 min", int64(math.MinInt64), "d3 80 00 00 00 00 00 00 00", nil},
	{"true", true, "01", int64(1)},
	{"false", false, "00", int64(0)},
	{"uint64 max", uint64(math.MaxUint64), "cf ff ff ff ff ff ff ff ff", new(big.Int).SetUint64(math.MaxUint64)},
	{"big 2^63", pow2(63), "cf 80 00 00 00 00 00 00 00", nil},
	{"big small", big.NewInt(-5), "fb", int64(-5)},
	{"big 2^64", pow2(64), "c7 0a 01 00 01 00 00 00 00 00 00 00 00", nil},
	{"big -2^63-1", bigAdd(bigNeg(pow2(63)), -1), "c7 09 01 01 80 00 00 00 00 00 00 01", nil},
	{"big fixext16", pow2(112), "d8 01 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00", nil},
	{"float", 1.5, "cb 3f f8 00 00 00 00 00 00", nil},
	{"float32", float32(0.25), "cb 3f d0 00 00 00 00 00 00", 0.25},
	{"negative zero", math.Copysign(0, -1), "cb 80 00 00 00 00 00 00 00", nil},
	{"empty bytes", []byte{}, "a0", nil},
	{"empty string", "", "a0", []byte{}},
	{"string", "root", "a4 72 6f 6f 74", []byte("root")},
	{"utf-8", "é", "a2 c3 a9", []byte("é")},
	{"31 bytes", strings.Repeat("a", 31), "bf" + strings.Repeat(" 61", 31), []byte(strings.Repeat("a", 31))},
	{"32 bytes", strings.Repeat("a", 32), "c4 20" + strings.Repeat(" 61", 32), []byte(strings.Repeat("a", 32))},
	{"not utf-8", "\xff", "c4 01 ff", []byte{0xff}},
	{"256 bytes", make([]byte, 256), "c5 01 00" + strings.Repeat(" 00", 256), nil},
	{"bytes", []byte{0, 0xff}, "c4 02 00 ff", nil},
	{"bytes utf-8", []byte{0, 0x7f}, "a2 00 7f", nil},
	{"empty list", []any{}, "90", nil},
	{"list", []any{int64(1), []byte("a"), []any{}}, "93 01 a1 61 90", nil},
	{"text", []any{"unicode", "i"}, "d4 02 69", []any{[]byte("unicode"), []byte("i")}},
	{"text bytes", []any{[]byte("unicode"), []byte("ab")}, "d5 02 61 62", nil},
	{"text empty", []any{"unicode", ""}, "c7 00 02", []any{[]byte("unicode"), []byte{}}},
	{"text 3", []any{"unicode", "abc"}, "c7 03 02 61 62 63", []any{[]byte("unicode"), []byte("abc")}},
	{"text 4", []any{"unicode", "é!!"}, "d6 02 c3 a9 21 21", []any{[]byte("unicode"), []byte("é!!")}},
	{"text 8", []any{"unicode", "abcdefgh"}, "d7 02 61 62 63 64 65 66 67 68", []any{[]byte("unicode"), []byte("abcdefgh")}},
	{"text 16", []any{"unicode", strings.Repeat("a", 16)}, "d8 02" + strings.Repeat(" 61", 16), []any{[]byte("unicode"), []byte(strings.Repeat("a", 16))}},
	{"text 256", []any{"unicode", strings.Repeat("a", 256)}, "c8 01 00 02" + strings.Repeat(" 61", 256), []any{[]byte("unicode"), []byte(strings.Repeat("a", 256))}},
	{"text 65536", []any{"unicode", strings.Repeat("a", 65536)}, "c9 00 01 00 00 02" + strings.Repeat(" 61", 65536), []any{[]byte("unicode"), []byte(strings.Repeat("a", 65536))}},
	{"not text: invalid utf-8", []any{"unicode", "\xff"}, "92 a7 75 6e 69 63 6f 64 65 c4 01 ff", []any{[]byte("unicode"), []byte{0xff}}},
	{"not text: three", []any{"unicode", "a", "b"}, "93 a7 75 6e 69 63 6f 64 65 a1 61 a1 62", nil},
	{"not text: int", []any{"unicode", 1}, "92 a7 75 6e 69 63 6f 64 65 01", nil},
	{"not text: other tag", []any{"unicodE", "a"}, "92 a7 75 6e 69 63 6f 64 45 a1 61", nil},
	{"text in text", []any{"unicode", []any{"unicode", "a"}}, "92 a7 75 6e 69 63 6f 64 65 d4 02 61", nil},
	{"dictionary", []any{"dictionary", []any{[]any{"unicode", "s"}, []any{"unicode", "record"}}},
		"92 aa 64 69 63 74 69 6f 6e 61 72 79 92 d4 02 73 c7 06 02 72 65 63 6f 72 64", nil},
	{"message", []any{"message", 1, "root", "add", 1, []any{"tuple", 1, 2}, []any{"dictionary"}},
		"97 a7 6d 65 73 73 61 67 65 01 a4 72 6f 6f 74 a3 61 64 64 01 93 a5 74 75 70 6c 65 01 02 91 aa 64 69 63 74 69 6f 6e 61 72 79",
		nil},
}

func TestGoldens(t *testing.T) {
	for _, g := range goldens {
		t.Run(g.name, func(t *testing.T) {
			wire, err := Append(nil, g.in, banana.Limits{})
			require.NoError(t, err)
			require.Equal(t, g.wire, spaced(wire))
			got, rest, err := DecodeBytes(wire, banana.Limits{})
			require.NoError(t, err)
			require.Empty(t, rest)
			want := g.want
			if want == nil {
				want = g.in
			}
			require.True(t, banana.Equal(want, got), "decoded %#v, want %#v", got, want)
			requireCanonicalTypes(t, got)
			if f, ok := want.(float64); ok {
				require.Equal(t, math.Float64bits(f), math.Float64bits(got.(float64)))
			}

			// The reference implementation reads the same value.
			lib, err := libDecodeBytes(wire)
			require.NoError(t, err)
			require.True(t, banana.Equal(want, lib), "library decoded %#v", lib)
		})
	}
}

// roundTrips are expressions that must survive Append and Decode.
func roundTrips() []any {
	vals := []any{
		int64(0), int64(1), int64(-1), int64(math.MaxInt64), int64(math.MinInt64),
		int(42), int8(-8), int16(-300), int32(-70000), uint(7), uint8(200), uint16(60000), uint32(4000000000),
		uint64(1 << 63), uint64(math.MaxUint64),
		true, false,
		pow2(63), pow2(64), bigAdd(pow2(64), -1), bigAdd(pow2(64), 1), bigNeg(pow2(63)), bigAdd(bigNeg(pow2(63)), -1),
		bigNeg(pow2(64)), pow2(447), bigAdd(pow2(448), -1), bigNeg(bigAdd(pow2(448), -1)), pow2(120), bigNeg(pow2(119)),
		0.0, math.Copysign(0, -1), 1.5, -2.25, math.MaxFloat64, math.SmallestNonzeroFloat64,
		math.Inf(1), math.Inf(-1), math.NaN(), float32(3.5),
		[]byte{}, "", "x", strings.Repeat("y", 31), strings.Repeat("z", 32), strings.Repeat("w", 255),
		strings.Repeat("v", 256), strings.Repeat("u", 65535), strings.Repeat("t", 65536), []byte{0, 1, 2, 0xfe, 0xff},
		[]any{}, []any{[]any{}}, []any{[]any{[]any{[]any{int64(1)}}}},
	}
	var l15, l16, l65536 []any
	for i := range 15 {
		l15 = append(l15, int64(i))
	}
	for i := range 16 {
		l16 = append(l16, []byte{byte(i)})
	}
	for i := range 65536 {
		l65536 = append(l65536, int64(i%300-150))
	}
	vals = append(vals, l15, l16, l65536)
	vals = append(vals, []any{"dictionary", []any{[]any{"unicode", "i"}, int64(7)},
		[]any{[]any{"unicode", "f"}, 2.5}, []any{[]any{"unicode", "big"}, pow2(300)}, []any{}})
	vals = append(vals, vals[:len(vals):len(vals)]) // everything in one list
	return vals
}

func TestRoundTrip(t *testing.T) {
	lim := banana.Limits{MaxList: 1 << 17}
	for _, v := range roundTrips() {
		wire, err := Append([]byte("prefix"), v, lim)
		require.NoError(t, err)
		require.Equal(t, "prefix", string(wire[:6]))
		wire = wire[6:]
		got, rest, err := DecodeBytes(wire, lim)
		require.NoError(t, err, "%T", v)
		require.Empty(t, rest)
		require.True(t, banana.Equal(v, got), "%T: decoded %T", v, got)
		requireCanonicalTypes(t, got)

		lib, err := libDecodeBytes(wire)
		require.NoError(t, err)
		require.True(t, banana.Equal(v, lib), "%T: library decoded %T", v, lib)

		// Banana carries the same expression to the same decoded value.
		bw, err := banana.Append(nil, v, banana.DialectPB, lim)
		require.NoError(t, err)
		bv, _, err := banana.DecodeBytes(bw, banana.DialectPB, lim)
		require.NoError(t, err)
		require.True(t, banana.Equal(bv, got))
	}
}

// TestDecodesLibraryEncodings checks that what another msgpack encoder
// writes for the expression types decodes as expected: every int format,
// float 32, str as well as bin.
func TestDecodesLibraryEncodings(t *testing.T) {
	tests := []struct {
		in   any
		want any
	}{
		{int8(-5), int64(-5)}, {int16(-300), int64(-300)}, {int32(1 << 20), int64(1 << 20)},
		{int64(math.MinInt64), int64(math.MinInt64)}, {uint8(200), int64(200)}, {uint16(60000), int64(60000)},
		{uint32(1 << 31), int64(1 << 31)}, {uint64(math.MaxUint64), new(big.Int).SetUint64(math.MaxUint64)},
		{float32(1.25), 1.25}, {math.Inf(-1), math.Inf(-1)},
		{"héllo", []byte("héllo")}, {strings.Repeat("s", 40), []byte(strings.Repeat("s", 40))},
		{strings.Repeat("s", 300), []byte(strings.Repeat("s", 300))}, {[]byte("bin"), []byte("bin")},
		{[]any{"tuple", int64(1), []any{}}, []any{[]byte("tuple"), int64(1), []any{}}},
	}
	for _, tc := range tests {
		for _, compact := range []bool{false, true} {
			var buf bytes.Buffer
			enc := msgpack.NewEncoder(&buf)
			enc.UseCompactInts(compact)
			enc.UseCompactFloats(compact)
			require.NoError(t, enc.Encode(tc.in))
			got, rest, err := DecodeBytes(buf.Bytes(), banana.Limits{})
			require.NoError(t, err, "%T %v: % x", tc.in, tc.in, buf.Bytes())
			require.Empty(t, rest)
			require.True(t, banana.Equal(tc.want, got), "%T %v: got %#v", tc.in, tc.in, got)
			requireCanonicalTypes(t, got)
		}
	}

	// The extension carried by the library's own encoder.
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	require.NoError(t, enc.EncodeExtHeader(ExtBigInt, 10))
	buf.Write([]byte{1, 1, 0, 0, 0, 0, 0, 0, 0, 0})
	got, _, err := DecodeBytes(buf.Bytes(), banana.Limits{})
	require.NoError(t, err)
	require.True(t, banana.Equal(bigNeg(pow2(64)), got))

	// str is taken as bytes, UTF-8 or not; str 8 and bin 8 alike.
	for _, w := range []string{"a1 ff", "d9 01 ff", "c4 01 ff", "da 00 01 ff", "db 00 00 00 01 ff", "c6 00 00 00 01 ff"} {
		got, _, err := DecodeBytes(hx(t, w), banana.Limits{})
		require.NoError(t, err, w)
		require.Equal(t, []byte{0xff}, got, w)
	}

	// An extension for a small value decodes to int64.
	got, _, err = DecodeBytes(hx(t, "d5 01 01 05"), banana.Limits{})
	require.NoError(t, err)
	require.Equal(t, int64(-5), got)
}

func TestDecodeRefuses(t *testing.T) {
	tests := []struct{ name, wire, msg string }{
		{"nil", "c0", "msgpack nil is not an expression"},
		{"false", "c2", "msgpack bool"},
		{"true", "c3", "msgpack bool"},
		{"fixmap", "80", "msgpack map (0x80)"},
		{"map16", "de 00 00", "msgpack map (0xde)"},
		{"map32", "df 00 00 00 00", "msgpack map (0xdf)"},
		{"reserved", "c1", "invalid msgpack byte 0xc1"},
		{"nil in list", "92 01 c0", "msgpack nil"},
		{"timestamp", "d6 ff 00 00 00 00", "extension type -1"},
		{"other ext", "d4 03 00", "extension type 3"},
		{"text not utf-8", "d4 02 ff", "text extension that is not valid UTF-8"},
		{"text ext8 not utf-8", "c7 03 02 61 c3 28", "not valid UTF-8"},
		{"text in list not utf-8", "92 01 d5 02 e2 82", "not valid UTF-8"},
		{"big sign", "c7 02 01 02 05", "sign byte 0x02"},
		{"big leading zero", "c7 03 01 00 00 05", "leading zero byte"},
		{"big empty", "c7 01 01 00", "integer extension of 1 bytes"},
		{"big no payload", "c7 00 01", "integer extension of 0 bytes"},
		{"big too long", "c7 3a 01 00 01", "integer of 57 bytes exceeds 448 bits"},
		{"big ext32 huge", "c9 ff ff ff ff 01", "exceeds 448 bits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wire := hx(t, tc.wire)
			_, rest, err := DecodeBytes(wire, banana.Limits{})
			require.ErrorIs(t, err, banana.ErrProtocol)
			require.Contains(t, err.Error(), tc.msg)
			require.Equal(t, wire, rest)

			// The error is sticky.
			dec := NewDecoder(bufio.NewReader(bytes.NewReader(append(wire, 0x01))), banana.Limits{})
			_, err1 := dec.Decode()
			_, err2 := dec.Decode()
			require.Error(t, err1)
			require.Equal(t, err1, err2)
		})
	}
}

func TestAppendErrors(t *testing.T) {
	cyclic := []any{int64(1), nil}
	cyclic[1] = cyclic
	deep := any(int64(1))
	for range 10 {
		deep = []any{deep}
	}
	small := banana.Limits{MaxString: 10, MaxList: 3, MaxDepth: 5, MaxExpression: 40}
	tests := []struct {
		name string
		in   any
		lim  banana.Limits
		errs []error
	}{
		{"nil", nil, banana.Limits{}, []error{banana.ErrUnencodable}},
		{"nil in list", []any{int64(1), nil}, banana.Limits{}, []error{banana.ErrUnencodable}},
		{"map", map[string]any{}, banana.Limits{}, []error{banana.ErrUnencodable}},
		{"struct", struct{}{}, banana.Limits{}, []error{banana.ErrUnencodable}},
		{"[]string", []string{"a"}, banana.Limits{}, []error{banana.ErrUnencodable}},
		{"nil big", (*big.Int)(nil), banana.Limits{}, []error{banana.ErrUnencodable}},
		{"2^448", pow2(448), banana.Limits{}, []error{banana.ErrUnencodable}},
		{"-2^448", bigNeg(pow2(448)), banana.Limits{}, []error{banana.ErrUnencodable}},
		{"long string", strings.Repeat("x", 11), small, []error{banana.ErrTooLarge}},
		{"long bytes", make([]byte, 11), small, []error{banana.ErrTooLarge}},
		{"long list", []any{1, 2, 3, 4}, small, []error{banana.ErrTooLarge}},
		{"deep", deep, small, []error{banana.ErrUnencodable, banana.ErrTooDeep}},
		{"cyclic", cyclic, banana.Limits{}, []error{banana.ErrUnencodable, banana.ErrTooDeep}},
		{"expression", []any{"0123456789", "0123456789", "0123456789"}, banana.Limits{MaxExpression: 30}, []error{banana.ErrTooLarge}},
		{"expression float", []any{1.0, 2.0, 3.0, 4.0, 5.0}, banana.Limits{MaxExpression: 40}, []error{banana.ErrTooLarge}},
		{"expression big", []any{pow2(400)}, banana.Limits{MaxExpression: 40}, []error{banana.ErrTooLarge}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte("keep")
			out, err := Append(dst, tc.in, tc.lim)
			for _, e := range tc.errs {
				require.ErrorIs(t, err, e)
			}
			require.Equal(t, "keep", string(out))
		})
	}

	// At the limits exactly, all is well.
	for _, v := range []any{strings.Repeat("x", 10), []any{1, 2, 3}, []any{[]any{[]any{[]any{[]any{}}}}}} {
		wire, err := Append(nil, v, small)
		require.NoError(t, err)
		got, _, err := DecodeBytes(wire, small)
		require.NoError(t, err)
		require.True(t, banana.Equal(v, got))
	}
}

// allocated returns the bytes allocated while f runs: the least of several
// runs, since the counter is process-wide and other goroutines (the
// runtime's, the test framework's) may allocate during any one run.
func allocated(f func()) uint64 {
	least := uint64(math.MaxUint64)
	for i := 0; i < 5; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	return least
}

func TestDecodeLimits(t *testing.T) {
	huge := banana.Limits{MaxString: math.MaxInt32, MaxList: math.MaxInt32, MaxExpression: math.MaxInt32}
	tests := []struct {
		name  string
		wire  string
		lim   banana.Limits
		errs  []error
		bound uint64 // most bytes Decode may allocate
	}{
		{"array32 lies", "dd ff ff ff ff 01", banana.Limits{}, []error{banana.ErrProtocol, banana.ErrTooLarge}, 4096},
		{"array32 lies, huge limits", "dd 7f ff ff f0 01", huge, []error{io.ErrUnexpectedEOF}, 64 << 10},
		{"array32 beyond expression", "dd 00 10 00 00 01", banana.Limits{MaxList: 1 << 30, MaxExpression: 1 << 20}, []error{banana.ErrProtocol, banana.ErrTooLarge}, 4096},
		{"array16 over MaxList", "dc 00 11", banana.Limits{MaxList: 16}, []error{banana.ErrProtocol, banana.ErrTooLarge}, 4096},
		{"bin32 lies", "c6 ff ff ff ff 00", banana.Limits{}, []error{banana.ErrProtocol, banana.ErrTooLarge}, 4096},
		{"str32 lies", "db ff ff ff ff 00", banana.Limits{}, []error{banana.ErrProtocol, banana.ErrTooLarge}, 4096},
		{"bin32 lies, huge limits", "c6 7f ff ff f0 00 01 02", huge, []error{io.ErrUnexpectedEOF}, 256 << 10},
		{"bin over MaxString", "c4 0b", banana.Limits{MaxString: 10}, []error{banana.ErrProtocol, banana.ErrTooLarge}, 4096},
		{"fixstr over MaxString", "a5", banana.Limits{MaxString: 4}, []error{banana.ErrProtocol, banana.ErrTooLarge}, 4096},
		{"bin beyond expression", "c5 01 00", banana.Limits{MaxExpression: 100}, []error{banana.ErrProtocol, banana.ErrTooLarge}, 4096},
		{"ext32 lies", "c9 ff ff ff ff 01 00", banana.Limits{}, []error{banana.ErrProtocol, banana.ErrTooLarge}, 4096},
		{"float beyond expression", "91 cb 00 00 00 00 00 00 00 00", banana.Limits{MaxExpression: 5}, []error{banana.ErrProtocol, banana.ErrTooLarge}, 4096},
		{"deep", strings.Repeat("91 ", 600) + "01", banana.Limits{}, []error{banana.ErrProtocol, banana.ErrTooDeep}, 1 << 20},
		{"deep small", "91 91 91 01", banana.Limits{MaxDepth: 2}, []error{banana.ErrProtocol, banana.ErrTooDeep}, 4096},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wire := hx(t, tc.wire)
			var err error
			n := allocated(func() { _, _, err = DecodeBytes(wire, tc.lim) })
			for _, e := range tc.errs {
				require.ErrorIs(t, err, e)
			}
			require.LessOrEqual(t, n, tc.bound, "allocated %d bytes", n)
		})
	}

	// MaxDepth lists nest exactly; one more is refused.
	wire := hx(t, strings.Repeat("91 ", 4)+"01")
	_, _, err := DecodeBytes(wire, banana.Limits{MaxDepth: 4})
	require.NoError(t, err)
	_, _, err = DecodeBytes(wire, banana.Limits{MaxDepth: 3})
	require.ErrorIs(t, err, banana.ErrTooDeep)

	// MaxExpression counts every byte of the expression.
	wire = hx(t, "92 c4 02 61 62 01")
	_, _, err = DecodeBytes(wire, banana.Limits{MaxExpression: 6})
	require.NoError(t, err)
	_, _, err = DecodeBytes(wire, banana.Limits{MaxExpression: 5})
	require.ErrorIs(t, err, banana.ErrTooLarge)
}

func TestDecodeLargeString(t *testing.T) {
	lim := banana.Limits{MaxString: 4 << 20, MaxExpression: 8 << 20}
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
	wire, err := Append(nil, body, lim)
	require.NoError(t, err)
	// Through a small buffer, so the body is read in growing chunks.
	dec := NewDecoder(bufio.NewReaderSize(bytes.NewReader(wire), 16), lim)
	got, err := dec.Decode()
	require.NoError(t, err)
	require.Equal(t, body, got)
	_, err = dec.Decode()
	require.Equal(t, io.EOF, err)
}

func TestStreaming(t *testing.T) {
	vals := roundTrips()
	lim := banana.Limits{MaxList: 1 << 17}
	var stream []byte
	for _, v := range vals {
		var err error
		stream, err = Append(stream, v, lim)
		require.NoError(t, err)
	}

	// One byte per Read.
	got, err := decodeAll(oneByteReader{bytes.NewReader(stream)}, lim)
	require.Equal(t, io.EOF, err)
	require.Len(t, got, len(vals))
	for i := range vals {
		require.True(t, banana.Equal(vals[i], got[i]), "value %d", i)
	}

	// The Decoder consumes exactly one expression per call.
	first, err := Append(nil, vals[0], lim)
	require.NoError(t, err)
	br := bufio.NewReader(bytes.NewReader(stream))
	dec := NewDecoder(br, lim)
	_, err = dec.Decode()
	require.NoError(t, err)
	rest, err := io.ReadAll(br)
	require.NoError(t, err)
	require.Equal(t, stream[len(first):], rest)
}

func TestTruncated(t *testing.T) {
	wire, err := Append(nil, []any{"message", int64(1 << 40), 2.5, pow2(100), []any{"x", int64(-1000)}}, banana.Limits{})
	require.NoError(t, err)
	for i := range wire {
		_, _, err := DecodeBytes(wire[:i], banana.Limits{})
		require.Equal(t, io.ErrUnexpectedEOF, err, "cut at %d", i)
		_, err = decodeOneByte(wire[:i], banana.Limits{})
		require.Equal(t, io.ErrUnexpectedEOF, err, "cut at %d", i)
		if i > 0 {
			dec := NewDecoder(bufio.NewReader(bytes.NewReader(wire[:i])), banana.Limits{})
			_, err = dec.Decode()
			require.Equal(t, io.ErrUnexpectedEOF, err)
			_, err = dec.Decode()
			require.Equal(t, io.ErrUnexpectedEOF, err, "sticky")
		}
	}
	// An empty stream is a clean end.
	dec := NewDecoder(bufio.NewReader(bytes.NewReader(nil)), banana.Limits{})
	_, err = dec.Decode()
	require.Equal(t, io.EOF, err)
}

// errReader fails with err after its bytes.
type errReader struct {
	b   []byte
	err error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, r.err
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func TestReadErrors(t *testing.T) {
	boom := errors.New("boom")
	// Before the first byte: returned as is, not sticky.
	r := &errReader{err: boom}
	dec := NewDecoder(bufio.NewReader(r), banana.Limits{})
	_, err := dec.Decode()
	require.Equal(t, boom, err)
	r.b = []byte{0x05}
	v, err := dec.Decode()
	require.NoError(t, err)
	require.Equal(t, int64(5), v)

	// Inside an expression: returned as is, and sticky.
	r = &errReader{b: []byte{0x92, 0x01}, err: boom}
	dec = NewDecoder(bufio.NewReader(r), banana.Limits{})
	_, err = dec.Decode()
	require.Equal(t, boom, err)
	r.b = []byte{0x02}
	_, err = dec.Decode()
	require.Equal(t, boom, err)
}

func TestAppendDoesNotAllocate(t *testing.T) {
	dst := make([]byte, 0, 1024)
	for _, v := range []any{int64(1 << 40), int64(-5), 2.5, "message", []byte("root"), true, pow2(200)} {
		n := testing.AllocsPerRun(100, func() {
			var err error
			if dst, err = Append(dst[:0], v, banana.Limits{}); err != nil {
				panic(err)
			}
		})
		require.Zero(t, n, "%T", v)
	}
}

func TestDecodedBytesAreIndependent(t *testing.T) {
	wire, err := Append(nil, []any{"aaaa", "bbbb", strings.Repeat("c", 100)}, banana.Limits{})
	require.NoError(t, err)
	got, _, err := DecodeBytes(wire, banana.Limits{})
	require.NoError(t, err)
	l := got.([]any)
	a := l[0].([]byte)
	require.Equal(t, 4, cap(a))
	a = append(a, 'X') // must not overwrite "bbbb"
	_ = a
	require.Equal(t, "bbbb", string(l[1].([]byte)))
}
