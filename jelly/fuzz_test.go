package jelly

import (
	"context"
	"errors"
	"testing"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/jelly/native"
)

// FuzzUnjelly decodes arbitrary bytes, as Banana and as the native
// codec, with small limits and unjellies the result. It must never panic
// or hang; whatever Unjelly accepts must jelly and encode again, and the
// re-encoding must be accepted again. The seed corpus
// (testdata/fuzz/FuzzUnjelly) holds the spec's examples; the native seeds
// below hold text.
func FuzzUnjelly(f *testing.F) {
	f.Add([]byte("\x01\x80\x01\x87"))
	f.Add([]byte("\xd4\x02i"))
	f.Add([]byte("\x92\xa4list\xc7\x06\x02record"))
	f.Add([]byte("\x94\xaadictionary\x92\xd4\x02i\x07\x92\xd4\x02s\xc7\x06\x02record\x92\xd4\x02f\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("\x92\xa5tuple\xd4\x02\xff"))
	lim := banana.Limits{MaxString: 4096, MaxList: 512, MaxDepth: 64, MaxExpression: 1 << 16}
	reg := NewRegistry()
	if err := reg.Register("__main__.SelfRef", SelfRef{}); err != nil {
		f.Fatal(err)
	}
	if err := reg.Register("__main__.Point", TPoint{}); err != nil {
		f.Fatal(err)
	}
	if err := reg.RegisterFactory("my.tag", func(_ context.Context, st any) (any, error) { return Tuple{st}, nil }); err != nil {
		f.Fatal(err)
	}
	sec := NewSecurity()
	sec.AllowClass("__main__.Empty")
	sec.AllowClass("a.B")
	o := &Options{Registry: reg, Security: sec, MaxDepth: 48}
	f.Fuzz(func(t *testing.T, data []byte) {
		if expr, _, err := native.DecodeBytes(data, lim); err == nil {
			checkUnjelly(t, expr, o)
		}
		if expr, _, err := banana.DecodeBytes(data, banana.DialectPB, lim); err == nil {
			checkUnjelly(t, expr, o)
		}
	})
}

// checkUnjelly unjellies expr; whatever Unjelly accepts must jelly and
// encode again, with both codecs, and be accepted again.
func checkUnjelly(t *testing.T, expr any, o *Options) {
	ctx := context.Background()
	v, err := Unjelly(ctx, expr, o)
	if err != nil {
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrInsecure) &&
			!errors.Is(err, ErrTooDeep) && !errors.Is(err, ErrUnjellyable) {
			t.Fatalf("Unjelly error wraps no sentinel: %v", err)
		}
		return
	}
	again, err := Jelly(ctx, v, o)
	if err != nil {
		t.Fatalf("Jelly of an unjellied value failed: %v (value %#v)", err, v)
	}
	b, err := banana.Append(nil, again, banana.DialectPB, banana.Limits{})
	if err != nil {
		t.Fatalf("banana refused a re-jellied value: %v", err)
	}
	expr2, _, err := banana.DecodeBytes(b, banana.DialectPB, banana.Limits{})
	if err != nil {
		t.Fatalf("banana cannot read its own output: %v", err)
	}
	if _, err := Unjelly(ctx, expr2, o); err != nil {
		t.Fatalf("re-jellied value refused: %v", err)
	}
	nb, err := native.Append(nil, again, banana.Limits{})
	if err != nil {
		t.Fatalf("native refused a re-jellied value: %v", err)
	}
	expr3, _, err := native.DecodeBytes(nb, banana.Limits{})
	if err != nil || !banana.Equal(expr2, expr3) {
		t.Fatalf("native read its own output as %v, %v; banana %v", expr3, err, expr2)
	}
}
