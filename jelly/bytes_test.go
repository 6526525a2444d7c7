package jelly

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Cp is ex02's Copyable with __dict__ state {a: 1, b: 'two'}.
type Cp struct {
	A int
	B string
}

// TestAppendixE checks the verified hex of spec Appendix E (ex02) byte for
// byte: Go value -> Jelly -> Banana (dialect pb), and back.
func TestAppendixE(t *testing.T) {
	reg := NewRegistry()
	require.NoError(t, reg.Register("__main__.SelfRef", SelfRef{}))
	require.NoError(t, reg.Register("__main__.Cp", Cp{}))
	o := &Options{Registry: reg}

	x := List{1}
	d := map[string]int{}
	self := make(List, 1)
	self[0] = self
	tup := Tuple{make(List, 1)}
	tup[0].(List)[0] = tup
	a, c := List{1}, List{2}
	tt := Tuple{a, a}
	sr := &SelfRef{}
	sr.Me = sr

	rows := []struct {
		name string
		v    any
		hex  string
		back any // expected Unjelly result; nil means v itself
		skip bool
	}{
		{name: "None", v: nil, hex: "01 80 01 87"},
		{name: "True", v: true, hex: "02 80 07 82 62 6f 6f 6c 65 61 6e 04 82 74 72 75 65"},
		{name: "False", v: false, hex: "02 80 07 82 62 6f 6f 6c 65 61 6e 05 82 66 61 6c 73 65"},
		{name: "int 7", v: int64(7), hex: "07 81"},
		{name: "int -7", v: int64(-7), hex: "07 83"},
		{name: "float 2.5", v: 2.5, hex: "84 40 04 00 00 00 00 00 00"},
		{name: "bytes", v: []byte("hi"), hex: "02 82 68 69"},
		{name: "str", v: "hi", hex: "02 80 07 82 75 6e 69 63 6f 64 65 02 82 68 69"},
		{name: "str non-ASCII", v: "h\u00e9", hex: "02 80 07 82 75 6e 69 63 6f 64 65 03 82 68 c3 a9"},
		{name: "list", v: List{int64(1), "a"}, hex: "03 80 08 87 01 81 02 80 07 82 75 6e 69 63 6f 64 65 01 82 61"},
		{name: "tuple", v: Tuple{int64(1), int64(2)}, hex: "03 80 0b 87 01 81 02 81"},
		{name: "empty tuple", v: Tuple{}, hex: "01 80 0b 87"},
		{name: "dict str key", v: Dict{{"k", int64(1)}}, hex: "02 80 05 87 02 80 02 80 07 82 75 6e 69 63 6f 64 65 01 82 6b 01 81"},
		{name: "dict bytes key", v: Dict{{[]byte("k"), nil}}, hex: "02 80 05 87 02 80 01 82 6b 01 80 01 87"},
		{name: "set", v: Set{int64(1)}, hex: "02 80 03 82 73 65 74 01 81"},
		{name: "frozenset", v: FrozenSet{int64(2)}, hex: "02 80 09 82 66 72 6f 7a 65 6e 73 65 74 02 81"},
		{name: "datetime", v: time.Date(2020, 7, 11, 1, 16, 5, 344000, time.UTC), hex: "02 80 08 82 64 61 74 65 74 69 6d 65 14 82 32 30 32 30 20 37 20 31 31 20 31 20 31 36 20 35 20 33 34 34"},
		{name: "date", v: Date{2020, 7, 11}, hex: "02 80 04 82 64 61 74 65 09 82 32 30 32 30 20 37 20 31 31"},
		{name: "time", v: TimeOfDay{1, 16, 5, 344}, hex: "02 80 04 82 74 69 6d 65 0a 82 31 20 31 36 20 35 20 33 34 34"},
		{name: "timedelta(1, 2, 3)", v: 24*time.Hour + 2*time.Second + 3*time.Microsecond, hex: "02 80 09 82 74 69 6d 65 64 65 6c 74 61 05 82 31 20 32 20 33"},
		{name: "timedelta(-1 us)", v: -time.Microsecond, hex: "02 80 09 82 74 69 6d 65 64 65 6c 74 61 0f 82 2d 31 20 38 36 33 39 39 20 39 39 39 39 39 39"},
		{name: "Decimal 9.95", v: dec("9.95"), hex: "03 80 07 82 64 65 63 69 6d 61 6c 63 07 81 02 83"},
		{name: "Decimal -78.901", v: dec("-78.901"), hex: "03 80 07 82 64 65 63 69 6d 61 6c 35 68 04 83 03 83"},
		{name: "Decimal 1E+3", v: dec("1E+3"), hex: "03 80 07 82 64 65 63 69 6d 61 6c 01 81 03 81"},
		{name: "unpersistable", v: Unpersistable{Reason: "instance of class __main__.Plain deemed insecure"}, hex: "02 80 0c 87 30 82 69 6e 73 74 61 6e 63 65 20 6f 66 20 63 6c 61 73 73 20 5f 5f 6d 61 69 6e 5f 5f 2e 50 6c 61 69 6e 20 64 65 65 6d 65 64 20 69 6e 73 65 63 75 72 65"},
		{name: "[x, x]", v: List{x, x}, hex: "03 80 08 87 03 80 04 87 01 81 02 80 08 87 01 81 02 80 03 87 01 81", back: List{List{int64(1)}, List{int64(1)}}},
		{name: "(d, d)", v: Tuple{d, d}, hex: "03 80 0b 87 03 80 04 87 01 81 01 80 05 87 02 80 03 87 01 81", back: Tuple{Dict{}, Dict{}}},
		{name: "l = [l]", v: self, hex: "03 80 04 87 01 81 02 80 08 87 02 80 03 87 01 81", skip: true},
		{name: "t = ([t],)", v: tup, hex: "03 80 04 87 01 81 02 80 0b 87 02 80 08 87 02 80 03 87 01 81", skip: true},
		{name: "same str", v: List{"same", "same"}, hex: "03 80 08 87 02 80 07 82 75 6e 69 63 6f 64 65 04 82 73 61 6d 65 02 80 07 82 75 6e 69 63 6f 64 65 04 82 73 61 6d 65"},
		{name: "[a, c, c, a]", v: List{a, c, c, a}, hex: "05 80 08 87 03 80 04 87 02 81 02 80 08 87 01 81 03 80 04 87 01 81 02 80 08 87 02 81 02 80 03 87 01 81 02 80 03 87 02 81", back: List{List{int64(1)}, List{int64(2)}, List{int64(2)}, List{int64(1)}}},
		{name: "[tup, tup]", v: List{tt, tt}, hex: "03 80 08 87 03 80 04 87 02 81 03 80 0b 87 03 80 04 87 01 81 02 80 08 87 01 81 02 80 03 87 01 81 02 80 03 87 02 81", back: List{Tuple{List{int64(1)}, List{int64(1)}}, Tuple{List{int64(1)}, List{int64(1)}}}},
		{name: "Copyable self", v: sr, hex: "03 80 04 87 01 81 02 80 10 82 5f 5f 6d 61 69 6e 5f 5f 2e 53 65 6c 66 52 65 66 02 80 05 87 02 80 02 80 07 82 75 6e 69 63 6f 64 65 02 82 6d 65 02 80 03 87 01 81", skip: true},
		{name: "[sr, sr]", v: List{sr, sr}, hex: "03 80 08 87 03 80 04 87 01 81 02 80 10 82 5f 5f 6d 61 69 6e 5f 5f 2e 53 65 6c 66 52 65 66 02 80 05 87 02 80 02 80 07 82 75 6e 69 63 6f 64 65 02 82 6d 65 02 80 03 87 01 81 02 80 03 87 01 81", skip: true},
		{name: "Copyable Cp", v: &Cp{A: 1, B: "two"}, hex: "02 80 0b 82 5f 5f 6d 61 69 6e 5f 5f 2e 43 70 03 80 05 87 02 80 02 80 07 82 75 6e 69 63 6f 64 65 01 82 61 01 81 02 80 02 80 07 82 75 6e 69 63 6f 64 65 01 82 62 02 80 07 82 75 6e 69 63 6f 64 65 03 82 74 77 6f"},
		{name: "Copyable custom tag", v: custom{}, hex: "02 80 06 82 6d 79 2e 74 61 67 02 80 05 87 02 80 02 80 07 82 75 6e 69 63 6f 64 65 04 82 6f 6e 6c 79 04 82 74 68 69 73", skip: true},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			want := compactHex(r.hex)
			assert.Equal(t, want, encodeHex(t, r.v, o), "Go -> bytes")
			if r.skip {
				return
			}
			back := r.back
			if back == nil {
				back = r.v
			}
			assert.Equal(t, back, decodeHex(t, want, o), "bytes -> Go")
		})
	}

	// The cyclic rows, back: identity is checked in detail elsewhere; here
	// the decoded values must re-encode to the same bytes.
	for _, r := range rows {
		if !r.skip || r.name == "Copyable custom tag" {
			continue
		}
		v := decodeHex(t, compactHex(r.hex), o)
		assert.Equal(t, compactHex(r.hex), encodeHex(t, v, o), r.name)
	}
	// The custom tag decodes through a factory.
	require.NoError(t, reg.RegisterFactory("my.tag", func(_ context.Context, st any) (any, error) { return st, nil }))
	assert.Equal(t, Dict{{"only", []byte("this")}}, decodeHex(t, compactHex(rows[len(rows)-1].hex), o))
}

func compactHex(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' {
			out = append(out, s[i])
		}
	}
	return string(out)
}
