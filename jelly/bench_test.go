package jelly

import (
	"context"
	"testing"
)

// BenchmarkArgsTuple jellies and unjellies a PB-style argument tuple of
// int64s.
func BenchmarkArgsTuple(b *testing.B) {
	ctx := context.Background()
	args := Tuple{int64(1), int64(2), int64(3), int64(4)}
	b.ReportAllocs()
	for b.Loop() {
		expr, err := Jelly(ctx, args, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Unjelly(ctx, expr, nil); err != nil {
			b.Fatal(err)
		}
	}
}

type benchRecord struct {
	I int
	S string
	F float64
}

func benchRecords() []benchRecord {
	recs := make([]benchRecord, 1000)
	for i := range recs {
		recs[i] = benchRecord{I: i, S: "record", F: float64(i) / 2}
	}
	return recs
}

// BenchmarkRecords jellies and unjellies a list of 1,000 small structs
// (unregistered, so each is a dictionary).
func BenchmarkRecords(b *testing.B) {
	ctx := context.Background()
	recs := benchRecords()
	b.ReportAllocs()
	for b.Loop() {
		expr, err := Jelly(ctx, recs, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Unjelly(ctx, expr, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordsConvert adds Convert back into []benchRecord.
func BenchmarkRecordsConvert(b *testing.B) {
	ctx := context.Background()
	recs := benchRecords()
	b.ReportAllocs()
	for b.Loop() {
		expr, err := Jelly(ctx, recs, nil)
		if err != nil {
			b.Fatal(err)
		}
		v, err := Unjelly(ctx, expr, nil)
		if err != nil {
			b.Fatal(err)
		}
		var out []benchRecord
		if err := Convert(v, &out); err != nil {
			b.Fatal(err)
		}
	}
}
