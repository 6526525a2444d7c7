package jelly

import (
	"context"
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func dec(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// typeRows are the rows of spec 2.1/2.2 and the verified forms of Appendix E:
// a Go value, its exact expression, and what Unjelly gives back for it.
func typeRows() []struct {
	name string
	in   any
	expr []any // nil: in is itself the bare expression
	bare any
	back any
} {
	dt := time.Date(2020, 7, 11, 1, 16, 5, 344000, time.UTC)
	return []struct {
		name string
		in   any
		expr []any
		bare any
		back any
	}{
		{name: "None", in: nil, expr: L("None"), back: nil},
		{name: "True", in: true, expr: L("boolean", "true"), back: true},
		{name: "False", in: false, expr: L("boolean", "false"), back: false},
		{name: "int 7", in: 7, bare: int64(7), back: int64(7)},
		{name: "int -7", in: int64(-7), bare: int64(-7), back: int64(-7)},
		{name: "int8", in: int8(-8), bare: int64(-8), back: int64(-8)},
		{name: "uint16", in: uint16(65535), bare: int64(65535), back: int64(65535)},
		{name: "uint64 max", in: uint64(math.MaxUint64), bare: bigText("18446744073709551615"), back: bigInt("18446744073709551615")},
		{name: "big 2^100", in: bigInt("1267650600228229401496703205376"), bare: bigText("1267650600228229401496703205376"), back: bigInt("1267650600228229401496703205376")},
		{name: "big -2^100", in: bigInt("-1267650600228229401496703205376"), bare: bigText("-1267650600228229401496703205376"), back: bigInt("-1267650600228229401496703205376")},
		{name: "small big.Int", in: big.NewInt(5), bare: int64(5), back: int64(5)},
		{name: "float 2.5", in: 2.5, bare: 2.5, back: 2.5},
		{name: "float32", in: float32(1.5), bare: 1.5, back: 1.5},
		{name: "bytes", in: []byte("hi"), bare: []byte("hi"), back: []byte("hi")},
		{name: "str", in: "hi", expr: U("hi"), back: "hi"},
		{name: "str non-ASCII", in: "h\u00e9", expr: L("unicode", []byte("h\xc3\xa9")), back: "hé"},
		{name: "list", in: List{1, "a"}, expr: L("list", 1, U("a")), back: List{int64(1), "a"}},
		{name: "empty list", in: List{}, expr: L("list"), back: List{}},
		{name: "go slice", in: []int{1, 2}, expr: L("list", 1, 2), back: List{int64(1), int64(2)}},
		{name: "go array", in: [2]string{"a", "b"}, expr: L("list", U("a"), U("b")), back: List{"a", "b"}},
		{name: "tuple", in: Tuple{1, 2}, expr: L("tuple", 1, 2), back: Tuple{int64(1), int64(2)}},
		{name: "empty tuple", in: Tuple{}, expr: L("tuple"), back: Tuple{}},
		{name: "dict str key", in: Dict{{"k", 1}}, expr: L("dictionary", L(U("k"), 1)), back: Dict{{"k", int64(1)}}},
		{name: "dict bytes key", in: Dict{{[]byte("k"), nil}}, expr: L("dictionary", L([]byte("k"), L("None"))), back: Dict{{[]byte("k"), nil}}},
		{name: "empty dict", in: Dict{}, expr: L("dictionary"), back: Dict{}},
		{name: "set", in: Set{1}, expr: L("set", 1), back: Set{int64(1)}},
		{name: "frozenset", in: FrozenSet{2}, expr: L("frozenset", 2), back: FrozenSet{int64(2)}},
		{name: "datetime", in: dt, expr: L("datetime", "2020 7 11 1 16 5 344"), back: dt},
		{name: "date", in: Date{2020, 7, 11}, expr: L("date", "2020 7 11"), back: Date{2020, 7, 11}},
		{name: "time", in: TimeOfDay{1, 16, 5, 344}, expr: L("time", "1 16 5 344"), back: TimeOfDay{1, 16, 5, 344}},
		{name: "timedelta(1,2,3)", in: 24*time.Hour + 2*time.Second + 3*time.Microsecond, expr: L("timedelta", "1 2 3"), back: 24*time.Hour + 2*time.Second + 3*time.Microsecond},
		{name: "timedelta(-1us)", in: -time.Microsecond, expr: L("timedelta", "-1 86399 999999"), back: -time.Microsecond},
		{name: "decimal 9.95", in: dec("9.95"), expr: L("decimal", 995, -2), back: dec("9.95")},
		{name: "decimal -78.901", in: dec("-78.901"), expr: L("decimal", -78901, -3), back: dec("-78.901")},
		{name: "decimal 1E+3", in: dec("1E+3"), expr: L("decimal", 1, 3), back: dec("1E+3")},
		{name: "decimal 0", in: dec("0"), expr: L("decimal", 0, 0), back: dec("0")},
		{name: "decimal 123456", in: dec("123456"), expr: L("decimal", 123456, 0), back: dec("123456")},
		{name: "unpersistable", in: Unpersistable{Reason: "why"}, expr: L("unpersistable", "why"), back: Unpersistable{Reason: "why"}},
		{name: "nested", in: List{1, Tuple{}}, expr: L("list", 1, L("tuple")), back: List{int64(1), Tuple{}}},
		{name: "dict with set", in: Dict{{[]byte("k"), Set{1, 2}}}, expr: L("dictionary", L([]byte("k"), L("set", 1, 2))), back: Dict{{[]byte("k"), Set{int64(1), int64(2)}}}},
	}
}

func TestTypeTable(t *testing.T) {
	for _, row := range typeRows() {
		t.Run(row.name, func(t *testing.T) {
			var want any = row.expr
			if row.expr == nil {
				want = row.bare
			}
			got := jellyT(t, row.in, nil)
			assert.Equal(t, want, got, "Jelly")
			assert.Equal(t, row.back, unjellyT(t, want, nil), "Unjelly")
		})
	}
}

func TestUnjellyBasics(t *testing.T) {
	// Spec 2.4: what globalSecurity accepts (ex02).
	assert.Equal(t, Unpersistable{Reason: "Persistent callback not found"}, unjellyT(t, L("persistent", "x"), nil))
	// INT of any magnitude decodes by value.
	assert.Equal(t, int64(1)<<40, unjellyT(t, big.NewInt(1<<40), nil))
	// Shorter datetime/time forms that Python accepts.
	assert.Equal(t, time.Date(2020, 7, 11, 0, 0, 0, 0, time.UTC), unjellyT(t, L("datetime", "2020 7 11"), nil))
	assert.Equal(t, TimeOfDay{}, unjellyT(t, L("time", ""), nil))
	assert.Equal(t, Date{2020, 7, 11}, unjellyT(t, L("date", " 2020\t07  +1_1 "), nil))
	// Unnormalised timedelta.
	assert.Equal(t, 24*time.Hour+13600*time.Second, unjellyT(t, L("timedelta", "0 100000 0"), nil))
	// Vocabulary words and plain strings are the same tag; so are Go strings.
	assert.Equal(t, List{}, unjellyT(t, []any{[]byte("list")}, nil))
	v, err := Unjelly(context.Background(), []any{"tuple", "x"}, nil)
	require.NoError(t, err)
	assert.Equal(t, Tuple{[]byte("x")}, v)
}

func TestJellyGoKinds(t *testing.T) {
	type Celsius float64
	type Name string
	type Blob []byte
	assert.Equal(t, 21.5, jellyT(t, Celsius(21.5), nil))
	assert.Equal(t, U("bob"), jellyT(t, Name("bob"), nil))
	assert.Equal(t, []byte("xy"), jellyT(t, Blob("xy"), nil))
	assert.Equal(t, []byte{}, jellyT(t, []byte(nil), nil))
	assert.Equal(t, []byte{1, 2, 3}, jellyT(t, [3]byte{1, 2, 3}, nil))
	assert.Equal(t, L("None"), jellyT(t, []int(nil), nil))
	assert.Equal(t, L("None"), jellyT(t, map[string]int(nil), nil))
	assert.Equal(t, L("None"), jellyT(t, (*int)(nil), nil))
	assert.Equal(t, L("list"), jellyT(t, List(nil), nil))
	assert.Equal(t, L("tuple"), jellyT(t, Tuple(nil), nil))
	assert.Equal(t, L("dictionary"), jellyT(t, Dict(nil), nil))
	n := 5
	assert.Equal(t, int64(5), jellyT(t, &n, nil))
	assert.Equal(t, L("tuple", U("k"), 1), jellyT(t, Pair{"k", 1}, nil))
	assert.Equal(t, L("list", L("None"), 1, L("boolean", "true")), jellyT(t, []any{nil, 1, true}, nil))
	// Maps: sorted keys for string and int kinds.
	assert.Equal(t, L("dictionary", L(U("a"), 1), L(U("b"), 2), L(U("c"), 3)),
		jellyT(t, map[string]int{"c": 3, "a": 1, "b": 2}, nil))
	assert.Equal(t, L("dictionary", L(-1, U("x")), L(2, U("y")), L(10, U("z"))),
		jellyT(t, map[int]string{10: "z", -1: "x", 2: "y"}, nil))
	assert.Equal(t, L("dictionary", L(U("k"), L("list", 1))), jellyT(t, map[string][]int{"k": {1}}, nil))
	// time.Time keeps the wall clock of its own location, truncating to µs.
	loc := time.FixedZone("X", 5*3600)
	assert.Equal(t, L("datetime", "2020 1 2 3 4 5 6"), jellyT(t, time.Date(2020, 1, 2, 3, 4, 5, 6999, loc), nil))
	assert.Equal(t, L("datetime", "1 1 1 0 0 0 0"), jellyT(t, time.Time{}, nil))
}

func TestTimedelta(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		text string
	}{
		{0, "0 0 0"},
		{time.Microsecond, "0 0 1"},
		{-time.Microsecond, "-1 86399 999999"},
		{-time.Nanosecond, "0 0 0"},
		{1500 * time.Nanosecond, "0 0 1"},
		{-72*time.Hour + 5*time.Second, "-3 5 0"},
		{-24 * time.Hour, "-1 0 0"},
		{90061*time.Second + 7*time.Microsecond, "1 3661 7"},
		{math.MaxInt64, "106751 85636 854775"},
		{math.MinInt64, "-106752 763 145225"},
	} {
		assert.Equal(t, L("timedelta", c.text), jellyT(t, c.d, nil), c.d.String())
		back := unjellyT(t, L("timedelta", c.text), nil)
		assert.Equal(t, c.d.Truncate(time.Microsecond), back, c.text)
	}
	_, err := Unjelly(context.Background(), L("timedelta", "999999999 0 0"), nil)
	assert.ErrorIs(t, err, ErrUnjellyable)
	_, err = Unjelly(context.Background(), L("timedelta", "1 2"), nil)
	assert.ErrorIs(t, err, ErrMalformed)
}

func TestDecimal(t *testing.T) {
	for _, c := range []struct {
		text string
		expr []any
		str  string
	}{
		{"9.95", L("decimal", 995, -2), "9.95"},
		{"-78.901", L("decimal", -78901, -3), "-78.901"},
		{"1E+3", L("decimal", 1, 3), "1E+3"},
		{"-0", L("decimal", 0, 0), "0"}, // negative zero loses its sign, as in Twisted
		{"-0.00", L("decimal", 0, -2), "0.00"},
		{"0.000001", L("decimal", 1, -6), "0.000001"},
		{"0.0000001", L("decimal", 1, -7), "1E-7"},
		{"12345678901234567890123.5", L("decimal", bigText("123456789012345678901235"), -1), "12345678901234567890123.5"},
	} {
		d := dec(c.text)
		assert.Equal(t, c.expr, jellyT(t, d, nil), c.text)
		assert.Equal(t, c.str, d.String())
		back := unjellyT(t, c.expr, nil).(Decimal)
		assert.Equal(t, c.str, back.String())
	}
	assert.Equal(t, L("decimal", 0, 0), jellyT(t, Decimal{}, nil))
	for _, bad := range []string{"NaN", "Infinity", "", "1e", "1.2.3", "abc"} {
		_, err := ParseDecimal(bad)
		assert.Error(t, err, bad)
	}
	_, err := Unjelly(context.Background(), L("decimal", 1.5, 0), nil)
	assert.ErrorIs(t, err, ErrMalformed)
	_, err = Unjelly(context.Background(), []any{"decimal", int64(1), bigInt("100000000000000000000")}, nil)
	assert.ErrorIs(t, err, ErrUnjellyable)
}

func TestDictKeys(t *testing.T) {
	d := Dict{{[]byte("b"), 1}, {"s", 2}, {int64(3), 3}, {Tuple{1, "x"}, 4}, {2.5, 5}, {nil, 6}}
	expr := L("dictionary",
		L([]byte("b"), 1), L(U("s"), 2), L(3, 3), L(L("tuple", 1, U("x")), 4), L(2.5, 5), L(L("None"), 6))
	assert.Equal(t, expr, jellyT(t, d, nil))
	back := unjellyT(t, expr, nil).(Dict)
	require.Len(t, back, 6)
	for _, c := range []struct {
		key  any
		want int64
	}{{[]byte("b"), 1}, {"s", 2}, {3, 3}, {int64(3), 3}, {3.0, 3}, {Tuple{int64(1), "x"}, 4}, {2.5, 5}, {nil, 6}} {
		v, ok := back.Get(c.key)
		require.True(t, ok, "%v", c.key)
		assert.Equal(t, c.want, v)
	}
	_, ok := back.Get("b") // str never equals bytes
	assert.False(t, ok)
	back.Set("s", 20)
	back.Set("new", 7)
	v, _ := back.Get("s")
	assert.Equal(t, 20, v)
	assert.Len(t, back, 7)
}

// TestReferences checks every example of spec 2.3 (ex02), both ways.
func TestReferences(t *testing.T) {
	x := List{1}
	assert.Equal(t, L("list", L("reference", 1, L("list", 1)), L("dereference", 1)), jellyT(t, List{x, x}, nil))

	d := map[string]int{}
	assert.Equal(t, L("tuple", L("reference", 1, L("dictionary")), L("dereference", 1)), jellyT(t, Tuple{d, d}, nil))

	l := make(List, 1)
	l[0] = l
	assert.Equal(t, L("reference", 1, L("list", L("dereference", 1))), jellyT(t, l, nil))

	tup := Tuple{make(List, 1)}
	tup[0].(List)[0] = tup
	assert.Equal(t, L("reference", 1, L("tuple", L("list", L("dereference", 1)))), jellyT(t, tup, nil))

	a, c := List{1}, List{2}
	assert.Equal(t, L("list", L("reference", 2, L("list", 1)), L("reference", 1, L("list", 2)), L("dereference", 1), L("dereference", 2)),
		jellyT(t, List{a, c, c, a}, nil))

	tt := Tuple{a, a}
	assert.Equal(t, L("list", L("reference", 2, L("tuple", L("reference", 1, L("list", 1)), L("dereference", 1))), L("dereference", 2)),
		jellyT(t, List{tt, tt}, nil))

	s := "same"
	assert.Equal(t, L("list", U("same"), U("same")), jellyT(t, List{s, s}, nil))

	// Go-only identities: pointers to structs, maps, plain slices.
	type node struct{ Next *node }
	n := &node{}
	n.Next = n
	assert.Equal(t, L("reference", 1, L("dictionary", L(U("next"), L("dereference", 1)))), jellyT(t, n, nil))
	m := map[string]any{}
	m["me"] = m
	assert.Equal(t, L("reference", 1, L("dictionary", L(U("me"), L("dereference", 1)))), jellyT(t, m, nil))
	ints := []int{7}
	assert.Equal(t, L("list", L("reference", 1, L("list", 7)), L("dereference", 1)), jellyT(t, [][]int{ints, ints}, nil))
	// Different lengths of one array are different objects.
	arr := []int{1, 2}
	assert.Equal(t, L("list", L("list", 1, 2), L("list", 1)), jellyT(t, [][]int{arr, arr[:1]}, nil))
	// Empty slices are never tracked; values (structs, arrays) neither.
	type pt struct{ X int }
	p := pt{1}
	assert.Equal(t, L("list", L("dictionary", L(U("x"), 1)), L("dictionary", L(U("x"), 1))), jellyT(t, []pt{p, p}, nil))
	// Ids restart in every call.
	assert.Equal(t, L("list", L("reference", 1, L("list", 1)), L("dereference", 1)), jellyT(t, List{x, x}, nil))
}

type SelfRef struct {
	Me *SelfRef
}

func TestReferencesCopyable(t *testing.T) {
	reg := NewRegistry()
	require.NoError(t, reg.Register("__main__.SelfRef", SelfRef{}))
	o := &Options{Registry: reg}
	sr := &SelfRef{}
	sr.Me = sr
	one := L("reference", 1, L("__main__.SelfRef", L("dictionary", L(U("me"), L("dereference", 1)))))
	assert.Equal(t, one, jellyT(t, sr, o))
	assert.Equal(t, L("list", one, L("dereference", 1)), jellyT(t, List{sr, sr}, o))

	back := unjellyT(t, L("list", one, L("dereference", 1)), o).(List)
	p0 := back[0].(*SelfRef)
	assert.Same(t, p0, p0.Me)
	assert.Same(t, p0, back[1].(*SelfRef))
}

func TestUnjellyReferences(t *testing.T) {
	v := unjellyT(t, L("list", L("reference", 1, L("list", 1)), L("dereference", 1)), nil).(List)
	assert.Equal(t, unsafe.SliceData(v[0].(List)), unsafe.SliceData(v[1].(List)))

	self := unjellyT(t, L("reference", 1, L("list", L("dereference", 1))), nil).(List)
	require.Len(t, self, 1)
	assert.Equal(t, unsafe.SliceData(self), unsafe.SliceData(self[0].(List)))

	tup := unjellyT(t, L("reference", 1, L("tuple", L("list", L("dereference", 1)))), nil).(Tuple)
	inner := tup[0].(List)
	assert.Equal(t, unsafe.SliceData(tup), unsafe.SliceData(inner[0].(Tuple)))

	out := unjellyT(t, L("list", L("reference", 2, L("list", 1)), L("reference", 1, L("list", 2)), L("dereference", 1), L("dereference", 2)), nil).(List)
	assert.Equal(t, List{List{int64(1)}, List{int64(2)}, List{int64(2)}, List{int64(1)}}, out)
	assert.Equal(t, unsafe.SliceData(out[0].(List)), unsafe.SliceData(out[3].(List)))
	assert.Equal(t, unsafe.SliceData(out[1].(List)), unsafe.SliceData(out[2].(List)))

	dd := unjellyT(t, L("reference", 1, L("dictionary", L(U("me"), L("dereference", 1)))), nil).(Dict)
	me, _ := dd.Get("me")
	assert.Equal(t, unsafe.SliceData(dd), unsafe.SliceData(me.(Dict)))

	// A set and a frozenset holding a tuple that holds them (test_set).
	st := unjellyT(t, L("reference", 1, L("set", L("tuple", L("dereference", 1)))), nil).(Set)
	assert.Equal(t, unsafe.SliceData(st), unsafe.SliceData(st[0].(Tuple)[0].(Set)))

	// A reference around a value that is not a container.
	assert.Equal(t, List{"s", "s"}, unjellyT(t, L("list", L("reference", 1, U("s")), L("dereference", 1)), nil))
	assert.Equal(t, List{int64(5), int64(5)}, unjellyT(t, L("list", L("reference", 1, 5), L("dereference", 1)), nil))
}

func TestNoneStateQuirk(t *testing.T) {
	// Python >= 3.11 sends [class, [None]] for an instance without attributes.
	sec := NewSecurity()
	sec.AllowClass("__main__.Empty")
	assert.Equal(t, Instance{Class: "__main__.Empty", State: Dict{}}, unjellyT(t, L("__main__.Empty", L("None")), &Options{Security: sec}))

	type Empty struct{ A int }
	reg := NewRegistry()
	require.NoError(t, reg.Register("__main__.Empty", &Empty{}))
	assert.Equal(t, &Empty{}, unjellyT(t, L("__main__.Empty", L("None")), &Options{Registry: reg}))
	var got any
	require.NoError(t, reg.RegisterFactory("__main__.Fact", func(_ context.Context, st any) (any, error) { got = st; return "made", nil }))
	assert.Equal(t, "made", unjellyT(t, L("__main__.Fact", L("None")), &Options{Registry: reg}))
	assert.Equal(t, Dict{}, got)
}

func TestSecurity(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		expr []any
		msg  string
	}{
		{L("class", "builtins.int"), `jelly: insecure: tag "class" not allowed`},
		{L("module", "os"), `jelly: insecure: tag "module" not allowed`},
		{L("function", "os.system"), `jelly: insecure: tag "function" not allowed`},
		{L("method", "x", L("None"), L("None")), `jelly: insecure: tag "method" not allowed`},
		{L("instance", L("class", "builtins.object"), L("dictionary")), `jelly: insecure: tag "instance" not allowed`},
		{L("os.Foo", L("dictionary")), `jelly: insecure: class "os.Foo" not allowed`},
		{L("__main__.Unregistered", L("dictionary")), `jelly: insecure: class "__main__.Unregistered" not allowed`},
		{L("copy", "x"), `jelly: insecure: tag "copy" not allowed`},
		{L("cache", "x"), `jelly: insecure: tag "cache" not allowed`},
		{L("nonsense"), `jelly: insecure: tag "nonsense" not allowed`},
		{L("remote", 1), `jelly: insecure: tag "remote" not allowed`}, // no extension
		{L("list", L("class", "builtins.int")), `jelly: insecure: tag "class" not allowed`},
	} {
		_, err := Unjelly(ctx, c.expr, nil)
		require.ErrorIs(t, err, ErrInsecure, c.msg)
		assert.Equal(t, c.msg, err.Error())
	}

	// Allowing a tag does not give class/module/... a meaning.
	sec := NewSecurity()
	sec.AllowTag("class")
	_, err := Unjelly(ctx, L("class", "builtins.int"), &Options{Security: sec})
	assert.ErrorIs(t, err, ErrInsecure)

	// test_typeSecurity / test_setSecurity: removing basic tags.
	sec.DisallowTag("dictionary")
	sec.DisallowTag("set")
	_, err = Unjelly(ctx, L("dictionary"), &Options{Security: sec})
	assert.ErrorIs(t, err, ErrInsecure)
	_, err = Unjelly(ctx, L("set", 1), &Options{Security: sec})
	assert.ErrorIs(t, err, ErrInsecure)
	assert.True(t, sec.TagAllowed("list"))
	assert.False(t, NewSecurity().TagAllowed("class"))
	empty := NewEmptySecurity()
	_, err = Unjelly(ctx, L("None"), &Options{Security: empty})
	assert.ErrorIs(t, err, ErrInsecure)
	assert.Equal(t, int64(3), unjellyT(t, 3, &Options{Security: empty}))

	// AllowClass: an unregistered class becomes an Instance.
	sec = NewSecurity()
	sec.AllowClass("__main__.Point")
	assert.True(t, sec.ClassAllowed("__main__.Point"))
	assert.Equal(t, Instance{Class: "__main__.Point", State: Dict{{"x", int64(1)}}},
		unjellyT(t, L("__main__.Point", L("dictionary", L(U("x"), 1))), &Options{Security: sec}))

	// Registered classes are allowed even by an empty Security, dotted or not.
	type Tag struct{ Only []byte }
	reg := NewRegistry()
	require.NoError(t, reg.Register("custom-tag", Tag{}))
	assert.Equal(t, &Tag{Only: []byte("this")},
		unjellyT(t, L("custom-tag", L("dictionary", L(U("only"), []byte("this")))), &Options{Registry: reg}))
}

