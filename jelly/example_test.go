package jelly_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/braidkit/braid/jelly"
)

// show prints an expression with byte strings quoted, like the spec's
// notation.
func show(expr any) string {
	switch x := expr.(type) {
	case []any:
		s := "["
		for i, e := range x {
			if i > 0 {
				s += ", "
			}
			s += show(e)
		}
		return s + "]"
	case string:
		return fmt.Sprintf("b%q", x)
	case []byte:
		return fmt.Sprintf("b%q", x)
	}
	return fmt.Sprint(expr)
}

func Example() {
	ctx := context.Background()
	expr, err := jelly.Jelly(ctx, jelly.List{1, "a", []byte("b"), jelly.Tuple{2.5, nil}}, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(show(expr))

	v, err := jelly.Unjelly(ctx, expr, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%#v\n", v)
	// Output:
	// [b"list", 1, [b"unicode", b"a"], b"b", [b"tuple", 2.5, [b"None"]]]
	// jelly.List{1, "a", []uint8{0x62}, jelly.Tuple{2.5, interface {}(nil)}}
}

func ExampleJelly_references() {
	// A list that appears twice is sent once and then referenced; the id
	// is allocated when it is met the second time.
	x := jelly.List{1}
	expr, _ := jelly.Jelly(context.Background(), jelly.List{x, x}, nil)
	fmt.Println(show(expr))

	// A list that contains itself.
	self := make(jelly.List, 1)
	self[0] = self
	expr, _ = jelly.Jelly(context.Background(), self, nil)
	fmt.Println(show(expr))
	// Output:
	// [b"list", [b"reference", 1, [b"list", 1]], [b"dereference", 1]]
	// [b"reference", 1, [b"list", [b"dereference", 1]]]
}

func ExampleJelly_goValues() {
	type user struct {
		Name   string
		Age    int
		Email  string `jelly:"mail"`
		Hidden string `jelly:"-"`
	}
	v := map[string]any{
		"user":  user{Name: "ann", Age: 30, Email: "a@example.org"},
		"when":  time.Date(2020, 7, 11, 1, 16, 5, 344000, time.UTC),
		"delay": -time.Microsecond,
	}
	expr, err := jelly.Jelly(context.Background(), v, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(show(expr))
	// Output:
	// [b"dictionary", [[b"unicode", b"delay"], [b"timedelta", b"-1 86399 999999"]], [[b"unicode", b"user"], [b"dictionary", [[b"unicode", b"name"], [b"unicode", b"ann"]], [[b"unicode", b"age"], 30], [[b"unicode", b"mail"], [b"unicode", b"a@example.org"]]]], [[b"unicode", b"when"], [b"datetime", b"2020 7 11 1 16 5 344"]]]
}

type Point struct {
	X, Y int
}

func ExampleRegistry() {
	reg := jelly.NewRegistry()
	if err := reg.Register("myapp.models.Point", Point{}); err != nil {
		panic(err)
	}
	o := &jelly.Options{Registry: reg}
	ctx := context.Background()

	expr, _ := jelly.Jelly(ctx, Point{X: 1, Y: 2}, o)
	fmt.Println(show(expr))

	v, _ := jelly.Unjelly(ctx, expr, o)
	fmt.Printf("%T %+v\n", v, *v.(*Point))

	// Without the registration the class is refused.
	_, err := jelly.Unjelly(ctx, expr, nil)
	fmt.Println(err, errors.Is(err, jelly.ErrInsecure))
	// Output:
	// [b"myapp.models.Point", [b"dictionary", [[b"unicode", b"x"], 1], [[b"unicode", b"y"], 2]]]
	// *jelly_test.Point {X:1 Y:2}
	// jelly: insecure: class "myapp.models.Point" not allowed true
}

func ExampleSecurity_AllowClass() {
	sec := jelly.NewSecurity()
	sec.AllowClass("__main__.Point")
	expr := []any{[]byte("__main__.Point"), []any{[]byte("dictionary"),
		[]any{[]any{[]byte("unicode"), []byte("x")}, int64(1)}}}
	v, err := jelly.Unjelly(context.Background(), expr, &jelly.Options{Security: sec})
	fmt.Printf("%#v %v\n", v, err)
	// Output:
	// jelly.Instance{Class:"__main__.Point", State:jelly.Dict{jelly.Pair{Key:"x", Value:1}}} <nil>
}

func ExampleConvert() {
	// What Unjelly gives for a Python call's arguments...
	generic := jelly.Tuple{
		[]byte("ann"), // Python bytes where Go wants a string is fine
		jelly.List{int64(1), int64(2)},
		jelly.Dict{{Key: "x", Value: int64(3)}, {Key: "y", Value: int64(4)}},
	}
	// ...assigned to typed Go values.
	var args struct {
		Name   string
		Scores []int
		Origin Point
	}
	if err := jelly.Convert(generic[0], &args.Name); err != nil {
		panic(err)
	}
	if err := jelly.Convert(generic[1], &args.Scores); err != nil {
		panic(err)
	}
	if err := jelly.Convert(generic[2], &args.Origin); err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", args)

	var small int8
	fmt.Println(jelly.Convert(int64(300), &small))
	var ints []int
	fmt.Println(jelly.Convert(jelly.List{int64(1), jelly.List{}}, &ints))
	// Output:
	// {Name:ann Scores:[1 2] Origin:{X:3 Y:4}}
	// jelly: cannot convert int64 to int8: 300 out of range
	// jelly: cannot convert jelly.List to int at [1]
}
