package literal

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braidkit/braid/jelly"
)

func bigInt(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return n
}

func dec(coef int64, exp int) jelly.Decimal { return jelly.Decimal{Coef: big.NewInt(coef), Exp: exp} }

// TestParse checks what each form parses to, and what it prints back as.
func TestParse(t *testing.T) {
	tests := []struct {
		src   string
		want  any
		print string // "" means the source itself
	}{
		{"None", nil, ""},
		{"True", true, ""},
		{"False", false, ""},
		{"0", int64(0), ""},
		{"-7", int64(-7), ""},
		{"+7", int64(7), "7"},
		{"1_000_000", int64(1000000), "1000000"},
		{"0x2a", int64(42), "42"},
		{"0o52", int64(42), "42"},
		{"0b101010", int64(42), "42"},
		{"00", int64(0), "0"},
		{"9223372036854775807", int64(math.MaxInt64), ""},
		{"-9223372036854775808", int64(math.MinInt64), ""},
		{"9223372036854775808", bigInt("9223372036854775808"), ""},
		{"-9223372036854775809", bigInt("-9223372036854775809"), ""},
		{"123456789012345678901234567890123456789", bigInt("123456789012345678901234567890123456789"), ""},
		{"1.5", 1.5, ""},
		{"1.0", 1.0, ""},
		{"2.", 2.0, "2.0"},
		{".5", 0.5, "0.5"},
		{"-0.0", math.Copysign(0, -1), ""},
		{"1e16", 1e16, "1e+16"},
		{"1e15", 1e15, "1000000000000000.0"},
		{"0.0001", 0.0001, ""},
		{"1e-05", 1e-05, ""},
		{"1.5e-07", 1.5e-07, ""},
		{"1e400", math.Inf(1), `float("inf")`},
		{"0.1", 0.1, ""},
		{"5e-324", 5e-324, ""},
		{"1.7976931348623157e+308", math.MaxFloat64, ""},
		{`float("inf")`, math.Inf(1), ""},
		{`float("-inf")`, math.Inf(-1), ""},
		{`float("nan")`, math.NaN(), ""},
		{`float(" -Infinity ")`, math.Inf(-1), `float("-inf")`},
		{`float("1.25")`, 1.25, "1.25"},
		{`float(3)`, 3.0, "3.0"},
		{`-float("inf")`, math.Inf(-1), `float("-inf")`},
		{`"text"`, "text", ""},
		{`'it''s'`, nil, "error"},
		{`'single'`, "single", `"single"`},
		{`"tab\tnew\nline\\ \"q\" 'a'"`, "tab\tnew\nline\\ \"q\" 'a'", ""},
		{`"\x00\x7f\x85"`, "\x00\x7f\u0085", ""},
		{`"\u00e9\u2028\U0001f600"`, "é\u2028😀", `"é\u2028😀"`},
		{`"é😀"`, "é😀", ""},
		{`"\101\0"`, "A\x00", `"A\x00"`},
		{`"\a\b\f\v\r"`, "\a\b\f\v\r", `"\x07\x08\x0c\x0b\r"`},
		{`r"a\nb\""`, `a\nb\"`, `"a\\nb\\\""`},
		{`u"x"`, "x", `"x"`},
		{`b"x"`, []byte("x"), ""},
		{`b''`, []byte{}, `b""`},
		{`B"\x00\xff\n\"\\"`, []byte{0, 0xff, '\n', '"', '\\'}, `b"\x00\xff\n\"\\"`},
		{`rb"\d"`, []byte(`\d`), `b"\\d"`},
		{`[]`, jelly.List{}, ""},
		{`[1, "a", b"x", (2,), {"k": None}]`, jelly.List{int64(1), "a", []byte("x"), jelly.Tuple{int64(2)}, jelly.Dict{{Key: "k", Value: nil}}}, ""},
		{"[1,\n 2,  # two\n]", jelly.List{int64(1), int64(2)}, "[1, 2]"},
		{`()`, jelly.Tuple{}, ""},
		{`(1)`, int64(1), "1"},
		{`(1,)`, jelly.Tuple{int64(1)}, ""},
		{`(1, 2,)`, jelly.Tuple{int64(1), int64(2)}, "(1, 2)"},
		{`{}`, jelly.Dict{}, ""},
		{`{1: 2, "a": [3], (4,): None}`, jelly.Dict{{Key: int64(1), Value: int64(2)}, {Key: "a", Value: jelly.List{int64(3)}}, {Key: jelly.Tuple{int64(4)}, Value: nil}}, ""},
		{`{"b": 1, "a": 2}`, jelly.Dict{{Key: "b", Value: int64(1)}, {Key: "a", Value: int64(2)}}, ""},
		{`{1, 2}`, jelly.Set{int64(1), int64(2)}, ""},
		{`{1}`, jelly.Set{int64(1)}, ""},
		{`set()`, jelly.Set{}, ""},
		{`set([1, 2])`, jelly.Set{int64(1), int64(2)}, "{1, 2}"},
		{`frozenset()`, jelly.FrozenSet{}, ""},
		{`frozenset({1, "a"})`, jelly.FrozenSet{int64(1), "a"}, ""},
		{`frozenset((1,))`, jelly.FrozenSet{int64(1)}, "frozenset({1})"},
		{`datetime(2020, 7, 11, 1, 16, 5, 344)`, time.Date(2020, 7, 11, 1, 16, 5, 344000, time.UTC), ""},
		{`datetime(2020, 7, 11)`, time.Date(2020, 7, 11, 0, 0, 0, 0, time.UTC), "datetime(2020, 7, 11, 0, 0)"},
		{`datetime.datetime(2020, 7, 11, 1, 16, 5)`, time.Date(2020, 7, 11, 1, 16, 5, 0, time.UTC), "datetime(2020, 7, 11, 1, 16, 5)"},
		{`datetime(year=2024, month=2, day=29, hour=23)`, time.Date(2024, 2, 29, 23, 0, 0, 0, time.UTC), "datetime(2024, 2, 29, 23, 0)"},
		{`date(2020, 7, 11)`, jelly.Date{Year: 2020, Month: 7, Day: 11}, ""},
		{`datetime.date(1, 1, 1)`, jelly.Date{Year: 1, Month: 1, Day: 1}, "date(1, 1, 1)"},
		{`time(1, 16)`, jelly.TimeOfDay{Hour: 1, Minute: 16}, ""},
		{`time()`, jelly.TimeOfDay{}, "time(0, 0)"},
		{`time(23, 59, 59, 999999)`, jelly.TimeOfDay{Hour: 23, Minute: 59, Second: 59, Microsecond: 999999}, ""},
		{`datetime.time(0, 0, 1)`, jelly.TimeOfDay{Second: 1}, "time(0, 0, 1)"},
		{`timedelta(0)`, time.Duration(0), ""},
		{`timedelta(days=1, seconds=5, microseconds=3)`, 24*time.Hour + 5*time.Second + 3*time.Microsecond, ""},
		{`timedelta(days=-1, seconds=86399, microseconds=999999)`, -time.Microsecond, ""},
		{`timedelta(microseconds=-1)`, -time.Microsecond, "timedelta(days=-1, seconds=86399, microseconds=999999)"},
		{`timedelta(1, 2, 3)`, 24*time.Hour + 2*time.Second + 3*time.Microsecond, "timedelta(days=1, seconds=2, microseconds=3)"},
		{`datetime.timedelta(hours=1, minutes=2, milliseconds=3, weeks=1)`, 7*24*time.Hour + time.Hour + 2*time.Minute + 3*time.Millisecond, "timedelta(days=7, seconds=3720, microseconds=3000)"},
		{`Decimal("9.95")`, dec(995, -2), ""},
		{`decimal.Decimal('-78.901')`, dec(-78901, -3), `Decimal("-78.901")`},
		{`Decimal("1E+3")`, dec(1, 3), ""},
		{`Decimal("0.00")`, dec(0, -2), ""},
		{`Decimal(12)`, dec(12, 0), `Decimal("12")`},
		{`Instance("mod.Cls", {"a": 1})`, jelly.Instance{Class: "mod.Cls", State: jelly.Dict{{Key: "a", Value: int64(1)}}}, ""},
		{`Unpersistable("gone")`, jelly.Unpersistable{Reason: "gone"}, ""},
		{"  [ ( 1 , ) ]  ", jelly.List{jelly.Tuple{int64(1)}}, "[(1,)]"},
		{"# comment\n5", int64(5), "5"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			got, err := Parse(tt.src)
			if tt.print == "error" {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.True(t, Equal(tt.want, got), "parsed %#v, want %#v", got, tt.want)
			assert.IsType(t, tt.want, got)
			want := tt.print
			if want == "" {
				want = tt.src
			}
			assert.Equal(t, want, Format(got))
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ src, msg string }{
		{"", "empty input"},
		{"foo", "unknown name foo"},
		{"foo(1)", "unknown function foo"},
		{"[1, 2", "found end of input"},
		{"[1 2]", "expected ',' or \"]\""},
		{"1 2", "after the value"},
		{"0123", "leading zeros"},
		{"1__0", "invalid number"},
		{"1e", "invalid number"},
		{"1.2.3", "invalid number"},
		{"12abc", "invalid number"},
		{`"abc`, "unterminated string"},
		{"\"a\nb\"", "unterminated string"},
		{`"\q"`, "unknown escape"},
		{`"\ud800"`, "not a Unicode scalar value"},
		{`"\U00110000"`, "not a Unicode scalar value"},
		{`"\x4"`, "invalid \\x escape"},
		{`b"é"`, "ASCII"},
		{`b"\u0041"`, "not allowed in bytes"},
		{`b"\777"`, "out of range"},
		{"\"\xff\"", "invalid UTF-8"},
		{`"a" "b"`, "adjacent strings"},
		{"<ref 3>", "remote references"},
		{"root.echo(1)", "unknown name root"},
		{`"a".echo(1)`, "method calls are not allowed"},
		{"set(1)", "must be a list"},
		{"set", "must be called"},
		{`float("abc")`, "could not convert"},
		{`float("0x1p3")`, "could not convert"},
		{"datetime(2020, 13, 1)", "month must be in 1..12"},
		{"datetime(2021, 2, 29)", "day must be in 1..28"},
		{"datetime(10000, 1, 1)", "year must be in 1..9999"},
		{"datetime(2020, 1)", "missing required argument day"},
		{"datetime(2020, 1, 1, hour=1, hour=2)", "repeated"},
		{"datetime(2020, 1, 1, 1, hour=2)", "multiple values"},
		{"time(24)", "hour must be in 0..23"},
		{"time(1, 2.0)", "must be an int"},
		{"timedelta(days=999999999)", "out of range"},
		{"timedelta(years=1)", "unexpected keyword argument years"},
		{`Decimal("nan")`, "invalid Decimal"},
		{`Decimal("1e99999999999999")`, "out of range"},
		{"-[1]", "bad operand type for unary -: list"},
		{"-\"a\"", "bad operand"},
		{"{1: 2, 3}", "expected \":\""},
		{"f(a=1, 2)", "unknown function f"},
		{"(1, 2", "found end of input"},
		{"9" + strings.Repeat("9", maxIntDigits), "more than 4300 digits"},
		{strings.Repeat("[", maxDepth+5), "nesting deeper"},
		{strings.Repeat("-", maxDepth+5) + "1", "nesting deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, err := Parse(tt.src)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.msg)
			var se *SyntaxError
			assert.True(t, errors.As(err, &se), "%T", err)
		})
	}
}

func TestIncomplete(t *testing.T) {
	for _, src := range []string{"[1,", "{", "(1, 2", "root.echo(1,\n", `root.f(`, `root.f(a=`, "[[\n"} {
		_, err := ParseExpr(src)
		assert.ErrorIs(t, err, ErrIncomplete, src)
	}
	for _, src := range []string{"]", "[1]]", `"abc`, "1 +"} {
		_, err := ParseExpr(src)
		require.Error(t, err, src)
		assert.NotErrorIs(t, err, ErrIncomplete, src)
	}
}

func TestErrorPosition(t *testing.T) {
	_, err := Parse("[1,\n  2,\n  @]")
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 3, se.Line)
	assert.Equal(t, 3, se.Col)
}

