package native

import (
	"bufio"
	"bytes"
	"io"
	"testing"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/jelly/token"
)

// checkTokens checks ReadFrame, Reader and Writer against Decode and
// Append on one input.
func checkTokens(t *testing.T, data []byte, l banana.Limits) {
	t.Helper()
	v, rest, err := DecodeBytes(data, l)
	dec := NewDecoder(bufio.NewReaderSize(oneByteReader{bytes.NewReader(data)}, 16), l)
	frame, ferr := dec.ReadFrame([]byte{0xAA})
	if ferr == io.EOF {
		ferr = io.ErrUnexpectedEOF
	}
	if (err == nil) != (ferr == nil) || err != nil && err.Error() != ferr.Error() {
		t.Fatalf("DecodeBytes error %v, ReadFrame error %v", err, ferr)
	}
	if err != nil {
		if !bytes.Equal(frame, []byte{0xAA}) {
			t.Fatalf("ReadFrame changed dst on error")
		}
		return
	}
	if !bytes.Equal(frame[1:], data[:len(data)-len(rest)]) {
		t.Fatalf("frame %x, want %x", frame[1:], data[:len(data)-len(rest)])
	}
	var r Reader
	r.Reset(frame[1:])
	var b token.ExprBuilder
	got, err := b.ReadExpr(&r)
	if err != nil || r.Len() != 0 || !banana.Equal(v, got) {
		t.Fatalf("Reader gave %v, %v (left %d), want %v", got, err, r.Len(), v)
	}
	requireCanonicalTypes(t, got)
	want, werr := Append([]byte{1}, v, l)
	var w Writer
	w.Reset([]byte{1}, l)
	_ = token.WriteExpr(&w, v)
	out, err := w.Result()
	if (werr == nil) != (err == nil) || !bytes.Equal(want, out) {
		t.Fatalf("Writer gave %x, %v; Append %x, %v", out, err, want, werr)
	}
}

func FuzzTokens(f *testing.F) {
	for _, g := range goldens {
		f.Add(hx(f, g.wire))
	}
	f.Add(hx(f, "dd ff ff ff ff 01"))
	f.Add(hx(f, "c6 ff ff ff ff 00"))
	f.Add(hx(f, "a3 61 62 63 ca 3f 80 00 00"))
	f.Add(hx(f, "c7 09 01 00 ff ff ff ff ff ff ff ff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkTokens(t, data, fuzzLimits)
		checkTokens(t, data, banana.Limits{})
	})
}
