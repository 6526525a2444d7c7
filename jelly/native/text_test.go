package native

import (
	"bufio"
	"bytes"
	"errors"
	"math/big"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/jelly/token"
)

// textWriter writes an expression tree to a Writer, using Text for every
// text list it can, as package jelly does for Go strings.
func textWriter(w *Writer, expr any) error {
	if l, ok := expr.([]any); ok {
		if _, ok := isText(l); ok {
			s, isStr := l[1].(string)
			if !isStr {
				s = string(l[1].([]byte))
			}
			if err := w.Text(s); err != token.ErrNotText {
				return err
			}
		}
		if err := w.List(len(l)); err != nil {
			return err
		}
		for _, x := range l {
			if err := textWriter(w, x); err != nil {
				return err
			}
		}
		return nil
	}
	return token.WriteExpr(w, expr)
}

func textExprs() []any {
	long := strings.Repeat("é", 200)
	return []any{
		[]any{"unicode", "i"},
		[]any{"unicode", ""},
		[]any{[]byte("unicode"), []byte("record")},
		[]any{"unicode", long},
		[]any{"unicode", "\xff"},
		[]any{"unicode", []any{"unicode", "x"}},
		[]any{"unicode", int64(1)},
		[]any{"unicode"},
		[]any{"unicode", "a", "b"},
		[]any{"unicodes", "a"},
		[]any{[]any{"unicode", "k"}, []any{"unicode", "v"}},
		[]any{"dictionary", []any{[]any{"unicode", "i"}, int64(7)}, []any{[]any{"unicode", "s"}, []any{"unicode", "record"}}},
		[]any{int64(1), []any{int64(2), []any{"unicode", "deep"}}},
		[]any{"unicode", "unicode"},
		[]any{[]any{"unicode", "unicode"}, "unicode"},
	}
}

