package native

import (
	"bufio"
	"bytes"
	"fmt"
	"testing"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/vmihailenco/msgpack/v5"
)

// benchMessage is a typical PB call:
// [message, 1, "root", "echo", 1, [tuple, 42], [dictionary]].
var benchMessage any = []any{"message", int64(1), "root", "echo", int64(1), []any{"tuple", int64(42)}, []any{"dictionary"}}

// benchRecords is a PB call whose argument is the jelly form of a list of
// 1,000 records, each a dictionary {"i": n, "s": "record n", "f": x}.
var benchRecords any = func() any {
	recs := make([]any, 0, 1001)
	recs = append(recs, "list")
	for i := range 1000 {
		recs = append(recs, []any{"dictionary",
			[]any{[]any{"unicode", "i"}, int64(i)},
			[]any{[]any{"unicode", "s"}, []any{"unicode", fmt.Sprintf("record %d", i)}},
			[]any{[]any{"unicode", "f"}, float64(i) * 1.25},
		})
	}
	return []any{"message", int64(2), "root", "store", int64(1), []any{"tuple", recs}, []any{"dictionary"}}
}()

var benchCases = []struct {
	name string
	expr any
}{
	{"message", benchMessage},
	{"records", benchRecords},
}

// codecs are the encoders compared: this package, Banana in the "pb"
// dialect (what Twisted speaks), and, for reference, the msgpack library's
// own reflection-based Marshal (no limits).
var codecs = []struct {
	name   string
	append func(dst []byte, expr any) ([]byte, error)
}{
	{"native", func(dst []byte, expr any) ([]byte, error) { return Append(dst, expr, banana.Limits{}) }},
	{"banana", func(dst []byte, expr any) ([]byte, error) {
		return banana.Append(dst, expr, banana.DialectPB, banana.Limits{})
	}},
	{"vmihailenco", func(dst []byte, expr any) ([]byte, error) {
		b, err := msgpack.Marshal(expr)
		return append(dst, b...), err
	}},
}

func BenchmarkAppend(b *testing.B) {
	for _, bc := range benchCases {
		for _, c := range codecs {
			b.Run(bc.name+"/"+c.name, func(b *testing.B) {
				dst := make([]byte, 0, 128<<10)
				b.ReportAllocs()
				for b.Loop() {
					var err error
					if dst, err = c.append(dst[:0], bc.expr); err != nil {
						b.Fatal(err)
					}
				}
				b.SetBytes(int64(len(dst)))
				b.ReportMetric(float64(len(dst)), "wire-bytes")
			})
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	type decoder func(br *bufio.Reader) func() (any, error)
	decoders := []struct {
		name string
		wire func(expr any) ([]byte, error)
		dec  decoder
	}{
		{"native", func(expr any) ([]byte, error) { return Append(nil, expr, banana.Limits{}) },
			func(br *bufio.Reader) func() (any, error) { return NewDecoder(br, banana.Limits{}).Decode }},
		{"banana", func(expr any) ([]byte, error) { return banana.Append(nil, expr, banana.DialectPB, banana.Limits{}) },
			func(br *bufio.Reader) func() (any, error) {
				d := banana.NewDecoder(br, banana.Limits{})
				d.SetDialect(banana.DialectPB)
				return d.Decode
			}},
		{"vmihailenco", func(expr any) ([]byte, error) { return Append(nil, expr, banana.Limits{}) },
			func(br *bufio.Reader) func() (any, error) { return msgpack.NewDecoder(br).DecodeInterface }},
	}
	for _, bc := range benchCases {
		for _, d := range decoders {
			b.Run(bc.name+"/"+d.name, func(b *testing.B) {
				wire, err := d.wire(bc.expr)
				if err != nil {
					b.Fatal(err)
				}
				src := bytes.NewReader(wire)
				br := bufio.NewReader(src)
				decode := d.dec(br)
				b.SetBytes(int64(len(wire)))
				b.ReportAllocs()
				for b.Loop() {
					src.Reset(wire)
					br.Reset(src)
					if _, err := decode(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
