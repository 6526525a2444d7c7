package jelly

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"math"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/braidkit/braid/internal/peertest"
	"github.com/braidkit/braid/jelly/banana"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Go types standing for the classes of testdata/twisted_jelly.py.
type TPoint struct {
	X     int
	Y     float64
	Label string
}

type TSelfRef struct {
	Me *TSelfRef
}

type RCopy struct {
	A int
	B string
}

func twistedRegistry(t testing.TB) *Registry {
	reg := NewRegistry()
	require.NoError(t, reg.Register("__main__.Point", TPoint{}))
	require.NoError(t, reg.Register("__main__.SelfRef", TSelfRef{}))
	require.NoError(t, reg.Register("__main__.RCopy", RCopy{}))
	return reg
}

type peerLine struct {
	Name  string `json:"name"`
	Hex   string `json:"hex"`
	Type  string `json:"type"`
	Repr  string `json:"repr"`
	Graph string `json:"graph"`
	Error string `json:"error"`
}

// runPeer runs testdata/twisted_jelly.py in mode with stdin and returns its
// JSON lines.
func runPeer(t *testing.T, mode string, stdin []byte) []peerLine {
	t.Helper()
	py := peertest.Twisted(t)
	cmd := exec.Command(py, "testdata/twisted_jelly.py", mode)
	cmd.Env = append(cmd.Environ(), "PYTHONHASHSEED=0")
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "twisted_jelly.py %s: %s", mode, stderr.String())
	var lines []peerLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l peerLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), sc.Text())
		lines = append(lines, l)
	}
	require.NoError(t, sc.Err())
	return lines
}

