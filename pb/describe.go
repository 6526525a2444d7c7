package pb

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/braidkit/braid/jelly"
)

// DescribeMethod is the wire name of Braid's introspection extension: a call
// of it on any object a Braid peer exports answers with a Description of the
// object instead of running one of its methods. Twisted peers answer it with
// a NoSuchMethod failure.
const DescribeMethod = "__describe__"

// MethodDoc describes one remote method.
type MethodDoc struct {
	// Name is the wire name a caller uses.
	Name string `jelly:"name"`
	// Args names the parameters' Go types, after the context (and, for
	// View methods, the perspective).
	Args []string `jelly:"args"`
	// Variadic is true when the last argument takes any number of values.
	Variadic bool `jelly:"variadic"`
	// Doc is the method's documentation, when the object provides it.
	Doc string `jelly:"doc"`
}

// Description is what the introspection extension answers.
type Description struct {
	// Type is the Go type of the object.
	Type string `jelly:"type"`
	// Doc is the object's documentation, when it provides it.
	Doc string `jelly:"doc"`
	// Methods are the remote methods, sorted by name.
	Methods []MethodDoc `jelly:"methods"`
}

// Documented is implemented by objects that document themselves for the
// introspection extension (braid shell's describe). Method docs are keyed by
// wire name.
type Documented interface {
	PBDoc() (object string, methods map[string]string)
}

// Describer is implemented by objects that build their own Description,
// such as Handlers whose methods reflection cannot see.
type Describer interface {
	PBDescribe(ctx context.Context) Description
}

// describe builds the Description of an exported object.
func (b *Broker) describe(ctx context.Context, ex *export) any {
	var d Description
	if ds, ok := ex.obj.(Describer); ok {
		d = ds.PBDescribe(ctx)
	} else {
		d.Type = reflect.TypeOf(ex.obj).String()
		if _, isHandler := ex.obj.(Handler); !isHandler {
			for goName, m := range b.cfg.methods.table(reflect.TypeOf(ex.obj), ex.kind) {
				md := MethodDoc{Name: wireName(goName), Variadic: m.variadic}
				params := m.params
				if m.view && len(params) > 0 {
					params = params[1:]
				}
				for i, p := range params {
					if m.variadic && i == len(params)-1 {
						md.Args = append(md.Args, "..."+typeName(p.Elem()))
						continue
					}
					md.Args = append(md.Args, typeName(p))
				}
				if m.kwargs {
					md.Args = append(md.Args, "**kwargs")
				}
				d.Methods = append(d.Methods, md)
			}
		}
	}
	if doc, ok := ex.obj.(Documented); ok {
		objDoc, methodDocs := doc.PBDoc()
		if d.Doc == "" {
			d.Doc = objDoc
		}
		for i := range d.Methods {
			if d.Methods[i].Doc == "" {
				d.Methods[i].Doc = methodDocs[d.Methods[i].Name]
			}
		}
	}
	sort.Slice(d.Methods, func(i, j int) bool { return d.Methods[i].Name < d.Methods[j].Name })
	return d
}

// typeName names a parameter type as Go source would ("any", not
// "interface {}").
func typeName(t reflect.Type) string {
	return strings.ReplaceAll(t.String(), "interface {}", "any")
}

// wireName is the name callers use for a Go method name after its prefix:
// its first letter lower-cased ("GetUser" -> "getUser").
func wireName(goName string) string {
	r, n := utf8.DecodeRuneInString(goName)
	return string(unicode.ToLower(r)) + goName[n:]
}

// DescriptionFrom converts the unjellied answer of a DescribeMethod call
// into a Description.
func DescriptionFrom(v any) (Description, error) {
	var d Description
	err := jelly.Convert(v, &d)
	return d, err
}
