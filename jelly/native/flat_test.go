package native

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/jelly/token"
)

// testFlats are Flat elements: a struct's dictionary as jelly writes it
// (with each kind of scalar), and elements with a last prefix, an empty
// list and a prefix longer than 16 bytes.
var testFlats = func() []*token.Flat {
	key := func(name string) *token.Prefix {
		return token.NewPrefix(func(w token.Writer) { w.List(2); w.List(2); w.String("unicode"); w.String(name) })
	}
	open := token.NewPrefix(func(w token.Writer) {
		w.List(5)
		w.String("dictionary")
		w.List(2)
		w.List(2)
		w.String("unicode")
		w.String("i")
	})
	return []*token.Flat{
		token.NewFlat([]*token.Prefix{open, key("s"), key("f"), key("b")}, []token.Kind{token.Int, token.Text, token.Float, token.Bytes}),
		token.NewFlat([]*token.Prefix{
			token.NewPrefix(func(w token.Writer) { w.List(6); w.String("x"); w.List(0) }),
			token.NewPrefix(func(w token.Writer) { w.String("a long byte string, past sixteen bytes") }),
			token.NewPrefix(func(w token.Writer) { w.Int(-7) }),
		}, []token.Kind{token.Text, token.Bytes}),
		token.NewFlat([]*token.Prefix{token.NewPrefix(func(token.Writer) {})}, []token.Kind{token.Int}),
		token.NewFlat([]*token.Prefix{token.NewPrefix(func(w token.Writer) { w.List(1) })}, []token.Kind{token.Text}),
	}
}()

// flatScalars are scalars for testFlats: vals[i] has a scalar of each
// kind, the i'th of the values of each kind.
func flatScalars() [][4]token.Token {
	ints := []int64{0, 1, -1, 127, 128, -32, -33, 255, 256, -128, -129, 65535, 65536, -32768, -32769,
		math.MaxUint32, math.MaxUint32 + 1, math.MinInt32, math.MinInt32 - 1, math.MaxInt64, math.MinInt64}
	floats := []float64{0, 1.5, -2, math.Inf(1), math.NaN(), math.MaxFloat64}
	texts := []string{"", "a", "ab", "abc", "abcd", "é", "record", "abcdefgh", "0123456789abcde", "0123456789abcdef",
		"0123456789abcdef0", strings.Repeat("é", 40), strings.Repeat("x", 255), strings.Repeat("x", 256),
		strings.Repeat("y", 70000), "\xff", "abcdefg\xff", "unicode", "é\xc3"}
	var out [][4]token.Token
	for i := range max(len(ints), len(floats), len(texts)) {
		s := texts[i%len(texts)]
		b := texts[(i+3)%len(texts)]
		out = append(out, [4]token.Token{
			{Int: ints[i%len(ints)]},
			{Bytes: []byte(s)},
			{Float: floats[i%len(floats)]},
			{Bytes: []byte(b)},
		})
	}
	return out
}

// scalarsFor arranges vals in the order of f's kinds.
func scalarsFor(f *token.Flat, vals [4]token.Token) []token.Token {
	var out []token.Token
	for _, k := range f.Kinds() {
		switch k {
		case token.Int:
			out = append(out, vals[0])
		case token.Text:
			out = append(out, vals[1])
		case token.Float:
			out = append(out, vals[2])
		case token.Bytes:
			out = append(out, vals[3])
		}
	}
	return out
}

