package literal

import (
	"context"
	"fmt"
)

// maxDepth bounds the nesting of brackets, calls and unary signs, so that
// hostile input cannot exhaust the stack.
const maxDepth = 200

// Expr is a parsed expression: a literal, possibly with names and method
// calls (ParseExpr). Evaluate it with Eval.
type Expr interface{ exprNode() }

// Const is a constant value: a number, string, bytes, None, True or False.
type Const struct{ Value any }

// SeqKind says which Python container a Seq builds.
type SeqKind int

// The kinds of sequence displays.
const (
	ListKind SeqKind = iota
	TupleKind
	SetKind
)

// Seq is a list [..], tuple (..,) or set {..} display.
type Seq struct {
	Kind  SeqKind
	Elems []Expr
}

// DictExpr is a dict display {k: v, ...}; Keys and Values have the same
// length.
type DictExpr struct {
	Keys, Values []Expr
}

// Unary is -x or +x.
type Unary struct {
	Op byte // '-' or '+'
	X  Expr
}

// Name is a variable name (ParseExpr only).
type Name struct {
	Name string
	Pos  int
}

// Call is a call of a built-in constructor (Recv nil: set, frozenset,
// float, datetime, date, time, timedelta, Decimal, Instance, Unpersistable)
// or of a method on an object (recv.method(args), ParseExpr only).
type Call struct {
	Recv   Expr // nil for a built-in
	Func   string
	Args   []Expr
	Kwargs []KwargExpr
	Pos    int
}

// Index is x[key]: an element of a list or tuple, or a dict's value
// (ParseExpr only).
type Index struct {
	X, Key Expr
	Pos    int
}

// KwargExpr is one name=value argument of a call.
type KwargExpr struct {
	Name  string
	Value Expr
}

func (Const) exprNode()     {}
func (*Seq) exprNode()      {}
func (*DictExpr) exprNode() {}
func (*Unary) exprNode()    {}
func (*Name) exprNode()     {}
func (*Call) exprNode()     {}
func (*Index) exprNode()    {}

// Builtins are the names of the built-in constructors a literal may call.
var Builtins = []string{"set", "frozenset", "float", "datetime", "date", "time", "timedelta", "Decimal", "Instance", "Unpersistable"}

// Reserved are the names that are never variables: the constants and the
// built-in constructors.
var Reserved = append([]string{"None", "True", "False"}, Builtins...)

func isBuiltin(name string) bool {
	for _, b := range Builtins {
		if b == name {
			return true
		}
	}
	return false
}

// IsReserved reports whether name is a constant or a built-in constructor,
// which cannot be used as a variable.
func IsReserved(name string) bool {
	return name == "None" || name == "True" || name == "False" || isBuiltin(name)
}

// parser is a recursive-descent parser over the lexer's tokens.
type parser struct {
	lx        lexer
	tok       token // current token
	names     bool  // names and method calls are allowed
	depth     int
	openCount int // brackets open, for incomplete input
}

// Parse parses the text of one literal value (see the package
// documentation for the syntax) and returns the generic value it denotes.
// Names and method calls are not allowed.
func Parse(src string) (any, error) {
	e, err := parse(src, false)
	if err != nil {
		return nil, err
	}
	return Eval(context.Background(), e, nil)
}

// ParseExpr parses an expression: the literal syntax plus variable names
// and method calls (obj.method(args, key=value), chained). Evaluate it with
// Eval and an Env that knows the names and performs the calls.
func ParseExpr(src string) (Expr, error) { return parse(src, true) }

func parse(src string, names bool) (Expr, error) {
	p := &parser{lx: lexer{src: src}, names: names}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tokEOF {
		return nil, p.errf("empty input")
	}
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, p.errf("unexpected %s after the value", p.tok)
	}
	return e, nil
}

func (p *parser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) errf(format string, args ...any) error {
	e := p.lx.errAt(p.tok.pos, format, args...)
	if p.tok.kind == tokEOF && p.openCount > 0 {
		e.Incomplete = true
	}
	return e
}

func (p *parser) isPunct(s string) bool { return p.tok.kind == tokPunct && p.tok.text == s }

