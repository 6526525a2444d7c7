package banana

import (
	"bufio"
	"bytes"
	"testing"
)

// benchMessage is a typical PB call:
// [message, 1, "root", "echo", 1, [tuple, 42], [dictionary]]. It is
// already boxed in an interface, as a caller's expression would be.
var benchMessage any = []any{"message", int64(1), "root", "echo", int64(1), []any{"tuple", int64(42)}, []any{"dictionary"}}

func BenchmarkAppendInt64(b *testing.B) {
	b.ReportAllocs()
	dst := make([]byte, 0, 64)
	var v any = int64(123456789123456789)
	for b.Loop() {
		var err error
		if dst, err = Append(dst[:0], v, DialectPB, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendMessage(b *testing.B) {
	b.ReportAllocs()
	dst := make([]byte, 0, 256)
	for b.Loop() {
		var err error
		if dst, err = Append(dst[:0], benchMessage, DialectPB, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(dst)))
}

func BenchmarkDecodeMessage(b *testing.B) {
	wire, err := Append(nil, benchMessage, DialectPB, Limits{})
	if err != nil {
		b.Fatal(err)
	}
	stream := bytes.Repeat(wire, 1000)
	src := bytes.NewReader(stream)
	br := bufio.NewReader(src)
	dec := NewDecoder(br, Limits{})
	dec.SetDialect(DialectPB)
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		if src.Len() == 0 && br.Buffered() == 0 {
			src.Reset(stream)
		}
		if _, err := dec.Decode(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode1MiBString(b *testing.B) {
	lim := Limits{MaxString: 2 << 20, MaxExpression: 4 << 20}
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	wire, err := Append(nil, body, DialectNone, lim)
	if err != nil {
		b.Fatal(err)
	}
	src := bytes.NewReader(wire)
	br := bufio.NewReader(src)
	dec := NewDecoder(br, lim)
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(wire)
		br.Reset(src)
		v, err := dec.Decode()
		if err != nil || len(v.([]byte)) != len(body) {
			b.Fatal(err)
		}
	}
}
