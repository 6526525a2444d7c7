package native

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/jelly/token"
)

// fuzzLimits are small, so that the fuzzer reaches every limit quickly.
var fuzzLimits = banana.Limits{MaxString: 200, MaxList: 16, MaxDepth: 8, MaxExpression: 1024}

// FuzzDecode decodes arbitrary bytes. Decoding must never panic, must fail
// only with banana.ErrProtocol or io.ErrUnexpectedEOF, must give the same
// outcome when the bytes arrive one at a time, must agree with an
// independent msgpack reader (github.com/vmihailenco/msgpack/v5) on what
// it accepts, and whatever it decodes must re-encode and decode again to an
// Equal expression.
func FuzzDecode(f *testing.F) {
	for _, g := range goldens {
		f.Add(hx(f, g.wire))
	}
	f.Add(hx(f, "dd ff ff ff ff 01"))
	f.Add(hx(f, "c6 ff ff ff ff 00"))
	f.Add(hx(f, "c7 39 01 00 ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff"))
	f.Add(hx(f, "a3 61 62 63 ca 3f 80 00 00"))
	addTextSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		v, rest, err := DecodeBytes(data, fuzzLimits)

		// The same bytes, one per Read, give the same outcome.
		sv, serr := decodeOneByte(data, fuzzLimits)
		if (err == nil) != (serr == nil) || err != nil && err.Error() != serr.Error() {
			t.Fatalf("DecodeBytes error %v, streaming error %v", err, serr)
		}
		if err != nil {
			if !errors.Is(err, banana.ErrProtocol) && err != io.ErrUnexpectedEOF {
				t.Fatalf("unexpected error %v", err)
			}
			if len(rest) != len(data) {
				t.Fatalf("rest changed on error")
			}
			return
		}
		if !banana.Equal(v, sv) {
			t.Fatalf("DecodeBytes %v, streaming %v", v, sv)
		}
		requireCanonicalTypes(t, v)
		consumed := len(data) - len(rest)

		// An independent msgpack reader reads the same value.
		lv, err := libDecodeBytes(data[:consumed])
		if err != nil || !banana.Equal(v, lv) {
			t.Fatalf("library decoded %x as %v, %v; we decoded %v", data[:consumed], lv, err, v)
		}

		// Re-encoding gives the shortest form, at most twice as long (a
		// fixstr that is not UTF-8 becomes bin 8, float 32 float 64).
		wide := fuzzLimits
		wide.MaxExpression *= 8
		enc, err := Append(nil, v, wide)
		if err != nil {
			t.Fatalf("re-encoding %v: %v", v, err)
		}
		if len(enc) > 2*consumed {
			t.Fatalf("re-encoding is %d bytes, input was %d", len(enc), consumed)
		}
		v2, rest2, err := DecodeBytes(enc, wide)
		if err != nil || len(rest2) != 0 || !banana.Equal(v, v2) {
			t.Fatalf("round trip: %v -> %x -> %v, %v", v, enc, v2, err)
		}
	})
}

// FuzzRoundTrip builds an expression from the fuzzer's bytes, encodes it
// and checks that it decodes to an Equal expression, and to the same one
// as Banana carries.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte{5, 3, 0, 1, 2, 7, 4, 1, 3, 3, 'a', 'b', 'c'})
	f.Add([]byte{1, 56, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1})
	f.Add([]byte{2, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0, 0x80, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{10, 0, 3, 'a', 'b', 'c'})
	f.Add([]byte{5, 3, 10, 1, 1, 'k', 10, 0, 2, 0xc3, 0xa9, 10, 0, 1, 0xff})
	f.Add([]byte{5, 2, 10, 0, 7, 'u', 'n', 'i', 'c', 'o', 'd', 'e', 5, 2, 4, 7, 'u', 'n', 'i', 'c', 'o', 'd', 'e', 10, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		data0 := data
		v := buildExpr(&data, 0)
		enc, err := Append(nil, v, banana.Limits{})
		if err != nil {
			t.Fatalf("Append(%v): %v", v, err)
		}
		// The token Writer, given the tokens or Text, writes the same.
		for _, write := range []func(w *Writer) error{
			func(w *Writer) error { return token.WriteExpr(w, v) },
			func(w *Writer) error { return textWriter(w, v) },
		} {
			var w Writer
			w.Reset(nil, banana.Limits{})
			_ = write(&w)
			if got, err := w.Result(); err != nil || !bytes.Equal(got, enc) {
				t.Fatalf("Writer gave %x, %v; Append %x", got, err, enc)
			}
		}
		got, rest, err := DecodeBytes(enc, banana.Limits{})
		if err != nil || len(rest) != 0 {
			t.Fatalf("decoding %x: %v (rest %x)", enc, err, rest)
		}
		if !banana.Equal(v, got) {
			t.Fatalf("%v -> %x -> %v", v, enc, got)
		}
		requireCanonicalTypes(t, got)
		lv, err := libDecodeBytes(enc)
		if err != nil || !banana.Equal(v, lv) {
			t.Fatalf("library decoded %x as %v, %v", enc, lv, err)
		}
		bw, err := banana.Append(nil, v, banana.DialectPB, banana.Limits{})
		if err != nil {
			t.Fatalf("banana.Append(%v): %v", v, err)
		}
		bv, _, err := banana.DecodeBytes(bw, banana.DialectPB, banana.Limits{})
		if err != nil || !banana.Equal(bv, got) {
			t.Fatalf("banana decoded %v, native %v (%v)", bv, got, err)
		}
		// The fuzzer's bytes as a Flat element's scalars and limits.
		checkFlatWrite(t, data0)
	})
}

