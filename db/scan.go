package db

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/braidkit/braid/jelly"
)

// Scan converts rows into values of type T.
//
// When T is a struct (or a pointer to one), each column goes to the field
// whose `db:"name"` tag is the column name, or else to the exported field
// whose name matches the column's ignoring case and underscores (column
// user_name fills UserName). Fields of embedded structs are promoted; a tag
// `db:"-"` skips a field; columns with no field are ignored. Otherwise
// each row must have exactly one column, which becomes the T.
//
// Values convert as database/sql's Scan would: into fields implementing
// sql.Scanner, between integer and float kinds (with overflow checks),
// between strings and byte slices, from text to numbers, booleans and
// times, and from nil to the zero value (or a nil pointer).
func Scan[T any](rows []Row) ([]T, error) {
	out := make([]T, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	t := reflect.TypeOf((*T)(nil)).Elem()
	st := t
	if st.Kind() == reflect.Pointer {
		st = st.Elem()
	}
	isStruct := st.Kind() == reflect.Struct && !isValueStruct(st)
	var plan []*fieldInfo
	var cols []string
	for i, r := range rows {
		dst := reflect.ValueOf(&out[i]).Elem()
		if !isStruct {
			if len(r.Values) != 1 {
				return nil, fmt.Errorf("db: scan into %s: row has %d columns, want 1", t, len(r.Values))
			}
			if err := assign(dst, r.Values[0]); err != nil {
				return nil, fmt.Errorf("db: scan column %q: %w", firstOr(r.Columns), err)
			}
			continue
		}
		if plan == nil || !sameColumns(cols, r.Columns) {
			cols = r.Columns
			plan = planFor(st, cols)
		}
		if t.Kind() == reflect.Pointer {
			dst.Set(reflect.New(st))
			dst = dst.Elem()
		}
		for j, f := range plan {
			if f == nil || j >= len(r.Values) {
				continue
			}
			fv, err := fieldByIndex(dst, f.index)
			if err != nil {
				return nil, err
			}
			if err := assign(fv, r.Values[j]); err != nil {
				return nil, fmt.Errorf("db: scan column %q into %s.%s: %w", cols[j], st, f.name, err)
			}
		}
	}
	return out, nil
}

// Query runs a query on q (a *Pool or a Tx) and scans the rows into T
// (see Scan).
func Query[T any](ctx context.Context, q Querier, query string, args ...any) ([]T, error) {
	rows, err := q.RunQuery(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return Scan[T](rows)
}

func firstOr(cols []string) string {
	if len(cols) > 0 {
		return cols[0]
	}
	return ""
}

func sameColumns(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) > 0 && &a[0] == &b[0] {
		return true
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// isValueStruct reports struct types that are scanned as one value.
func isValueStruct(t reflect.Type) bool {
	switch t {
	case timeType, decimalType, bigIntType:
		return true
	}
	return reflect.PointerTo(t).Implements(scannerType)
}

var (
	timeType    = reflect.TypeOf(time.Time{})
	decimalType = reflect.TypeOf(jelly.Decimal{})
	bigIntType  = reflect.TypeOf(big.Int{})
	scannerType = reflect.TypeOf((*sql.Scanner)(nil)).Elem()
)

type fieldInfo struct {
	name  string
	index []int
}

var fieldCache sync.Map // reflect.Type -> []fieldEntry

type fieldEntry struct {
	tag, norm string
	info      *fieldInfo
}

func normName(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }

func fieldsOf(t reflect.Type) []fieldEntry {
	if v, ok := fieldCache.Load(t); ok {
		return v.([]fieldEntry)
	}
	var out []fieldEntry
	var walk func(t reflect.Type, index []int, depth int)
	walk = func(t reflect.Type, index []int, depth int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			idx := append(append([]int(nil), index...), i)
			tag, hasTag := f.Tag.Lookup("db")
			if tag == "-" {
				continue
			}
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if f.Anonymous && !hasTag && ft.Kind() == reflect.Struct && !isValueStruct(ft) && depth < 8 {
				walk(ft, idx, depth+1)
				continue
			}
			if !f.IsExported() {
				continue
			}
			tag, _, _ = strings.Cut(tag, ",")
			out = append(out, fieldEntry{tag: tag, norm: normName(f.Name), info: &fieldInfo{name: f.Name, index: idx}})
		}
	}
	walk(t, nil, 0)
	fieldCache.Store(t, out)
	return out
}

// planFor maps each column to a field (nil when none).
func planFor(t reflect.Type, cols []string) []*fieldInfo {
	fields := fieldsOf(t)
	plan := make([]*fieldInfo, len(cols))
	for j, c := range cols {
		for _, f := range fields {
			if f.tag == c {
				plan[j] = f.info
				break
			}
		}
		if plan[j] != nil {
			continue
		}
		n := normName(c)
		for _, f := range fields {
			if f.tag == "" && f.norm == n {
				plan[j] = f.info
				break
			}
		}
	}
	return plan
}

// fieldByIndex walks index, allocating nil embedded pointers.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, error) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !v.CanSet() {
					return reflect.Value{}, fmt.Errorf("db: cannot set embedded pointer in %s", v.Type())
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, nil
}

// assign stores src into dst, converting as Scan documents.
func assign(dst reflect.Value, src any) error {
	if dst.CanAddr() {
		if sc, ok := dst.Addr().Interface().(sql.Scanner); ok {
			if d, ok := src.(jelly.Decimal); ok {
				src = d.String()
			}
			return sc.Scan(src)
		}
	}
	if src == nil {
		dst.SetZero()
		return nil
	}
	if dst.Kind() == reflect.Pointer {
		p := reflect.New(dst.Type().Elem())
		if err := assign(p.Elem(), src); err != nil {
			return err
		}
		dst.Set(p)
		return nil
	}
	sv := reflect.ValueOf(src)
	if dst.Kind() == reflect.Interface {
		if sv.Type().Implements(dst.Type()) {
			dst.Set(sv)
			return nil
		}
		return fmt.Errorf("cannot store %T in %s", src, dst.Type())
	}
	if sv.Type().AssignableTo(dst.Type()) {
		if b, ok := src.([]byte); ok {
			src = append([]byte(nil), b...)
			sv = reflect.ValueOf(src)
		}
		dst.Set(sv)
		return nil
	}
	switch dst.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := toInt(src)
		if err != nil {
			return err
		}
		if dst.OverflowInt(n) {
			return fmt.Errorf("%d overflows %s", n, dst.Type())
		}
		dst.SetInt(n)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := toInt(src)
		if err != nil {
			return err
		}
		if n < 0 || dst.OverflowUint(uint64(n)) {
			return fmt.Errorf("%d overflows %s", n, dst.Type())
		}
		dst.SetUint(uint64(n))
		return nil
	case reflect.Float32, reflect.Float64:
		f, err := toFloat(src)
		if err != nil {
			return err
		}
		if dst.Kind() == reflect.Float32 && math.Abs(f) > math.MaxFloat32 && !math.IsInf(f, 0) {
			return fmt.Errorf("%g overflows float32", f)
		}
		dst.SetFloat(f)
		return nil
	case reflect.Bool:
		switch x := src.(type) {
		case int64:
			dst.SetBool(x != 0)
			return nil
		case string:
			b, err := strconv.ParseBool(x)
			if err != nil {
				return err
			}
			dst.SetBool(b)
			return nil
		}
	case reflect.String:
		switch x := src.(type) {
		case []byte:
			dst.SetString(string(x))
			return nil
		case jelly.Decimal:
			dst.SetString(x.String())
			return nil
		case int64:
			dst.SetString(strconv.FormatInt(x, 10))
			return nil
		case float64:
			dst.SetString(strconv.FormatFloat(x, 'g', -1, 64))
			return nil
		case time.Time:
			dst.SetString(x.Format(time.RFC3339Nano))
			return nil
		case fmt.Stringer:
			dst.SetString(x.String())
			return nil
		}
	case reflect.Slice:
		if dst.Type().Elem().Kind() == reflect.Uint8 {
			if s, ok := src.(string); ok {
				dst.SetBytes([]byte(s))
				return nil
			}
		}
	case reflect.Struct:
		if dst.Type() == timeType {
			if s, ok := src.(string); ok {
				for _, f := range timeFormats {
					if tm, err := time.Parse(f, s); err == nil {
						dst.Set(reflect.ValueOf(tm))
						return nil
					}
				}
				return fmt.Errorf("cannot parse %q as a time", s)
			}
		}
	}
	if sv.Type().ConvertibleTo(dst.Type()) && sv.Kind() == dst.Kind() {
		dst.Set(sv.Convert(dst.Type()))
		return nil
	}
	return fmt.Errorf("cannot store %T in %s", src, dst.Type())
}

