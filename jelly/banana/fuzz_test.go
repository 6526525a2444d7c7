package banana

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/big"
	"testing"
)

// fuzzLimits are small, so that the fuzzer reaches every limit quickly.
var fuzzLimits = Limits{MaxString: 200, MaxList: 16, MaxDepth: 8, MaxExpression: 1024}

// FuzzDecode decodes arbitrary bytes in both dialects. Decoding must never
// panic, must fail only with ErrProtocol or io.ErrUnexpectedEOF, must give
// the same outcome when the bytes arrive one at a time, and whatever it
// decodes must re-encode and decode again to an Equal expression.
func FuzzDecode(f *testing.F) {
	for _, v := range specVectors(f) {
		f.Add(v.wire)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, d := range []Dialect{DialectNone, DialectPB} {
			v, rest, err := DecodeBytes(data, d, fuzzLimits)

			// The same bytes, one per Read, give the same outcome.
			sv, serr := decodeOneByte(data, d, fuzzLimits)
			if (err == nil) != (serr == nil) || err != nil && err.Error() != serr.Error() {
				t.Fatalf("%s: DecodeBytes error %v, streaming error %v", d, err, serr)
			}

			if err != nil {
				if !errors.Is(err, ErrProtocol) && err != io.ErrUnexpectedEOF {
					t.Fatalf("%s: unexpected error %v", d, err)
				}
				if len(rest) != len(data) {
					t.Fatalf("%s: rest changed on error", d)
				}
				continue
			}
			if !Equal(v, sv) {
				t.Fatalf("%s: DecodeBytes %v, streaming %v", d, v, sv)
			}
			requireCanonicalTypes(t, v)
			consumed := len(data) - len(rest)

			// Re-encoding in the same dialect is canonical: at most one
			// byte longer per element (an empty prefix becomes 00).
			wide := fuzzLimits
			wide.MaxExpression *= 8
			enc, err := Append(nil, v, d, wide)
			if err != nil {
				t.Fatalf("%s: re-encoding %v: %v", d, v, err)
			}
			if len(enc) > 2*consumed {
				t.Fatalf("%s: re-encoding is %d bytes, input was %d", d, len(enc), consumed)
			}
			v2, rest2, err := DecodeBytes(enc, d, wide)
			if err != nil || len(rest2) != 0 || !Equal(v, v2) {
				t.Fatalf("%s: round trip: %v -> %x -> %v, %v", d, v, enc, v2, err)
			}

			// In DialectNone VOCAB words are spelled out, up to 7.5 times
			// longer than 87 tokens.
			enc, err = Append(nil, v, DialectNone, wide)
			if err != nil {
				t.Fatalf("none: re-encoding %v: %v", v, err)
			}
			v2, rest2, err = DecodeBytes(enc, DialectNone, wide)
			if err != nil || len(rest2) != 0 || !Equal(v, v2) {
				t.Fatalf("none: round trip: %v -> %x -> %v, %v", v, enc, v2, err)
			}
		}
	})
}

// decodeOneByte decodes the first expression of data, fed one byte per
// Read.
func decodeOneByte(data []byte, d Dialect, l Limits) (any, error) {
	got, err := decodeAll(oneByteReader{bytes.NewReader(data)}, d, l)
	if len(got) > 0 {
		return got[0], nil
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return nil, err
}

// FuzzRoundTrip builds an expression from the fuzzer's bytes, encodes it in
// both dialects and checks that it decodes to an Equal expression.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte{5, 3, 0, 1, 2, 7, 4, 1, 3, 3, 'a', 'b', 'c'})
	f.Add([]byte{1, 56, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1})
	f.Add([]byte{2, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0, 0x80, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		v := buildExpr(&data, 0)
		for _, d := range []Dialect{DialectNone, DialectPB} {
			enc, err := Append(nil, v, d, Limits{})
			if err != nil {
				t.Fatalf("%s: Append(%v): %v", d, v, err)
			}
			got, rest, err := DecodeBytes(enc, d, Limits{})
			if err != nil || len(rest) != 0 {
				t.Fatalf("%s: decoding %x: %v (rest %x)", d, enc, err, rest)
			}
			if !Equal(v, got) {
				t.Fatalf("%s: %v -> %x -> %v", d, v, enc, got)
			}
			requireCanonicalTypes(t, got)
		}
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
	switch op := next() % 9; op {
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
		return vocabWords[1+int(next())%(VocabSize-1)]
	case 5:
		if depth >= 6 {
			return []any{}
		}
		n := int(next()) % 6
		l := make([]any, n)
		for i := range l {
			l[i] = buildExpr(b, depth+1)
		}
		return l
	case 6:
		return u64()
	case 7:
		return int32(u64())
	default:
		return next()%2 == 0
	}
}
