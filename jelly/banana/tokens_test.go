package banana

import (
	"bufio"
	"bytes"
	"io"
	"testing"

	"github.com/braidkit/braid/jelly/token"
)

// checkTokens checks ReadFrame, Reader and Writer against Decode and
// Append on one input.
func checkTokens(t *testing.T, data []byte, d Dialect, l Limits) {
	t.Helper()
	v, rest, err := DecodeBytes(data, d, l)
	dec := NewDecoder(bufio.NewReaderSize(oneByteReader{bytes.NewReader(data)}, 16), l)
	dec.SetDialect(d)
	frame, ferr := dec.ReadFrame([]byte{0xAA})
	if ferr == io.EOF {
		ferr = io.ErrUnexpectedEOF
	}
	if (err == nil) != (ferr == nil) || err != nil && err.Error() != ferr.Error() {
		t.Fatalf("%s: DecodeBytes error %v, ReadFrame error %v", d, err, ferr)
	}
	if err != nil {
		if !bytes.Equal(frame, []byte{0xAA}) {
			t.Fatalf("%s: ReadFrame changed dst on error", d)
		}
		return
	}
	if !bytes.Equal(frame[1:], data[:len(data)-len(rest)]) {
		t.Fatalf("%s: frame %x, want %x", d, frame[1:], data[:len(data)-len(rest)])
	}
	var r Reader
	r.Reset(frame[1:], d)
	var b token.ExprBuilder
	got, err := b.ReadExpr(&r)
	if err != nil || r.Len() != 0 || !Equal(v, got) {
		t.Fatalf("%s: Reader gave %v, %v (left %d), want %v", d, got, err, r.Len(), v)
	}
	requireCanonicalTypes(t, got)
	for _, dd := range []Dialect{DialectNone, DialectPB} {
		want, werr := Append([]byte{1}, v, dd, l)
		var w Writer
		w.Reset([]byte{1}, dd, l)
		_ = token.WriteExpr(&w, v)
		out, err := w.Result()
		if (werr == nil) != (err == nil) || !bytes.Equal(want, out) {
			t.Fatalf("%s: Writer gave %x, %v; Append %x, %v", dd, out, err, want, werr)
		}
	}
}

func FuzzTokens(f *testing.F) {
	for _, v := range specVectors(f) {
		f.Add(v.wire)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, d := range []Dialect{DialectNone, DialectPB} {
			checkTokens(t, data, d, fuzzLimits)
			checkTokens(t, data, d, Limits{})
		}
	})
}
