package jelly

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/jelly/native"
	"github.com/braidkit/braid/jelly/token"
)

type typedNamed string

type typedRec struct {
	I   int
	S   string
	F   float64
	B   []byte
	N   typedNamed
	U8  uint8
	I8  int8
	Ok  bool
	F32 float32
	Arr [2]int
	L   []streamRec
}

// TestTypedDecoderAgreesWithConvert checks that whenever the typed decoder
// accepts an expression, Unjelly and ConvertValue give the same value.
func TestTypedDecoderAgreesWithConvert(t *testing.T) {
	sources := []any{
		nil, true, 1, -1, 300, 1 << 40, math.MaxInt64, 1.5, math.Inf(1), 1e300, "text", "é", []byte("raw"), []byte("\xff"),
		[]int{1, 2}, []any{1, "a"}, []string{"a"}, Tuple{1, 2}, Set{1}, List{},
		streamRec{I: 1, S: "x", F: 2}, []streamRec{{I: 1}, {I: 2, S: "y"}},
		typedRec{I: 1, S: "s", F: 1, B: []byte("b"), N: "n", U8: 200, I8: -3, Ok: true, F32: 2.5, Arr: [2]int{1, 2}, L: []streamRec{{I: 5}}},
		map[string]any{"i": 1, "s": "t"}, map[string]any{"I": 2}, map[string]any{"zzz": 1}, map[string]any{"i": "no"},
		Dict{{Key: []byte("s"), Value: []byte("bytes")}}, Dict{{Key: 1, Value: 2}},
	}
	targets := []reflect.Type{
		reflect.TypeFor[int](), reflect.TypeFor[int8](), reflect.TypeFor[uint8](), reflect.TypeFor[uint64](), reflect.TypeFor[float64](),
		reflect.TypeFor[float32](), reflect.TypeFor[string](), reflect.TypeFor[typedNamed](), reflect.TypeFor[[]byte](), reflect.TypeFor[bool](),
		reflect.TypeFor[[]int](), reflect.TypeFor[[2]int](), reflect.TypeFor[[]string](), reflect.TypeFor[streamRec](),
		reflect.TypeFor[[]streamRec](), reflect.TypeFor[typedRec](), reflect.TypeFor[any](),
	}
	reg := NewRegistry()
	accepted := 0
	for _, o := range []*Options{nil, {Registry: reg}, {MaxDepth: 2}} {
		for _, src := range sources {
			expr, err := Jelly(context.Background(), src, nil)
			if err != nil {
				t.Fatal(err)
			}
			bwire, err := banana.Append(nil, expr, banana.DialectPB, banana.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			nwire, err := native.Append(nil, expr, banana.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			readers := map[string]func() (token.Reader, func() int){
				"banana": func() (token.Reader, func() int) {
					var r banana.Reader
					r.Reset(bwire, banana.DialectPB)
					return &r, r.Len
				},
				"native": func() (token.Reader, func() int) {
					var r native.Reader
					r.Reset(nwire)
					return &r, r.Len
				},
			}
			for _, typ := range targets {
				want := reflect.New(typ).Elem()
				gv, gerr := Unjelly(context.Background(), expr, o)
				if gerr == nil {
					gerr = ConvertValue(gv, want)
				}
				for name, newReader := range readers {
					r, left := newReader()
					var d TypedDecoder
					d.Reset(o)
					got := reflect.New(typ).Elem()
					if !d.Decode(r, got, 0) {
						continue
					}
					accepted++
					if gerr != nil {
						t.Fatalf("%s: %#v into %v: typed decoder accepted, generic error %v", name, src, typ, gerr)
					}
					if left() != 0 {
						t.Fatalf("%s: %#v into %v: %d bytes left", name, src, typ, left())
					}
					if !reflect.DeepEqual(got.Interface(), want.Interface()) {
						t.Fatalf("%s: %#v into %v: typed %#v, generic %#v", name, src, typ, got.Interface(), want.Interface())
					}
				}
			}
		}
	}
	if accepted < 120 {
		t.Fatalf("the typed decoder accepted only %d cases", accepted)
	}
}

// FuzzTypedNative decodes arbitrary native bytes with a TypedDecoder into
// a few types; whatever it accepts, Unjelly and ConvertValue must give too.
func FuzzTypedNative(f *testing.F) {
	for _, src := range []any{
		[]streamRec{{I: 1, S: "record", F: 1.5}, {I: 2}}, streamRec{S: "é"}, "text", []string{"a", ""},
		typedRec{I: 1, S: "s", L: []streamRec{{I: 5}}}, map[string]any{"s": "x", "i": 3}, true, nil,
		flatValues()[1], []flatAll{flatValues()[6], {}}, flatWide{I8: 300, U: -1},
	} {
		expr, err := Jelly(context.Background(), src, nil)
		if err != nil {
			f.Fatal(err)
		}
		wire, err := native.Append(nil, expr, banana.Limits{})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(wire)
	}
	f.Add([]byte("\x92\xd4\x02\xff\x01"))
	f.Add([]byte("\x94\xaa" + "dictionary" + "\x92\xd4\x02i\x07\x92\xd4\x02s\xd4\x02\xff\x92\xd4\x02f\x01"))
	targets := []reflect.Type{
		reflect.TypeFor[[]streamRec](), reflect.TypeFor[streamRec](), reflect.TypeFor[string](), reflect.TypeFor[[]string](),
		reflect.TypeFor[typedRec](), reflect.TypeFor[[]byte](), reflect.TypeFor[bool](),
		reflect.TypeFor[flatAll](), reflect.TypeFor[[]flatAll](),
	}
	lim := banana.Limits{MaxString: 4096, MaxList: 512, MaxDepth: 16, MaxExpression: 1 << 16}
	f.Fuzz(func(t *testing.T, data []byte) {
		// As PB reads a length-framed message: a Reader with limits, and
		// the generic path through a token.ExprBuilder.
		small := banana.Limits{MaxString: 8, MaxList: 17, MaxDepth: 64, MaxExpression: 1 << 16}
		for _, typ := range targets {
			var r native.Reader
			r.SetLimits(small)
			r.Reset(data)
			var d TypedDecoder
			d.Reset(nil)
			got := reflect.New(typ).Elem()
			if !d.Decode(&r, got, 0) || r.Len() != 0 {
				continue
			}
			r.Reset(data)
			eb := token.ExprBuilder{MaxDepth: small.MaxDepth}
			expr, err := eb.ReadExpr(&r)
			if err != nil || r.Len() != 0 {
				t.Fatalf("%x into %v: typed decoder accepted, limited Reader gives %v (left %d)", data, typ, err, r.Len())
			}
			want := reflect.New(typ).Elem()
			gv, gerr := Unjelly(context.Background(), expr, nil)
			if gerr == nil {
				gerr = ConvertValue(gv, want)
			}
			if gerr != nil {
				t.Fatalf("%x into %v: typed decoder accepted, generic error %v", data, typ, gerr)
			}
			if g, w := fmt.Sprintf("%#v", got.Interface()), fmt.Sprintf("%#v", want.Interface()); g != w {
				t.Fatalf("%x into %v: typed %s, generic %s", data, typ, g, w)
			}
		}
		dec := native.NewDecoder(bufio.NewReader(bytes.NewReader(data)), lim)
		frame, err := dec.ReadFrame(nil)
		if err != nil {
			return
		}
		expr, _, err := native.DecodeBytes(frame, lim)
		if err != nil {
			t.Fatalf("ReadFrame accepted %x, Decode refused it: %v", frame, err)
		}
		for _, o := range []*Options{nil, {MaxDepth: 3}} {
			for _, typ := range targets {
				var r native.Reader
				r.Reset(frame)
				var d TypedDecoder
				d.Reset(o)
				got := reflect.New(typ).Elem()
				if !d.Decode(&r, got, 0) || r.Len() != 0 {
					continue
				}
				want := reflect.New(typ).Elem()
				gv, gerr := Unjelly(context.Background(), expr, o)
				if gerr == nil {
					gerr = ConvertValue(gv, want)
				}
				if gerr != nil {
					t.Fatalf("%x into %v: typed decoder accepted, generic error %v", frame, typ, gerr)
				}
				// Compared as printed, so that NaN equals NaN.
				if g, w := fmt.Sprintf("%#v", got.Interface()), fmt.Sprintf("%#v", want.Interface()); g != w {
					t.Fatalf("%x into %v: typed %s, generic %s", frame, typ, g, w)
				}
			}
		}
	})
}

// Short strings share arena blocks across messages: a string kept from one
// message is unchanged by the messages decoded after it, and a block holds
// many strings.
func TestTypedDecoderStringArena(t *testing.T) {
	var d TypedDecoder
	decode := func(recs []streamRec) []streamRec {
		t.Helper()
		var w native.Writer
		w.Reset(nil, banana.Limits{})
		if err := JellyTo(context.Background(), &w, recs, nil); err != nil {
			t.Fatal(err)
		}
		wire, err := w.Result()
		if err != nil {
			t.Fatal(err)
		}
		var r native.Reader
		r.Reset(wire)
		d.Reset(nil)
		var out []streamRec
		if !d.Decode(&r, reflect.ValueOf(&out).Elem(), 0) || r.Len() != 0 {
			t.Fatal("typed decode refused records")
		}
		return out
	}
	recsOf := func(n int, prefix string) []streamRec {
		recs := make([]streamRec, n)
		for i := range recs {
			recs[i] = streamRec{I: i, S: fmt.Sprintf("%s-%d", prefix, i)}
		}
		return recs
	}
	first := decode(recsOf(500, "first"))
	kept := make([]string, len(first))
	for i, r := range first {
		kept[i] = r.S
	}
	for range 3 {
		decode(recsOf(500, "later"))
	}
	for i, s := range kept {
		if want := fmt.Sprintf("first-%d", i); s != want {
			t.Fatalf("string %d is %q after later messages, want %q", i, s, want)
		}
	}
	recs := recsOf(200, "x")
	allocs := testing.AllocsPerRun(20, func() { decode(recs) })
	if allocs > 100 {
		t.Fatalf("decoding 200 records took %.0f allocations; short strings should share blocks", allocs)
	}
}
