package banana

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"io"
	"math/big"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// hx parses hex written with optional spaces, e.g. "02 80 01 81".
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

// rep returns n copies of c.
func rep(c byte, n int) []byte { return bytes.Repeat([]byte{c}, n) }

// cat concatenates byte slices.
func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// pow2 returns 2^n.
func pow2(n uint) *big.Int { return new(big.Int).Lsh(big.NewInt(1), n) }

// bigAdd returns a + b.
func bigAdd(a *big.Int, b int64) *big.Int { return new(big.Int).Add(a, big.NewInt(b)) }

// bigNeg returns -a.
func bigNeg(a *big.Int) *big.Int { return new(big.Int).Neg(a) }

// mustBig parses a decimal integer.
func mustBig(s string) *big.Int {
	z, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic("bad big int " + s)
	}
	return z
}

// oneByteReader returns at most one byte per Read, like a peer that sends
// a byte at a time.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

// decodeAll decodes every expression in b through a Decoder, returning the
// expressions and the error that stopped it (io.EOF at a clean end).
func decodeAll(r io.Reader, d Dialect, l Limits) ([]any, error) {
	dec := NewDecoder(bufio.NewReaderSize(r, 16), l)
	dec.SetDialect(d)
	var out []any
	for {
		v, err := dec.Decode()
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
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
