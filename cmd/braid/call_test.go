package main

import (
	"encoding/json"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braidkit/braid/internal/literal"
	"github.com/braidkit/braid/jelly"
	"github.com/braidkit/braid/pb"
)

const echoLiteral = `[1, "a", b"x", (2,), {"k": None}]`

// TestCallBinary runs the Done-when checks on the built binary against
// the conformance server.
func TestCallBinary(t *testing.T) {
	ep := startConformance(t)

	r := runBraid(t, "", nil, "call", ep, "add", "2", "3")
	assert.Equal(t, result{stdout: "5\n"}, r)

	r = runBraid(t, "", nil, "call", ep, "echo", echoLiteral)
	assert.Equal(t, result{stdout: echoLiteral + "\n"}, r)

	r = runBraid(t, "", nil, "call", ep, "fail", `"x"`)
	assert.Equal(t, 1, r.code)
	assert.Empty(t, r.stdout)
	assert.Equal(t, "braid: conformance.Failure: x\n", r.stderr)

	r = runBraid(t, "", nil, "call", "--json", ep, "echo", echoLiteral)
	assert.Equal(t, result{stdout: `[1,"a","eA==",[2],{"k":null}]` + "\n"}, r)
}

// TestCall runs braid call in this process against the conformance
// server.
func TestCall(t *testing.T) {
	ep := startConformance(t)
	values := []string{
		`None`, `True`, `-5`, `123456789012345678901234567890`, `1.5`, `-0.0`, `float("inf")`,
		`"text é\n"`, `b"\x00\xff"`, `[]`, `()`, `(1,)`, `{}`, `{1, 2}`, `set()`, `frozenset({1})`,
		`{"a": [1, {"b": (None,)}], 2: b"k"}`,
		`datetime(2020, 7, 11, 1, 16, 5, 344)`, `date(2020, 7, 11)`, `time(1, 16)`,
		`timedelta(days=-1, seconds=86399, microseconds=999999)`, `Decimal("9.95")`,
	}
	for _, v := range values {
		r := runInProcess("", "call", ep, "echo", v)
		assert.Equal(t, result{stdout: v + "\n"}, r, v)
	}

	t.Run("add", func(t *testing.T) {
		assert.Equal(t, result{stdout: "5\n"}, runInProcess("", "call", ep, "add", "2", "3"))
		assert.Equal(t, result{stdout: "-1\n"}, runInProcess("", "call", ep, "add", "-3", "2"))
		assert.Equal(t, result{stdout: "18446744073709551616\n"},
			runInProcess("", "call", ep, "add", "9223372036854775808", "9223372036854775808"))
		assert.Equal(t, result{stdout: "2.5\n"}, runInProcess("", "call", ep, "add", "1", "1.5"))
	})
	t.Run("flags between endpoint and method", func(t *testing.T) {
		assert.Equal(t, result{stdout: "[5]\n"}, runInProcess("", "call", ep, "--json", "echo", "[5]"))
	})
	t.Run("fail", func(t *testing.T) {
		r := runInProcess("", "call", ep, "fail", `"boom"`)
		assert.Equal(t, result{stderr: "braid: conformance.Failure: boom\n", code: 1}, r)
	})
	t.Run("no such method", func(t *testing.T) {
		r := runInProcess("", "call", ep, "nope")
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, "twisted.spread.flavors.NoSuchMethod")
	})
	t.Run("bad literal", func(t *testing.T) {
		r := runInProcess("", "call", ep, "echo", "x")
		assert.Equal(t, 2, r.code)
		assert.Contains(t, r.stderr, `unknown name x`)
		assert.Contains(t, r.stderr, `'"x"'`)
		r = runInProcess("", "call", ep, "echo", "[1,")
		assert.Equal(t, 2, r.code)
	})
	t.Run("usage", func(t *testing.T) {
		assert.Equal(t, 2, runInProcess("", "call", ep).code)
		assert.Equal(t, 2, runInProcess("", "call", "--nope", ep, "x").code)
		assert.Equal(t, 2, runInProcess("", "call", ep, "not-a-name").code)
		assert.Equal(t, 2, runInProcess("", "frobnicate").code)
	})
	t.Run("unreachable", func(t *testing.T) {
		r := runInProcess("", "call", "tcp:127.0.0.1:1", "echo", "1")
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, "cannot connect to tcp:127.0.0.1:1")
	})
	t.Run("reference result", func(t *testing.T) {
		assert.Equal(t, result{stdout: "<ref 1>\n"}, runInProcess("", "call", ep, "child", `"x"`))
		r := runInProcess("", "call", "--json", ep, "child", `"x"`)
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, "no JSON form (a remote reference)")
	})
	t.Run("keyword arguments", func(t *testing.T) {
		// The conformance root takes no keywords; the call must still
		// reach it with them (and fail there, not here).
		r := runInProcess("", "call", ep, "echo", "1", "extra=2")
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, "keyword")
		assert.Equal(t, 2, runInProcess("", "call", ep, "echo", "a=1", "2").code)
	})
	t.Run("json", func(t *testing.T) {
		r := runInProcess("", "call", "--json", ep, "echo",
			`{"i": 123456789012345678901234567890, "f": 0.5, "d": datetime(2020, 1, 2, 3, 4, 5, 6), "t": timedelta(seconds=-1), "n": Decimal("9.95"), "s": {1}, 7: None}`)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, `{"i":123456789012345678901234567890,"f":0.5,"d":"2020-01-02T03:04:05.000006","t":-1.000000,"n":9.95,"s":[1],"7":null}`+"\n", r.stdout)
		var v any
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &v))
		r = runInProcess("", "call", "--json", ep, "echo", `float("nan")`)
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, "no JSON form")
		r = runInProcess("", "call", "--json", ep, "echo", `{(1,): 2}`)
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, "dict key of type tuple")
	})
}