func TestMalformed(t *testing.T) {
	ctx := context.Background()
	sec := NewSecurity()
	sec.AllowClass("a.B")
	o := &Options{Security: sec}
	for name, expr := range map[string]any{
		"empty list":             []any{},
		"untagged list":          L(1, 2),
		"nested untagged":        L("list", L(L("list"))),
		"None with field":        L("None", 1),
		"boolean word":           L("boolean", "yes"),
		"boolean count":          L("boolean"),
		"unicode count":          L("unicode"),
		"unicode not bytes":      L("unicode", 5),
		"unicode bad utf8":       L("unicode", []byte{0xff}),
		"unicode surrogate":      L("unicode", []byte{0xed, 0xa0, 0x80}),
		"dict entry not pair":    L("dictionary", L(1)),
		"dict entry not list":    L("dictionary", 1),
		"dict entry three":       L("dictionary", L(1, 2, 3)),
		"datetime month 13":      L("datetime", "2020 13 1 0 0 0 0"),
		"datetime feb 30":        L("datetime", "2020 2 30"),
		"datetime 8 fields":      L("datetime", "2020 1 1 0 0 0 0 0"),
		"datetime 2 fields":      L("datetime", "2020 1"),
		"datetime not ints":      L("datetime", "2020 x 1"),
		"datetime year 0":        L("datetime", "0 1 1"),
		"date text not bytes":    L("date", 2020),
		"date 4 fields":          L("date", "2020 1 1 1"),
		"time hour 24":           L("time", "24 0 0 0"),
		"time float":             L("time", "1.5"),
		"timedelta underscore":   L("timedelta", "1__0 0 0"),
		"timedelta int overflow": L("timedelta", "99999999999999999999 0 0"),
		"decimal count":          L("decimal", 1),
		"unpersistable int":      L("unpersistable", 1),
		"reference count":        L("reference", 1),
		"reference id type":      L("reference", "x", L("list")),
		"dereference unknown":    L("dereference", 9),
		"dereference forward":    L("list", L("dereference", 1), L("reference", 1, L("list"))),
		"reference twice":        L("list", L("reference", 1, L("list")), L("reference", 1, L("list"))),
		"instance cycle":         L("reference", 1, L("a.B", L("dictionary", L(U("me"), L("dereference", 1))))),
		"unicode cycle":          L("reference", 1, L("unicode", L("dereference", 1))),
		"instance count":         L("a.B"),
		"not an expression":      map[string]int{},
		"nil big":                (*big.Int)(nil),
	} {
		_, err := Unjelly(ctx, expr, o)
		assert.ErrorIs(t, err, ErrMalformed, name)
	}
	// A registered class whose state does not fit.
	type P struct{ X int }
	reg := NewRegistry()
	require.NoError(t, reg.Register("a.P", P{}))
	_, err := Unjelly(ctx, L("a.P", L("dictionary", L(U("x"), U("no")))), &Options{Registry: reg})
	require.ErrorIs(t, err, ErrMalformed)
	require.ErrorIs(t, err, ErrConvert)
	assert.Contains(t, err.Error(), `cannot convert string to int at .x`)
	_, err = Unjelly(ctx, L("a.P", L("dictionary"), 1), &Options{Registry: reg})
	assert.ErrorIs(t, err, ErrMalformed)
}

