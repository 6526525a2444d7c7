package banana

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
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func decodeOK(t *testing.T, d Dialect, wire []byte) any {
	t.Helper()
	v, rest, err := DecodeBytes(wire, d, Limits{})
	require.NoError(t, err, "input %s", spaced(wire))
	require.Empty(t, rest)
	return v
}

func TestDecodeEmptyPrefixIsZero(t *testing.T) {
	// ex01: bytes 81 / 80 / 82 decode to [0, [], b''].
	got, err := decodeAll(bytes.NewReader(hx(t, "81 80 82")), DialectNone, Limits{})
	require.ErrorIs(t, err, io.EOF)
	require.Len(t, got, 3)
	assert.Equal(t, int64(0), got[0])
	assert.Equal(t, []any{}, got[1])
	assert.Equal(t, []byte{}, got[2])
	// The same for the other integer types and VOCAB's neighbours.
	assert.Equal(t, int64(0), decodeOK(t, DialectNone, hx(t, "83")))
	assert.Equal(t, int64(0), decodeOK(t, DialectNone, hx(t, "85")))
	assert.Equal(t, int64(0), decodeOK(t, DialectNone, hx(t, "86")))
}

func TestDecodeExtraZeroDigits(t *testing.T) {
	assert.Equal(t, int64(1), decodeOK(t, DialectNone, hx(t, "01 00 00 00 81")))
	assert.Equal(t, int64(-1), decodeOK(t, DialectNone, hx(t, "01 00 83")))
	assert.Equal(t, int64(0), decodeOK(t, DialectNone, cat(rep(0, 64), []byte{0x81})))
	assert.Equal(t, []byte("ab"), decodeOK(t, DialectNone, hx(t, "02 00 00 82 61 62")))
	assert.Equal(t, []any{int64(7)}, decodeOK(t, DialectNone, hx(t, "01 00 80 07 81")))
	assert.Equal(t, []byte("list"), decodeOK(t, DialectPB, hx(t, "08 00 00 87")))
	// 63 high zero digits in front of a value that needs a big.Int.
	v := decodeOK(t, DialectNone, cat([]byte{0x7f}, rep(0, 62), []byte{0x01, 0x85}))
	want := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 7*63), big.NewInt(127))
	assert.True(t, Equal(want, v))
}

func TestDecodeIntNoRangeCheck(t *testing.T) {
	// INT and NEG carry any magnitude (ex01: 00 00 00 00 08 81 = 2^31).
	assert.Equal(t, int64(2147483648), decodeOK(t, DialectNone, hx(t, "00 00 00 00 08 81")))
	assert.Equal(t, int64(-2147483649), decodeOK(t, DialectNone, hx(t, "01 00 00 00 08 83")))
	// LONGINT and LONGNEG may carry small values.
	assert.Equal(t, int64(5), decodeOK(t, DialectNone, hx(t, "05 85")))
	assert.Equal(t, int64(-5), decodeOK(t, DialectNone, hx(t, "05 86")))
	// NEG of 2^63 is MinInt64; INT of 2^63 needs a big.Int.
	assert.Equal(t, int64(math.MinInt64), decodeOK(t, DialectNone, hx(t, "00 00 00 00 00 00 00 00 00 01 83")))
	assert.Equal(t, int64(math.MinInt64), decodeOK(t, DialectNone, hx(t, "00 00 00 00 00 00 00 00 00 01 86")))
	v := decodeOK(t, DialectNone, hx(t, "00 00 00 00 00 00 00 00 00 01 81"))
	require.IsType(t, (*big.Int)(nil), v)
	assert.Equal(t, "9223372036854775808", v.(*big.Int).String())
	v = decodeOK(t, DialectNone, hx(t, "01 00 00 00 00 00 00 00 00 01 83"))
	require.IsType(t, (*big.Int)(nil), v)
	assert.Equal(t, "-9223372036854775809", v.(*big.Int).String())
	// 64 digits of 7f with INT: 2^448-1, as in ex01.
	v = decodeOK(t, DialectNone, cat(rep(0x7f, 64), []byte{0x81}))
	assert.Equal(t, "726838724295606890549323807888004534353641360687318060281490199180639288113397923326191050713763565560762521606266177933534601628614655",
		v.(*big.Int).String())
	v = decodeOK(t, DialectNone, cat(rep(0x7f, 64), []byte{0x83}))
	assert.True(t, Equal(bigNeg(bigAdd(pow2(448), -1)), v))
}

