package jelly

import (
	"bufio"
	"bytes"
	"reflect"
	"testing"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/jelly/native"
)

// nativeRecords is the value of the 1,000-record benchmarks.
func nativeRecords() []streamRec {
	recs := make([]streamRec, 1000)
	for i := range recs {
		recs[i] = streamRec{I: i, S: "record", F: float64(i) / 3}
	}
	return recs
}

// BenchmarkNativeRecordsEncode streams 1,000 records, as PB's arguments,
// into a native.Writer.
func BenchmarkNativeRecordsEncode(b *testing.B) {
	recs := nativeRecords()
	args := []any{recs}
	var w native.Writer
	buf := make([]byte, 0, 128<<10)
	b.ReportAllocs()
	for b.Loop() {
		w.Reset(buf[:0], banana.Limits{})
		if ok, err := StreamTuple(&w, args, nil); !ok || err != nil {
			b.Fatal(ok, err)
		}
		var err error
		if buf, err = w.Result(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(buf)), "wire-bytes")
}

// BenchmarkNativeRecordsDecode finds the frame of 1,000 records with
// native.Decoder.ReadFrame and decodes it with a TypedDecoder.
func BenchmarkNativeRecordsDecode(b *testing.B) {
	wire := nativeRecordsWire(b)
	src := bytes.NewReader(wire)
	br := bufio.NewReaderSize(src, 64<<10)
	frame := make([]byte, 0, 128<<10)
	var r native.Reader
	var d TypedDecoder
	typ := reflect.TypeFor[[]streamRec]()
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(wire)
		br.Reset(src)
		dec := native.NewDecoder(br, banana.Limits{})
		var err error
		if frame, err = dec.ReadFrame(frame[:0]); err != nil {
			b.Fatal(err)
		}
		r.Reset(frame)
		d.Reset(nil)
		v := reflect.New(typ).Elem()
		if !d.Decode(&r, v, 0) || r.Len() != 0 {
			b.Fatal("declined")
		}
	}
}

// BenchmarkNativeRecordsScan is ReadFrame alone, on the same frame.
func BenchmarkNativeRecordsScan(b *testing.B) {
	wire := nativeRecordsWire(b)
	src := bytes.NewReader(wire)
	br := bufio.NewReaderSize(src, 64<<10)
	frame := make([]byte, 0, 128<<10)
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(wire)
		br.Reset(src)
		dec := native.NewDecoder(br, banana.Limits{})
		var err error
		if frame, err = dec.ReadFrame(frame[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

// nativeRecordsWire is the native encoding of nativeRecords.
func nativeRecordsWire(b *testing.B) []byte {
	b.Helper()
	var w native.Writer
	w.Reset(nil, banana.Limits{})
	if ok, err := StreamTo(&w, nativeRecords(), nil); !ok || err != nil {
		b.Fatal(ok, err)
	}
	wire, err := w.Result()
	if err != nil {
		b.Fatal(err)
	}
	return wire
}
