package native

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/jelly/token"
	"github.com/stretchr/testify/require"
)

// assemble inserts the segments into out, as a writev of the pieces would
// send them.
func assemble(out []byte, segs []Segment) []byte {
	var b bytes.Buffer
	at := 0
	for _, s := range segs {
		b.Write(out[at:s.At])
		b.Write(s.Data)
		at = s.At
	}
	b.Write(out[at:])
	return b.Bytes()
}

// TestShareBytes checks that a Writer sharing byte strings gives, once the
// segments are put back, exactly the bytes and errors of one that copies
// them, whatever the threshold and the limits.
func TestShareBytes(t *testing.T) {
	long := bytes.Repeat([]byte{0xff, 'x'}, 300)
	exprs := map[string]any{
		"bare":         long,
		"in list":      []any{[]byte("tuple"), long, int64(7), long[:100], []byte("end")},
		"list of two":  []any{long, long[:40]},
		"text, valid":  []any{[]byte("unicode"), []byte(strings.Repeat("é", 200))},
		"text, binary": []any{[]byte("unicode"), long},
		"tag shared":   []any{[]byte("unicode")},
		"nested":       []any{[]byte("list"), []any{[]byte("list"), long, []any{long[:200]}}, long[:33]},
		"short ones":   []any{[]byte("a"), []byte("bb"), []byte("unicode"), []byte{}},
	}
	errs, segs := 0, 0
	for name, expr := range exprs {
		for _, share := range []int{1, 7, 32, 100, 1000} {
			for _, maxExpr := range []int{0, 50, 250, 700, 1300} {
				lim := banana.Limits{MaxExpression: maxExpr}
				var plain, shared Writer
				plain.Reset([]byte("prefix"), lim)
				errPlain := token.WriteExpr(&plain, expr)
				outPlain, resPlain := plain.Result()

				shared.Reset([]byte("prefix"), lim)
				shared.ShareBytes(share)
				errShared := token.WriteExpr(&shared, expr)
				outShared, resShared := shared.Result()

				what := fmt.Sprintf("%s, share %d, MaxExpression %d", name, share, maxExpr)
				require.Equal(t, errPlain, errShared, what)
				require.Equal(t, resPlain, resShared, what)
				if resShared != nil {
					errs++
					require.Equal(t, []byte("prefix"), outShared, what)
					continue
				}
				require.Equal(t, outPlain, assemble(outShared, shared.Segments()), what)
				segs += len(shared.Segments())
				n := 0
				for _, s := range shared.Segments() {
					require.GreaterOrEqual(t, len(s.Data), share, what)
					n += len(s.Data)
				}
				require.Equal(t, n, shared.SharedLen(), what)
			}
		}
	}
	// Both outcomes were exercised.
	require.Greater(t, errs, 10)
	require.Greater(t, segs, 50)
}

// TestShareBytesReset checks that Reset turns sharing off and drops the
// segments.
func TestShareBytesReset(t *testing.T) {
	var w Writer
	w.Reset(nil, banana.Limits{})
	w.ShareBytes(4)
	require.NoError(t, w.Bytes([]byte("shared")))
	require.Len(t, w.Segments(), 1)
	w.Reset(nil, banana.Limits{})
	require.Empty(t, w.Segments())
	require.Zero(t, w.SharedLen())
	require.NoError(t, w.Bytes([]byte("copied")))
	out, err := w.Result()
	require.NoError(t, err)
	require.Equal(t, append([]byte{0xa6}, "copied"...), out)
}