// env is a test Env: variables, and calls that record themselves.
type env struct {
	vars  map[string]any
	calls []string
}

func (e *env) Lookup(name string) (any, error) {
	v, ok := e.vars[name]
	if !ok {
		return nil, fmt.Errorf("name %s is not defined", name)
	}
	return v, nil
}

func (e *env) CallMethod(ctx context.Context, recv any, method string, args []any, kw []Kwarg) (any, error) {
	s := fmt.Sprintf("%s.%s%s", Format(recv), method, Format(jelly.Tuple(args)))
	for _, k := range kw {
		s += fmt.Sprintf(" %s=%s", k.Name, Format(k.Value))
	}
	e.calls = append(e.calls, s)
	return jelly.List{recv, method}, nil
}

func TestExpr(t *testing.T) {
	e := &env{vars: map[string]any{"root": "R", "x": int64(5)}}
	expr, err := ParseExpr(`root.child("x", 1).get([x, -x], key=set(), k2=x)`)
	require.NoError(t, err)
	v, err := Eval(context.Background(), expr, e)
	require.NoError(t, err)
	assert.Equal(t, []string{
		`"R".child("x", 1)`,
		`["R", "child"].get([5, -5],) key=set() k2=5`,
	}, e.calls)
	assert.Equal(t, `[["R", "child"], "get"]`, Format(v))

	_, err = Eval(context.Background(), mustExpr(t, "y.z()"), e)
	assert.EqualError(t, err, "name y is not defined")

	for src, msg := range map[string]string{
		"root.":           "expected a method name",
		"root.x":          "expected '('",
		"root.f(a=1, 2)":  "positional argument follows keyword argument",
		"root.f(a=1,a=2)": "keyword argument a repeated",
		"len(x)":          "unknown function len",
		"datetime.now()":  "datetime must be called",
	} {
		_, err := ParseExpr(src)
		require.Error(t, err, src)
		assert.Contains(t, err.Error(), msg, src)
	}
	// Indexing.
	e.vars["l"] = jelly.List{int64(1), jelly.Dict{{Key: "k", Value: jelly.Tuple{"a", "b"}}}}
	for src, want := range map[string]string{
		`l[0]`:          "1",
		`l[-1]["k"][1]`: `"b"`,
		`[5, 6][1]`:     "6",
		`{"a": 1}["a"]`: "1",
	} {
		v, err := Eval(context.Background(), mustExpr(t, src), e)
		require.NoError(t, err, src)
		assert.Equal(t, want, Format(v), src)
	}
	for src, msg := range map[string]string{
		`l[2]`:      "list index out of range",
		`l[-3]`:     "list index out of range",
		`l["a"]`:    "list indices must be integers, not str",
		`l[1]["x"]`: `KeyError: "x"`,
		`x[0]`:      "int is not subscriptable",
	} {
		_, err := Eval(context.Background(), mustExpr(t, src), e)
		assert.EqualError(t, err, msg, src)
	}
	_, err = Parse("[1][0]")
	assert.ErrorContains(t, err, "after the value")
	_, err = ParseExpr("l[0")
	assert.ErrorIs(t, err, ErrIncomplete)

	// Names inside displays and constructors are evaluated too.
	v, err = Eval(context.Background(), mustExpr(t, `{x: [x], "s": frozenset([x])}`), e)
	require.NoError(t, err)
	assert.Equal(t, `{5: [5], "s": frozenset({5})}`, Format(v))
}

