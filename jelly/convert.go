package jelly

import (
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// convertMaxDepth bounds Convert's recursion on deeply nested input.
const convertMaxDepth = 4096

// ConvertError is the error Convert returns when a value does not fit the
// target. It wraps ErrConvert (or ErrTooDeep).
type ConvertError struct {
	From   string // Go type of the value, e.g. "jelly.List"
	To     string // Go type of the target
	Path   string // where in the value, e.g. "[2].name"; empty at the top
	Reason string // optional detail, e.g. "value out of range"
	err    error
}

// Error reads like "jelly: cannot convert jelly.List to int at [2]".
func (e *ConvertError) Error() string {
	var b strings.Builder
	b.WriteString("jelly: cannot convert ")
	b.WriteString(e.From)
	b.WriteString(" to ")
	b.WriteString(e.To)
	if e.Path != "" {
		b.WriteString(" at ")
		b.WriteString(e.Path)
	}
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	return b.String()
}

// Unwrap returns ErrConvert, or ErrTooDeep for a value nested too deeply.
func (e *ConvertError) Unwrap() error { return e.err }

// Convert assigns a generic value (as returned by Unjelly) to *dst, the way
// json.Unmarshal fills a typed target. dst must be a non-nil pointer.
//
// Rules:
//   - nil (None) sets the zero value;
//   - a value assignable to the target is assigned as is (so any target of
//     type any, a *T for a registered *T, time.Time for time.Time, ...);
//   - int64 and *big.Int convert to every integer kind, with an overflow
//     check, to *big.Int and big.Int, and to float kinds;
//   - float64 converts to float32 and float64;
//   - string and []byte convert to each other and to named string and
//     byte-slice types (bytes into a string must be valid UTF-8, so that
//     the string can be sent back as a Python str);
//   - List, Tuple, Set, FrozenSet (and other slices and arrays) convert
//     element by element to a slice, or to an array of the same length;
//   - Dict converts to a map (keys and values converted) or to a struct
//     (keys, string or []byte, matched to field names as in the package
//     documentation, exactly or else case-insensitively; unknown keys are
//     ignored);
//   - *T converts to T, and Instance converts as its State;
//   - a pointer target is allocated and filled.
func Convert(v any, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &ConvertError{From: fmt.Sprintf("%T", v), To: fmt.Sprintf("%T", dst), Reason: "destination must be a non-nil pointer", err: ErrConvert}
	}
	return ConvertValue(v, rv.Elem())
}

// ConvertValue is Convert into a settable reflect.Value.
func ConvertValue(v any, dst reflect.Value) error {
	if !dst.CanSet() {
		return &ConvertError{From: fmt.Sprintf("%T", v), To: dst.Type().String(), Reason: "destination is not settable", err: ErrConvert}
	}
	var c converter
	err := c.convert(v, dst, 0)
	if ce, ok := err.(*ConvertError); ok {
		ce.Path = reversePath(ce.Path)
	}
	return err
}

// While the error unwinds, path segments are appended in reverse order,
// separated by \x00; reversePath puts them in reading order.
func reversePath(p string) string {
	if p == "" {
		return ""
	}
	parts := strings.Split(p, "\x00")
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteString(parts[i])
	}
	return b.String()
}

func withPath(err error, seg string) error {
	if ce, ok := err.(*ConvertError); ok {
		if ce.Path == "" {
			ce.Path = seg
		} else {
			ce.Path += "\x00" + seg
		}
	}
	return err
}

func convErr(v any, t reflect.Type, reason string) error {
	from := "None"
	if v != nil {
		from = reflect.TypeOf(v).String()
	}
	return &ConvertError{From: from, To: t.String(), Reason: reason, err: ErrConvert}
}

// converter carries the memo of one Convert call. A source container
// (a slice, map or pointer) converted twice into the same target type gives
// the same result, so shared structure stays shared, a cycle can come out
// as a cycle (for slice, map and pointer targets), and a small expression
// with much sharing cannot make Convert do exponential work.
type converter struct {
	memo map[memoKey]reflect.Value
}

type memoKey struct {
	p   unsafe.Pointer
	n   int
	src reflect.Type
	dst reflect.Type
}

// sourceKey returns the identity of a container source.
func sourceKey(rv reflect.Value, dst reflect.Type) (memoKey, bool) {
	switch rv.Kind() {
	case reflect.Slice:
		if rv.Len() == 0 {
			return memoKey{}, false
		}
		return memoKey{p: rv.UnsafePointer(), n: rv.Len(), src: rv.Type(), dst: dst}, true
	case reflect.Map, reflect.Pointer:
		if rv.IsNil() {
			return memoKey{}, false
		}
		return memoKey{p: rv.UnsafePointer(), src: rv.Type(), dst: dst}, true
	}
	return memoKey{}, false
}

