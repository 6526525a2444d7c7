package jelly

import (
	"testing"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/jelly/native"
	"github.com/stretchr/testify/require"
)

// A Streamer writes what StreamTo and StreamTuple write, to one Writer
// after another, and allocates nothing of its own.
func TestStreamer(t *testing.T) {
	values := []any{
		int64(7), "text", []byte("raw"), streamRec{I: 1, S: "x", F: 2},
		[]streamRec{{I: 1}, {I: 2, S: "y"}}, Tuple{1, "a", []int{1, 2}}, List{},
		map[string]any{"not": "streamable"},
	}
	var st Streamer
	var nw, nw2 native.Writer
	var bw, bw2 banana.Writer
	for round := 0; round < 2; round++ {
		for _, v := range values {
			nw.Reset(nil, banana.Limits{})
			nw2.Reset(nil, banana.Limits{})
			ok, err := StreamTo(&nw, v, nil)
			ok2, err2 := st.StreamTo(&nw2, v, nil)
			require.Equal(t, ok, ok2, "%#v", v)
			require.Equal(t, err, err2, "%#v", v)
			out, _ := nw.Result()
			out2, _ := nw2.Result()
			require.Equal(t, out, out2, "native %#v", v)

			bw.Reset(nil, banana.DialectPB, banana.Limits{})
			bw2.Reset(nil, banana.DialectPB, banana.Limits{})
			args := []any{v, "and", 1}
			ok, err = StreamTuple(&bw, args, nil)
			ok2, err2 = st.StreamTuple(&bw2, args, nil)
			require.Equal(t, ok, ok2, "%#v", v)
			require.Equal(t, err, err2, "%#v", v)
			bout, _ := bw.Result()
			bout2, _ := bw2.Result()
			require.Equal(t, bout, bout2, "banana %#v", v)
		}
	}
	recs := []streamRec{{I: 1, S: "x"}, {I: 2, S: "y"}}
	args := []any{recs, int64(3)}
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		nw.Reset(buf[:0], banana.Limits{})
		if ok, err := st.StreamTuple(&nw, args, nil); !ok || err != nil {
			t.Fatal(ok, err)
		}
	})
	require.Zero(t, allocs)
}