func nestLists(n int) any {
	var e any = int64(0)
	for i := 0; i < n; i++ {
		e = []any{[]byte("list"), e}
	}
	return e
}

func TestDepth(t *testing.T) {
	ctx := context.Background()
	_, err := Unjelly(ctx, nestLists(10000), nil)
	assert.ErrorIs(t, err, ErrTooDeep)
	_, err = Unjelly(ctx, nestLists(DefaultMaxDepth), nil)
	assert.NoError(t, err)
	_, err = Unjelly(ctx, nestLists(DefaultMaxDepth+1), nil)
	assert.ErrorIs(t, err, ErrTooDeep)
	_, err = Unjelly(ctx, nestLists(20), &Options{MaxDepth: 10})
	assert.ErrorIs(t, err, ErrTooDeep)

	var v any = 0
	for i := 0; i < 10000; i++ {
		v = List{v}
	}
	_, err = Jelly(ctx, v, nil)
	assert.ErrorIs(t, err, ErrTooDeep)
	_, err = Jelly(ctx, v, &Options{MaxDepth: 20000})
	assert.NoError(t, err)

	// A pointer type that points to itself never ends without the bound.
	type P *P
	var p P
	p = &p
	_, err = Jelly(ctx, p, nil)
	assert.ErrorIs(t, err, ErrTooDeep)
}