// TestCallTwisted calls the Twisted conformance server.
func TestCallTwisted(t *testing.T) {
	ep := startTwisted(t)
	r := runBraid(t, "", nil, "call", ep, "add", "2", "3")
	assert.Equal(t, result{stdout: "5\n"}, r)
	r = runBraid(t, "", nil, "call", ep, "echo", echoLiteral)
	assert.Equal(t, result{stdout: echoLiteral + "\n"}, r)
	r = runBraid(t, "", nil, "call", ep, "fail", `"x"`)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "braid: conformance.Failure: x\n", r.stderr)
	r = runBraid(t, "", nil, "call", "--json", ep, "echo", `{"k": [1, 2.5]}`)
	assert.Equal(t, result{stdout: `{"k":[1,2.5]}` + "\n"}, r)

	// Every literal type survives a trip through Python.
	for _, v := range []string{
		`[None, True, -0.0, float("inf"), 123456789012345678901234567890, "é", b"\x00"]`,
		`({1, 2}, frozenset({"a"}), {"k": (1,)})`,
		`[datetime(2020, 7, 11, 1, 16, 5, 344), date(2020, 7, 11), time(1, 16, 5)]`,
		`timedelta(days=-1, seconds=86399, microseconds=999999)`,
		`Decimal("-78.901")`,
	} {
		r := runInProcess("", "call", ep, "echo", v)
		assert.Equal(t, result{stdout: v + "\n"}, r, v)
	}
}

func TestParseCallArgs(t *testing.T) {
	args, kw, err := parseCallArgs([]string{"1", `"a=b"`, "key=[1]", "k2=None"})
	require.NoError(t, err)
	assert.Equal(t, []any{int64(1), "a=b"}, args)
	assert.Equal(t, pb.Kwargs{"key": jelly.List{int64(1)}, "k2": nil}, kw)
	_, _, err = parseCallArgs([]string{"k=1", "k=2"})
	assert.ErrorContains(t, err, "given twice")
	_, _, err = parseCallArgs([]string{"k=1", "2"})
	assert.ErrorContains(t, err, "positional argument after keyword")
}

func TestToJSON(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want string
	}{
		{nil, "null"},
		{jelly.List{true, int64(-1), big.NewInt(7), 1.5, "s", []byte("hi")}, `[true,-1,7,1.5,"s","aGk="]`},
		{jelly.Tuple{}, "[]"},
		{jelly.Dict{}, "{}"},
		{jelly.Date{Year: 2020, Month: 7, Day: 1}, `"2020-07-01"`},
		{jelly.TimeOfDay{Hour: 1, Minute: 2, Second: 3, Microsecond: 4}, `"01:02:03.000004"`},
		{time.Date(2020, 7, 1, 0, 0, 0, 0, time.UTC), `"2020-07-01T00:00:00"`},
		{90 * time.Second, "90.000000"},
	} {
		b, err := toJSON(tt.v)
		require.NoError(t, err)
		assert.Equal(t, tt.want, string(b))
		assert.True(t, json.Valid(b), string(b))
	}
	for _, v := range []any{jelly.Instance{Class: "a.B"}, jelly.Unpersistable{}, jelly.Dict{{Key: 1.5, Value: 1}}} {
		_, err := toJSON(v)
		assert.Error(t, err, literal.Format(v))
	}
}