func TestDecodeFloatIgnoresPrefix(t *testing.T) {
	assert.Equal(t, 0.0, decodeOK(t, DialectNone, hx(t, "05 84 00 00 00 00 00 00 00 00")))
	assert.Equal(t, 1.5, decodeOK(t, DialectNone, cat(rep(0x7f, 64), hx(t, "84 3f f8 00 00 00 00 00 00"))))
	v := decodeOK(t, DialectNone, hx(t, "84 7f f8 00 00 00 00 00 00"))
	assert.True(t, math.IsNaN(v.(float64)))
	v = decodeOK(t, DialectNone, hx(t, "84 ff f8 00 00 00 00 00 01"))
	assert.True(t, math.IsNaN(v.(float64)))
	// A float's body may contain bytes that look like type bytes.
	assert.Equal(t, []any{-2.25, int64(1)}, decodeOK(t, DialectNone, hx(t, "02 80 84 c0 02 00 00 00 00 00 00 01 81")))
}

func TestDecodeSizeLimits(t *testing.T) {
	// Header of exactly 655360 is accepted: with the body it decodes.
	body := bytes.Repeat([]byte("z"), DefaultSizeLimit)
	v := decodeOK(t, DialectNone, cat(hx(t, "00 00 28 82"), body))
	assert.Len(t, v, DefaultSizeLimit)
	// ... and a bare header just waits for more.
	_, _, err := DecodeBytes(hx(t, "00 00 28 82"), DialectNone, Limits{})
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	_, _, err = DecodeBytes(hx(t, "00 00 28 80"), DialectNone, Limits{})
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)

	for _, in := range []string{
		"01 00 28 80",                            // list of 655361
		"01 00 28 82",                            // string of 655361
		"02 01 01 01 01 80",                      // test_oversizedList
		"02 01 01 01 01 82",                      // test_oversizedString
		"00 00 00 00 04 80",                      // test_crashString
		"7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 80", // does not fit in 64 bits
		"7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 82",
	} {
		_, _, err := DecodeBytes(hx(t, in), DialectNone, Limits{})
		assert.ErrorIs(t, err, ErrProtocol, in)
		assert.ErrorIs(t, err, ErrTooLarge, in)
	}

	// Custom limits, at and just over.
	lim := Limits{MaxString: 5, MaxList: 2}
	_, _, err = DecodeBytes(hx(t, "05 82 61 62 63 64 65"), DialectNone, lim)
	assert.NoError(t, err)
	_, _, err = DecodeBytes(hx(t, "06 82 61 62 63 64 65 66"), DialectNone, lim)
	assert.ErrorIs(t, err, ErrTooLarge)
	assert.ErrorContains(t, err, "byte string of 6 bytes exceeds the limit of 5")
	_, _, err = DecodeBytes(hx(t, "02 80 01 81 02 81"), DialectNone, lim)
	assert.NoError(t, err)
	_, _, err = DecodeBytes(hx(t, "03 80 01 81 02 81 03 81"), DialectNone, lim)
	assert.ErrorIs(t, err, ErrTooLarge)
	assert.ErrorContains(t, err, "list of 3 elements exceeds the limit of 2")
}