func TestUnjellyable(t *testing.T) {
	ctx := context.Background()
	for _, v := range []any{make(chan int), func() {}, complex(1, 2), List{1, make(chan int)}, struct{ F func() }{func() {}}, unsafe.Pointer(nil)} {
		_, err := Jelly(ctx, v, nil)
		assert.ErrorIs(t, err, ErrUnjellyable, "%T", v)
	}
	_, err := Jelly(ctx, make(chan int), nil)
	assert.EqualError(t, err, "jelly: unjellyable: cannot jelly a value of Go type chan int")
	_, err = Jelly(ctx, "\xff", nil)
	assert.ErrorIs(t, err, ErrUnjellyable)
	_, err = Jelly(ctx, time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), nil)
	assert.ErrorIs(t, err, ErrUnjellyable)
	_, err = Jelly(ctx, Date{}, nil)
	assert.ErrorIs(t, err, ErrUnjellyable)
	_, err = Jelly(ctx, TimeOfDay{Hour: 25}, nil)
	assert.ErrorIs(t, err, ErrUnjellyable)
	_, err = Jelly(ctx, Instance{Class: "list"}, nil)
	assert.ErrorIs(t, err, ErrUnjellyable)
}

// Point is a pass-by-copy type used by several tests.
type Point struct {
	X, Y     int
	Label    string `jelly:"label_text"`
	Secret   string `jelly:"-"`
	internal int
}

