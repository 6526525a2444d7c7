package jelly

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/jelly/native"
	"github.com/braidkit/braid/jelly/token"
)

type flatNamed uint16

// flatAll has a field of each kind that a struct written as a token.Flat
// may have.
type flatAll struct {
	I8  int8
	I16 int16
	I32 int32
	I   int
	I64 int64
	U8  uint8
	U16 uint16
	U32 uint32
	U   uint
	U64 uint64
	P   uintptr
	F32 float32
	F   float64
	S   string
	B   []byte
	N   flatNamed
	T   typedNamed
}

// flatWide has the fields of flatAll, of wider types: its values are
// written with flatAll's prefixes, and may be out of its fields' ranges.
type flatWide struct {
	I8, I16, I32, I, I64, U8, U16, U32, U, U64, P int64
	F32, F                                        float64
	S                                             string
	B                                             []byte
	N                                             int64
	T                                             string
}

func flatValues() []flatAll {
	return []flatAll{
		{},
		{I8: -128, I16: -32768, I32: math.MinInt32, I: -1, I64: math.MinInt64, U8: 255, U16: 65535, U32: math.MaxUint32,
			U: 1 << 40, U64: math.MaxInt64, P: 7, F32: -1.5, F: math.Inf(-1), S: "é", B: []byte("unicode"), N: 9, T: "t"},
		{U64: math.MaxUint64, S: "record"},
		{U: math.MaxUint64},
		{S: "a\xffb"},
		{T: "\xc3"},
		{B: []byte("\xff"), S: strings.Repeat("x", 300), T: typedNamed(strings.Repeat("é", 20))},
		{B: []byte(strings.Repeat("b", 40)), F: math.NaN()},
	}
}

// tokenOnly hides the FlatWriter of the Writer it holds, so that structs
// are written token by token.
type tokenOnly struct{ prefixTextWriter }

type prefixTextWriter interface {
	token.TextWriter
	Prefix(p *token.Prefix) error
}