func TestDecodeMaxExpression(t *testing.T) {
	lim := Limits{MaxExpression: 10}
	// 10 bytes exactly: fine.
	v, _, err := DecodeBytes(hx(t, "03 80 01 81 02 81 02 82 61 62"), DialectNone, lim)
	require.NoError(t, err)
	assert.True(t, Equal([]any{1, 2, "ab"}, v))
	// 11 bytes: refused, whether the excess is in a string body, a float
	// or a prefix.
	for _, in := range []string{
		"03 80 01 81 02 81 04 82 61 62 63",
		"02 80 01 81 84 00 00 00 00 00 00 00 00",
		"04 80 01 81 02 81 03 81 04 00 81",
	} {
		_, _, err := DecodeBytes(hx(t, in), DialectNone, lim)
		assert.ErrorIs(t, err, ErrProtocol, in)
		assert.ErrorIs(t, err, ErrTooLarge, in)
	}
	// The count restarts for every top-level expression.
	got, err := decodeAll(bytes.NewReader(hx(t, "03 80 01 81 02 81 02 82 61 62 03 80 01 81 02 81 02 82 61 62")), DialectNone, lim)
	require.ErrorIs(t, err, io.EOF)
	assert.Len(t, got, 2)
}

func TestDecodePrefixLimit(t *testing.T) {
	// 64 digits then a type byte: fine.
	_, _, err := DecodeBytes(cat(rep(0x7f, 64), []byte{0x85}), DialectNone, Limits{})
	require.NoError(t, err)
	// 65 digits then a type byte: refused.
	_, _, err = DecodeBytes(cat(rep(0x7f, 65), []byte{0x85}), DialectNone, Limits{})
	require.ErrorIs(t, err, ErrProtocol)
	assert.ErrorContains(t, err, "more than 64 prefix digits")
	// Also before a float, whose prefix is otherwise ignored.
	_, _, err = DecodeBytes(cat(rep(0, 65), hx(t, "84 00 00 00 00 00 00 00 00")), DialectNone, Limits{})
	require.ErrorIs(t, err, ErrProtocol)
	// 64 pending digits: incomplete, not an error.
	_, _, err = DecodeBytes(rep(0x01, 64), DialectNone, Limits{})
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	// 65 pending digits: refused at once.
	_, _, err = DecodeBytes(rep(0x01, 65), DialectNone, Limits{})
	require.ErrorIs(t, err, ErrProtocol)
}

func TestDecodePrefixLimitDoesNotWait(t *testing.T) {
	// Over a pipe that stays open: 64 pending digits block, the 65th fails
	// without waiting for anything more; 64 digits and a type byte decode.
	t.Run("65 fails at once", func(t *testing.T) {
		pr, pw := io.Pipe()
		defer pr.Close()
		go func() { _, _ = pw.Write(rep(0x01, 65)) }() // and never close
		dec := NewDecoder(bufio.NewReader(pr), Limits{})
		done := make(chan error, 1)
		go func() { _, err := dec.Decode(); done <- err }()
		select {
		case err := <-done:
			require.ErrorIs(t, err, ErrProtocol)
		case <-time.After(5 * time.Second):
			t.Fatal("decoder waited for more input after the 65th prefix digit")
		}
	})
	t.Run("64 waits", func(t *testing.T) {
		pr, pw := io.Pipe()
		dec := NewDecoder(bufio.NewReader(pr), Limits{})
		done := make(chan any, 1)
		go func() {
			v, err := dec.Decode()
			if err != nil {
				done <- err
				return
			}
			done <- v
		}()
		for i := 0; i < 64; i++ {
			_, err := pw.Write([]byte{0x7f})
			require.NoError(t, err)
		}
		select {
		case v := <-done:
			t.Fatalf("decoder returned %v with only a prefix", v)
		case <-time.After(50 * time.Millisecond):
		}
		_, err := pw.Write([]byte{0x85})
		require.NoError(t, err)
		v := <-done
		assert.True(t, Equal(bigAdd(pow2(448), -1), v), "%v", v)
		pw.Close()
	})
}

func TestDecodeTypeBytes(t *testing.T) {
	for b := 0x88; b <= 0xff; b++ {
		_, _, err := DecodeBytes([]byte{0x01, byte(b)}, DialectPB, Limits{})
		require.ErrorIs(t, err, ErrProtocol)
		if b == 0x88 || b == 0xff {
			assert.ErrorContains(t, err, "unknown type byte 0x"+strings.ToLower(spaced([]byte{byte(b)})))
		}
		// Also with an empty prefix and inside a list.
		_, _, err = DecodeBytes([]byte{0x01, 0x80, byte(b)}, DialectNone, Limits{})
		require.ErrorIs(t, err, ErrProtocol)
	}
}

