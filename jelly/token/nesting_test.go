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