func mustExpr(t *testing.T, src string) Expr {
	t.Helper()
	e, err := ParseExpr(src)
	require.NoError(t, err)
	return e
}

func TestPrinterOther(t *testing.T) {
	type ref struct{ n int }
	p := &Printer{Other: func(v any) (string, bool) {
		if r, ok := v.(*ref); ok {
			return fmt.Sprintf("<ref %d>", r.n), true
		}
		return "", false
	}}
	assert.Equal(t, "[<ref 3>, <Go type chan int>]", p.Format(jelly.List{&ref{3}, make(chan int)}))
}

func TestPrintCycle(t *testing.T) {
	l := jelly.List{int64(1), nil}
	l[1] = l
	assert.Equal(t, "[1, [...]]", Format(l))
	// Pretty printing a cycle terminates.
	out := (&Printer{Width: 5}).Format(jelly.List{l, l})
	assert.Contains(t, out, "[...]")
}

func TestPretty(t *testing.T) {
	v, err := Parse(`{"name": "a fairly long string value", "items": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30], "t": ("x",), "e": []}`)
	require.NoError(t, err)
	out := (&Printer{Width: 40}).Format(v)
	assert.Equal(t, `{
    "name": "a fairly long string value",
    "items": [
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
        11, 12, 13, 14, 15, 16, 17, 18,
        19, 20, 21, 22, 23, 24, 25, 26,
        27, 28, 29, 30,
    ],
    "t": ("x",),
    "e": [],
}`, out)
	back, err := Parse(out)
	require.NoError(t, err)
	assert.True(t, Equal(v, back))
	// Short values stay on one line.
	assert.Equal(t, `[1, (2,)]`, (&Printer{Width: 40}).Format(jelly.List{int64(1), jelly.Tuple{int64(2)}}))
}

