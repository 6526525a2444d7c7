package jelly

import (
	"context"
	"math"
	"reflect"
	"testing"

	"github.com/braidkit/braid/jelly/banana"
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
			wire, err := banana.Append(nil, expr, banana.DialectPB, banana.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			for _, typ := range targets {
				want := reflect.New(typ).Elem()
				gv, gerr := Unjelly(context.Background(), expr, o)
				if gerr == nil {
					gerr = ConvertValue(gv, want)
				}
				var r banana.Reader
				r.Reset(wire, banana.DialectPB)
				var d TypedDecoder
				d.Reset(o)
				got := reflect.New(typ).Elem()
				if !d.Decode(&r, got, 0) {
					continue
				}
				accepted++
				if gerr != nil {
					t.Fatalf("%#v into %v: typed decoder accepted, generic error %v", src, typ, gerr)
				}
				if r.Len() != 0 {
					t.Fatalf("%#v into %v: %d bytes left", src, typ, r.Len())
				}
				if !reflect.DeepEqual(got.Interface(), want.Interface()) {
					t.Fatalf("%#v into %v: typed %#v, generic %#v", src, typ, got.Interface(), want.Interface())
				}
			}
		}
	}
	if accepted < 60 {
		t.Fatalf("the typed decoder accepted only %d cases", accepted)
	}
}