func (c *converter) remember(k memoKey, ok bool, v reflect.Value) {
	if !ok {
		return
	}
	if c.memo == nil {
		c.memo = map[memoKey]reflect.Value{}
	}
	c.memo[k] = v
}

func (c *converter) convert(v any, dst reflect.Value, depth int) error {
	t := dst.Type()
	if depth > convertMaxDepth {
		return &ConvertError{From: fmt.Sprintf("%T", v), To: t.String(), Reason: fmt.Sprintf("nested more than %d levels", convertMaxDepth), err: ErrTooDeep}
	}
	if v == nil {
		dst.SetZero()
		return nil
	}
	vt := reflect.TypeOf(v)
	if vt.AssignableTo(t) {
		dst.Set(reflect.ValueOf(v))
		return nil
	}
	rv := reflect.ValueOf(v)
	key, keyed := sourceKey(rv, t)
	if keyed {
		if done, ok := c.memo[key]; ok {
			dst.Set(done)
			return nil
		}
	}
	// *T -> T (a registered copy into a value field).
	if vt.Kind() == reflect.Pointer && t.Kind() != reflect.Pointer && vt.Elem().AssignableTo(t) {
		if rv.IsNil() {
			dst.SetZero()
		} else {
			dst.Set(rv.Elem())
		}
		return nil
	}
	if in, ok := v.(Instance); ok && (t.Kind() == reflect.Struct || t.Kind() == reflect.Map) {
		return c.convert(in.State, dst, depth+1)
	}
	switch t {
	case typeBigIntPtr:
		b, ok := toBig(v)
		if !ok {
			return convErr(v, t, "")
		}
		dst.Set(reflect.ValueOf(b))
		return nil
	case typeBigInt:
		b, ok := toBig(v)
		if !ok {
			return convErr(v, t, "")
		}
		dst.Set(reflect.ValueOf(b).Elem())
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		c.remember(key, keyed, p)
		if err := c.convert(v, p.Elem(), depth+1); err != nil {
			return err
		}
		dst.Set(p)
		return nil
	case reflect.Interface:
		return convErr(v, t, "value does not implement the interface")
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return convErr(v, t, "")
		}
		dst.SetBool(b)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x, ok, isInt := toInt64(v)
		if !isInt {
			return convErr(v, t, "")
		}
		if !ok || dst.OverflowInt(x) {
			return convErr(v, t, fmt.Sprintf("%v out of range", v))
		}
		dst.SetInt(x)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		x, ok, isInt := toUint64(v)
		if !isInt {
			return convErr(v, t, "")
		}
		if !ok || dst.OverflowUint(x) {
			return convErr(v, t, fmt.Sprintf("%v out of range", v))
		}
		dst.SetUint(x)
		return nil
	case reflect.Float32, reflect.Float64:
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case float32:
			f = float64(x)
		default:
			b, ok := toBig(v)
			if !ok {
				return convErr(v, t, "")
			}
			f, _ = new(big.Float).SetInt(b).Float64()
		}
		if dst.OverflowFloat(f) || (math.IsInf(f, 0) && !isInfValue(v)) {
			return convErr(v, t, fmt.Sprintf("%v out of range", v))
		}
		dst.SetFloat(f)
		return nil
	case reflect.String:
		switch x := v.(type) {
		case string:
			dst.SetString(x)
		case []byte:
			// Python peers often send bytes where Go wants text; accept
			// them when they are text, so that the value can be sent
			// back as a str.
			if !utf8.Valid(x) {
				return convErr(v, t, "bytes are not valid UTF-8 (use a []byte target)")
			}
			dst.SetString(string(x))
		default:
			if rv.Kind() == reflect.String {
				dst.SetString(rv.String())
				return nil
			}
			return convErr(v, t, "")
		}
		return nil
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			var b []byte
			switch x := v.(type) {
			case []byte:
				b = append([]byte{}, x...)
			case string:
				b = []byte(x)
			}
			if b != nil {
				dst.Set(reflect.ValueOf(b).Convert(t))
				return nil
			}
		}
		if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
			return convErr(v, t, "")
		}
		n := rv.Len()
		out := reflect.MakeSlice(t, n, n)
		c.remember(key, keyed, out)
		for i := 0; i < n; i++ {
			if err := c.convert(rv.Index(i).Interface(), out.Index(i), depth+1); err != nil {
				return withPath(err, "["+strconv.Itoa(i)+"]")
			}
		}
		dst.Set(out)
		return nil
	case reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			var b []byte
			switch x := v.(type) {
			case []byte:
				b = x
			case string:
				b = []byte(x)
			}
			if b != nil {
				if len(b) != t.Len() {
					return convErr(v, t, fmt.Sprintf("length %d, want %d", len(b), t.Len()))
				}
				reflect.Copy(dst, reflect.ValueOf(b))
				return nil
			}
		}
		if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
			return convErr(v, t, "")
		}
		if rv.Len() != t.Len() {
			return convErr(v, t, fmt.Sprintf("length %d, want %d", rv.Len(), t.Len()))
		}
		for i := 0; i < t.Len(); i++ {
			if err := c.convert(rv.Index(i).Interface(), dst.Index(i), depth+1); err != nil {
				return withPath(err, "["+strconv.Itoa(i)+"]")
			}
		}
		c.remember(key, keyed, dst)
		return nil
	case reflect.Map:
		switch x := v.(type) {
		case Dict:
			m := reflect.MakeMapWithSize(t, len(x))
			c.remember(key, keyed, m)
			for _, p := range x {
				k := reflect.New(t.Key()).Elem()
				if err := c.convert(p.Key, k, depth+1); err != nil {
					return withPath(err, "[key "+keyText(p.Key)+"]")
				}
				e := reflect.New(t.Elem()).Elem()
				if err := c.convert(p.Value, e, depth+1); err != nil {
					return withPath(err, "["+keyText(p.Key)+"]")
				}
				m.SetMapIndex(k, e)
			}
			dst.Set(m)
			return nil
		}
		if rv.Kind() == reflect.Map {
			m := reflect.MakeMapWithSize(t, rv.Len())
			c.remember(key, keyed, m)
			it := rv.MapRange()
			for it.Next() {
				k := reflect.New(t.Key()).Elem()
				if err := c.convert(it.Key().Interface(), k, depth+1); err != nil {
					return withPath(err, "[key "+keyText(it.Key().Interface())+"]")
				}
				e := reflect.New(t.Elem()).Elem()
				if err := c.convert(it.Value().Interface(), e, depth+1); err != nil {
					return withPath(err, "["+keyText(it.Key().Interface())+"]")
				}
				m.SetMapIndex(k, e)
			}
			dst.Set(m)
			return nil
		}
		return convErr(v, t, "")
	case reflect.Struct:
		d, ok := v.(Dict)
		if !ok {
			return convErr(v, t, "")
		}
		si := cachedStructInfo(t)
		for _, p := range d {
			var name string
			switch k := p.Key.(type) {
			case string:
				name = k
			case []byte:
				name = string(k)
			default:
				continue
			}
			f, ok := si.lookup(name)
			if !ok {
				continue
			}
			fv, ok := fieldForSet(dst, f.index)
			if !ok {
				return convErr(v, t, fmt.Sprintf("cannot set field %q through a nil unexported embedded pointer", name))
			}
			if err := c.convert(p.Value, fv, depth+1); err != nil {
				return withPath(err, "."+name)
			}
		}
		c.remember(key, keyed, dst)
		return nil
	}
	return convErr(v, t, "")
}