// buildExpr consumes bytes from *b to build an encodable expression.
func buildExpr(b *[]byte, depth int) any {
	next := func() byte {
		if len(*b) == 0 {
			return 0
		}
		c := (*b)[0]
		*b = (*b)[1:]
		return c
	}
	take := func(n int) []byte {
		n = min(n, len(*b))
		out := (*b)[:n:n]
		*b = (*b)[n:]
		return out
	}
	u64 := func() uint64 {
		var buf [8]byte
		copy(buf[:], take(8))
		return binary.BigEndian.Uint64(buf[:])
	}
	switch op := next() % 11; op {
	case 0:
		return int64(u64())
	case 1:
		// Up to 56 bytes = 448 bits: always sendable.
		mag := take(int(next()) % 57)
		z := new(big.Int).SetBytes(mag)
		if next()%2 == 1 {
			z.Neg(z)
		}
		return z
	case 2:
		return math.Float64frombits(u64())
	case 3:
		return append([]byte{}, take(int(next()))...)
	case 4:
		return string(take(int(next()) % 40))
	case 5:
		if depth >= 6 {
			return []any{}
		}
		n := int(next()) % 20
		l := make([]any, n)
		for i := range l {
			l[i] = buildExpr(b, depth+1)
		}
		return l
	case 6:
		return u64()
	case 7:
		return int32(u64())
	case 8:
		return math.Float32frombits(uint32(u64()))
	case 10:
		// Text, or something close to it.
		var tag any = "unicode"
		if next()%2 == 1 {
			tag = []byte("unicode")
		}
		return []any{tag, string(take(int(next()) % 300))}
	default:
		return next()%2 == 0
	}
}

// addTextSeeds adds encodings of text, good and bad, to a fuzz corpus.
func addTextSeeds(f *testing.F) {
	for _, s := range []string{
		"d4 02 69", "c7 00 02", "c7 06 02 72 65 63 6f 72 64", "d6 02 c3 a9 21 21",
		"c8 00 01 02 69", "c9 00 00 00 01 02 69", "d4 02 ff", "c7 03 02 61 ed a0",
		"92 d4 02 69 07", "94 aa 64 69 63 74 69 6f 6e 61 72 79 92 d4 02 69 07 92 d4 02 73 c7 06 02 72 65 63 6f 72 64 92 d4 02 66 cb 3f f8 00 00 00 00 00 00",
		"91 91 91 91 91 91 91 91 d4 02 69", "c7 c8 02" + strings.Repeat(" 61", 200), "c7 c9 02" + strings.Repeat(" 61", 201),
	} {
		f.Add(hx(f, s))
	}
}

// FuzzFramed reads arbitrary bytes as the body of a length-framed message
// (how package pb carries the native dialect): a Reader with limits set,
// walked by a token.ExprBuilder with MaxDepth. It must never panic, and it
// must agree with the Decoder, which checks the same limits while it
// finds where an expression ends: one accepts the body as exactly one
// expression if and only if the other does, with an Equal result.
func FuzzFramed(f *testing.F) {
	for _, g := range goldens {
		f.Add(hx(f, g.wire))
	}
	f.Add(hx(f, "91 91 91 91 91 91 91 91 91 01"))
	f.Add(hx(f, "dc 00 11 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01"))
	f.Add(hx(f, "c5 00 c9"))
	f.Add(hx(f, "92 01 01 01"))
	addTextSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Reader
		r.SetLimits(fuzzLimits)
		r.Reset(data)
		eb := token.ExprBuilder{MaxDepth: fuzzLimits.MaxDepth}
		got, ferr := eb.ReadExpr(&r)
		if ferr == nil && r.Len() != 0 {
			ferr = errors.New("bytes after the expression")
		}
		want, rest, derr := DecodeBytes(data, fuzzLimits)
		if derr == nil && len(rest) != 0 {
			derr = errors.New("bytes after the expression")
		}
		if (ferr == nil) != (derr == nil) {
			t.Fatalf("framed read: %v; Decoder: %v", ferr, derr)
		}
		if ferr == nil && !banana.Equal(got, want) {
			t.Fatalf("framed read gave %#v, Decoder %#v", got, want)
		}
		checkFlatRead(t, data, fuzzLimits)
	})
}
