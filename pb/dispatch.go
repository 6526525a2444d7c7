package pb

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/braidkit/braid/jelly"
)

// Kwargs holds the keyword arguments of a call. A handler method receives
// them when its last parameter has this type.
type Kwargs map[string]any

// Request is one incoming remote call, as a Handler sees it.
type Request struct {
	// Method is the name the caller used, without any prefix.
	Method string
	// Args are the positional arguments, unjellied.
	Args []any
	// Kwargs are the keyword arguments (nil when there are none).
	Kwargs Kwargs
}

// Handler is implemented by objects that dispatch calls themselves instead
// of through Remote* methods (proxies, facades, REPL objects). When an
// exported object implements Handler, every call on it goes to HandleCall.
type Handler interface {
	HandleCall(ctx context.Context, req *Request) (any, error)
}

// Method prefixes for the four flavours of dispatch.
const (
	prefixRemote      = "Remote"
	prefixView        = "View"
	prefixPerspective = "Perspective"
	prefixObserve     = "Observe"
)

var (
	ctxType    = reflect.TypeOf((*context.Context)(nil)).Elem()
	errType    = reflect.TypeOf((*error)(nil)).Elem()
	kwargsType = reflect.TypeOf(Kwargs(nil))
)

// method is a callable found on a Go type.
type method struct {
	name     string        // Go name, for messages
	fn       reflect.Value // the method value's func, receiver first
	params   []reflect.Type
	variadic bool
	kwargs   bool // last parameter is Kwargs
	view     bool // second parameter receives the perspective
	result   bool // returns a value before the error
	hasErr   bool // returns an error last
}

// methodCache holds the method tables of Go types. Tables are built once per
// type and never change.
type methodCache struct {
	m    sync.Map // key: cacheKey -> map[string]*method
	wire sync.Map // key: cacheKey -> *wireTable
}

type cacheKey struct {
	t      reflect.Type
	prefix string
}

// goName maps a wire method name to the Go method name after the prefix:
// the first letter and every letter after an underscore are upper-cased and
// underscores dropped ("getUser" and "get_user" both give "GetUser").
func goName(wire string) string {
	var sb strings.Builder
	sb.Grow(len(wire))
	up := true
	for _, r := range wire {
		if r == '_' {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// lookup finds the handler method for a wire name on v's type.
func (c *methodCache) lookup(v any, prefix, wire string) (*method, error) {
	m := c.table(reflect.TypeOf(v), prefix)[goName(wire)]
	if m == nil {
		return nil, noSuchMethod(prefix, wire)
	}
	return m, nil
}

// table returns the methods of t with the given prefix, keyed by the Go name
// after the prefix.
func (c *methodCache) table(t reflect.Type, prefix string) map[string]*method {
	key := cacheKey{t, prefix}
	tab, ok := c.m.Load(key)
	if !ok {
		tab, _ = c.m.LoadOrStore(key, buildTable(t, prefix))
	}
	return tab.(map[string]*method)
}

// buildTable collects the methods of t whose names start with prefix
// followed by an upper-case letter and that take a context first.
func buildTable(t reflect.Type, prefix string) map[string]*method {
	tab := map[string]*method{}
	for i := 0; i < t.NumMethod(); i++ {
		mt := t.Method(i)
		rest, ok := strings.CutPrefix(mt.Name, prefix)
		if !ok || rest == "" {
			continue
		}
		if r, _ := utf8.DecodeRuneInString(rest); !unicode.IsUpper(r) {
			continue
		}
		ft := mt.Type // receiver is In(0)
		if ft.NumIn() < 2 || ft.In(1) != ctxType {
			continue
		}
		m := &method{name: mt.Name, fn: mt.Func, variadic: ft.IsVariadic(), view: prefix == prefixView}
		for j := 2; j < ft.NumIn(); j++ {
			m.params = append(m.params, ft.In(j))
		}
		if n := len(m.params); n > 0 && !m.variadic && m.params[n-1] == kwargsType {
			m.kwargs = true
			m.params = m.params[:n-1]
		}
		switch ft.NumOut() {
		case 0:
		case 1:
			if ft.Out(0) == errType {
				m.hasErr = true
			} else {
				m.result = true
			}
		case 2:
			if ft.Out(1) != errType {
				continue
			}
			m.result, m.hasErr = true, true
		default:
			continue
		}
		tab[rest] = m
	}
	return tab
}

// invoke calls m on recv with the unjellied arguments, converting each to
// the parameter's Go type.
func (m *method) invoke(ctx context.Context, recv any, persp any, args []any, kw Kwargs) (any, error) {
	params := m.params
	if m.view {
		if len(params) == 0 {
			return nil, typeErrorf("%s must take the perspective after the context", m.name)
		}
		params = params[1:]
	}
	fixed := len(params)
	if m.variadic {
		fixed--
	}
	if len(args) < fixed || (!m.variadic && len(args) > fixed) {
		want := fmt.Sprint(fixed)
		if m.variadic {
			want = fmt.Sprintf("at least %d", fixed)
		}
		return nil, typeErrorf("%s() takes %s positional arguments but %d were given", m.name, want, len(args))
	}
	if len(kw) > 0 && !m.kwargs {
		return nil, typeErrorf("%s() takes no keyword arguments", m.name)
	}
	in := make([]reflect.Value, 0, 3+len(args))
	in = append(in, reflect.ValueOf(recv), reflect.ValueOf(ctx))
	if m.view {
		pv := reflect.New(m.params[0]).Elem()
		if persp != nil {
			p := reflect.ValueOf(persp)
			if !p.Type().AssignableTo(pv.Type()) {
				return nil, typeErrorf("%s() cannot take a perspective of type %T", m.name, persp)
			}
			pv.Set(p)
		}
		in = append(in, pv)
	}
	for i, a := range args {
		var t reflect.Type
		if i < fixed {
			t = params[i]
		} else {
			t = params[fixed].Elem()
		}
		v := reflect.New(t).Elem()
		if err := jelly.ConvertValue(a, v); err != nil {
			return nil, typeErrorf("%s() argument %d: %v", m.name, i+1, err)
		}
		in = append(in, v)
	}
	if m.kwargs {
		if kw == nil {
			kw = Kwargs{}
		}
		in = append(in, reflect.ValueOf(kw))
	}
	return m.results(m.fn.Call(in))
}

// results turns a method's return values into its result and error.
func (m *method) results(out []reflect.Value) (res any, err error) {
	if m.result {
		res = out[0].Interface()
	}
	if m.hasErr {
		if e := out[len(out)-1]; !e.IsNil() {
			err = e.Interface().(error)
		}
	}
	return res, err
}
