package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/big"
	"reflect"
	"strings"
	"time"

	"github.com/braidkit/braid/jelly"
	"github.com/braidkit/braid/pb"
)

// checker runs the conformance checks against a server's root and stops at
// the first mismatch.
type checker struct {
	ctx      context.Context
	endpoint string
	logger   *slog.Logger
	root     *pb.RemoteReference
	out      io.Writer
	n        int
}

// clientConfig is the configuration of the checking client: it knows the
// conformance classes.
func clientConfig(logger *slog.Logger) *pb.Config {
	return &pb.Config{
		Logger:   logger,
		Registry: registry(),
		CacheTypes: map[string]func() any{
			"conformance.Counter": func() any { return pb.NewLiveCopy[int64](nil) },
		},
	}
}

// unregistered is a class the server has not registered.
type unregistered struct{ Z int }

func (unregistered) JellyClass() string { return "conformance.Unregistered" }

// helper is the client-side object the server calls back through
// store/callStored.
type helper struct {
	pb.Referenceable
	greeted []string
}

func (h *helper) RemoteGreet(ctx context.Context, name string) (string, error) {
	h.greeted = append(h.greeted, name)
	return "hello " + name, nil
}

func (h *helper) RemoteAdd(ctx context.Context, a, b any) (any, error) { return add(a, b) }

func (c *checker) ok(name string) {
	c.n++
	fmt.Fprintf(c.out, "ok %s\n", name)
}

func (c *checker) call(name, method string, args ...any) (any, error) {
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	v, err := c.root.CallRemote(ctx, method, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %s failed: %w", name, method, err)
	}
	return v, nil
}

// expect calls method and compares the answer with want.
func (c *checker) expect(name string, want any, method string, args ...any) error {
	got, err := c.call(name, method, args...)
	if err != nil {
		return err
	}
	if !same(got, want) {
		return fmt.Errorf("%s: got %#v (%T), want %#v (%T)", name, got, got, want, want)
	}
	c.ok(name)
	return nil
}

