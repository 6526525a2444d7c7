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
	// ReadFrame byte by byte, from a small buffer (elements cut off at
	// its end) and from a buffer that holds everything (the bulk scan).
	var frame []byte
	for _, br := range []*bufio.Reader{
		bufio.NewReaderSize(oneByteReader{bytes.NewReader(data)}, 16),
		bufio.NewReaderSize(bytes.NewReader(data), 16),
		bufio.NewReaderSize(bytes.NewReader(data), 1<<16),
	} {
		dec := NewDecoder(br, l)
		var ferr error
		frame, ferr = dec.ReadFrame([]byte{0xAA})
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
		if left, _ := io.ReadAll(br); !bytes.Equal(left, rest) {
			t.Fatalf("ReadFrame left %x, want %x", left, rest)
		}
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
	addTextSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkTokens(t, data, fuzzLimits)
		checkTokens(t, data, banana.Limits{})
		checkFlatRead(t, data, fuzzLimits)
		checkFlatRead(t, data, banana.Limits{})
	})
}

// TestPrefixLimits checks that a Prefix written from its cached encoding
// gives what writing its tokens one by one gives, near every limit.
func TestPrefixLimits(t *testing.T) {
	prefixes := []*token.Prefix{
		token.NewPrefix(func(w token.Writer) { w.List(2); w.List(2); w.String("unicode"); w.String("name") }),
		token.NewPrefix(func(w token.Writer) { w.List(4); w.String("dictionary") }),
		token.NewPrefix(func(w token.Writer) { w.List(0); w.Int(7) }),
		token.NewPrefix(func(w token.Writer) { w.String("abc") }),
	}
	for _, p := range prefixes {
		for depth := 0; depth < 4; depth++ {
			for _, l := range []banana.Limits{
				{MaxDepth: 1}, {MaxDepth: 2}, {MaxDepth: 3}, {MaxDepth: 4}, {MaxDepth: 5},
				{MaxList: 1}, {MaxList: 2}, {MaxList: 3}, {MaxString: 3}, {MaxString: 6},
				{MaxExpression: 8}, {MaxExpression: 12}, {MaxExpression: 40}, {},
			} {
				run := func(cached bool) ([]byte, error) {
					var w Writer
					w.Reset([]byte{9}, l)
					for range depth {
						w.List(2)
					}
					var err error
					if cached {
						err = w.Prefix(p)
					} else {
						err = p.Replay(&w)
					}
					if err != nil {
						return nil, err
					}
					return w.buf, w.err
				}
				got, gerr := run(true)
				want, werr := run(false)
				if (gerr == nil) != (werr == nil) || !bytes.Equal(got, want) {
					t.Fatalf("prefix %v at depth %d, %+v: got %x, %v; want %x, %v", p.Tokens(), depth, l, got, gerr, want, werr)
				}
			}
		}
	}
}