// TestFlatLimits checks that a Flat element written in one call gives
// what writing its tokens one by one gives, near every limit, and that a
// Writer that declines it is left as it was.
func TestFlatLimits(t *testing.T) {
	limits := []banana.Limits{{}}
	for n := 1; n <= 6; n++ {
		limits = append(limits, banana.Limits{MaxDepth: n}, banana.Limits{MaxList: n})
	}
	for _, n := range []int{0, 1, 3, 6, 7, 9, 10, 15, 16, 31, 32, 255, 256} {
		limits = append(limits, banana.Limits{MaxString: n})
	}
	for _, n := range []int{1, 8, 16, 20, 24, 30, 36, 40, 48, 60, 64, 80, 100, 300, 400} {
		limits = append(limits, banana.Limits{MaxExpression: n})
	}
	declined := 0
	for _, f := range testFlats {
		for _, sc := range flatScalars() {
			vals := scalarsFor(f, sc)
			for depth := 0; depth < 3; depth++ {
				for _, l := range limits {
					if !compareFlatWrite(t, f, vals, l, depth) {
						declined++
					}
				}
			}
		}
	}
	if declined == 0 {
		t.Fatal("Flat never declined")
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// checkFlatWrite writes one of testFlats, with scalars and limits taken
// from data, in one call and token by token: the results must agree.
func checkFlatWrite(t *testing.T, data []byte) {
	t.Helper()
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		c := data[0]
		data = data[1:]
		return c
	}
	u64 := func() uint64 {
		var x uint64
		for range 8 {
			x = x<<8 | uint64(next())
		}
		return x
	}
	f := testFlats[int(next())%len(testFlats)]
	l := banana.Limits{MaxDepth: int(next() % 8), MaxList: int(next() % 8), MaxString: int(next()), MaxExpression: int(next()) * 2}
	depth := int(next() % 4)
	var sc [4]token.Token
	sc[0].Int = int64(u64())
	sc[2].Float = math.Float64frombits(u64())
	n := min(int(next()), len(data))
	sc[1].Bytes, data = data[:n], data[n:]
	n = min(int(next()), len(data))
	sc[3].Bytes = data[:n]
	vals := scalarsFor(f, sc)
	compareFlatWrite(t, f, vals, l, depth)
}

// compareFlatWrite writes f's element with vals inside depth lists under
// limits l, once with Writer.Flat (falling back to Replay when it
// declines) and once with Replay alone: bytes and errors must agree. It
// reports whether Flat took the element.
func compareFlatWrite(t *testing.T, f *token.Flat, vals []token.Token, l banana.Limits, depth int) (took bool) {
	t.Helper()
	run := func(flat bool) ([]byte, error, error) {
		var w Writer
		w.Reset([]byte{9}, l)
		for range depth {
			w.List(2)
		}
		var err error
		if flat && w.Flat(f, vals) {
			took = true
		} else {
			err = f.Replay(&w, vals)
		}
		// The Writer's nesting must be the same afterwards: finish the
		// lists open.
		for range depth {
			w.Int(1)
		}
		out, rerr := w.Result()
		return out, err, rerr
	}
	got, gerr, grerr := run(true)
	want, werr, wrerr := run(false)
	if !bytes.Equal(got, want) || errString(gerr) != errString(werr) || errString(grerr) != errString(wrerr) {
		t.Fatalf("flat %v, scalars %v at depth %d, %+v: got %x, %v, %v; want %x, %v, %v",
			f.Kinds(), vals, depth, l, got, gerr, grerr, want, werr, wrerr)
	}
	return took
}

// TestFlatFailedWriter checks that Flat declines on a Writer that has
// failed, and inside a list of two that may be text.
func TestFlatFailedWriter(t *testing.T) {
	f := testFlats[2]
	vals := []token.Token{{Int: 1}}
	var w Writer
	w.Reset(nil, banana.Limits{MaxList: 1})
	if w.List(2) == nil || w.Flat(f, vals) {
		t.Fatal("Flat accepted after an error")
	}
	w.Reset(nil, banana.Limits{})
	w.List(2)
	if w.Flat(f, vals) {
		t.Fatal("Flat accepted inside a list that may be text")
	}
	w.String("unicode")
	if w.Flat(f, vals) {
		t.Fatal("Flat accepted after a text tag")
	}
}

// TestWriteFlat checks token.WriteFlat: one call on a FlatWriter, the
// tokens otherwise, and ErrNotText with nothing written for text that is
// not UTF-8.
func TestWriteFlat(t *testing.T) {
	f := testFlats[0]
	vals := scalarsFor(f, [4]token.Token{{Int: 300}, {Bytes: []byte("é")}, {Float: 0.5}, {Bytes: []byte("\xff")}})
	var w Writer
	w.Reset(nil, banana.Limits{})
	if err := token.WriteFlat(&w, f, vals); err != nil {
		t.Fatal(err)
	}
	got, err := w.Result()
	var r recorder
	if err != nil || token.WriteFlat(&r, f, vals) != nil {
		t.Fatal(err)
	}
	want, err := Append(nil, r.expr(), banana.Limits{})
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("WriteFlat gave %x, want %x (%v)", got, want, err)
	}
	w.Reset(nil, banana.Limits{})
	vals[1].Bytes = []byte("\xc3")
	if err := token.WriteFlat(&w, f, vals); !errors.Is(err, token.ErrNotText) || len(w.buf) != 0 {
		t.Fatalf("WriteFlat of bad text: %v, wrote %x", err, w.buf)
	}
}