type custom struct{ n int }

func (c custom) JellyClass() string                      { return "my.tag" }
func (c custom) JellyState(context.Context) (any, error) { return Dict{{"only", []byte("this")}}, nil }

type ptrCustom struct{ N int }

func (c *ptrCustom) JellyClass() string { return "my.PtrCustom" }
func (c *ptrCustom) SetJellyState(_ context.Context, st any) error {
	d, ok := st.(Dict)
	if !ok {
		return errors.New("want a dict")
	}
	v, _ := d.Get("n")
	return Convert(v, &c.N)
}

type Base struct {
	ID   int
	Name string
}

type Derived struct {
	Base
	*Extra
	Name  string // hides Base.Name
	Score float64
}

type Extra struct{ Note string }

func TestStructs(t *testing.T) {
	p := Point{X: 1, Y: 2, Label: "l", Secret: "s", internal: 3}
	want := L("dictionary", L(U("x"), 1), L(U("y"), 2), L(U("label_text"), U("l")))
	assert.Equal(t, want, jellyT(t, p, nil))
	assert.Equal(t, want, jellyT(t, &p, nil))

	reg := NewRegistry()
	require.NoError(t, reg.Register("__main__.Point", &Point{}))
	o := &Options{Registry: reg}
	wantCls := L("__main__.Point", want)
	assert.Equal(t, wantCls, jellyT(t, p, o))
	assert.Equal(t, wantCls, jellyT(t, &p, o))
	back := unjellyT(t, wantCls, o)
	assert.Equal(t, &Point{X: 1, Y: 2, Label: "l"}, back)
	typ, ok := reg.Lookup("__main__.Point")
	assert.True(t, ok)
	assert.Equal(t, "Point", typ.Name())
	cls, ok := reg.ClassOf(typ)
	assert.True(t, ok)
	assert.Equal(t, "__main__.Point", cls)

	// Classer + StateGetter (value receivers): Twisted's getTypeToCopy/getStateToCopy (ex02).
	assert.Equal(t, L("my.tag", L("dictionary", L(U("only"), []byte("this")))), jellyT(t, custom{}, nil))
	// Pointer-receiver Classer on a value, and StateSetter on decode.
	pc := ptrCustom{N: 4}
	assert.Equal(t, L("my.PtrCustom", L("dictionary", L(U("n"), 4))), jellyT(t, pc, nil))
	require.NoError(t, reg.Register("my.PtrCustom", &ptrCustom{}))
	assert.Equal(t, &ptrCustom{N: 4}, unjellyT(t, L("my.PtrCustom", L("dictionary", L(U("n"), 4))), o))
	_, err := Unjelly(context.Background(), L("my.PtrCustom", 5), o)
	assert.EqualError(t, err, `jelly: class "my.PtrCustom": SetJellyState: want a dict`)

	// Embedded structs are promoted like encoding/json; nil embedded pointers are skipped.
	dv := Derived{Base: Base{ID: 1, Name: "base"}, Name: "top", Score: 0.5}
	assert.Equal(t, L("dictionary", L(U("iD"), 1), L(U("name"), U("top")), L(U("score"), 0.5)), jellyT(t, dv, nil))
	dv.Extra = &Extra{Note: "n"}
	exprD := L("dictionary", L(U("iD"), 1), L(U("note"), U("n")), L(U("name"), U("top")), L(U("score"), 0.5))
	assert.Equal(t, exprD, jellyT(t, dv, nil))
	var d2 Derived
	require.NoError(t, Convert(unjellyT(t, exprD, nil), &d2))
	assert.Equal(t, Derived{Base: Base{ID: 1}, Extra: &Extra{Note: "n"}, Name: "top", Score: 0.5}, d2)

	// A registered non-struct type: the state is the underlying value.
	type Celsius float64
	require.NoError(t, reg.Register("temp.Celsius", Celsius(0)))
	assert.Equal(t, L("temp.Celsius", 21.5), jellyT(t, Celsius(21.5), o))
	c := Celsius(21.5)
	assert.Equal(t, &c, unjellyT(t, L("temp.Celsius", 21.5), o))

	// Instance round trip.
	in := Instance{Class: "a.B", State: Dict{{"x", int64(1)}}}
	sec := NewSecurity()
	sec.AllowClass("a.B")
	assert.Equal(t, L("a.B", L("dictionary", L(U("x"), 1))), jellyT(t, in, nil))
	assert.Equal(t, in, unjellyT(t, jellyT(t, in, nil), &Options{Security: sec}))
}

