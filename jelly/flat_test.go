package jelly

import (
	"bytes"
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