func TestDecodeVocab(t *testing.T) {
	// VOCAB outside pb is refused.
	_, _, err := DecodeBytes(hx(t, "01 87"), DialectNone, Limits{})
	require.ErrorIs(t, err, ErrProtocol)
	assert.ErrorContains(t, err, "VOCAB")
	// Unknown indexes are refused.
	for _, in := range []string{"00 87", "87", "20 87", "48 01 87", "7a 87", "7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 7f 87"} {
		_, _, err := DecodeBytes(hx(t, in), DialectPB, Limits{})
		require.ErrorIs(t, err, ErrProtocol, in)
	}
	_, _, err = DecodeBytes(hx(t, "48 01 87"), DialectPB, Limits{})
	assert.ErrorContains(t, err, "unknown VOCAB index 200")
	// A VOCAB word and the same word spelled out decode the same.
	a := decodeOK(t, DialectPB, hx(t, "1a 87"))
	b := decodeOK(t, DialectPB, hx(t, "07 82 6d 65 73 73 61 67 65"))
	assert.Equal(t, a, b)
	// Decoded words belong to the caller: changing one changes nothing else.
	w := a.([]byte)
	w[0] = 'X'
	_ = append(w, "tail"...)
	assert.Equal(t, []byte("message"), decodeOK(t, DialectPB, hx(t, "1a 87")))
	list := decodeOK(t, DialectPB, hx(t, "03 80 08 87 08 87 02 82 61 62")).([]any)
	list[0].([]byte)[0] = 'X'
	_ = append(list[0].([]byte), "zz"...)
	assert.Equal(t, []byte("list"), list[1])
	assert.Equal(t, []byte("ab"), list[2])
	w, _ = VocabWord(8)
	assert.Equal(t, []byte("list"), w)
}

func TestDecoderDialectSwitch(t *testing.T) {
	// The handshake: an offer in none, then the dialect changes between
	// expressions.
	stream := hx(t, "02 80 02 82 70 62 04 82 6e 6f 6e 65 02 80 13 87 06 81")
	dec := NewDecoder(bufio.NewReader(bytes.NewReader(stream)), Limits{})
	assert.Equal(t, DialectNone, dec.Dialect())
	v, err := dec.Decode()
	require.NoError(t, err)
	assert.True(t, Equal([]any{"pb", "none"}, v))
	dec.SetDialect(DialectPB)
	assert.Equal(t, DialectPB, dec.Dialect())
	v, err = dec.Decode()
	require.NoError(t, err)
	assert.True(t, Equal([]any{"version", 6}, v))
	_, err = dec.Decode()
	assert.Equal(t, io.EOF, err)
}

func TestDecoderLeavesTrailingBytes(t *testing.T) {
	// The decoder consumes exactly one expression; the caller can read the
	// rest from the same bufio.Reader.
	br := bufio.NewReader(bytes.NewReader(hx(t, "02 82 70 62 ff fe")))
	dec := NewDecoder(br, Limits{})
	v, err := dec.Decode()
	require.NoError(t, err)
	assert.Equal(t, []byte("pb"), v)
	rest, err := io.ReadAll(br)
	require.NoError(t, err)
	assert.Equal(t, hx(t, "ff fe"), rest)
}