func TestRegistryErrors(t *testing.T) {
	reg := NewRegistry()
	require.NoError(t, reg.Register("a.Point", Point{}))
	for _, err := range []error{
		reg.Register("a.Point", Base{}),
		reg.Register("b.Point", &Point{}),
		reg.Register("", Base{}),
		reg.Register("list", Base{}),
		reg.Register("class", Base{}),
		reg.Register("x.Nil", nil),
		reg.Register("x.Anon", struct{}{}),
		reg.Register("x.Chan", make(chan int)),
		reg.RegisterFactory("x.F", nil),
		reg.RegisterFactory("a.Point", func(context.Context, any) (any, error) { return nil, nil }),
	} {
		assert.ErrorIs(t, err, ErrRegistry)
	}
	_, ok := reg.Lookup("nope")
	assert.False(t, ok)
	var nilReg *Registry
	_, ok = nilReg.Lookup("a.Point")
	assert.False(t, ok)
}

// fakeExt stands in for PB: it owns *remoteRef and *cacheable values and
// the remote and cache-class tags.
type remoteRef struct{ luid int64 }

type cacheable struct {
	luid  int64
	state any
}

type fakeExt struct{}

func (fakeExt) JellyExt(_ context.Context, s *Scope, v any) (any, bool, error) {
	switch x := v.(type) {
	case *remoteRef:
		return []any{"remote", x.luid}, true, nil
	case *cacheable:
		st, err := s.Jelly(x.state)
		if err != nil {
			return nil, false, err
		}
		return []any{"my.Cache", x.luid, st}, true, nil
	case chan int:
		return nil, false, errors.New("ext refuses channels")
	}
	return nil, false, nil
}

func (fakeExt) HandlesTag(tag []byte) bool {
	return string(tag) == "remote" || string(tag) == "my.Cache"
}

func (fakeExt) UnjellyExt(_ context.Context, s *UnScope, tag []byte, expr []any) (any, error) {
	if string(tag) == "remote" {
		return &remoteRef{luid: expr[1].(int64)}, nil
	}
	c := &cacheable{luid: expr[1].(int64)}
	s.Bind(c)
	st, err := s.Unjelly(expr[2])
	if err != nil {
		return nil, err
	}
	c.state = st
	return c, nil
}

func TestExtension(t *testing.T) {
	o := &Options{Extension: fakeExt{}}
	r := &remoteRef{luid: 3}
	assert.Equal(t, L("list", L("remote", 3), L("remote", 3)), jellyT(t, List{r, r}, o))
	back := unjellyT(t, L("list", L("remote", 3)), o).(List)
	assert.Equal(t, &remoteRef{luid: 3}, back[0])
	_, err := Jelly(context.Background(), make(chan int), o)
	assert.EqualError(t, err, "ext refuses channels")

	// A value jellied by the extension and shared afterwards: the
	// reference wrapper goes on the first occurrence inside the
	// extension's expression.
	st := map[string]int{"v": 1}
	c := &cacheable{luid: 5, state: st}
	assert.Equal(t,
		L("list", L("my.Cache", 5, L("reference", 1, L("dictionary", L(U("v"), 1)))), L("dereference", 1)),
		jellyT(t, List{c, st}, o))
	// Shared inside the extension's own value.
	inner := List{1}
	c2 := &cacheable{luid: 6, state: List{inner, inner}}
	assert.Equal(t,
		L("my.Cache", 6, L("list", L("reference", 1, L("list", 1)), L("dereference", 1))),
		jellyT(t, c2, o))
	// A cycle through the extension's value on decode, via Bind.
	v := unjellyT(t, L("reference", 1, L("my.Cache", 7, L("list", L("dereference", 1)))), o).(*cacheable)
	assert.Same(t, v, v.state.(List)[0])
	// Extension tags are accepted by an empty Security.
	assert.Equal(t, &remoteRef{luid: 1}, unjellyT(t, L("remote", 1), &Options{Extension: fakeExt{}, Security: NewEmptySecurity()}))
}