// gen makes random generic values of every type the syntax covers.
type gen struct{ r *rand.Rand }

func (g *gen) value(depth int) any {
	n := 20
	if depth <= 0 {
		n = 14 // scalars only
	}
	switch g.r.IntN(n) {
	case 0:
		return nil
	case 1:
		return g.r.IntN(2) == 0
	case 2:
		return g.int()
	case 3:
		return g.float()
	case 4:
		return g.str()
	case 5:
		b := make([]byte, g.r.IntN(8))
		for i := range b {
			b[i] = byte(g.r.IntN(256))
		}
		return b
	case 6:
		return time.Date(1+g.r.IntN(9999), time.Month(1+g.r.IntN(12)), 1+g.r.IntN(28),
			g.r.IntN(24), g.r.IntN(60), g.r.IntN(60), g.r.IntN(1000000)*1000, time.UTC)
	case 7:
		return jelly.Date{Year: 1 + g.r.IntN(9999), Month: time.Month(1 + g.r.IntN(12)), Day: 1 + g.r.IntN(28)}
	case 8:
		return jelly.TimeOfDay{Hour: g.r.IntN(24), Minute: g.r.IntN(60), Second: g.r.IntN(60), Microsecond: g.r.IntN(2) * g.r.IntN(1000000)}
	case 9:
		us := g.r.Int64N(math.MaxInt64/1000) * int64(1-2*g.r.IntN(2))
		if g.r.IntN(2) == 0 {
			us %= 1e11
		}
		return time.Duration(us * 1000)
	case 10:
		c := new(big.Int).SetUint64(g.r.Uint64() >> g.r.IntN(64))
		c.Lsh(c, uint(g.r.IntN(3)*64))
		if g.r.IntN(2) == 0 {
			c.Neg(c)
		}
		return jelly.Decimal{Coef: c, Exp: g.r.IntN(60) - 30}
	case 11:
		return jelly.Unpersistable{Reason: g.str()}
	case 12:
		return g.int()
	case 13:
		return g.str()
	case 14:
		return jelly.List(g.elems(depth))
	case 15:
		return jelly.Tuple(g.elems(depth))
	case 16:
		return jelly.Set(g.elems(depth))
	case 17:
		return jelly.FrozenSet(g.elems(depth))
	case 18:
		d := jelly.Dict{}
		for i := g.r.IntN(4); i > 0; i-- {
			d = append(d, jelly.Pair{Key: g.value(depth - 1), Value: g.value(depth - 1)})
		}
		return d
	default:
		return jelly.Instance{Class: "mod.C" + fmt.Sprint(g.r.IntN(9)), State: g.value(depth - 1)}
	}
}