// recorder is a token.Writer (not a TextWriter) that builds the
// expression.
type recorder struct{ toks []token.Token }

func (r *recorder) List(n int) error {
	r.toks = append(r.toks, token.Token{Kind: token.List, N: n})
	return nil
}
func (r *recorder) Int(v int64) error {
	r.toks = append(r.toks, token.Token{Kind: token.Int, Int: v})
	return nil
}
func (r *recorder) Uint(v uint64) error { return r.Int(int64(v)) }
func (r *recorder) Big(v *big.Int) error {
	r.toks = append(r.toks, token.Token{Kind: token.Big, Big: v})
	return nil
}
func (r *recorder) Float(v float64) error {
	r.toks = append(r.toks, token.Token{Kind: token.Float, Float: v})
	return nil
}
func (r *recorder) Bytes(b []byte) error {
	r.toks = append(r.toks, token.Token{Kind: token.Bytes, Bytes: append([]byte{}, b...)})
	return nil
}
func (r *recorder) String(s string) error { return r.Bytes([]byte(s)) }

// expr builds the expression from the tokens, through a Writer with no
// limits and a Decoder.
func (r *recorder) expr() any {
	var w Writer
	w.Reset(nil, banana.Limits{MaxString: 1 << 20})
	if err := token.WriteTokens(&w, r.toks); err != nil {
		panic(err)
	}
	b, err := w.Result()
	if err != nil {
		panic(err)
	}
	v, _, err := DecodeBytes(b, banana.Limits{MaxString: 1 << 20})
	if err != nil {
		panic(err)
	}
	return v
}

// TestFlatRead checks that Reader.Flat reads what Writer.Flat writes,
// consuming exactly the element, and declines, consuming nothing, when
// the input is cut short.
func TestFlatRead(t *testing.T) {
	for fi, f := range testFlats {
		for _, sc := range flatScalars() {
			vals := scalarsFor(f, sc)
			var w Writer
			w.Reset(nil, banana.Limits{MaxString: 1 << 20})
			if err := f.Replay(&w, vals); err != nil {
				continue // text that is not UTF-8
			}
			wire, err := w.Result()
			if err != nil {
				t.Fatal(err)
			}
			var r Reader
			r.Reset(append(append([]byte{}, wire...), 0x01))
			got := make([]token.Token, len(vals))
			if !r.Flat(f, got) || r.Len() != 1 {
				t.Fatalf("flat %d: Flat refused %x (left %d)", fi, wire, r.Len())
			}
			checkFlatRead(t, wire, banana.Limits{MaxString: 1 << 20})
			for n := range len(wire) {
				r.Reset(wire[:n])
				if r.Flat(f, got) || r.Len() != n {
					t.Fatalf("flat %d: Flat took %x, cut from %x", fi, wire[:n], wire)
				}
			}
			// Under limits it takes no more than Next would.
			for _, l := range []banana.Limits{{MaxList: 4}, {MaxList: 1}, {MaxString: 6}, {MaxString: 7}, {MaxString: 255}} {
				checkFlatRead(t, wire, l)
			}
		}
	}
}