// TestStreamFlatStructs checks that streaming structs of scalars to a
// FlatWriter gives what writing them token by token gives (bytes and
// errors), near every limit.
func TestStreamFlatStructs(t *testing.T) {
	if si := cachedStructInfo(reflect.TypeFor[flatAll]()); si.flat == nil {
		t.Fatal("flatAll is not written flat")
	}
	limits := []banana.Limits{{}}
	for n := 1; n <= 6; n++ {
		limits = append(limits, banana.Limits{MaxDepth: n})
	}
	for _, n := range []int{1, 2, 17, 18, 19} {
		limits = append(limits, banana.Limits{MaxList: n})
	}
	for _, n := range []int{3, 9, 10, 20, 39, 40, 299, 300} {
		limits = append(limits, banana.Limits{MaxString: n})
	}
	for _, n := range []int{10, 50, 100, 120, 150, 170, 200, 250, 400, 500, 1000} {
		limits = append(limits, banana.Limits{MaxExpression: n})
	}
	vals := flatValues()
	values := []any{[]flatAll{vals[1], vals[0]}, Tuple{vals[2], 1}}
	for _, v := range vals {
		values = append(values, v)
	}
	values = append(values, []streamRec{{I: 1, S: "record", F: 1.5}, {I: -1, S: "\xff"}})
	for _, l := range limits {
		for i, v := range values {
			run := func(flat bool) (bool, error, []byte, error) {
				var nw native.Writer
				nw.Reset([]byte{7}, l)
				var w token.Writer = &nw
				if !flat {
					w = tokenOnly{&nw}
				}
				var ok bool
				var err error
				if tu, isTuple := v.(Tuple); isTuple {
					ok, err = StreamTuple(w, tu, nil)
				} else {
					ok, err = StreamTo(w, v, nil)
				}
				out, rerr := nw.Result()
				return ok, err, out, rerr
			}
			gok, gerr, got, grerr := run(true)
			wok, werr, want, wrerr := run(false)
			if gok != wok || errString(gerr) != errString(werr) || !bytes.Equal(got, want) || errString(grerr) != errString(wrerr) {
				t.Fatalf("value %d, %+v: flat %v, %v, %x, %v; tokens %v, %v, %x, %v", i, l, gok, gerr, got, grerr, wok, werr, want, wrerr)
			}
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// noFlatReader hides the FlatReader of the Reader it holds, so that
// structs are read token by token.
type noFlatReader struct{ token.PrefixReader }

// TestTypedFlatDecode checks that reading structs of scalars with
// FlatReader.Flat accepts and gives exactly what reading them token by
// token does, and what Unjelly and ConvertValue give: on what the encoder
// writes, and on dictionaries it does not write (keys out of order,
// unknown or missing, keys as byte strings, None values, values out of a
// field's range or of another kind).
func TestTypedFlatDecode(t *testing.T) {
	sources := []any{
		streamRec{I: 1, S: "record", F: 1.5}, []streamRec{{I: 1}, {I: 300, S: "é", F: -1}}, [2]streamRec{{I: 2}, {S: "x"}},
		map[string]any{"s": "x", "i": 3, "f": 1.5}, map[string]any{"i": 1}, map[string]any{"i": 1, "s": "a", "f": 2.0, "zzz": 1},
		Dict{{Key: []byte("i"), Value: 1}, {Key: []byte("s"), Value: "b"}, {Key: []byte("f"), Value: 1.0}},
		Dict{{Key: "i", Value: nil}, {Key: "s", Value: nil}, {Key: "f", Value: nil}},
		Dict{{Key: "i", Value: 1}, {Key: "i", Value: 2}, {Key: "f", Value: 1.0}},
		Dict{{Key: "i", Value: 1.5}, {Key: "s", Value: "a"}, {Key: "f", Value: 1.0}},
		Dict{{Key: "i", Value: 1}, {Key: "s", Value: []byte("a")}, {Key: "f", Value: 1}},
		Dict{{Key: "i", Value: 1}, {Key: "s", Value: true}, {Key: "f", Value: 1.0}},
		Dict{{Key: "I", Value: 1}, {Key: "S", Value: "a"}, {Key: "F", Value: 1.0}},
		map[string]any{"i8": 300}, map[string]any{"u8": -1}, map[string]any{"u64": uint64(math.MaxUint64)},
		map[string]any{"f32": 1e300}, map[string]any{"b": "text"}, map[string]any{"s": []byte("\xff")},
		Tuple{streamRec{I: 1}}, nil,
		flatWide{I8: 127, I16: -32768, I32: math.MaxInt32, U8: 255, U16: 65535, U32: math.MaxUint32, U64: math.MaxInt64, F32: math.MaxFloat32},
		flatWide{I8: 128}, flatWide{I8: -129}, flatWide{I16: 40000}, flatWide{I32: 1 << 40}, flatWide{U8: 256}, flatWide{U8: -1},
		flatWide{U16: 70000}, flatWide{U32: 1 << 33}, flatWide{U: -5}, flatWide{U64: -1}, flatWide{P: -1}, flatWide{N: 65536},
		flatWide{F32: 1e300}, flatWide{F32: -1e39}, flatWide{F32: math.Inf(1)},
	}
	for _, v := range flatValues() {
		sources = append(sources, v, []flatAll{v, v})
	}
	targets := []reflect.Type{
		reflect.TypeFor[streamRec](), reflect.TypeFor[[]streamRec](), reflect.TypeFor[[2]streamRec](),
		reflect.TypeFor[flatAll](), reflect.TypeFor[[]flatAll](),
	}
	accepted := 0
	for _, o := range []*Options{nil, {MaxDepth: 1}, {MaxDepth: 2}, {MaxDepth: 3}} {
		for _, src := range sources {
			expr, err := Jelly(context.Background(), src, nil)
			if err != nil {
				continue // text that is not UTF-8
			}
			wire, err := native.Append(nil, expr, banana.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			for _, typ := range targets {
				decode := func(flat bool) (reflect.Value, bool, int) {
					var nr native.Reader
					nr.Reset(wire)
					var r token.Reader = &nr
					if !flat {
						r = noFlatReader{&nr}
					}
					var d TypedDecoder
					d.Reset(o)
					got := reflect.New(typ).Elem()
					ok := d.Decode(r, got, 0)
					return got, ok, nr.Len()
				}
				got, gok, gleft := decode(true)
				want, wok, wleft := decode(false)
				if gok != wok {
					t.Fatalf("%#v into %v, %+v: flat accepted %v, tokens %v", src, typ, o, gok, wok)
				}
				if !gok {
					continue
				}
				accepted++
				if gleft != wleft || gleft != 0 || !samePrinted(got, want) {
					t.Fatalf("%#v into %v, %+v: flat %#v (left %d), tokens %#v (left %d)", src, typ, o, got, gleft, want, wleft)
				}
				conv := reflect.New(typ).Elem()
				gv, err := Unjelly(context.Background(), expr, o)
				if err == nil {
					err = ConvertValue(gv, conv)
				}
				if err != nil || !samePrinted(got, conv) {
					t.Fatalf("%#v into %v, %+v: flat %#v, generic %#v, %v", src, typ, o, got, conv, err)
				}
			}
		}
	}
	if accepted < 30 {
		t.Fatalf("only %d cases accepted", accepted)
	}
}

// samePrinted compares values as printed, so that NaN equals NaN.
func samePrinted(a, b reflect.Value) bool {
	return fmt.Sprintf("%#v", a.Interface()) == fmt.Sprintf("%#v", b.Interface())
}

// TestTypedLimitedReader checks that a TypedDecoder reading from a Reader
// with limits accepts no struct that reading its tokens refuses: its
// dictionary's list, or a key, beyond MaxList or MaxString.
func TestTypedLimitedReader(t *testing.T) {
	recs := []streamRec{{I: 1, S: "record", F: 1.5}, {I: 2}}
	expr, err := Jelly(context.Background(), recs, nil)
	if err != nil {
		t.Fatal(err)
	}
	wire, err := native.Append(nil, expr, banana.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []banana.Limits{{MaxList: 3}, {MaxList: 4}, {MaxString: 6}, {MaxString: 9}, {MaxString: 10}, {}} {
		var r native.Reader
		r.SetLimits(l)
		r.Reset(wire)
		var b token.ExprBuilder
		_, gerr := b.ReadExpr(&r)
		for _, flat := range []bool{true, false} {
			r.Reset(wire)
			var tr token.Reader = &r
			if !flat {
				tr = noFlatReader{&r}
			}
			var d TypedDecoder
			d.Reset(nil)
			got := reflect.New(reflect.TypeFor[[]streamRec]()).Elem()
			if d.Decode(tr, got, 0) && gerr != nil {
				t.Fatalf("%+v, flat %v: typed decoder accepted what the Reader refuses (%v)", l, flat, gerr)
			}
		}
	}
}
