package jelly

import (
	"bytes"
	"reflect"
	"testing"
	"unsafe"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/jelly/native"
	"github.com/stretchr/testify/require"
)

// within reports whether p's bytes lie inside buf.
func within(p, buf []byte) bool {
	if len(p) == 0 {
		return false
	}
	a, lo := uintptr(unsafe.Pointer(&p[0])), uintptr(unsafe.Pointer(&buf[0]))
	return a >= lo && a+uintptr(len(p)) <= lo+uintptr(len(buf))
}

// TestTypedDecoderShareBytes checks that with ShareBytes the decoder hands
// out byte strings of at least the threshold as slices of its input (with
// no room to append into the rest of it), copies shorter ones, and reports
// what it did until Reset.
func TestTypedDecoderShareBytes(t *testing.T) {
	type pair struct {
		Long, Short []byte
	}
	long, short := bytes.Repeat([]byte{1, 2, 3}, 100), []byte("short")
	var w native.Writer
	w.Reset(nil, banana.Limits{})
	_, err := StreamTo(&w, pair{Long: long, Short: short}, nil)
	require.NoError(t, err)
	wire, err := w.Result()
	require.NoError(t, err)

	var r native.Reader
	var d TypedDecoder
	for _, min := range []int{0, 100, 300, 301} {
		r.Reset(wire)
		d.Reset(nil)
		d.ShareBytes(min)
		v := reflect.New(reflect.TypeFor[pair]()).Elem()
		require.True(t, d.Decode(&r, v, 0), "min %d", min)
		got := v.Interface().(pair)
		require.Equal(t, pair{Long: long, Short: short}, got, "min %d", min)
		wantShared := min > 0 && min <= len(long)
		require.Equal(t, wantShared, d.Shared(), "min %d", min)
		require.Equal(t, wantShared, within(got.Long, wire), "min %d", min)
		if wantShared {
			require.Equal(t, len(got.Long), cap(got.Long), "min %d", min)
		}
		require.False(t, within(got.Short, wire), "min %d", min)
	}
	d.Reset(nil)
	require.False(t, d.Shared(), "Reset forgets that a string was shared")
}

// TestStreamShareBytes checks that streaming to a native Writer that
// shares long byte strings gives, once they are put back, the bytes and
// errors of one that copies them, flat structs included: a long field is
// shared, and shared bytes count against MaxExpression.
func TestStreamShareBytes(t *testing.T) {
	type rec struct {
		B []byte
		I int
		S string
	}
	long := bytes.Repeat([]byte{0xfe}, 500)
	values := []any{
		rec{B: long, I: 1, S: "a"},
		[]rec{{B: long[:10], I: 2}, {B: long, I: 3, S: "b"}},
		Tuple{long, rec{B: long[:100], I: 4}, []rec{{B: long[:300]}}},
		Tuple{long, rec{B: long[:100], I: 5}}, // the flat rec after shared bytes
	}
	for _, v := range values {
		for _, maxExpr := range []int{0, 100, 400, 550, 600, 650, 1000, 1500} {
			lim := banana.Limits{MaxExpression: maxExpr}
			var plain, shared native.Writer
			plain.Reset(nil, lim)
			_, errPlain := StreamTo(&plain, v, nil)
			outPlain, resPlain := plain.Result()
			shared.Reset(nil, lim)
			shared.ShareBytes(200)
			_, errShared := StreamTo(&shared, v, nil)
			outShared, resShared := shared.Result()
			require.Equal(t, errPlain == nil, errShared == nil, "%T, MaxExpression %d", v, maxExpr)
			require.Equal(t, resPlain == nil, resShared == nil, "%T, MaxExpression %d", v, maxExpr)
			if resShared != nil {
				continue
			}
			var b bytes.Buffer
			at := 0
			for _, s := range shared.Segments() {
				require.GreaterOrEqual(t, len(s.Data), 200)
				b.Write(outShared[at:s.At])
				b.Write(s.Data)
				at = s.At
			}
			b.Write(outShared[at:])
			require.Equal(t, outPlain, b.Bytes(), "%T, MaxExpression %d", v, maxExpr)
			if maxExpr == 0 {
				require.NotEmpty(t, shared.Segments(), "%T", v)
			}
		}
	}
}