// TestTextWriter checks that the Writer gives Append's bytes and errors
// for text, whether it gets the three tokens, Text, or Prefixes, at every
// limit near the text's size.
func TestTextWriter(t *testing.T) {
	for _, expr := range textExprs() {
		full, err := Append(nil, expr, banana.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		var lims []banana.Limits
		for n := 1; n <= len(full)+12; n++ {
			lims = append(lims, banana.Limits{MaxExpression: n})
		}
		for n := 1; n <= 8; n++ {
			lims = append(lims, banana.Limits{MaxDepth: n}, banana.Limits{MaxList: n}, banana.Limits{MaxString: n})
		}
		lims = append(lims, banana.Limits{MaxString: 300}, banana.Limits{})
		for _, l := range lims {
			want, werr := Append([]byte{7}, expr, l)
			for name, write := range map[string]func(w *Writer) error{
				"tokens": func(w *Writer) error { return token.WriteExpr(w, expr) },
				"text":   func(w *Writer) error { return textWriter(w, expr) },
				"prefix": func(w *Writer) error {
					// Every token as a one-token Prefix, and pairs.
					var r recorderW
					_ = token.WriteExpr(&r, expr)
					toks := r.toks
					for i := 0; i < len(toks); i += 2 {
						j := min(i+2, len(toks))
						p := token.NewPrefix(func(pw token.Writer) { _ = token.WriteTokens(pw, toks[i:j]) })
						if err := w.Prefix(p); err != nil {
							return err
						}
					}
					return nil
				},
			} {
				var w Writer
				w.Reset([]byte{7}, l)
				_ = write(&w)
				got, gerr := w.Result()
				if (werr == nil) != (gerr == nil) || !bytes.Equal(want, got) {
					t.Fatalf("%v, %+v, %s: Writer gave %x, %v; Append %x, %v", expr, l, name, got, gerr, want, werr)
				}
				if werr != nil && !errors.Is(gerr, banana.ErrTooLarge) && !errors.Is(gerr, banana.ErrUnencodable) {
					t.Fatalf("%v, %+v, %s: error %v", expr, l, name, gerr)
				}
			}
			if werr != nil {
				continue
			}
			// The bytes decode to the same expression, as a tree and as
			// tokens, under the same limits.
			got, rest, err := DecodeBytes(want[1:], l)
			if err != nil || len(rest) != 0 || !banana.Equal(expr, got) {
				t.Fatalf("%v, %+v: decoded %v, %v", expr, l, got, err)
			}
			checkTokens(t, want[1:], l)
		}
	}
}

// recorderW records tokens, for TestTextWriter.
type recorderW struct{ toks []token.Token }

func (r *recorderW) List(n int) error {
	r.toks = append(r.toks, token.Token{Kind: token.List, N: n})
	return nil
}
func (r *recorderW) Int(v int64) error {
	r.toks = append(r.toks, token.Token{Kind: token.Int, Int: v})
	return nil
}
func (r *recorderW) Uint(v uint64) error {
	return r.Int(int64(v))
}
func (r *recorderW) Big(v *big.Int) error { panic("unused") }
func (r *recorderW) Float(v float64) error {
	r.toks = append(r.toks, token.Token{Kind: token.Float, Float: v})
	return nil
}
func (r *recorderW) Bytes(b []byte) error {
	r.toks = append(r.toks, token.Token{Kind: token.Bytes, Bytes: append([]byte(nil), b...)})
	return nil
}
func (r *recorderW) String(s string) error { return r.Bytes([]byte(s)) }

// TestTextReader checks the tokens and the tree that text gives, in every
// extension format, and that malformed text is refused by every reader.
func TestTextReader(t *testing.T) {
	good := []string{"d4 02 69", "c7 01 02 69", "c8 00 01 02 69", "c9 00 00 00 01 02 69"}
	for _, g := range good {
		wire := hx(t, g)
		v, _, err := DecodeBytes(wire, banana.Limits{})
		if err != nil || !banana.Equal(v, []any{[]byte("unicode"), []byte("i")}) {
			t.Fatalf("%s: decoded %v, %v", g, v, err)
		}
		var r Reader
		r.Reset(wire)
		var tk token.Token
		if err := r.Next(&tk); err != nil || tk.Kind != token.Text || string(tk.Bytes) != "i" || r.Len() != 0 {
			t.Fatalf("%s: token %+v, %v", g, tk, err)
		}
		checkTokens(t, wire, banana.Limits{})
	}
	bad := []struct{ wire, msg string }{
		{"d4 02 ff", "not valid UTF-8"},
		{"c7 02 02 c3 28", "not valid UTF-8"},
		{"c7 09 02 61 62 63 64 65 66 67 ed a0", "not valid UTF-8"},
		{"c7 09 02 61 62", "unexpected EOF"},
		{"c7 03 02 61 ed a0", "not valid UTF-8"}, // a surrogate
		{"c9 ff ff ff ff 02", "exceeds the limit"},
	}
	for _, b := range bad {
		wire := hx(t, b.wire)
		_, _, err := DecodeBytes(wire, banana.Limits{})
		if err == nil || !strings.Contains(err.Error(), b.msg) {
			t.Fatalf("%s: error %v, want %q", b.wire, err, b.msg)
		}
		checkTokens(t, wire, banana.Limits{})
		var r Reader
		r.Reset(wire)
		var tk token.Token
		if err := r.Next(&tk); err == nil {
			t.Fatalf("%s: Reader gave %+v", b.wire, tk)
		}
	}
	// Limits: text is a list of two byte strings.
	for _, c := range []struct {
		wire string
		l    banana.Limits
		msg  string
	}{
		{"d4 02 69", banana.Limits{MaxList: 1}, "list of 2 elements"},
		{"d4 02 69", banana.Limits{MaxString: 6}, "byte string of 7 bytes"},
		{"c7 08 02 61 61 61 61 61 61 61 61", banana.Limits{MaxString: 7}, "byte string of 8 bytes"},
		{"91 91 d4 02 69", banana.Limits{MaxDepth: 2}, "nested more than 2"},
		{"c7 08 02 61 61 61 61 61 61 61 61", banana.Limits{MaxExpression: 10}, "longer than 10 bytes"},
	} {
		wire := hx(t, c.wire)
		_, _, err := DecodeBytes(wire, c.l)
		if err == nil || !strings.Contains(err.Error(), c.msg) || !errors.Is(err, banana.ErrProtocol) {
			t.Fatalf("%s %+v: error %v, want %q", c.wire, c.l, err, c.msg)
		}
		checkTokens(t, wire, c.l)
		dec := NewDecoder(bufio.NewReader(bytes.NewReader(wire)), c.l)
		if _, err := dec.ReadFrame(nil); err == nil {
			t.Fatalf("%s %+v: ReadFrame accepted", c.wire, c.l)
		}
	}
}

// TestReaderPrefix checks that Reader.Prefix takes exactly the bytes the
// Writer writes for a Prefix, and nothing otherwise.
func TestReaderPrefix(t *testing.T) {
	p := token.NewPrefix(func(w token.Writer) {
		w.List(4)
		w.String("dictionary")
		w.List(2)
		w.List(2)
		w.String("unicode")
		w.String("i")
	})
	var w Writer
	w.Reset(nil, banana.Limits{})
	if err := w.Prefix(p); err != nil {
		t.Fatal(err)
	}
	enc := w.buf
	if got := spaced(enc); got != "94 aa 64 69 63 74 69 6f 6e 61 72 79 92 d4 02 69" {
		t.Fatalf("prefix encoding %s", got)
	}
	var r Reader
	r.Reset(append(enc, 0x05))
	if !r.Prefix(p) || r.Len() != 1 {
		t.Fatalf("Prefix did not take its encoding")
	}
	// The same tokens, spelled otherwise (the text as a list), are not
	// taken.
	other := hx(t, "94 aa 64 69 63 74 69 6f 6e 61 72 79 92 92 a7 75 6e 69 63 6f 64 65 a1 69 05")
	r.Reset(other)
	if r.Prefix(p) || r.Len() != len(other) {
		t.Fatalf("Prefix took another encoding")
	}
	r.Reset(enc[:len(enc)-1])
	if r.Prefix(p) {
		t.Fatalf("Prefix took a truncated encoding")
	}
}

// TestValidText checks validText against utf8.Valid around its word
// loads: every length to 20, with a byte >= 0x80 at each position.
func TestValidText(t *testing.T) {
	for n := 0; n <= 20; n++ {
		b := []byte(strings.Repeat("a", n))
		if !validText(b) {
			t.Fatalf("%q refused", b)
		}
		for i := 0; i < n; i++ {
			for _, c := range []byte{0x80, 0xc3, 0xff} {
				b := []byte(strings.Repeat("a", n))
				b[i] = c
				if i+1 < n && c == 0xc3 {
					b[i+1] = 0xa9 // é
				}
				if validText(b) != utf8.Valid(b) {
					t.Fatalf("validText(%q) = %v", b, validText(b))
				}
			}
		}
	}
}