func TestConvert(t *testing.T) {
	var i8 int8
	err := Convert(int64(300), &i8)
	require.ErrorIs(t, err, ErrConvert)
	assert.EqualError(t, err, "jelly: cannot convert int64 to int8: 300 out of range")
	var u uint
	assert.ErrorIs(t, Convert(int64(-1), &u), ErrConvert)
	var u64 uint64
	require.NoError(t, Convert(bigInt("18446744073709551615"), &u64))
	assert.Equal(t, uint64(math.MaxUint64), u64)
	var i64 int64
	assert.ErrorIs(t, Convert(bigInt("18446744073709551615"), &i64), ErrConvert)
	var bi *big.Int
	require.NoError(t, Convert(int64(7), &bi))
	assert.Equal(t, "7", bi.String())
	var bv big.Int
	require.NoError(t, Convert(bigInt("123456789012345678901234567890"), &bv))
	assert.Equal(t, "123456789012345678901234567890", bv.String())
	var f32 float32
	require.NoError(t, Convert(int64(3), &f32))
	assert.Equal(t, float32(3), f32)
	assert.ErrorIs(t, Convert(1e300, &f32), ErrConvert)
	var n int
	assert.ErrorIs(t, Convert(2.5, &n), ErrConvert)
	var s string
	require.NoError(t, Convert([]byte("bytes"), &s))
	assert.Equal(t, "bytes", s)
	err = Convert([]byte{0xff}, &s)
	assert.EqualError(t, err, "jelly: cannot convert []uint8 to string: bytes are not valid UTF-8 (use a []byte target)")
	var b []byte
	require.NoError(t, Convert("text", &b))
	assert.Equal(t, []byte("text"), b)
	var arr [2]byte
	require.NoError(t, Convert([]byte{1, 2}, &arr))
	assert.Equal(t, [2]byte{1, 2}, arr)
	assert.ErrorIs(t, Convert([]byte{1}, &arr), ErrConvert)

	var ints []int
	err = Convert(List{int64(1), int64(2), List{}}, &ints)
	assert.EqualError(t, err, "jelly: cannot convert jelly.List to int at [2]")
	require.NoError(t, Convert(Tuple{int64(1), int64(2)}, &ints))
	assert.Equal(t, []int{1, 2}, ints)
	var pair [2]string
	require.NoError(t, Convert(Tuple{"a", []byte("b")}, &pair))
	assert.Equal(t, [2]string{"a", "b"}, pair)

	var m map[string]int
	require.NoError(t, Convert(Dict{{"a", int64(1)}, {[]byte("b"), int64(2)}}, &m))
	assert.Equal(t, map[string]int{"a": 1, "b": 2}, m)
	err = Convert(Dict{{"a", "x"}}, &m)
	assert.EqualError(t, err, `jelly: cannot convert string to int at ["a"]`)
	var tk map[[2]int]string
	require.NoError(t, Convert(Dict{{Tuple{int64(1), int64(2)}, "p"}}, &tk))
	assert.Equal(t, map[[2]int]string{{1, 2}: "p"}, tk)

	type Inner struct{ Vals []int }
	type Outer struct {
		Name  string
		In    Inner
		Ptr   *Inner
		Items []Inner
		Any   any
		When  time.Time
	}
	now := time.Date(2021, 1, 2, 3, 4, 5, 0, time.UTC)
	var out Outer
	require.NoError(t, Convert(Dict{
		{"name", []byte("n")},
		{"in", Dict{{"vals", List{int64(1)}}}},
		{"ptr", Dict{{"vals", List{}}}},
		{"items", List{Dict{{"Vals", Tuple{int64(2)}}}}},
		{"any", Set{int64(1)}},
		{"when", now},
		{"unknown", int64(1)},
		{int64(5), "ignored"},
	}, &out))
	assert.Equal(t, Outer{Name: "n", In: Inner{Vals: []int{1}}, Ptr: &Inner{Vals: []int{}}, Items: []Inner{{Vals: []int{2}}}, Any: Set{int64(1)}, When: now}, out)
	err = Convert(Dict{{"items", List{Dict{{"vals", List{"x"}}}}}}, &out)
	assert.EqualError(t, err, "jelly: cannot convert string to int at .items[0].vals[0]")

	// nil -> zero; *T -> T; Instance -> struct; interface as is.
	p := Point{X: 9}
	require.NoError(t, Convert(nil, &p))
	assert.Equal(t, Point{}, p)
	require.NoError(t, Convert(&Point{X: 3}, &p))
	assert.Equal(t, 3, p.X)
	require.NoError(t, Convert(Instance{Class: "a.P", State: Dict{{"y", int64(4)}}}, &p))
	assert.Equal(t, 4, p.Y)
	var anyv any
	require.NoError(t, Convert(List{int64(1)}, &anyv))
	assert.Equal(t, List{int64(1)}, anyv)
	var dd time.Duration
	require.NoError(t, Convert(time.Second, &dd))
	assert.Equal(t, time.Second, dd)
	var dt Date
	assert.ErrorIs(t, Convert(int64(1), &dt), ErrConvert)

	// Bad destinations.
	assert.ErrorIs(t, Convert(1, nil), ErrConvert)
	assert.ErrorIs(t, Convert(1, n), ErrConvert)

	// A cyclic value into a recursive type comes out cyclic.
	type Rec []Rec
	l := make(List, 1)
	l[0] = l
	var r Rec
	require.NoError(t, Convert(l, &r))
	assert.Same(t, &r[0], &r[0][0])
	type Node struct {
		Name string
		Next *Node
		Kids []Node
	}
	d := Dict{{"name", "a"}, {"next", nil}, {"kids", nil}}
	d[1].Value = d
	d[2].Value = List{d}
	var nd Node
	require.NoError(t, Convert(d, &nd))
	assert.Equal(t, "a", nd.Name)
	assert.Same(t, nd.Next, nd.Next.Next)
	assert.Equal(t, "a", nd.Kids[0].Name)
	assert.Same(t, &nd.Kids[0], &nd.Kids[0].Kids[0])

	// Shared structure is converted once: 2^200 paths, 200 conversions.
	var dag any = List{int64(1)}
	for i := 0; i < 200; i++ {
		dag = List{dag, dag}
	}
	var deep any
	require.NoError(t, Convert(dag, &deep))
	type Tree struct {
		V    int
		Kids []Tree
	}
	var node any = Dict{{"v", int64(1)}}
	for i := 0; i < 200; i++ {
		node = Dict{{"kids", List{node, node}}}
	}
	var tree Tree
	require.NoError(t, Convert(node, &tree))
	leaf := tree
	for len(leaf.Kids) > 0 {
		leaf = leaf.Kids[1]
	}
	assert.Equal(t, 1, leaf.V)
	type Tr []Tr
	var tr Tr
	var bad any = List{}
	for i := 0; i < 5000; i++ {
		bad = List{bad}
	}
	assert.ErrorIs(t, Convert(bad, &tr), ErrTooDeep)
}

