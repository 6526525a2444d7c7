package jelly

import (
	"reflect"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/braidkit/braid/jelly/token"
)

// field describes one exported struct field as jelly sees it.
type field struct {
	name   string       // jelly name (dictionary key)
	index  []int        // path for reflect, through embedded structs
	tagged bool         // name came from a `jelly:"..."` tag
	key    []any        // shared, read-only expression [unicode, name]
	typ    reflect.Type // field type
}

// structInfo is the cached field list of a struct type.
type structInfo struct {
	fields []field
	byName map[string]int // jelly name -> index into fields
	byFold map[string]int // lower-cased jelly name -> index (first wins)
	// The tokens of the struct's dictionary, as the codecs cache them:
	// keys[k] is the k'th entry up to its value, [[unicode, name], and
	// open the dictionary's header and tag followed by keys[0] (just the
	// header and tag when there are no fields).
	keys []*token.Prefix
	open *token.Prefix
	// flat is the dictionary as a token.Flat (open, value, keys[1],
	// value, ...) when every field is a number, a string or a byte slice
	// (flatKinds), else nil.
	flat *token.Flat
}

// flatKind is the kind of scalar a field of type t is written as, if it
// is one the streaming encoder and the TypedDecoder both take as a plain
// token: integers, floats, strings (as text) and byte slices.
func flatKind(t reflect.Type) (token.Kind, bool) {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return token.Int, true
	case reflect.Float32, reflect.Float64:
		return token.Float, true
	case reflect.String:
		return token.Text, true
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return token.Bytes, true
		}
	}
	return token.Invalid, false
}

// structCache caches structInfo per reflect.Type, like encoding/json's
// field cache. Entries are computed from the type alone and never change.
var structCache sync.Map // reflect.Type -> *structInfo

// fieldName applies the naming rule: the Go name with its first letter
// lower-cased.
func fieldName(goName string) string {
	r, n := utf8.DecodeRuneInString(goName)
	l := unicode.ToLower(r)
	if l == r {
		return goName
	}
	return string(l) + goName[n:]
}

func cachedStructInfo(t reflect.Type) *structInfo {
	if si, ok := structCache.Load(t); ok {
		return si.(*structInfo)
	}
	si, _ := structCache.LoadOrStore(t, buildStructInfo(t))
	return si.(*structInfo)
}

// buildStructInfo lists the exported fields of t, promoting the fields of
// embedded structs the way encoding/json does: a field at a shallower depth
// hides deeper ones of the same name; among fields at the same depth a
// single tagged one wins, and otherwise all of them are dropped.
func buildStructInfo(t reflect.Type) *structInfo {
	type candidate struct {
		field
		depth int
	}
	var cands []candidate
	type level struct {
		typ   reflect.Type
		index []int
	}
	visited := map[reflect.Type]bool{}
	cur := []level{{typ: t}}
	for depth := 0; len(cur) > 0; depth++ {
		var next []level
		for _, lv := range cur {
			if visited[lv.typ] {
				continue
			}
			visited[lv.typ] = true
			for i := 0; i < lv.typ.NumField(); i++ {
				sf := lv.typ.Field(i)
				ft := sf.Type
				if sf.Anonymous {
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("jelly")
				if tag == "-" {
					continue
				}
				name, _, _ := strings.Cut(tag, ",")
				index := make([]int, len(lv.index)+1)
				copy(index, lv.index)
				index[len(lv.index)] = i
				if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
					next = append(next, level{typ: ft, index: index})
					continue
				}
				if !sf.IsExported() {
					continue // an unexported embedded struct with a tag
				}
				tagged := name != ""
				if !tagged {
					name = fieldName(sf.Name)
				}
				cands = append(cands, candidate{field: field{name: name, index: index, tagged: tagged, typ: sf.Type}, depth: depth})
			}
		}
		cur = next
	}
	// Pick the dominant field for each name.
	byName := map[string][]candidate{}
	var order []string
	for _, c := range cands {
		if _, seen := byName[c.name]; !seen {
			order = append(order, c.name)
		}
		byName[c.name] = append(byName[c.name], c)
	}
	var fields []field
	for _, name := range order {
		cs := byName[name]
		minDepth := cs[0].depth
		for _, c := range cs {
			minDepth = min(minDepth, c.depth)
		}
		var top []candidate
		for _, c := range cs {
			if c.depth == minDepth {
				top = append(top, c)
			}
		}
		if len(top) > 1 {
			var tagged []candidate
			for _, c := range top {
				if c.tagged {
					tagged = append(tagged, c)
				}
			}
			top = tagged
		}
		if len(top) == 1 {
			fields = append(fields, top[0].field)
		}
	}
	sort.Slice(fields, func(i, j int) bool {
		a, b := fields[i].index, fields[j].index
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return len(a) < len(b)
	})
	si := &structInfo{fields: fields, byName: map[string]int{}, byFold: map[string]int{}}
	si.keys = make([]*token.Prefix, len(fields))
	si.open = token.NewPrefix(func(w token.Writer) {
		w.List(len(fields) + 1)
		w.String("dictionary")
		if len(fields) > 0 {
			writeKey(w, fields[0].name)
		}
	})
	for i := range si.fields {
		f := &si.fields[i]
		si.keys[i] = token.NewPrefix(func(w token.Writer) { writeKey(w, f.name) })
		f.key = []any{"unicode", f.name}
		si.byName[f.name] = i
		fold := strings.ToLower(f.name)
		if _, ok := si.byFold[fold]; !ok {
			si.byFold[fold] = i
		}
	}
	if len(fields) > 0 {
		kinds := make([]token.Kind, len(fields))
		for i := range fields {
			k, ok := flatKind(fields[i].typ)
			if !ok {
				return si
			}
			kinds[i] = k
		}
		pre := append([]*token.Prefix{si.open}, si.keys[1:]...)
		si.flat = token.NewFlat(pre, kinds)
	}
	return si
}

// writeKey writes the start of a dictionary entry keyed by a field name.
func writeKey(w token.Writer, name string) {
	w.List(2)
	w.List(2)
	w.String("unicode")
	w.String(name)
}

// lookup finds the field for a dictionary key: the exact jelly name first,
// then a case-insensitive match.
func (si *structInfo) lookup(key string) (*field, bool) {
	if i, ok := si.byName[key]; ok {
		return &si.fields[i], true
	}
	if i, ok := si.byFold[strings.ToLower(key)]; ok {
		return &si.fields[i], true
	}
	return nil, false
}

// fieldByIndex returns the field at index for reading; ok is false when an
// embedded pointer on the way is nil.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// fieldForSet returns the field at index for writing, allocating nil
// embedded pointers on the way. ok is false when such a pointer cannot be
// set (an unexported embedded pointer).
func fieldForSet(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !v.CanSet() {
					return reflect.Value{}, false
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}