func encodeHex(t *testing.T, v any, o *Options) string {
	t.Helper()
	expr, err := Jelly(context.Background(), v, o)
	require.NoError(t, err)
	b, err := banana.Append(nil, expr, banana.DialectPB, banana.Limits{})
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

func decodeHex(t *testing.T, h string, o *Options) any {
	t.Helper()
	raw, err := hex.DecodeString(strings.ReplaceAll(h, " ", ""))
	require.NoError(t, err)
	expr, rest, err := banana.DecodeBytes(raw, banana.DialectPB, banana.Limits{})
	require.NoError(t, err)
	require.Empty(t, rest)
	v, err := Unjelly(context.Background(), expr, o)
	require.NoError(t, err)
	return v
}

func sameList(a, b any) bool {
	x, ok1 := a.(List)
	y, ok2 := b.(List)
	return ok1 && ok2 && len(x) > 0 && &x[0] == &y[0]
}

// TestTwistedToGo decodes what Twisted's jelly and banana produce for a
// fixed list of Python values (testdata/twisted_jelly.py emit), checks each
// Go value, and checks that jellying it again gives Twisted's exact bytes.
func TestTwistedToGo(t *testing.T) {
	lines := runPeer(t, "emit", nil)
	sec := NewSecurity()
	sec.AllowClass("__main__.Empty")
	o := &Options{Registry: twistedRegistry(t), Security: sec}
	dt := time.Date(2020, 7, 11, 1, 16, 5, 344000, time.UTC)
	want := map[string]any{
		"none":            nil,
		"true":            true,
		"false":           false,
		"int_7":           int64(7),
		"int_-7":          int64(-7),
		"int_2^31-1":      int64(math.MaxInt32),
		"int_2^31":        int64(1) << 31,
		"int_-2^31":       int64(math.MinInt32),
		"int_-2^31-1":     int64(math.MinInt32) - 1,
		"int_2^63":        bigInt("9223372036854775808"),
		"int_2^100":       bigInt("1267650600228229401496703205376"),
		"int_-2^100":      bigInt("-1267650600228229401496703205376"),
		"int_2^448-1":     bigInt("726838724295606890549323807888004534353641360687318060281490199180639288113397923326191050713763565560762521606266177933534601628614655"),
		"float_2.5":       2.5,
		"float_inf":       math.Inf(1),
		"bytes_hi":        []byte("hi"),
		"bytes_empty":     []byte{},
		"bytes_vocab":     []byte("list"),
		"str_hi":          "hi",
		"str_nonascii":    "h\u00e9 \U0001F600",
		"str_empty":       "",
		"list":            List{int64(1), "a"},
		"list_empty":      List{},
		"tuple":           Tuple{int64(1), int64(2)},
		"tuple_empty":     Tuple{},
		"dict_str":        Dict{{"k", int64(1)}},
		"dict_bytes":      Dict{{[]byte("k"), nil}},
		"dict_keys":       Dict{{[]byte("b"), int64(1)}, {"s", int64(2)}, {int64(3), int64(3)}, {Tuple{int64(1), "x"}, int64(4)}, {2.5, int64(5)}, {nil, int64(6)}},
		"dict_nested":     Dict{{"a", Dict{{"b", Dict{{"c", List{int64(1), 2.5, Tuple{[]byte("x")}}}}}}}},
		"set":             Set{int64(1), int64(2), int64(3)},
		"frozenset":       FrozenSet{int64(2)},
		"datetime":        dt,
		"date":            Date{2020, 7, 11},
		"time":            TimeOfDay{1, 16, 5, 344},
		"timedelta":       24*time.Hour + 2*time.Second + 3*time.Microsecond,
		"timedelta_neg":   -time.Microsecond,
		"timedelta_mixed": -72*time.Hour + 5*time.Second,
		"unpersistable":   Unpersistable{Reason: "instance of class __main__.Plain deemed insecure"},
		"same_str":        List{"same", "same"},
		"point":           &TPoint{X: 1, Y: 2.5, Label: "l"},
		"empty_instance":  Instance{Class: "__main__.Empty", State: Dict{}},
	}
	decimals := map[string]string{
		"decimal_9.95": "9.95", "decimal_-78.901": "-78.901", "decimal_1E+3": "1E+3",
		"decimal_-0": "0", "decimal_0.00": "0.00", "decimal_big": "123456789012345678901234567890.5",
	}
	checks := map[string]func(t *testing.T, v any){
		"float_-0.0": func(t *testing.T, v any) { assert.True(t, v.(float64) == 0 && math.Signbit(v.(float64))) },
		"float_nan":  func(t *testing.T, v any) { assert.True(t, math.IsNaN(v.(float64))) },
		"bytes_binary": func(t *testing.T, v any) {
			b := v.([]byte)
			require.Len(t, b, 256)
			for i := range b {
				require.Equal(t, byte(i), b[i])
			}
		},
		"shared_list": func(t *testing.T, v any) {
			l := v.(List)
			assert.Equal(t, List{List{int64(1)}, List{int64(1)}}, l)
			assert.True(t, sameList(l[0], l[1]))
		},
		"shared_dict": func(t *testing.T, v any) {
			tu := v.(Tuple)
			assert.Equal(t, Tuple{Dict{}, Dict{}}, tu)
		},
		"cycle_list": func(t *testing.T, v any) {
			l := v.(List)
			assert.True(t, sameList(l, l[0]))
		},
		"cycle_tuple": func(t *testing.T, v any) {
			tu := v.(Tuple)
			inner := tu[0].(List)
			back := inner[0].(Tuple)
			assert.Same(t, &tu[0], &back[0])
		},
		"cycle_dict": func(t *testing.T, v any) {
			d := v.(Dict)
			me, ok := d.Get("me")
			require.True(t, ok)
			assert.Same(t, &d[0], &me.(Dict)[0])
		},
		"ids_out_of_order": func(t *testing.T, v any) {
			l := v.(List)
			assert.Equal(t, List{List{int64(1)}, List{int64(2)}, List{int64(2)}, List{int64(1)}}, l)
			assert.True(t, sameList(l[0], l[3]))
			assert.True(t, sameList(l[1], l[2]))
			assert.False(t, sameList(l[0], l[1]))
		},
		"shared_tuple": func(t *testing.T, v any) {
			l := v.(List)
			t0, t1 := l[0].(Tuple), l[1].(Tuple)
			assert.Same(t, &t0[0], &t1[0])
			assert.True(t, sameList(t0[0], t0[1]))
		},
		"shared_point": func(t *testing.T, v any) {
			l := v.(List)
			assert.Equal(t, &TPoint{X: 1, Y: 2.5, Label: "l"}, l[0])
			assert.Same(t, l[0].(*TPoint), l[1].(*TPoint))
		},
		"selfref": func(t *testing.T, v any) {
			l := v.(List)
			sr := l[0].(*TSelfRef)
			assert.Same(t, sr, sr.Me)
			assert.Same(t, sr, l[1].(*TSelfRef))
		},
	}
	// Byte-exact re-encoding holds for everything but the None state,
	// which Go re-sends as an empty dictionary, and a shared empty
	// container, whose identity a zero-length Go slice cannot keep.
	notExact := map[string]bool{"empty_instance": true, "shared_dict": true}

	seen := map[string]bool{}
	for _, line := range lines {
		t.Run(line.Name, func(t *testing.T) {
			seen[line.Name] = true
			v := decodeHex(t, line.Hex, o)
			switch {
			case checks[line.Name] != nil:
				checks[line.Name](t, v)
			case decimals[line.Name] != "":
				assert.Equal(t, decimals[line.Name], v.(Decimal).String())
			default:
				w, ok := want[line.Name]
				require.True(t, ok, "no expectation for %s", line.Name)
				assert.Equal(t, w, v)
			}
			if !notExact[line.Name] {
				assert.Equal(t, line.Hex, encodeHex(t, v, o), "re-encoding differs from Twisted")
			}
		})
	}
	for name := range want {
		assert.True(t, seen[name], "Python did not send %s", name)
	}
	for name := range checks {
		assert.True(t, seen[name], "Python did not send %s", name)
	}

	// The same instance decodes to Instance when its class is allowed but not registered.
	for _, line := range lines {
		if line.Name == "point" {
			sec := NewSecurity()
			sec.AllowClass("__main__.Point")
			v := decodeHex(t, line.Hex, &Options{Security: sec})
			assert.Equal(t, Instance{Class: "__main__.Point", State: Dict{{"x", int64(1)}, {"y", 2.5}, {"label", "l"}}}, v)
			assert.Equal(t, line.Hex, encodeHex(t, v, nil))
		}
	}
}

// goValues are the Go values of TestGoToTwisted with what Twisted makes of
// them: Python type name, repr and object graph (see graph() in the
// script).
func goValues() []struct {
	name  string
	v     any
	typ   string
	repr  string
	graph string
} {
	x := List{1}
	self := make(List, 1)
	self[0] = self
	tup := Tuple{make(List, 1)}
	tup[0].(List)[0] = tup
	a, c := List{1}, List{2}
	tt := Tuple{a, a}
	m := map[string]any{}
	m["me"] = m
	shared := map[string]int{}
	sr := &TSelfRef{}
	sr.Me = sr
	p := &TPoint{X: 1, Y: 2.5, Label: "l"}
	type person struct {
		Name string
		Age  int
		Tags []string `jelly:"tags"`
		skip int
	}
	loc := time.FixedZone("X", -7*3600)
	return []struct {
		name  string
		v     any
		typ   string
		repr  string
		graph string
	}{
		{"nil", nil, "NoneType", "None", ""},
		{"true", true, "bool", "True", ""},
		{"false", false, "bool", "False", ""},
		{"int", 7, "int", "7", ""},
		{"int8", int8(-8), "int", "-8", ""},
		{"uint32", uint32(4000000000), "int", "4000000000", ""},
		{"uint64max", uint64(math.MaxUint64), "int", "18446744073709551615", ""},
		{"int64min", int64(math.MinInt64), "int", "-9223372036854775808", ""},
		{"uint8", uint8(255), "int", "255", ""},
		{"uintptr", uintptr(1 << 40), "int", "1099511627776", ""},
		{"big_value", *bigInt("-99999999999999999999"), "int", "-99999999999999999999", ""},
		{"named_int", time.Month(7), "int", "7", ""},
		{"big", bigInt("1267650600228229401496703205376"), "int", "1267650600228229401496703205376", ""},
		{"negbig", bigInt("-1267650600228229401496703205376"), "int", "-1267650600228229401496703205376", ""},
		{"float32", float32(1.5), "float", "1.5", ""},
		{"float64", 0.1, "float", "0.1", ""},
		{"nan", math.NaN(), "float", "nan", ""},
		{"neginf", math.Inf(-1), "float", "-inf", ""},
		{"bytes", []byte("hi"), "bytes", "b'hi'", ""},
		{"bytes_nil", []byte(nil), "bytes", "b''", ""},
		{"bytes_named", json.RawMessage(`{}`), "bytes", "b'{}'", ""},
		{"byte_array", [4]byte{1, 2, 3, 4}, "bytes", `b'\x01\x02\x03\x04'`, ""},
		{"bytes_vocab", []byte("dictionary"), "bytes", "b'dictionary'", ""},
		{"string", "h\u00e9 \U0001F600", "str", "'h\u00e9 \U0001F600'", ""},
		{"string_empty", "", "str", "''", ""},
		{"List", List{1, "a", nil}, "list", "[1, 'a', None]", ""},
		{"slice", []int{1, 2}, "list", "[1, 2]", ""},
		{"array", [2]string{"a", "b"}, "list", "['a', 'b']", ""},
		{"nil_slice", []int(nil), "NoneType", "None", ""},
		{"Tuple", Tuple{1, 2}, "tuple", "(1, 2)", ""},
		{"Tuple_empty", Tuple{}, "tuple", "()", ""},
		{"Pair", Pair{"k", 1}, "tuple", "('k', 1)", ""},
		{"Set", Set{1, 2, 3}, "set", "{1, 2, 3}", ""},
		{"FrozenSet", FrozenSet{"a"}, "frozenset", "frozenset({'a'})", ""},
		{"Dict", Dict{{[]byte("b"), 1}, {"s", 2}, {3, 3}, {Tuple{1, "x"}, 4}, {2.5, nil}}, "dict", "{b'b': 1, 's': 2, 3: 3, (1, 'x'): 4, 2.5: None}", ""},
		{"map", map[string]int{"b": 2, "a": 1}, "dict", "{'a': 1, 'b': 2}", ""},
		{"map_int", map[int][]string{2: {"x"}, 1: nil}, "dict", "{1: None, 2: ['x']}", ""},
		{"nil_map", map[string]int(nil), "NoneType", "None", ""},
		{"struct", person{Name: "ann", Age: 30, Tags: []string{"a"}}, "dict", "{'name': 'ann', 'age': 30, 'tags': ['a']}", ""},
		{"nested", Dict{{"a", List{Dict{{"b", Tuple{Set{1}}}}}}}, "dict", "{'a': [{'b': ({1},)}]}", ""},
		{"time", time.Date(2020, 7, 11, 1, 16, 5, 344999, loc), "datetime", "datetime.datetime(2020, 7, 11, 1, 16, 5, 344)", ""},
		{"Date", Date{2020, 7, 11}, "date", "datetime.date(2020, 7, 11)", ""},
		{"TimeOfDay", TimeOfDay{1, 16, 5, 344}, "time", "datetime.time(1, 16, 5, 344)", ""},
		{"Duration", 24*time.Hour + 2*time.Second + 3*time.Microsecond, "timedelta", "datetime.timedelta(days=1, seconds=2, microseconds=3)", ""},
		{"Duration_neg", -time.Microsecond, "timedelta", "datetime.timedelta(days=-1, seconds=86399, microseconds=999999)", ""},
		{"Decimal", dec("9.95"), "Decimal", "Decimal('9.95')", ""},
		{"Decimal_neg", dec("-78.901"), "Decimal", "Decimal('-78.901')", ""},
		{"Decimal_exp", dec("1E+3"), "Decimal", "Decimal('1E+3')", ""},
		{"Decimal_big", dec("123456789012345678901234567890.5"), "Decimal", "Decimal('123456789012345678901234567890.5')", ""},
		{"Unpersistable", Unpersistable{Reason: "why"}, "Unpersistable", `Unpersistable("Unpersistable data: b'why'")`, ""},
		{"Instance", Instance{Class: "__main__.Point", State: Dict{{"x", 1}, {"y", 2.5}, {"label", "l"}}}, "Point", "Point(1, 2.5, 'l')", ""},
		{"registered", TPoint{X: 1, Y: 2.5, Label: "l"}, "Point", "Point(1, 2.5, 'l')", ""},
		{"registered_ptr", p, "Point", "Point(1, 2.5, 'l')", ""},
		{"rcopy", RCopy{A: 1, B: "two"}, "RCopy", "RCopy([('a', 1), ('b', 'two')])", ""},
		{"classer", classedPoint{x: 3}, "Point", "Point(3, 0.5, 'c')", ""},
		{"nil_ptr", (*TPoint)(nil), "NoneType", "None", ""},
		{"shared_list", List{x, x}, "list", "[[1], [1]]", "list#1(list#2(1), @2)"},
		{"cycle_list", self, "list", "[[...]]", "list#1(@1)"},
		{"cycle_tuple", tup, "tuple", "([(...)],)", "tuple#1(list#2(@1))"},
		{"ids_out_of_order", List{a, c, c, a}, "list", "[[1], [2], [2], [1]]", "list#1(list#2(1), list#3(2), @3, @2)"},
		{"shared_tuple", List{tt, tt}, "list", "[([1], [1]), ([1], [1])]", "list#1(tuple#2(list#3(1), @3), @2)"},
		{"cycle_map", m, "dict", "{'me': {...}}", "dict#1('me': @1)"},
		{"shared_map", Tuple{shared, shared}, "tuple", "({}, {})", "tuple#1(dict#2(), @2)"},
		{"selfref", List{sr, sr}, "list", "[SelfRef(me is self: True), SelfRef(me is self: True)]", "list#1(SelfRef#2(me=@2), @2)"},
		{"shared_point", List{p, p}, "list", "[Point(1, 2.5, 'l'), Point(1, 2.5, 'l')]", "list#1(Point#2(label='l', x=1, y=2.5), @2)"},
	}
}

// classedPoint chooses its class and state itself (Classer, StateGetter).
type classedPoint struct{ x int }

func (c classedPoint) JellyClass() string { return "__main__.Point" }

func (c classedPoint) JellyState(context.Context) (any, error) {
	return Dict{{"x", c.x}, {"y", 0.5}, {"label", "c"}}, nil
}

// TestGoToTwisted sends Go values, jellied and banana-encoded by Go, to
// Twisted, which unjellies them (testdata/twisted_jelly.py read).
func TestGoToTwisted(t *testing.T) {
	o := &Options{Registry: twistedRegistry(t)}
	rows := goValues()
	var in bytes.Buffer
	for _, r := range rows {
		line, err := json.Marshal(peerLine{Name: r.name, Hex: encodeHex(t, r.v, o)})
		require.NoError(t, err)
		in.Write(append(line, '\n'))
	}
	out := runPeer(t, "read", in.Bytes())
	require.Len(t, out, len(rows))
	for i, r := range rows {
		got := out[i]
		t.Run(r.name, func(t *testing.T) {
			require.Equal(t, r.name, got.Name)
			require.Empty(t, got.Error)
			assert.Equal(t, r.typ, got.Type)
			assert.Equal(t, r.repr, got.Repr)
			if r.graph != "" {
				assert.Equal(t, r.graph, got.Graph)
			}
		})
	}
}
