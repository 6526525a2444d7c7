package banana

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"math/rand/v2"
	"os/exec"
	"testing"

	"github.com/braidkit/braid/internal/peertest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tagged is the JSON form of an expression exchanged with
// testdata/twisted_banana.py.
type tagged struct {
	I *string  `json:"i,omitempty"`
	F *string  `json:"f,omitempty"`
	B *string  `json:"b,omitempty"`
	L []tagged `json:"l"`
}

func (t tagged) MarshalJSON() ([]byte, error) {
	switch {
	case t.I != nil:
		return json.Marshal(map[string]string{"i": *t.I})
	case t.F != nil:
		return json.Marshal(map[string]string{"f": *t.F})
	case t.B != nil:
		return json.Marshal(map[string]string{"b": *t.B})
	}
	l := t.L
	if l == nil {
		l = []tagged{}
	}
	return json.Marshal(map[string][]tagged{"l": l})
}

func toTagged(v any) tagged {
	str := func(s string) *string { return &s }
	switch x := v.(type) {
	case []any:
		t := tagged{L: []tagged{}}
		for _, e := range x {
			t.L = append(t.L, toTagged(e))
		}
		return t
	case []byte:
		return tagged{B: str(hex.EncodeToString(x))}
	case string:
		return tagged{B: str(hex.EncodeToString([]byte(x)))}
	case float64:
		return tagged{F: str(hex.EncodeToString(binary.BigEndian.AppendUint64(nil, math.Float64bits(x))))}
	case *big.Int:
		return tagged{I: str(x.String())}
	default:
		n, ok := asInt(v)
		if !ok {
			panic(fmt.Sprintf("toTagged: %T", v))
		}
		return tagged{I: str(n.toBig().String())}
	}
}

func fromTagged(t tagged) any {
	switch {
	case t.I != nil:
		return mustBig(*t.I)
	case t.F != nil:
		b, _ := hex.DecodeString(*t.F)
		return math.Float64frombits(binary.BigEndian.Uint64(b))
	case t.B != nil:
		b, _ := hex.DecodeString(*t.B)
		return b
	}
	out := []any{}
	for _, e := range t.L {
		out = append(out, fromTagged(e))
	}
	return out
}

type peerRequest struct {
	Encode []tagged      `json:"encode"`
	Decode []peerDecodeQ `json:"decode"`
}

type peerDecodeQ struct {
	Dialect string `json:"dialect"`
	Hex     string `json:"hex"`
}

type peerAnswer struct {
	Encode []struct {
		None  *string `json:"none"`
		PB    *string `json:"pb"`
		Error *string `json:"error"`
	} `json:"encode"`
	Decode []struct {
		Values []tagged `json:"values"`
		Error  *string  `json:"error"`
	} `json:"decode"`
}

func askTwisted(t *testing.T, req peerRequest) peerAnswer {
	t.Helper()
	python := peertest.Twisted(t)
	in, err := json.Marshal(req)
	require.NoError(t, err)
	cmd := exec.Command(python, "testdata/twisted_banana.py")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "twisted_banana.py failed: %s", stderr.String())
	var ans peerAnswer
	require.NoError(t, json.Unmarshal(out, &ans))
	require.Len(t, ans.Encode, len(req.Encode))
	require.Len(t, ans.Decode, len(req.Decode))
	return ans
}

// randomExpr builds a random expression that both sides can encode.
func randomExpr(r *rand.Rand, depth int) any {
	switch k := r.IntN(10); {
	case k == 0 && depth < 5:
		n := r.IntN(6)
		l := make([]any, n)
		for i := range l {
			l[i] = randomExpr(r, depth+1)
		}
		return l
	case k <= 2:
		// Integers near the interesting boundaries.
		bases := []int64{0, 127, 128, 16383, 16384, math.MaxInt32, math.MinInt32, math.MaxInt64, math.MinInt64}
		return bases[r.IntN(len(bases))] + int64(r.IntN(5)) - 2
	case k == 3:
		// A big integer of up to 448 bits.
		n := 1 + r.IntN(MaxIntBits)
		z := big.NewInt(1)
		for z.BitLen() < n {
			z.Lsh(z, 64).Or(z, new(big.Int).SetUint64(r.Uint64()))
		}
		z.Rsh(z, uint(z.BitLen()-n))
		if r.IntN(2) == 0 {
			z.Neg(z)
		}
		return z
	case k == 4:
		return int64(r.Uint64())
	case k == 5:
		return math.Float64frombits(r.Uint64())
	case k == 6:
		return []byte(vocabWords[1+r.IntN(VocabSize-1)])
	default:
		b := make([]byte, r.IntN(20))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		if r.IntN(4) == 0 {
			b = append(b, make([]byte, 200+r.IntN(300))...)
		}
		return b
	}
}