// same compares unjellied values, treating NaN as equal to NaN and
// comparing big ints by value.
func same(a, b any) bool {
	if fa, ok := a.(float64); ok {
		fb, ok := b.(float64)
		return ok && (fa == fb && math.Signbit(fa) == math.Signbit(fb) || math.IsNaN(fa) && math.IsNaN(fb))
	}
	if ba, ok := a.(*big.Int); ok {
		bb, ok := b.(*big.Int)
		return ok && ba.Cmp(bb) == 0
	}
	if da, ok := a.(jelly.Decimal); ok {
		db, ok := b.(jelly.Decimal)
		return ok && da.Exp == db.Exp && da.Coef.Cmp(db.Coef) == 0
	}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if !va.IsValid() || !vb.IsValid() {
		return va.IsValid() == vb.IsValid()
	}
	if va.Type() != vb.Type() {
		return false
	}
	switch va.Kind() {
	case reflect.Slice:
		if va.Len() != vb.Len() {
			return false
		}
		for i := 0; i < va.Len(); i++ {
			if !same(va.Index(i).Interface(), vb.Index(i).Interface()) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := 0; i < va.NumField(); i++ {
			if !va.Type().Field(i).IsExported() {
				continue
			}
			if !same(va.Field(i).Interface(), vb.Field(i).Interface()) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func bigOf(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 0)
	if !ok {
		panic("bad big int " + s)
	}
	return v
}

// echoCases are values of every Jelly type with what a server must send back.
func echoCases() []struct {
	name string
	v    any
} {
	p448 := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 448), big.NewInt(1))
	long := make(jelly.List, 10000)
	for i := range long {
		long[i] = int64(i)
	}
	blob := []byte(strings.Repeat("\x00\xff\x01pb", 120000))
	return []struct {
		name string
		v    any
	}{
		{"None", nil},
		{"True", true},
		{"False", false},
		{"int 0", int64(0)},
		{"int -1", int64(-1)},
		{"int 2**31-1", int64(math.MaxInt32)},
		{"int 2**31", int64(1 << 31)},
		{"int -2**31-1", int64(-(1 << 31) - 1)},
		{"int 2**63-1", int64(math.MaxInt64)},
		{"int -2**63", int64(math.MinInt64)},
		{"int 2**63", bigOf("0x8000000000000000")},
		{"int 2**448-1", p448},
		{"int -(2**448-1)", new(big.Int).Neg(p448)},
		{"float 1.5", 1.5},
		{"float -0.0", math.Copysign(0, -1)},
		{"float inf", math.Inf(1)},
		{"float nan", math.NaN()},
		{"bytes empty", []byte{}},
		{"bytes binary", []byte("bytes\x00\xff")},
		{"str empty", ""},
		{"str unicode", "unicode é ☃"},
		{"list empty", jelly.List{}},
		{"list mixed", jelly.List{int64(1), "a", []byte("b"), nil, 2.5}},
		{"tuple empty", jelly.Tuple{}},
		{"tuple nested", jelly.Tuple{int64(1), jelly.Tuple{int64(2), int64(3)}}},
		{"dict empty", jelly.Dict{}},
		{"dict mixed keys", jelly.Dict{
			{Key: "k", Value: "v"}, {Key: []byte("bk"), Value: int64(1)}, {Key: int64(3), Value: nil},
			{Key: jelly.Tuple{int64(1), int64(2)}, Value: jelly.List{int64(1)}}}},
		{"set", jelly.Set{int64(1), int64(2), int64(3)}},
		{"frozenset", jelly.FrozenSet{"a"}},
		{"datetime", time.Date(2020, 7, 11, 1, 16, 5, 344000, time.UTC)},
		{"date", jelly.Date{Year: 2020, Month: 7, Day: 11}},
		{"time", jelly.TimeOfDay{Hour: 1, Minute: 16, Second: 5, Microsecond: 344}},
		{"timedelta", 24*time.Hour + 2*time.Second + 3*time.Microsecond},
		{"timedelta negative", -time.Microsecond},
		{"decimal 9.95", jelly.Decimal{Coef: big.NewInt(995), Exp: -2}},
		{"decimal -78.901", jelly.Decimal{Coef: big.NewInt(-78901), Exp: -3}},
		{"decimal 1E+3", jelly.Decimal{Coef: big.NewInt(1), Exp: 3}},
		{"nested", jelly.Dict{{Key: "a", Value: jelly.List{jelly.Tuple{jelly.Set{int64(1)}}, jelly.Dict{{Key: "b", Value: nil}}}}}},
		{"long list", long},
		{"bytes 600000", blob},
	}
}

func (c *checker) run() error {
	steps := []func() error{c.checkEcho, c.checkShared, c.checkAdd, c.checkFail, c.checkChild, c.checkStore,
		c.checkCopies, c.checkCache}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func (c *checker) checkEcho() error {
	for _, tc := range echoCases() {
		if err := c.expect("echo "+tc.name, tc.v, "echo", tc.v); err != nil {
			return err
		}
	}
	// Go ints of every size go out as Python ints and come back as int64.
	for _, v := range []any{int8(-8), int16(300), int32(-70000), uint8(200), uint64(1 << 40), 42} {
		want := reflect.ValueOf(v)
		var w int64
		if want.CanInt() {
			w = want.Int()
		} else {
			w = int64(want.Uint())
		}
		if err := c.expect(fmt.Sprintf("echo %T", v), w, "echo", v); err != nil {
			return err
		}
	}
	return nil
}

// checkShared sends shared and cyclic structures and checks that sharing
// survives the round trip.
func (c *checker) checkShared() error {
	x := jelly.List{int64(1)}
	got, err := c.call("echo shared", "echo", jelly.List{x, x})
	if err != nil {
		return err
	}
	l, ok := got.(jelly.List)
	if !ok || len(l) != 2 {
		return fmt.Errorf("echo shared: got %#v", got)
	}
	a, _ := l[0].(jelly.List)
	b, _ := l[1].(jelly.List)
	if len(a) != 1 || len(b) != 1 || &a[0] != &b[0] {
		return fmt.Errorf("echo shared: elements are not one shared list: %#v", got)
	}
	c.ok("echo shared reference")

	cyc := make(jelly.List, 1)
	cyc[0] = cyc
	got, err = c.call("echo self-cycle", "echo", cyc)
	if err != nil {
		return err
	}
	r, ok := got.(jelly.List)
	if !ok || len(r) != 1 {
		return fmt.Errorf("echo self-cycle: got %T", got)
	}
	inner, ok := r[0].(jelly.List)
	if !ok || len(inner) != 1 || &inner[0] != &r[0] {
		return fmt.Errorf("echo self-cycle: the list does not contain itself")
	}
	c.ok("echo self-cycle")
	return nil
}

func (c *checker) checkAdd() error {
	cases := []struct {
		name string
		a, b any
		want any
	}{
		{"add 2+3", 2, 3, int64(5)},
		{"add big", bigOf("0x10000000000000000000000000"), 1, bigOf("0x10000000000000000000000001")},
		{"add to int64", bigOf("0x8000000000000000"), -1, int64(math.MaxInt64)},
		{"add int+float", 1, 0.5, 1.5},
		{"add float+float", 0.25, 0.5, 0.75},
		{"add crossing 2**31", int64(math.MaxInt32), 1, int64(1 << 31)},
		{"add negative", -5, 2, int64(-3)},
	}
	for _, tc := range cases {
		if err := c.expect(tc.name, tc.want, "add", tc.a, tc.b); err != nil {
			return err
		}
	}
	return nil
}

func (c *checker) checkFail() error {
	_, err := c.root.CallRemote(c.ctx, "fail", "boom")
	var re *pb.RemoteError
	if !errors.As(err, &re) || re.Type != "conformance.Failure" || re.Value != "boom" {
		return fmt.Errorf("fail boom: got %v, want a conformance.Failure with message boom", err)
	}
	c.ok("fail boom")
	_, err = c.root.CallRemote(c.ctx, "nosuch")
	if !errors.As(err, &re) || !re.Check(pb.TypeNoSuchMethod) {
		return fmt.Errorf("no such method: got %v, want %s", err, pb.TypeNoSuchMethod)
	}
	c.ok("no such method")
	return nil
}

func (c *checker) refs(name string, want int64) error {
	return c.expect(name, want, "refs")
}

func (c *checker) checkChild() error {
	if err := c.refs("refs baseline", 0); err != nil {
		return err
	}
	get := func(name string, ref any) (*pb.RemoteReference, error) {
		r, ok := ref.(*pb.RemoteReference)
		if !ok {
			return nil, fmt.Errorf("%s: got %T, want a remote reference", name, ref)
		}
		return r, nil
	}
	v, err := c.call("child x", "child", "x")
	if err != nil {
		return err
	}
	x, err := get("child x", v)
	if err != nil {
		return err
	}
	v, err = c.call("child y", "child", "y")
	if err != nil {
		return err
	}
	y, err := get("child y", v)
	if err != nil {
		return err
	}
	c.ok("child")
	if err := c.refs("refs after two children", 2); err != nil {
		return err
	}
	steps := []struct {
		name   string
		ref    *pb.RemoteReference
		method string
		args   []any
		want   any
	}{
		{"child x name", x, "name", nil, "x"},
		{"child x get before set", x, "get", nil, nil},
		{"child x set", x, "set", []any{5}, nil},
		{"child x get", x, "get", nil, int64(5)},
		{"child y get independent", y, "get", nil, nil},
		{"child y set list", y, "set", []any{jelly.List{int64(1), "two"}}, nil},
		{"child y get list", y, "get", nil, jelly.List{int64(1), "two"}},
		{"child x unchanged", x, "get", nil, int64(5)},
	}
	for _, s := range steps {
		got, err := s.ref.CallRemote(c.ctx, s.method, s.args...)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		if !same(got, s.want) {
			return fmt.Errorf("%s: got %#v, want %#v", s.name, got, s.want)
		}
		c.ok(s.name)
	}
	x.Release()
	if err := c.refs("refs after releasing one child", 1); err != nil {
		return err
	}
	if _, err := x.CallRemote(c.ctx, "get"); !errors.Is(err, pb.ErrDeadReference) {
		return fmt.Errorf("released reference: got %v, want ErrDeadReference", err)
	}
	c.ok("released reference is dead")
	y.Release()
	return c.refs("refs after releasing both", 0)
}

func (c *checker) checkStore() error {
	h := &helper{}
	if err := c.expect("store", nil, "store", h); err != nil {
		return err
	}
	if err := c.expect("callStored greet", "hello bob", "callStored", "greet", "bob"); err != nil {
		return err
	}
	if err := c.expect("callStored add", int64(5), "callStored", "add", 2, 3); err != nil {
		return err
	}
	if _, err := c.call("callStored missing", "callStored", "nosuch"); err == nil {
		return fmt.Errorf("callStored missing: got no error")
	}
	c.ok("callStored missing method fails")
	if len(h.greeted) != 1 || h.greeted[0] != "bob" {
		return fmt.Errorf("callStored: the client object saw %v", h.greeted)
	}
	c.ok("callStored reached the client")
	return c.expect("echo after all checks", "still here", "echo", "still here")
}

func (c *checker) checkCopies() error {
	v, err := c.call("point", "point", 1, 2.5)
	if err != nil {
		return err
	}
	p, ok := v.(*Point)
	if !ok || !same(p.X, int64(1)) || !same(p.Y, 2.5) {
		return fmt.Errorf("point: got %#v, want conformance.Point{x: 1, y: 2.5}", v)
	}
	c.ok("point copy")
	if err := c.expect("pointSum", int64(7), "pointSum", &Point{X: 3, Y: 4}); err != nil {
		return err
	}
	_, err = c.call("echo unregistered", "echo", unregistered{Z: 1})
	var re *pb.RemoteError
	if !errors.As(err, &re) || re.Type != pb.TypeInsecureJelly {
		return fmt.Errorf("echo of an unregistered class: got %v, want %s", err, pb.TypeInsecureJelly)
	}
	c.ok("unregistered class refused")
	return nil
}

// eventually polls f for up to five seconds.
func eventually(f func() (bool, error)) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, err := f()
		if ok || err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *checker) counterCopy(root *pb.RemoteReference) (*pb.LiveCopy[int64], error) {
	v, err := root.CallRemote(c.ctx, "counter")
	if err != nil {
		return nil, fmt.Errorf("counter: %w", err)
	}
	lc, ok := v.(*pb.LiveCopy[int64])
	if !ok {
		return nil, fmt.Errorf("counter: got %T, want a conformance.Counter cache", v)
	}
	return lc, nil
}

func (c *checker) observers() (int, error) {
	return pb.Call[int](c.ctx, c.root, "observers")
}

func (c *checker) checkCache() error {
	c1, err := c.counterCopy(c.root)
	if err != nil {
		return err
	}
	v0 := c1.Get()
	n, err := pb.Call[int64](c.ctx, c.root, "bump")
	if err != nil {
		return err
	}
	if n != v0+1 {
		return fmt.Errorf("bump: got %d, want %d", n, v0+1)
	}
	if err := eventually(func() (bool, error) { return c1.Get() == n, nil }); err != nil {
		return fmt.Errorf("the cache did not see setValue(%d): it holds %d", n, c1.Get())
	}
	c.ok("counter cache follows bump")
	again, err := c.counterCopy(c.root)
	if err != nil {
		return err
	}
	if again != c1 {
		return fmt.Errorf("counter again: got a second copy, want the same cache")
	}
	c.ok("counter again is the same cache")
	base, err := c.observers()
	if err != nil {
		return err
	}

	// A second connection observes too, until it goes away.
	b2, err := pb.Dial(c.ctx, c.endpoint, clientConfig(c.logger))
	if err != nil {
		return err
	}
	c2, err := c.counterCopy(b2.Root())
	if err != nil {
		b2.Close()
		return err
	}
	if k, err := c.observers(); err != nil || k != base+1 {
		b2.Close()
		return fmt.Errorf("observers with a second connection: got %d, %v; want %d", k, err, base+1)
	}
	n, err = pb.Call[int64](c.ctx, c.root, "bump")
	if err != nil {
		b2.Close()
		return err
	}
	if err := eventually(func() (bool, error) { return c2.Get() == n, nil }); err != nil {
		b2.Close()
		return fmt.Errorf("the second connection's cache did not see %d", n)
	}
	c.ok("second observer sees bump")
	b2.Close()
	if err := eventually(func() (bool, error) { k, err := c.observers(); return k == base, err }); err != nil {
		return fmt.Errorf("observers after the second connection closed: %w", err)
	}
	c.ok("disconnected observer dropped")
	n, err = pb.Call[int64](c.ctx, c.root, "bump")
	if err != nil {
		return err
	}
	if err := eventually(func() (bool, error) { return c1.Get() == n, nil }); err != nil {
		return fmt.Errorf("bump after an observer left: the cache holds %d, want %d", c1.Get(), n)
	}
	c.ok("bump after an observer left")
	c.root.Broker().ReleaseCache(c1)
	if err := eventually(func() (bool, error) { k, err := c.observers(); return k == base-1, err }); err != nil {
		return fmt.Errorf("observers after releasing the cache: %w", err)
	}
	c.ok("released cache stops observing")
	return nil
}
