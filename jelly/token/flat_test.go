package token

import "testing"

// TestNewFlat checks what NewFlat computes for an element, and that it
// refuses tokens that are not one complete expression.
func TestNewFlat(t *testing.T) {
	open := NewPrefix(func(w Writer) {
		w.List(3)
		w.String("dictionary")
		w.List(2)
		w.List(2)
		w.String("unicode")
		w.String("i")
	})
	key := NewPrefix(func(w Writer) { w.List(2); w.List(2); w.String("unicode"); w.String("name") })
	f := NewFlat([]*Prefix{open, key}, []Kind{Int, Text})
	if d, l, s := f.Needs(); d != 2 || l != 3 || s != len("dictionary") {
		t.Fatalf("Needs() = %d, %d, %d; want 2, 3, 10", d, l, s)
	}
	if len(f.Prefixes()) != 2 || len(f.Kinds()) != 2 {
		t.Fatal("Prefixes or Kinds lost")
	}
	// A Text scalar counts as a list of two at its depth.
	g := NewFlat([]*Prefix{NewPrefix(func(w Writer) { w.List(1) })}, []Kind{Text})
	if d, l, s := g.Needs(); d != 1 || l != 2 || s != len("unicode") {
		t.Fatalf("Needs() = %d, %d, %d; want 1, 2, 7", d, l, s)
	}
	// A last prefix after the last scalar; no list at all.
	h := NewFlat([]*Prefix{NewPrefix(func(w Writer) { w.List(2) }), NewPrefix(func(w Writer) { w.Int(1) })}, []Kind{Bytes})
	if d, l, _ := h.Needs(); d != 0 || l != 2 {
		t.Fatalf("Needs() = %d, %d; want 0, 2", d, l)
	}
	if d, _, _ := NewFlat([]*Prefix{NewPrefix(func(Writer) {})}, []Kind{Float}).Needs(); d != -1 {
		t.Fatalf("listDepth %d without lists, want -1", d)
	}
	empty := NewPrefix(func(Writer) {})
	for name, bad := range map[string]func(){
		"incomplete":      func() { NewFlat([]*Prefix{open}, []Kind{Int}) },
		"two expressions": func() { NewFlat([]*Prefix{empty, empty}, []Kind{Int, Int}) },
		"after the end":   func() { NewFlat([]*Prefix{empty, NewPrefix(func(w Writer) { w.Int(1) })}, []Kind{Int}) },
		"bad kind":        func() { NewFlat([]*Prefix{empty}, []Kind{List}) },
		"prefix count":    func() { NewFlat([]*Prefix{empty}, []Kind{Int, Int}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: NewFlat did not panic", name)
				}
			}()
			bad()
		}()
	}
	builds := 0
	build := func(*Flat) any { builds++; return &builds }
	if f.Cached(SlotNative, build) != f.Cached(SlotNative, build) || builds != 1 {
		t.Fatalf("Cached built %d times", builds)
	}
}

// TestFlatReplay checks that Replay writes a Flat's tokens, text as three
// tokens to a Writer that is not a TextWriter.
func TestFlatReplay(t *testing.T) {
	f := NewFlat([]*Prefix{
		NewPrefix(func(w Writer) { w.List(4); w.String("x") }),
		NewPrefix(func(Writer) {}),
		NewPrefix(func(Writer) {}),
	}, []Kind{Int, Text, Float})
	var r recorder
	if err := WriteFlat(&r, f, []Token{{Int: 5}, {Bytes: []byte("é")}, {Float: 2}}); err != nil {
		t.Fatal(err)
	}
	var b ExprBuilder
	got, err := b.ReadExpr(&sliceReader{toks: r.toks})
	want := []any{[]byte("x"), int64(5), []any{[]byte("unicode"), []byte("é")}, 2.0}
	if err != nil || !equalExpr(got, want) {
		t.Fatalf("Replay wrote %v, %v; want %v", got, err, want)
	}
	if err := WriteFlat(&r, f, []Token{{}, {Bytes: []byte{0xff}}, {}}); err != ErrNotText {
		t.Fatalf("WriteFlat of bad text: %v", err)
	}
}

type sliceReader struct{ toks []Token }

func (s *sliceReader) Next(t *Token) error {
	if len(s.toks) == 0 {
		return ErrEnd
	}
	*t = s.toks[0]
	s.toks = s.toks[1:]
	return nil
}

func equalExpr(a, b any) bool {
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalExpr(x[i], y[i]) {
				return false
			}
		}
		return true
	case []byte:
		y, ok := b.([]byte)
		return ok && string(x) == string(y)
	}
	return a == b
}