func TestErrorsReadClearly(t *testing.T) {
	_, err := Unjelly(context.Background(), L("None", 1), nil)
	assert.EqualError(t, err, "jelly: malformed: [None ...] needs 0 fields, got 1")
	_, err = Unjelly(context.Background(), nestLists(300), nil)
	assert.EqualError(t, err, "jelly: nesting too deep: more than 256 levels")
	assert.True(t, strings.HasPrefix(ErrMalformed.Error(), "jelly: "))
}

func TestKeyEqualCycles(t *testing.T) {
	a := make(Tuple, 1)
	a[0] = a
	b := make(Tuple, 1)
	b[0] = b
	assert.True(t, KeyEqual(a, a))
	assert.False(t, KeyEqual(a, b)) // bounded, not endless
	d := Dict{{a, 1}}
	v, ok := d.Get(a)
	assert.True(t, ok)
	assert.Equal(t, 1, v)
	assert.False(t, KeyEqual(List{1}, List{1})) // lists are not hashable keys
	assert.True(t, KeyEqual(Date{2020, 1, 1}, Date{2020, 1, 1}))
}

// TestConcurrentUse shares one Registry and Security between goroutines
// that jelly, unjelly and change them (run with -race).
func TestConcurrentUse(t *testing.T) {
	reg := NewRegistry()
	require.NoError(t, reg.Register("__main__.Point", Point{}))
	sec := NewSecurity()
	o := &Options{Registry: reg, Security: sec}
	done := make(chan struct{})
	var errs [4]error
	for g := 0; g < 4; g++ {
		go func(g int) {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 200; i++ {
				expr, err := Jelly(context.Background(), List{&Point{X: i}, map[string]int{"a": i}}, o)
				if err == nil {
					_, err = Unjelly(context.Background(), expr, o)
				}
				if err != nil {
					errs[g] = err
					return
				}
				if g == 0 {
					sec.AllowClass("x.C" + strings.Repeat("x", i%5))
				}
			}
		}(g)
	}
	for range errs {
		<-done
	}
	for _, err := range errs {
		assert.NoError(t, err)
	}
}

// dropExt jellies a nested value and then leaves it out of its expression.
type dropExt struct{ fakeExt }

func (dropExt) JellyExt(_ context.Context, s *Scope, v any) (any, bool, error) {
	if c, ok := v.(*cacheable); ok {
		if _, err := s.Jelly(c.state); err != nil {
			return nil, false, err
		}
		return []any{"remote", c.luid}, true, nil
	}
	return nil, false, nil
}

func TestExtensionDropsSharedValue(t *testing.T) {
	st := List{1}
	_, err := Jelly(context.Background(), List{&cacheable{luid: 1, state: st}, st}, &Options{Extension: dropExt{}})
	assert.ErrorIs(t, err, ErrUnjellyable)
	// Not shared: nothing to fix, no error.
	_, err = Jelly(context.Background(), List{&cacheable{luid: 1, state: st}}, &Options{Extension: dropExt{}})
	assert.NoError(t, err)
}

func TestFieldKinds(t *testing.T) {
	type inner struct{ N int }
	type all struct {
		B     bool
		U     uint16
		U64   uint64
		F     float32
		Bytes []byte
		Any   any
		Nil   any
		Ptr   *inner
		NilP  *inner
		Arr   [2]int
		M     map[uint]bool
		Dur   time.Duration
		Big   *big.Int
	}
	v := all{B: true, U: 7, U64: math.MaxUint64, F: 0.5, Bytes: []byte("x"), Any: List{1}, Ptr: &inner{1},
		Arr: [2]int{1, 2}, M: map[uint]bool{2: true, 1: false}, Dur: time.Second, Big: big.NewInt(3)}
	assert.Equal(t, L("dictionary",
		L(U("b"), L("boolean", "true")),
		L(U("u"), 7),
		L(U("u64"), bigText("18446744073709551615")),
		L(U("f"), 0.5),
		L(U("bytes"), []byte("x")),
		L(U("any"), L("list", 1)),
		L(U("nil"), L("None")),
		L(U("ptr"), L("dictionary", L(U("n"), 1))),
		L(U("nilP"), L("None")),
		L(U("arr"), L("list", 1, 2)),
		L(U("m"), L("dictionary", L(1, L("boolean", "false")), L(2, L("boolean", "true")))),
		L(U("dur"), L("timedelta", "0 1 0")),
		L(U("big"), 3),
	), jellyT(t, v, nil))
	assert.Equal(t, L("dictionary", L(-1.5, 1), L(2.5, 2)), jellyT(t, map[float64]int{2.5: 2, -1.5: 1}, nil))
	assert.Equal(t, L("dictionary", L(L("boolean", "false"), 0), L(L("boolean", "true"), 1)), jellyT(t, map[bool]int{true: 1, false: 0}, nil))

	var back all
	require.NoError(t, Convert(unjellyT(t, jellyT(t, v, nil), nil), &back))
	v.Nil = nil
	v.Any = List{int64(1)}
	assert.Equal(t, v, back)
}