func (g *gen) elems(depth int) []any {
	out := []any{}
	for i := g.r.IntN(5); i > 0; i-- {
		out = append(out, g.value(depth-1))
	}
	return out
}

func (g *gen) int() any {
	switch g.r.IntN(4) {
	case 0:
		return int64(g.r.IntN(200) - 100)
	case 1:
		return int64(g.r.Uint64())
	case 2:
		return []int64{math.MinInt64, math.MaxInt64, 0, -1}[g.r.IntN(4)]
	}
	n := new(big.Int).Lsh(big.NewInt(1), uint(64+g.r.IntN(400)))
	n.Add(n, big.NewInt(g.r.Int64()))
	if g.r.IntN(2) == 0 {
		n.Neg(n)
	}
	return n
}

func (g *gen) float() float64 {
	switch g.r.IntN(5) {
	case 0:
		return []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 1e16, 1e-5, 0.1, 5e-324, math.MaxFloat64}[g.r.IntN(10)]
	case 1:
		return float64(g.r.IntN(1000)) / 8
	}
	return math.Float64frombits(g.r.Uint64())
}

func (g *gen) str() string {
	alphabet := []rune{'a', 'Z', '0', ' ', '"', '\'', '\\', '\n', '\t', '\r', 0, 0x7f, 0x85, 0xa0, 'é', 0x2028, 0xfeff, 0xfffd, '😀', 0x10ffff, '#', '{'}
	var sb strings.Builder
	for i := g.r.IntN(10); i > 0; i-- {
		sb.WriteRune(alphabet[g.r.IntN(len(alphabet))])
	}
	return sb.String()
}