func (p *parser) expect(s string) error {
	if !p.isPunct(s) {
		return p.errf("expected %q, found %s", s, p.tok)
	}
	return p.advance()
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errf("nesting deeper than %d", maxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// expr := ('-' | '+') expr | postfix
func (p *parser) expr() (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	if p.isPunct("-") || p.isPunct("+") {
		op := p.tok.text[0]
		if err := p.advance(); err != nil {
			return nil, err
		}
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		if c, ok := x.(Const); ok {
			v, err := unary(op, c.Value)
			if err != nil {
				return nil, p.errf("%v", err)
			}
			return Const{v}, nil
		}
		return &Unary{Op: op, X: x}, nil
	}
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for p.isPunct(".") || (p.names && p.isPunct("[")) {
		if p.isPunct("[") {
			pos := p.tok.pos
			p.openCount++
			if err := p.advance(); err != nil {
				return nil, err
			}
			key, err := p.expr()
			if err != nil {
				return nil, err
			}
			if !p.isPunct("]") {
				return nil, p.errf("expected \"]\" after the index, found %s", p.tok)
			}
			p.openCount--
			if err := p.advance(); err != nil {
				return nil, err
			}
			x = &Index{X: x, Key: key, Pos: pos}
			continue
		}
		if !p.names {
			return nil, p.errf("method calls are not allowed in a literal")
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind != tokIdent {
			return nil, p.errf("expected a method name after '.', found %s", p.tok)
		}
		name, pos := p.tok.text, p.tok.pos
		if err := p.advance(); err != nil {
			return nil, err
		}
		if !p.isPunct("(") {
			return nil, p.errf("expected '(' after method name %s (attributes are not supported; call methods)", name)
		}
		c := &Call{Recv: x, Func: name, Pos: pos}
		if err := p.callArgs(c); err != nil {
			return nil, err
		}
		x = c
	}
	return x, nil
}

// callArgs parses '(' args ')' into c; the current token is '('.
func (p *parser) callArgs(c *Call) error {
	p.openCount++
	if err := p.advance(); err != nil {
		return err
	}
	for !p.isPunct(")") {
		// key=value?
		if p.tok.kind == tokIdent {
			save, saveTok := p.lx.pos, p.tok
			if err := p.advance(); err != nil {
				return err
			}
			if p.isPunct("=") {
				if err := p.advance(); err != nil {
					return err
				}
				v, err := p.expr()
				if err != nil {
					return err
				}
				for _, kw := range c.Kwargs {
					if kw.Name == saveTok.text {
						return p.lx.errAt(saveTok.pos, "keyword argument %s repeated", kw.Name)
					}
				}
				c.Kwargs = append(c.Kwargs, KwargExpr{Name: saveTok.text, Value: v})
				goto next
			}
			p.lx.pos, p.tok = save, saveTok
		}
		{
			if len(c.Kwargs) > 0 {
				return p.errf("positional argument follows keyword argument")
			}
			v, err := p.expr()
			if err != nil {
				return err
			}
			c.Args = append(c.Args, v)
		}
	next:
		if p.isPunct(",") {
			if err := p.advance(); err != nil {
				return err
			}
			continue
		}
		if !p.isPunct(")") {
			return p.errf("expected ',' or ')' in the arguments of %s, found %s", c.Func, p.tok)
		}
	}
	p.openCount--
	return p.advance()
}

// primary parses a value without signs or method calls.
func (p *parser) primary() (Expr, error) {
	t := p.tok
	switch t.kind {
	case tokEOF:
		return nil, p.errf("unexpected end of input")
	case tokInt, tokFloat, tokString, tokBytes:
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind == tokString || p.tok.kind == tokBytes {
			return nil, p.errf("unexpected %s (adjacent strings are not joined)", p.tok)
		}
		return Const{t.val}, nil
	case tokIdent:
		return p.ident()
	}
	switch t.text {
	case "[":
		return p.seq(ListKind, "]")
	case "(":
		return p.paren()
	case "{":
		return p.brace()
	case "<":
		return nil, p.errf("remote references and other <...> values cannot be written as literals (keep them in a variable)")
	}
	return nil, p.errf("unexpected %s", t)
}

// ident parses None, True, False, a built-in call, or a name.
func (p *parser) ident() (Expr, error) {
	t := p.tok
	if err := p.advance(); err != nil {
		return nil, err
	}
	switch t.text {
	case "None":
		return Const{nil}, nil
	case "True":
		return Const{true}, nil
	case "False":
		return Const{false}, nil
	}
	fn := t.text
	// Python's reprs qualify some constructors with their module.
	if (fn == "datetime" || fn == "decimal") && p.isPunct(".") {
		save, saveTok := p.lx.pos, p.tok
		if err := p.advance(); err != nil {
			return nil, err
		}
		q := p.tok.text
		if p.tok.kind == tokIdent && ((fn == "datetime" && (q == "datetime" || q == "date" || q == "time" || q == "timedelta")) ||
			(fn == "decimal" && q == "Decimal")) {
			fn = q
			if err := p.advance(); err != nil {
				return nil, err
			}
		} else {
			p.lx.pos, p.tok = save, saveTok
		}
	}
	if isBuiltin(fn) {
		if !p.isPunct("(") {
			return nil, p.errf("%s must be called: %s(...)", fn, fn)
		}
		c := &Call{Func: fn, Pos: t.pos}
		if err := p.callArgs(c); err != nil {
			return nil, err
		}
		if !p.names {
			// Fold constants now, so that Parse reports errors with
			// positions and the fuzz target exercises the constructors.
			v, err := Eval(context.Background(), c, nil)
			if err != nil {
				return nil, p.lx.errAt(t.pos, "%v", err)
			}
			return Const{v}, nil
		}
		return c, nil
	}
	if !p.names {
		if p.isPunct("(") {
			return nil, p.lx.errAt(t.pos, "unknown function %s", t.text)
		}
		return nil, p.lx.errAt(t.pos, "unknown name %s (a literal has no variables; strings need quotes)", t.text)
	}
	if p.isPunct("(") {
		return nil, p.lx.errAt(t.pos, "unknown function %s (call methods on an object: root.%s(...))", t.text, t.text)
	}
	return &Name{Name: t.text, Pos: t.pos}, nil
}

// seq parses the elements of a list or set up to close; the current token
// is the opening bracket.
func (p *parser) seq(kind SeqKind, close string) (Expr, error) {
	p.openCount++
	if err := p.advance(); err != nil {
		return nil, err
	}
	s := &Seq{Kind: kind}
	for !p.isPunct(close) {
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		s.Elems = append(s.Elems, e)
		if err := p.sep(close); err != nil {
			return nil, err
		}
	}
	p.openCount--
	return fold(s), p.advance()
}

// sep consumes a ',' or checks for the closing bracket.
func (p *parser) sep(close string) error {
	if p.isPunct(",") {
		return p.advance()
	}
	if !p.isPunct(close) {
		return p.errf("expected ',' or %q, found %s", close, p.tok)
	}
	return nil
}

// paren parses (), (x), (x,) and (x, y, ...).
func (p *parser) paren() (Expr, error) {
	p.openCount++
	if err := p.advance(); err != nil {
		return nil, err
	}
	s := &Seq{Kind: TupleKind}
	if p.isPunct(")") {
		p.openCount--
		return fold(s), p.advance()
	}
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.isPunct(")") {
		p.openCount--
		return e, p.advance() // parenthesised expression
	}
	s.Elems = append(s.Elems, e)
	if err := p.expect(","); err != nil {
		return nil, err
	}
	for !p.isPunct(")") {
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		s.Elems = append(s.Elems, e)
		if err := p.sep(")"); err != nil {
			return nil, err
		}
	}
	p.openCount--
	return fold(s), p.advance()
}

// brace parses {} (an empty dict), {k: v, ...} and {x, ...} (a set).
func (p *parser) brace() (Expr, error) {
	p.openCount++
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.isPunct("}") {
		p.openCount--
		return Const{emptyDict()}, p.advance()
	}
	first, err := p.expr()
	if err != nil {
		return nil, err
	}
	if !p.isPunct(":") {
		s := &Seq{Kind: SetKind, Elems: []Expr{first}}
		if err := p.sep("}"); err != nil {
			return nil, err
		}
		for !p.isPunct("}") {
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			s.Elems = append(s.Elems, e)
			if err := p.sep("}"); err != nil {
				return nil, err
			}
		}
		p.openCount--
		return fold(s), p.advance()
	}
	d := &DictExpr{}
	key := first
	for {
		if err := p.expect(":"); err != nil {
			return nil, err
		}
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		d.Keys = append(d.Keys, key)
		d.Values = append(d.Values, v)
		if err := p.sep("}"); err != nil {
			return nil, err
		}
		if p.isPunct("}") {
			break
		}
		if key, err = p.expr(); err != nil {
			return nil, err
		}
	}
	p.openCount--
	return foldDict(d), p.advance()
}

// fold turns a display of constants into a constant.
func fold(s *Seq) Expr {
	for _, e := range s.Elems {
		if _, ok := e.(Const); !ok {
			return s
		}
	}
	v, _ := Eval(context.Background(), s, nil)
	return Const{v}
}

func foldDict(d *DictExpr) Expr {
	for i := range d.Keys {
		if _, ok := d.Keys[i].(Const); !ok {
			return d
		}
		if _, ok := d.Values[i].(Const); !ok {
			return d
		}
	}
	v, _ := Eval(context.Background(), d, nil)
	return Const{v}
}

// Describe returns a short description of an expression for messages.
func Describe(e Expr) string {
	switch e := e.(type) {
	case Const:
		return Format(e.Value)
	case *Name:
		return e.Name
	case *Call:
		if e.Recv == nil {
			return e.Func + "(...)"
		}
		return Describe(e.Recv) + "." + e.Func + "(...)"
	case *Unary:
		return string(e.Op) + Describe(e.X)
	case *Index:
		return Describe(e.X) + "[" + Describe(e.Key) + "]"
	}
	return fmt.Sprintf("%T", e)
}
