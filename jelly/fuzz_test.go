package jelly

import (
	"context"
	"errors"
	"testing"

	"github.com/braidkit/braid/jelly/banana"
)

// FuzzUnjelly decodes arbitrary Banana bytes with small limits and
// unjellies the result. It must never panic or hang; whatever Unjelly
// accepts must jelly and encode again, and the re-encoding must be
// accepted again. The seed corpus (testdata/fuzz/FuzzUnjelly) holds the
// spec's examples.
func FuzzUnjelly(f *testing.F) {
	f.Add([]byte("\x01\x80\x01\x87"))
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
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		expr, _, err := banana.DecodeBytes(data, banana.DialectPB, lim)
		if err != nil {
			return
		}
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
	})
}