func isInfValue(v any) bool {
	f, ok := v.(float64)
	return ok && math.IsInf(f, 0)
}

func keyText(k any) string {
	switch x := k.(type) {
	case string:
		return strconv.Quote(x)
	case []byte:
		return "b" + strconv.Quote(string(x))
	}
	return fmt.Sprint(k)
}

// toInt64 reports x, whether it fits int64, and whether v is an integer.
func toInt64(v any) (x int64, fits, isInt bool) {
	switch n := v.(type) {
	case int64:
		return n, true, true
	case *big.Int:
		if n.IsInt64() {
			return n.Int64(), true, true
		}
		return 0, false, true
	case int:
		return int64(n), true, true
	case int32:
		return int64(n), true, true
	case int16:
		return int64(n), true, true
	case int8:
		return int64(n), true, true
	case uint64:
		return int64(n), n <= math.MaxInt64, true
	case uint:
		return int64(n), uint64(n) <= math.MaxInt64, true
	case uint32:
		return int64(n), true, true
	case uint16:
		return int64(n), true, true
	case uint8:
		return int64(n), true, true
	}
	return 0, false, false
}

func toUint64(v any) (x uint64, fits, isInt bool) {
	switch n := v.(type) {
	case *big.Int:
		if n.IsUint64() {
			return n.Uint64(), true, true
		}
		return 0, false, true
	case uint64:
		return n, true, true
	case uint:
		return uint64(n), true, true
	}
	i, fits, isInt := toInt64(v)
	if !isInt || !fits || i < 0 {
		return 0, false, isInt
	}
	return uint64(i), true, true
}

func toBig(v any) (*big.Int, bool) {
	if b, ok := v.(*big.Int); ok {
		if b == nil {
			return nil, false
		}
		return new(big.Int).Set(b), true
	}
	if u, ok := v.(uint64); ok {
		return new(big.Int).SetUint64(u), true
	}
	if u, ok := v.(uint); ok {
		return new(big.Int).SetUint64(uint64(u)), true
	}
	i, fits, isInt := toInt64(v)
	if !isInt || !fits {
		return nil, false
	}
	return big.NewInt(i), true
}