// TestRoundTrip is the property: for random values, what the printer
// writes (on one line, and pretty) parses back to an equal value, and
// prints the same again.
func TestRoundTrip(t *testing.T) {
	g := &gen{r: rand.New(rand.NewPCG(1, 2))}
	for i := 0; i < 5000; i++ {
		v := g.value(4)
		one := Format(v)
		back, err := Parse(one)
		require.NoError(t, err, "%s", one)
		require.True(t, Equal(v, back), "value %#v\nprinted %s\nparsed  %#v", v, one, back)
		require.Equal(t, one, Format(back))

		pretty := (&Printer{Width: 30, Indent: "  "}).Format(v)
		back, err = Parse(pretty)
		require.NoError(t, err, "%s", pretty)
		require.True(t, Equal(v, back), "value %#v\nprinted %s", v, pretty)
		require.Equal(t, one, Format(back))
	}
}

// TestEqual checks the equality the round trip relies on.
func TestEqual(t *testing.T) {
	assert.True(t, Equal(int64(5), big.NewInt(5)))
	assert.True(t, Equal(math.NaN(), math.NaN()))
	assert.False(t, Equal(0.0, math.Copysign(0, -1)))
	assert.False(t, Equal(jelly.List{}, jelly.Tuple{}))
	assert.False(t, Equal("a", []byte("a")))
	assert.False(t, Equal(int64(1), 1.0))
	assert.False(t, Equal(int64(1), true))
	loc := time.FixedZone("X", 3600)
	assert.True(t, Equal(time.Date(2020, 1, 1, 1, 0, 0, 0, loc), time.Date(2020, 1, 1, 1, 0, 0, 0, time.UTC)))
	assert.True(t, Equal(dec(10, -1), dec(10, -1)))
	assert.False(t, Equal(dec(10, -1), dec(1, 0)))
}

func TestFormatDateTimeLocation(t *testing.T) {
	// The wall clock is printed, as jelly sends it.
	loc := time.FixedZone("X", 3600)
	assert.Equal(t, "datetime(2020, 1, 2, 3, 4, 5, 6)", Format(time.Date(2020, 1, 2, 3, 4, 5, 6789, loc)))
}

func TestIsIdent(t *testing.T) {
	assert.True(t, IsIdent("c"))
	assert.True(t, IsIdent("_x1"))
	assert.False(t, IsIdent("1x"))
	assert.False(t, IsIdent(""))
	assert.False(t, IsIdent("a-b"))
	assert.True(t, IsReserved("None"))
	assert.True(t, IsReserved("set"))
	assert.False(t, IsReserved("root"))
}
