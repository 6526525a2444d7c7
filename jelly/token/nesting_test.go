package token

import "testing"

// Writing [1, [2, 3], []] token by token: the nesting count says when the
// expression is complete.
func TestNesting(t *testing.T) {
	var n Nesting
	step := func(what string, f func(), depth int) {
		t.Helper()
		f()
		if got := n.Depth(); got != depth {
			t.Fatalf("after %s: depth %d, want %d", what, got, depth)
		}
	}
	step("open outer list of 3", func() { n.Push(3) }, 1)
	step("1", n.Done, 1)
	step("open inner list of 2", func() { n.Push(2) }, 2)
	step("2", n.Done, 2)
	step("3 closes the inner list", n.Done, 1)
	step("empty list", n.Done, 0) // an empty list is one complete element
	step("a top-level atom", n.Done, 0)
	step("reopen", func() { n.Push(1) }, 1)
	step("reset", n.Reset, 0)
}

// TestNestingApply checks that applying a Prefix has the effect of its
// tokens, one by one, from several starting points.
func TestNestingApply(t *testing.T) {
	prefixes := []*Prefix{
		NewPrefix(func(w Writer) { w.List(2); w.List(2); w.String("unicode"); w.String("i") }),
		NewPrefix(func(w Writer) {
			w.List(4)
			w.String("dictionary")
			w.List(2)
			w.List(2)
			w.String("unicode")
			w.String("i")
		}),
		NewPrefix(func(w Writer) { w.List(2); w.String("unicode") }),
		NewPrefix(func(w Writer) { w.String("a"); w.Int(1); w.List(0) }),
		NewPrefix(func(w Writer) { w.Int(1); w.List(1); w.Int(2); w.List(3) }),
		NewPrefix(func(w Writer) {}),
	}
	starts := []func(n *Nesting){
		func(n *Nesting) {},
		func(n *Nesting) { n.Push(1) },
		func(n *Nesting) { n.Push(3) },
		func(n *Nesting) { n.Push(2); n.Push(5) },
		func(n *Nesting) { n.Push(2); n.Push(1) },
	}
	for i, p := range prefixes {
		for j, start := range starts {
			var a, b Nesting
			start(&a)
			start(&b)
			a.Apply(p)
			for _, tk := range p.Tokens() {
				if tk.Kind == List && tk.N > 0 {
					b.Push(tk.N)
				} else {
					b.Done()
				}
			}
			if a.top != b.top || len(a.open) != len(b.open) {
				t.Fatalf("prefix %d from start %d: applied %+v, token by token %+v", i, j, a, b)
			}
			for k := range a.open {
				if a.open[k] != b.open[k] {
					t.Fatalf("prefix %d from start %d: applied %+v, token by token %+v", i, j, a, b)
				}
			}
		}
	}
}