func TestDecodeEOF(t *testing.T) {
	// Clean end between expressions: io.EOF, and the Decoder stays usable.
	dec := NewDecoder(bufio.NewReader(bytes.NewReader(nil)), Limits{})
	_, err := dec.Decode()
	assert.Equal(t, io.EOF, err)
	_, err = dec.Decode()
	assert.Equal(t, io.EOF, err)

	// Ends inside an expression: io.ErrUnexpectedEOF, sticky.
	for _, in := range []string{"01", "02 80", "02 80 01 81", "03 82 61", "84 00 00", "02 80 01 80", "05"} {
		dec := NewDecoder(bufio.NewReader(bytes.NewReader(hx(t, in))), Limits{})
		_, err := dec.Decode()
		assert.Equal(t, io.ErrUnexpectedEOF, err, in)
		_, err = dec.Decode()
		assert.Equal(t, io.ErrUnexpectedEOF, err, in)
	}

	// Protocol errors are sticky too.
	dec = NewDecoder(bufio.NewReader(bytes.NewReader(hx(t, "88 01 81"))), Limits{})
	_, err = dec.Decode()
	require.ErrorIs(t, err, ErrProtocol)
	_, err2 := dec.Decode()
	assert.Equal(t, err, err2)

	// Empty input to DecodeBytes is incomplete.
	_, _, err = DecodeBytes(nil, DialectNone, Limits{})
	assert.Equal(t, io.ErrUnexpectedEOF, err)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestDecodeReadErrors(t *testing.T) {
	boom := errors.New("boom")
	// Before the first byte: returned as is, not sticky.
	dec := NewDecoder(bufio.NewReader(errReader{boom}), Limits{})
	_, err := dec.Decode()
	assert.Equal(t, boom, err)
	// Mid-expression: returned and sticky.
	dec = NewDecoder(bufio.NewReader(io.MultiReader(bytes.NewReader(hx(t, "02 80 01")), errReader{boom})), Limits{})
	_, err = dec.Decode()
	assert.Equal(t, boom, err)
	_, err = dec.Decode()
	assert.Equal(t, boom, err)
}

func nested(n int, inner []byte) []byte {
	return cat(bytes.Repeat([]byte{0x01, 0x80}, n), inner)
}

func TestDecodeDepth(t *testing.T) {
	// 10,000 nested one-element lists: an error, not a stack overflow.
	_, _, err := DecodeBytes(nested(10000, []byte{0x81}), DialectNone, Limits{})
	require.ErrorIs(t, err, ErrProtocol)
	require.ErrorIs(t, err, ErrTooDeep)
	// Even when the peer never finishes.
	_, _, err = DecodeBytes(nested(10000, nil), DialectNone, Limits{})
	require.ErrorIs(t, err, ErrTooDeep)

	// MaxDepth lists may nest; one more may not (an empty list counts).
	for _, depth := range []int{1, 5, DefaultMaxDepth} {
		lim := Limits{MaxDepth: depth}
		if depth == DefaultMaxDepth {
			lim = Limits{}
		}
		v, _, err := DecodeBytes(nested(depth-1, []byte{0x00, 0x80}), DialectNone, lim)
		require.NoError(t, err, depth)
		for i := 0; i < depth-1; i++ {
			v = v.([]any)[0]
		}
		assert.Equal(t, []any{}, v)
		_, _, err = DecodeBytes(nested(depth, []byte{0x00, 0x80}), DialectNone, lim)
		require.ErrorIs(t, err, ErrTooDeep, depth)
		_, _, err = DecodeBytes(nested(depth, []byte{0x81}), DialectNone, lim)
		require.NoError(t, err, depth)
		_, _, err = DecodeBytes(nested(depth+1, []byte{0x81}), DialectNone, lim)
		require.ErrorIs(t, err, ErrTooDeep, depth)
	}

	// Deep nesting that closes and reopens stays within the limit.
	lim := Limits{MaxDepth: 2}
	v, _, err := DecodeBytes(hx(t, "03 80 01 80 01 81 01 80 02 81 00 81"), DialectNone, lim)
	require.NoError(t, err)
	assert.True(t, Equal([]any{[]any{1}, []any{2}, 0}, v))
}

// allocatedBytes reports the bytes f allocates, averaged over runs.
func allocatedBytes(runs int, f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < runs; i++ {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

func TestDecodeDoesNotTrustAnnouncedSizes(t *testing.T) {
	t.Run("list of 655360 then EOF", func(t *testing.T) {
		in := hx(t, "00 00 28 80 01 81 02 81")
		var err error
		n := allocatedBytes(20, func() { _, _, err = DecodeBytes(in, DialectNone, Limits{}) })
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
		t.Logf("allocated %d bytes per decode", n)
		assert.Less(t, n, uint64(4096), "must not allocate 655360 slots (%d bytes)", DefaultSizeLimit*16)
	})
	t.Run("nested lists of 655360 then EOF", func(t *testing.T) {
		in := bytes.Repeat(hx(t, "00 00 28 80"), 100)
		var err error
		n := allocatedBytes(20, func() { _, _, err = DecodeBytes(in, DialectNone, Limits{}) })
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
		t.Logf("allocated %d bytes per decode", n)
		assert.Less(t, n, uint64(100*16*16+16<<10))
	})
	t.Run("string of 655360 with 3 body bytes then EOF", func(t *testing.T) {
		in := hx(t, "00 00 28 82 61 62 63")
		var err error
		n := allocatedBytes(20, func() { _, _, err = DecodeBytes(in, DialectNone, Limits{}) })
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
		t.Logf("allocated %d bytes per decode", n)
		assert.Less(t, n, uint64(DefaultSizeLimit/8))
	})
	t.Run("large string arriving in full", func(t *testing.T) {
		// Chunked reading still gives the exact bytes, and the result's
		// capacity is not inflated.
		body := make([]byte, DefaultSizeLimit)
		for i := range body {
			body[i] = byte(i * 7)
		}
		wire, err := Append(nil, body, DialectNone, Limits{})
		require.NoError(t, err)
		got, err := decodeAll(oneByteReaderEvery(wire, 1000), DialectNone, Limits{})
		require.ErrorIs(t, err, io.EOF)
		require.Len(t, got, 1)
		assert.Equal(t, body, got[0])
		assert.Equal(t, len(body), cap(got[0].([]byte)))
	})
}

// oneByteReaderEvery returns a reader over b whose every Read returns at
// most n bytes.
func oneByteReaderEvery(b []byte, n int) io.Reader { return &chunkReader{b: b, n: n} }

type chunkReader struct {
	b []byte
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	m := copy(p[:min(len(p), c.n)], c.b)
	c.b = c.b[m:]
	return m, nil
}

func TestDecodeShortStringsAreIndependent(t *testing.T) {
	// Short strings share arena blocks; each must be its own slice.
	var wire []byte
	var want []any
	for i := 0; i < 200; i++ {
		s := bytes.Repeat([]byte{byte('a' + i%26)}, i%70)
		want = append(want, s)
		wire, _ = Append(wire, s, DialectNone, Limits{})
	}
	got, err := decodeAll(bytes.NewReader(wire), DialectNone, Limits{})
	require.ErrorIs(t, err, io.EOF)
	require.Len(t, got, len(want))
	for i := range got {
		b := got[i].([]byte)
		assert.Equal(t, len(b), cap(b))
		b = append(b, "!!!"...)
		_ = b
	}
	for i := range got {
		assert.True(t, Equal(want[i], got[i]), "%d", i)
	}
}

func TestDecodeErrorsWrap(t *testing.T) {
	cases := []struct {
		in   string
		d    Dialect
		errs []error
		msg  string
	}{
		{"01 88", DialectPB, []error{ErrProtocol}, "unknown type byte 0x88"},
		{"ff", DialectPB, []error{ErrProtocol}, "unknown type byte 0xff"},
		{"01 87", DialectNone, []error{ErrProtocol}, `VOCAB token in dialect "none"`},
		{"00 87", DialectPB, []error{ErrProtocol}, "unknown VOCAB index 0"},
		{"01 00 28 80", DialectNone, []error{ErrProtocol, ErrTooLarge}, "list of 655361 elements"},
		{"01 00 28 82", DialectNone, []error{ErrProtocol, ErrTooLarge}, "byte string of 655361 bytes"},
	}
	for _, c := range cases {
		_, _, err := DecodeBytes(hx(t, c.in), c.d, Limits{})
		for _, e := range c.errs {
			assert.ErrorIs(t, err, e, c.in)
		}
		assert.NotErrorIs(t, err, ErrUnencodable)
		assert.ErrorContains(t, err, c.msg)
	}
	_, _, err := DecodeBytes(nested(DefaultMaxDepth+1, []byte{0x81}), DialectNone, Limits{})
	assert.ErrorIs(t, err, ErrProtocol)
	assert.ErrorIs(t, err, ErrTooDeep)
	assert.NotErrorIs(t, err, ErrTooLarge)
	assert.ErrorContains(t, err, "nested more than 512 deep")
}