var timeFormats = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
}

func toInt(src any) (int64, error) {
	switch x := src.(type) {
	case int64:
		return x, nil
	case float64:
		if x != math.Trunc(x) || x < math.MinInt64 || x >= math.MaxInt64 {
			return 0, fmt.Errorf("%g is not an integer", x)
		}
		return int64(x), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case string:
		return strconv.ParseInt(strings.TrimSpace(x), 10, 64)
	case []byte:
		return strconv.ParseInt(strings.TrimSpace(string(x)), 10, 64)
	case jelly.Decimal:
		r, ok := new(big.Rat).SetString(x.String())
		if !ok || !r.IsInt() || !r.Num().IsInt64() {
			return 0, fmt.Errorf("%s is not an int64", x)
		}
		return r.Num().Int64(), nil
	case *big.Int:
		if !x.IsInt64() {
			return 0, fmt.Errorf("%s overflows int64", x)
		}
		return x.Int64(), nil
	}
	return 0, fmt.Errorf("cannot convert %T to an integer", src)
}

func toFloat(src any) (float64, error) {
	switch x := src.(type) {
	case float64:
		return x, nil
	case int64:
		return float64(x), nil
	case string:
		return strconv.ParseFloat(strings.TrimSpace(x), 64)
	case []byte:
		return strconv.ParseFloat(strings.TrimSpace(string(x)), 64)
	case jelly.Decimal:
		return strconv.ParseFloat(x.String(), 64)
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, nil
	}
	return 0, fmt.Errorf("cannot convert %T to a float", src)
}