// TestTwistedCrossCheck checks Append and the Decoder against Twisted's
// own banana, in both dialects.
func TestTwistedCrossCheck(t *testing.T) {
	peertest.Twisted(t)

	var values []any
	for _, v := range specVectors(t) {
		values = append(values, v.value)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		values = append(values, randomExpr(r, 0))
	}
	// Values both sides refuse.
	refused := []any{pow2(448), bigNeg(pow2(448)), make([]byte, DefaultSizeLimit+1),
		[]any{int64(1), pow2(500)}}

	// Decoder inputs: everything Go encodes, plus hand-made edge cases.
	type decCase struct {
		d    Dialect
		wire []byte
	}
	var decs []decCase
	for _, v := range values {
		for _, d := range []Dialect{DialectNone, DialectPB} {
			w, err := Append(nil, v, d, Limits{})
			require.NoError(t, err)
			decs = append(decs, decCase{d, w})
		}
	}
	edge := []string{
		"81 80 82", "83 85 86", "00 00 00 00 08 81", "01 00 00 00 08 83", "01 00 00 81",
		"00 00 00 00 00 00 00 00 00 01 81", "00 00 00 00 00 00 00 00 00 01 83",
		"05 84 00 00 00 00 00 00 00 00", "84 3f f8 00 00 00 00", "02 80 01 81",
		"01 88", "81 ff", "7a 87", "00 87", "01 87", "1f 87", "20 87", "08 00 87",
		"00 00 28 80", "01 00 28 80", "01 00 28 82", "02 01 01 01 01 80", "02 01 01 01 01 82",
		"00 00 00 00 04 80", "00 00 28 82 61 62",
		"03 80 01 82 61 02 80 01 82 62 00 80 03 83 01 81",
	}
	for _, e := range edge {
		for _, d := range []Dialect{DialectNone, DialectPB} {
			decs = append(decs, decCase{d, hx(t, e)})
		}
	}
	for _, n := range []int{64, 65} {
		decs = append(decs, decCase{DialectNone, rep(0x7f, n)}, decCase{DialectNone, cat(rep(0x7f, n), []byte{0x85})},
			decCase{DialectNone, cat(rep(0x01, n), []byte{0x84}, make([]byte, 8))})
	}
	decs = append(decs, decCase{DialectNone, nested(100, []byte{0x81})})

	req := peerRequest{Encode: []tagged{}, Decode: []peerDecodeQ{}}
	for _, v := range append(append([]any{}, values...), refused...) {
		req.Encode = append(req.Encode, toTagged(v))
	}
	for _, c := range decs {
		req.Decode = append(req.Decode, peerDecodeQ{c.d.String(), hex.EncodeToString(c.wire)})
	}
	ans := askTwisted(t, req)

	t.Run("encode", func(t *testing.T) {
		for i, v := range values {
			a := ans.Encode[i]
			require.Nil(t, a.Error, "Twisted refused %v", v)
			for _, c := range []struct {
				d    Dialect
				want *string
			}{{DialectNone, a.None}, {DialectPB, a.PB}} {
				got, err := Append(nil, v, c.d, Limits{})
				require.NoError(t, err)
				require.NotNil(t, c.want)
				assert.Equal(t, *c.want, hex.EncodeToString(got), "value %d (%v) in %s", i, v, c.d)
			}
		}
		for i, v := range refused {
			a := ans.Encode[len(values)+i]
			assert.NotNil(t, a.Error, "Twisted accepted %d", i)
			for _, d := range []Dialect{DialectNone, DialectPB} {
				_, err := Append(nil, v, d, Limits{})
				assert.Error(t, err, "Go accepted refused value %d", i)
			}
		}
	})

	t.Run("decode", func(t *testing.T) {
		for i, c := range decs {
			a := ans.Decode[i]
			got, err := decodeAll(bytes.NewReader(c.wire), c.d, Limits{})
			goFailed := err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF)
			if goFailed {
				require.ErrorIs(t, err, ErrProtocol)
			}
			pyErr := ""
			if a.Error != nil {
				pyErr = *a.Error
			}
			assert.Equal(t, a.Error != nil, goFailed, "input %s (%s): Twisted error %q, Go error %v",
				spaced(c.wire), c.d, pyErr, err)
			require.Len(t, got, len(a.Values), "input %s (%s)", spaced(c.wire), c.d)
			for j := range got {
				want := fromTagged(a.Values[j])
				assert.True(t, Equal(want, got[j]), "input %s (%s): Twisted %v, Go %v", spaced(c.wire), c.d, want, got[j])
			}
		}
	})
}