// TestFlatReadFormats checks Reader.Flat on formats the Writer does not
// write for a scalar, and on malformed scalars.
func TestFlatReadFormats(t *testing.T) {
	for _, s := range []string{
		"cf ff ff ff ff ff ff ff ff", "cf 7f ff ff ff ff ff ff ff", "d3 80 00 00 00 00 00 00 00", "d0 80", "cc 80",
		"d1 ff 00", "cd ff 00", "d2 ff ff ff ff", "ce ff ff ff ff", "cc", "d3 00", "c0", "a1 61",
		"91 ca 3f c0 00 00", "91 ca 3f c0", "91 cb 3f", "91 c7 01 02 61", "91 c7 01 01 61", "91 c8 00 01 02 61",
		"91 c9 00 00 00 01 02 61", "91 c9 ff ff ff ff 02 61", "91 c7 02 02 c3 28", "91 d4 02", "91 d5 02 61",
		"91 a1 61", "91 92 a7 75 6e 69 63 6f 64 65 a1 61",
		"96 a1 78 90 d4 02 61 c4 26" + strings.Repeat(" 61", 38) + " c4 01 ff f9",
		"96 a1 78 90 d4 02 61 c4 26" + strings.Repeat(" 61", 38) + " d9 01 61 f9",
		"96 a1 78 90 d4 02 61 c4 26" + strings.Repeat(" 61", 38) + " c5 00 01 61 f9",
		"96 a1 78 90 d4 02 61 c4 26" + strings.Repeat(" 61", 38) + " c6 00 00 00 01 61 f9",
		"96 a1 78 90 d4 02 61 c4 26" + strings.Repeat(" 61", 38) + " c6 ff ff ff ff 61 f9",
		"96 a1 78 90 d4 02 61 c4 26" + strings.Repeat(" 61", 38) + " a1 61 f8",
	} {
		for _, l := range []banana.Limits{{}, {MaxString: 0}, {MaxList: 1}} {
			checkFlatRead(t, hx(t, s), l)
		}
	}
}

// checkFlatRead checks Reader.Flat on data with each of testFlats: if it
// takes an element, then reading the same bytes token by token, with the
// same limits, must give the expression of that element with the scalars
// Flat returned.
func checkFlatRead(t *testing.T, data []byte, l banana.Limits) {
	t.Helper()
	for fi, f := range testFlats {
		var r Reader
		r.SetLimits(l)
		r.Reset(data)
		vals := make([]token.Token, len(f.Kinds()))
		if !r.Flat(f, vals) {
			if r.Len() != len(data) {
				t.Fatalf("flat %d: Flat declined %x but consumed %d bytes", fi, data, len(data)-r.Len())
			}
			continue
		}
		n := len(data) - r.Len()
		for i, k := range f.Kinds() {
			if vals[i].Kind != k {
				t.Fatalf("flat %d on %x: scalar %d of kind %d, want %d", fi, data, i, vals[i].Kind, k)
			}
		}
		r.Reset(data[:n])
		var b token.ExprBuilder
		got, err := b.ReadExpr(&r)
		if err != nil || r.Len() != 0 {
			t.Fatalf("flat %d: Flat took %x, Next refuses it: %v (left %d)", fi, data[:n], err, r.Len())
		}
		var w Writer
		w.Reset(nil, banana.Limits{MaxString: 1 << 20})
		if err := f.Replay(&w, vals); err != nil {
			t.Fatalf("flat %d: replaying %x: %v", fi, data[:n], err)
		}
		want, _ := w.Result()
		again, err := Append(nil, got, banana.Limits{MaxString: 1 << 20})
		if err != nil || !bytes.Equal(again, want) {
			t.Fatalf("flat %d on %x: Next read %v (%x), Flat %v (%x)", fi, data[:n], got, again, vals, want)
		}
	}
}
