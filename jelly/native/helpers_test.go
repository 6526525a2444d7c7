package native

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// hx parses hex written with optional spaces, e.g. "92 01 c4 00".
func hx(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err, "bad hex in test: %q", s)
	return b
}

// spaced formats b as lower-case hex bytes separated by spaces.
func spaced(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(hex.EncodeToString([]byte{c}))
	}
	return sb.String()
}

// pow2 returns 2^n.
func pow2(n uint) *big.Int { return new(big.Int).Lsh(big.NewInt(1), n) }

// bigAdd returns a + b.
func bigAdd(a *big.Int, b int64) *big.Int { return new(big.Int).Add(a, big.NewInt(b)) }

// bigNeg returns -a.
func bigNeg(a *big.Int) *big.Int { return new(big.Int).Neg(a) }

// oneByteReader returns at most one byte per Read, like a peer that sends
// a byte at a time.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

// decodeAll decodes every expression from r, returning the expressions and
// the error that stopped it (io.EOF at a clean end).
func decodeAll(r io.Reader, l banana.Limits) ([]any, error) {
	dec := NewDecoder(bufio.NewReaderSize(r, 16), l)
	var out []any
	for {
		v, err := dec.Decode()
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
}

// decodeOneByte decodes the first expression of data, fed one byte per
// Read.
func decodeOneByte(data []byte, l banana.Limits) (any, error) {
	dec := NewDecoder(bufio.NewReaderSize(oneByteReader{bytes.NewReader(data)}, 16), l)
	v, err := dec.Decode()
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return v, err
}

// requireCanonicalTypes checks that a decoded expression uses only the
// documented result types, with int64 whenever the value fits.
func requireCanonicalTypes(t testing.TB, v any) {
	t.Helper()
	switch x := v.(type) {
	case int64, float64, []byte:
	case *big.Int:
		require.False(t, x.IsInt64(), "decoded %v as *big.Int although it fits in int64", x)
	case []any:
		for _, e := range x {
			requireCanonicalTypes(t, e)
		}
	default:
		require.Failf(t, "unexpected decoded type", "%T", v)
	}
}

// libDecode decodes one expression with github.com/vmihailenco/msgpack/v5,
// an independent reader of the same format, mapping its values to the
// expression types.
func libDecode(dec *msgpack.Decoder, depth int) (any, error) {
	if depth > 600 {
		return nil, fmt.Errorf("too deep")
	}
	c, err := dec.PeekCode()
	if err != nil {
		return nil, err
	}
	switch {
	case msgpcode.IsFixedNum(c), c >= msgpcode.Int8 && c <= msgpcode.Int64:
		return dec.DecodeInt64()
	case c >= msgpcode.Uint8 && c <= msgpcode.Uint64:
		u, err := dec.DecodeUint64()
		if err != nil {
			return nil, err
		}
		if u > 1<<63-1 {
			return new(big.Int).SetUint64(u), nil
		}
		return int64(u), nil
	case c == msgpcode.Float || c == msgpcode.Double:
		return dec.DecodeFloat64()
	case msgpcode.IsString(c), msgpcode.IsBin(c):
		b, err := dec.DecodeBytes()
		if b == nil && err == nil {
			b = []byte{}
		}
		return b, err
	case msgpcode.IsFixedArray(c), c == msgpcode.Array16, c == msgpcode.Array32:
		n, err := dec.DecodeArrayLen()
		if err != nil {
			return nil, err
		}
		out := []any{}
		for range n {
			v, err := libDecode(dec, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case msgpcode.IsExt(c):
		id, n, err := dec.DecodeExtHeader()
		if err != nil {
			return nil, err
		}
		if id == ExtText {
			b := make([]byte, n)
			if err := dec.ReadFull(b); err != nil {
				return nil, err
			}
			if !utf8.Valid(b) {
				return nil, fmt.Errorf("text extension %x is not UTF-8", b)
			}
			return []any{[]byte("unicode"), b}, nil
		}
		if id != ExtBigInt || n < 2 || n > 57 {
			return nil, fmt.Errorf("ext %d of %d bytes", id, n)
		}
		b := make([]byte, n)
		if err := dec.ReadFull(b); err != nil {
			return nil, err
		}
		z := new(big.Int).SetBytes(b[1:])
		if b[0] == 1 {
			z.Neg(z)
		}
		if z.IsInt64() {
			return z.Int64(), nil
		}
		return z, nil
	}
	return nil, fmt.Errorf("code 0x%02x", c)
}

// libDecodeBytes decodes the first expression of b with libDecode.
func libDecodeBytes(b []byte) (any, error) {
	return libDecode(msgpack.NewDecoder(bytes.NewReader(b)), 0)
}
