package jelly

import (
	"bytes"
	"context"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/jelly/native"
	"github.com/braidkit/braid/jelly/token"
)

type streamRec struct {
	I int
	S string
	F float64
}

type streamLevel int

type streamInner struct {
	A uint64
	B []byte
	C [3]int16
}

type streamOuter struct {
	streamInner
	N   streamLevel
	Ok  bool
	Arr [2]streamInner
	Tag string `jelly:"tag"`
	Raw [4]byte
	F32 float32
	hid int
}

type streamWithSlice struct{ L []int }
type streamWithTime struct{ T time.Time }
type streamClasser struct{ X int }

func (streamClasser) JellyClass() string { return "test.Classer" }

type streamRegistered struct{ Y int }

// TestJellyToMatchesJelly checks that streaming gives the bytes of the
// tree path, for values on both paths.
func TestJellyToMatchesJelly(t *testing.T) {
	reg := NewRegistry()
	if err := reg.Register("test.Registered", streamRegistered{}); err != nil {
		t.Fatal(err)
	}
	shared := []streamRec{{1, "a", 1.5}}
	recs := make([]streamRec, 50)
	for i := range recs {
		recs[i] = streamRec{I: i * 1000, S: "record", F: float64(i) / 3}
	}
	values := []any{
		nil, true, false, 0, -1, int8(-5), int16(300), int32(-70000), int64(math.MinInt64), uint(7), uint8(200),
		uint16(65535), uint32(math.MaxUint32), uint64(math.MaxUint64), uintptr(9), 1.5, float32(2.25),
		"text", "", []byte("bytes"), []byte(nil), big.NewInt(5), new(big.Int).Lsh(big.NewInt(1), 100), (*big.Int)(nil),
		streamLevel(3), recs, []streamRec{}, []streamRec(nil), streamRec{I: 1, S: "é", F: -0.5},
		streamOuter{streamInner: streamInner{A: math.MaxUint64, B: []byte("x"), C: [3]int16{1, -2, 3}}, N: 4, Ok: true, Tag: "t", Raw: [4]byte{1, 2, 3, 4}, F32: 0.5},
		[][]int{{1}, {2}}, streamWithSlice{L: []int{1}}, streamWithTime{T: time.Unix(0, 0)},
		streamClasser{X: 1}, streamRegistered{Y: 2}, []streamRegistered{{Y: 3}},
		Tuple{1, "a", recs, shared}, Tuple{shared, shared}, Tuple{}, List{recs, 2}, Tuple{recs[:2], recs[:2]},
		Tuple{streamOuter{}, []byte("b"), nil}, map[string]int{"a": 1}, time.Second,
		[2]streamRec{{I: 1}, {I: 2}}, []bool{true, false}, []string{"a", "b"},
		strings.Repeat("é", 200), struct{}{}, []struct{}{{}, {}}, "unicode", []string{"unicode", "unicode"},
	}
	for _, o := range []*Options{nil, {Registry: reg}, {Registry: reg, MaxDepth: 2}} {
		for _, c := range streamCodecs {
			for i, v := range values {
				expr, jerr := Jelly(context.Background(), v, o)
				var want []byte
				var aerr error
				if jerr == nil {
					want, aerr = c.append(expr)
				}
				w := c.writer()
				serr := JellyTo(context.Background(), w, v, o)
				got, werr := c.result(w)
				if (jerr != nil) != (serr != nil) {
					t.Fatalf("value %d (%T): Jelly error %v, JellyTo error %v", i, v, jerr, serr)
				}
				if jerr != nil {
					if jerr.Error() != serr.Error() {
						t.Fatalf("value %d: Jelly error %q, JellyTo error %q", i, jerr, serr)
					}
					continue
				}
				if (aerr != nil) != (werr != nil) || !bytes.Equal(want, got) {
					t.Fatalf("%s: value %d (%T), options %+v: streamed %x (%v), want %x (%v)", c.name, i, v, o, got, werr, want, aerr)
				}
			}
		}
	}
}

// streamCodecs are the token writers JellyTo is checked with.
var streamCodecs = []struct {
	name   string
	append func(expr any) ([]byte, error)
	writer func() token.Writer
	result func(w token.Writer) ([]byte, error)
}{
	{"banana-pb",
		func(expr any) ([]byte, error) { return banana.Append(nil, expr, banana.DialectPB, banana.Limits{}) },
		func() token.Writer {
			w := new(banana.Writer)
			w.Reset(nil, banana.DialectPB, banana.Limits{})
			return w
		},
		func(w token.Writer) ([]byte, error) { return w.(*banana.Writer).Result() }},
	{"banana",
		func(expr any) ([]byte, error) { return banana.Append(nil, expr, banana.DialectNone, banana.Limits{}) },
		func() token.Writer {
			w := new(banana.Writer)
			w.Reset(nil, banana.DialectNone, banana.Limits{})
			return w
		},
		func(w token.Writer) ([]byte, error) { return w.(*banana.Writer).Result() }},
	{"native",
		func(expr any) ([]byte, error) { return native.Append(nil, expr, banana.Limits{}) },
		func() token.Writer { w := new(native.Writer); w.Reset(nil, banana.Limits{}); return w },
		func(w token.Writer) ([]byte, error) { return w.(*native.Writer).Result() }},
}

func TestJellyToInvalidUTF8(t *testing.T) {
	for _, c := range streamCodecs {
		for _, v := range []any{[]streamRec{{S: "\xff"}}, "a\xffb", Tuple{"ok", "\xc3"}} {
			w := c.writer()
			err := JellyTo(context.Background(), w, v, nil)
			_, jerr := Jelly(context.Background(), v, nil)
			if err == nil || jerr == nil || err.Error() != jerr.Error() {
				t.Fatalf("%s: JellyTo error %v, Jelly error %v", c.name, err, jerr)
			}
		}
	}
}

func BenchmarkJellyToRecords(b *testing.B) {
	recs := make([]streamRec, 1000)
	for i := range recs {
		recs[i] = streamRec{I: i, S: "record", F: float64(i) / 3}
	}
	var w banana.Writer
	buf := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		w.Reset(buf[:0], banana.DialectPB, banana.Limits{})
		if err := JellyTo(context.Background(), &w, Tuple{recs}, nil); err != nil {
			b.Fatal(err)
		}
		buf, _ = w.Result()
	}
}

func BenchmarkJellyTreeRecords(b *testing.B) {
	recs := make([]streamRec, 1000)
	for i := range recs {
		recs[i] = streamRec{I: i, S: "record", F: float64(i) / 3}
	}
	buf := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		expr, err := Jelly(context.Background(), Tuple{recs}, nil)
		if err != nil {
			b.Fatal(err)
		}
		buf, _ = banana.Append(buf[:0], expr, banana.DialectPB, banana.Limits{})
	}
}
