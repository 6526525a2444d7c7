package literal

import (
	"context"
	"testing"

	"github.com/braidkit/braid/jelly"
)

// FuzzParse checks that the parser never panics, and that for every input
// it accepts, printing the value (on one line and pretty) and parsing that
// gives an equal value that prints the same: parse→print→parse is stable.
// The seed corpus is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`[1, "a", b"x", (2,), {"k": None}]`,
		`{1, 2.5, -0.0, float("nan"), frozenset({()})}`,
		`datetime(2020, 7, 11, 1, 16, 5, 344)`,
		`(date(1, 1, 1), time(23, 59, 59, 999999), timedelta(days=-1, seconds=86399))`,
		`Decimal("-1.5E+7")`,
		`Instance("a.B", {"x": [Unpersistable("r")]})`,
		`"\x00\u2028\U0001F600'\"\\"`,
		`0x_dead_beef`,
		`-123456789012345678901234567890`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		v, err := Parse(src)
		if err != nil {
			return
		}
		if _, err := ParseExpr(src); err != nil {
			t.Fatalf("Parse accepts %q but ParseExpr refuses it: %v", src, err)
		}
		one := Format(v)
		back, err := Parse(one)
		if err != nil {
			t.Fatalf("%q parsed, printed as %q, which does not parse: %v", src, one, err)
		}
		if !Equal(v, back) {
			t.Fatalf("%q printed as %q parses to a different value", src, one)
		}
		if again := Format(back); again != one {
			t.Fatalf("unstable: %q printed %q, then %q", src, one, again)
		}
		pretty := (&Printer{Width: 20}).Format(v)
		back, err = Parse(pretty)
		if err != nil {
			t.Fatalf("pretty form %q does not parse: %v", pretty, err)
		}
		if !Equal(v, back) {
			t.Fatalf("pretty form %q parses to a different value", pretty)
		}
	})
}

// FuzzParseExpr checks that the expression parser and Eval never panic,
// whatever the input, with variables and calls that answer values.
func FuzzParseExpr(f *testing.F) {
	for _, s := range []string{
		`root.child("x").get()`,
		`c.set([1, c, {"k": c.get()}], key=-x)`,
		`l[0]["k"][-1]`,
		`datetime(2020, 1, x)`,
		`root.f(a=1, b=set(l))`,
	} {
		f.Add(s)
	}
	env := &env{vars: map[string]any{
		"root": "R", "c": int64(1), "x": int64(2),
		"l": jelly.List{int64(1), jelly.Dict{{Key: "k", Value: jelly.Tuple{"a"}}}},
	}}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := ParseExpr(src)
		if err != nil {
			return
		}
		env.calls = nil
		v, err := Eval(context.Background(), e, env)
		if err == nil {
			_ = Format(v)
			_ = Describe(e)
		}
	})
}
