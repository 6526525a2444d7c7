// Package token is the token-level interface between package jelly and the
// wire codecs (jelly/banana, jelly/native). An s-expression is a sequence
// of tokens in prefix order: a list token announces how many members
// follow, and every other token is a complete leaf (integer, big integer,
// float or byte string).
//
// A codec implements Writer to append an expression's bytes as jelly walks
// a Go value, without building an expression tree first, and Reader to
// walk the tokens of an expression that is already in memory (one framed
// message), so that jelly can decode it straight into typed Go values.
// Both produce and accept exactly the bytes the codec's Append and Decoder
// do. ReadExpr builds the ordinary expression tree from a Reader.
//
// Text, the expression ["unicode", s] that jelly writes for every Go
// string, has optional short cuts on both sides: a Writer may implement
// TextWriter to take it in one call, and a Reader may return it as one
// Text token (package native does both, as it has a compact encoding for
// it). Everything else sees the three tokens List(2), Bytes("unicode"),
// Bytes(s).
package token

import (
	"errors"
	"fmt"
	"math/big"
	"sync/atomic"
)

// Writer receives the tokens of expressions, in order. A codec's Writer
// enforces its limits (string and list sizes, nesting depth, expression
// size) and, after the first error, refuses every further token with the
// same error.
type Writer interface {
	// List starts a list of n members; the next n expressions are they.
	List(n int) error
	Int(v int64) error
	Uint(v uint64) error
	// Big writes an integer of any size; it must not be nil.
	Big(v *big.Int) error
	Float(v float64) error
	// Bytes and String write a byte string (the codec may compress a
	// vocabulary word, or choose a format, exactly as its Append does).
	Bytes(b []byte) error
	String(s string) error
}

// Kind is the kind of a Token.
type Kind uint8

// Token kinds.
const (
	Invalid Kind = iota
	List         // N members follow
	Int          // Int holds the value
	Big          // Big holds an integer that does not fit in an int64
	Float        // Float holds the value
	Bytes        // Bytes holds the byte string (it aliases the reader's input)
	// Text stands for the three tokens of the expression ["unicode", s]
	// (a list of two byte strings, the first "unicode"): Bytes holds s,
	// which is valid UTF-8 (a Reader checks it).
	Text
)

// Token is one token read by a Reader. Only the fields that its Kind
// names are meaningful: a Reader may leave the others as they were.
type Token struct {
	Kind  Kind
	N     int // List: the member count
	Int   int64
	Float float64
	Big   *big.Int
	// Bytes aliases the reader's input (or a shared vocabulary word): it
	// must not be modified and must be copied to be kept.
	Bytes []byte
}

// Reader returns the tokens of in-memory expressions, in order. Next
// returns ErrEnd when the input is exhausted. A Reader may return a Text
// token in place of the three tokens of ["unicode", s].
type Reader interface {
	Next(t *Token) error
}

// ErrEnd is returned by Reader.Next at the end of its input.
var ErrEnd = errors.New("token: end of input")

// ErrIncomplete is returned by ReadExpr when the input ends inside an
// expression.
var ErrIncomplete = errors.New("token: input ends inside an expression")

const (
	arenaString = 64
	arenaSize   = 1024
)

// ExprBuilder builds expression trees (int64, *big.Int, float64, []byte and
// []any, as the codecs' Decoders return them) from a Reader. Byte strings
// are copied: the tree never aliases the reader's input. The zero value is
// ready to use; keep one to share its small-string arena between calls.
type ExprBuilder struct {
	// MaxDepth, when positive, is the deepest list nesting ReadExpr
	// accepts; deeper input fails with ErrTooDeep. Set it when the input
	// was not checked by a codec that enforces nesting.
	MaxDepth int
	arena    []byte
}

// ErrTooDeep is returned by ReadExpr for lists nested deeper than
// ExprBuilder.MaxDepth.
var ErrTooDeep = errors.New("token: lists nested too deep")

func (b *ExprBuilder) bytes(p []byte) []byte {
	n := len(p)
	if n == 0 {
		return []byte{}
	}
	if n > arenaString {
		return append([]byte(nil), p...)
	}
	if cap(b.arena)-len(b.arena) < n {
		b.arena = make([]byte, 0, arenaSize)
	}
	a := len(b.arena)
	b.arena = append(b.arena, p...)
	return b.arena[a : a+n : a+n]
}

// ReadExpr reads one complete expression. Nesting is bounded by MaxDepth
// when it is set, else by the checks of the codec that framed the input.
func (b *ExprBuilder) ReadExpr(r Reader) (any, error) {
	var t Token
	if err := r.Next(&t); err != nil {
		return nil, err
	}
	return b.fromToken(r, &t, 0)
}

func (b *ExprBuilder) fromToken(r Reader, t *Token, depth int) (any, error) {
	switch t.Kind {
	case Int:
		return t.Int, nil
	case Big:
		return t.Big, nil
	case Float:
		return t.Float, nil
	case Bytes:
		return b.bytes(t.Bytes), nil
	case Text:
		if b.MaxDepth > 0 && depth >= b.MaxDepth {
			return nil, ErrTooDeep
		}
		return []any{b.bytes(unicodeTag), b.bytes(t.Bytes)}, nil
	case List:
		if depth++; b.MaxDepth > 0 && depth > b.MaxDepth {
			return nil, ErrTooDeep
		}
		n := t.N
		l := make([]any, n)
		for i := 0; i < n; i++ {
			if err := r.Next(t); err != nil {
				if err == ErrEnd {
					err = ErrIncomplete
				}
				return nil, err
			}
			v, err := b.fromToken(r, t, depth)
			if err != nil {
				return nil, err
			}
			l[i] = v
		}
		return l, nil
	}
	return nil, errors.New("token: invalid token")
}

// unicodeTag is the first member of a Text expression.
var unicodeTag = []byte("unicode")

// TextWriter is implemented by Writers that take text, the expression
// ["unicode", s], in one call (package native encodes it compactly).
type TextWriter interface {
	Writer
	// Text writes ["unicode", s]: the same bytes, with the same limits,
	// as List(2), String("unicode"), String(s). If s is not valid UTF-8
	// it writes nothing and returns ErrNotText, after which the Writer is
	// as it was.
	Text(s string) error
}

// ErrNotText is returned by TextWriter.Text for a string that is not
// valid UTF-8.
var ErrNotText = errors.New("token: text is not valid UTF-8")

// WriteExpr writes an expression tree to w: the types the codecs' Append
// functions accept (every Go integer type, bool as 1 or 0, *big.Int,
// float64, float32, []byte, string and []any).
func WriteExpr(w Writer, expr any) error {
	switch v := expr.(type) {
	case []any:
		if err := w.List(len(v)); err != nil {
			return err
		}
		for _, x := range v {
			if err := WriteExpr(w, x); err != nil {
				return err
			}
		}
		return nil
	case string:
		return w.String(v)
	case []byte:
		return w.Bytes(v)
	case int64:
		return w.Int(v)
	case int:
		return w.Int(int64(v))
	case int32:
		return w.Int(int64(v))
	case int16:
		return w.Int(int64(v))
	case int8:
		return w.Int(int64(v))
	case uint64:
		return w.Uint(v)
	case uint:
		return w.Uint(uint64(v))
	case uint32:
		return w.Uint(uint64(v))
	case uint16:
		return w.Uint(uint64(v))
	case uint8:
		return w.Uint(uint64(v))
	case bool:
		if v {
			return w.Uint(1)
		}
		return w.Uint(0)
	case *big.Int:
		return w.Big(v)
	case float64:
		return w.Float(v)
	case float32:
		return w.Float(float64(v))
	}
	return fmt.Errorf("%w: unsupported type %T", ErrUnsupported, expr)
}

// ErrUnsupported is wrapped by WriteExpr for a Go type that is not an
// expression.
var ErrUnsupported = errors.New("token: not an expression")

// Prefix is a fixed run of tokens that an encoder writes again and again
// (the opening of a struct's dictionary, a dictionary key, the tag of a
// text value). A Writer appends it from a cached encoding instead of
// encoding each token anew. Make one with NewPrefix; it is safe for
// concurrent use.
type Prefix struct {
	toks []Token
	enc  [numSlots]atomic.Pointer[[]byte]
	// What the tokens need of a Writer's limits, for Needs.
	listDepth, maxList, maxString int
	// What the tokens do to a Nesting, for Nesting.Apply: they complete
	// done elements of the list open before them, then leave lists open
	// with these member counts still to come (outermost first).
	done  int
	opens []int
}

// Encoding slots, one per codec and dialect whose Writer caches Prefix
// encodings.
const (
	SlotBanana   = iota // Banana, no dialect
	SlotBananaPB        // Banana, "pb" dialect (vocabulary compression)
	SlotNative          // msgpack
	numSlots
)

// NewPrefix records the tokens f writes. Only List, Int, Float, Bytes and
// String are allowed.
func NewPrefix(f func(w Writer)) *Prefix {
	r := &recorder{}
	f(r)
	p := &Prefix{toks: r.toks, listDepth: -1}
	opened := 0
	for i := range p.toks {
		t := &p.toks[i]
		switch t.Kind {
		case List:
			p.listDepth = opened
			p.maxList = max(p.maxList, t.N)
			if t.N > 0 {
				opened++
			}
		case Bytes:
			p.maxString = max(p.maxString, len(t.Bytes))
		}
		// The nesting effect: the members still to come in the lists p
		// leaves open, and the elements it completes outside them.
		if t.Kind == List && t.N > 0 {
			p.opens = append(p.opens, t.N)
			continue
		}
		for {
			if len(p.opens) == 0 {
				p.done++
				break
			}
			p.opens[len(p.opens)-1]--
			if p.opens[len(p.opens)-1] > 0 {
				break
			}
			p.opens = p.opens[:len(p.opens)-1]
		}
	}
	return p
}

// Needs summarizes what writing p needs of a Writer's limits: p's list
// tokens stay within MaxDepth when written at nesting depth d if
// d+listDepth < MaxDepth (listDepth is -1 when p has no list token; a
// list token counts every non-empty list before it as still open), and
// its longest list and byte string are maxList and maxString.
func (p *Prefix) Needs() (listDepth, maxList, maxString int) {
	return p.listDepth, p.maxList, p.maxString
}

// Tokens returns the recorded tokens.
func (p *Prefix) Tokens() []Token { return p.toks }

// Encoding returns the cached encoding of p in the given slot, computing
// it with build the first time.
func (p *Prefix) Encoding(slot int, build func(toks []Token) []byte) []byte {
	if b := p.enc[slot].Load(); b != nil {
		return *b
	}
	b := build(p.toks)
	p.enc[slot].Store(&b)
	return b
}

// Replay writes p's tokens to w one by one.
func (p *Prefix) Replay(w Writer) error { return WriteTokens(w, p.toks) }

// WriteTokens writes toks to w one by one (Big tokens included).
func WriteTokens(w Writer, toks []Token) error {
	for i := range toks {
		t := &toks[i]
		var err error
		switch t.Kind {
		case List:
			err = w.List(t.N)
		case Int:
			err = w.Int(t.Int)
		case Big:
			err = w.Big(t.Big)
		case Float:
			err = w.Float(t.Float)
		case Bytes:
			err = w.Bytes(t.Bytes)
		case Text:
			if err = w.List(2); err == nil {
				if err = w.Bytes(unicodeTag); err == nil {
					err = w.Bytes(t.Bytes)
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

type recorder struct{ toks []Token }

func (r *recorder) List(n int) error { r.toks = append(r.toks, Token{Kind: List, N: n}); return nil }
func (r *recorder) Int(v int64) error {
	r.toks = append(r.toks, Token{Kind: Int, Int: v})
	return nil
}
func (r *recorder) Uint(v uint64) error  { panic("token: Uint in a Prefix") }
func (r *recorder) Big(v *big.Int) error { panic("token: Big in a Prefix") }
func (r *recorder) Float(v float64) error {
	r.toks = append(r.toks, Token{Kind: Float, Float: v})
	return nil
}
func (r *recorder) Bytes(b []byte) error {
	r.toks = append(r.toks, Token{Kind: Bytes, Bytes: append([]byte(nil), b...)})
	return nil
}
func (r *recorder) String(s string) error {
	r.toks = append(r.toks, Token{Kind: Bytes, Bytes: []byte(s)})
	return nil
}

// PrefixWriter is implemented by Writers that append a Prefix from its
// cached encoding.
type PrefixWriter interface {
	Writer
	Prefix(p *Prefix) error
}

// PrefixReader is implemented by Readers that can take a Prefix in one
// step, by comparing their input with the Prefix's cached encoding.
type PrefixReader interface {
	Reader
	// Prefix reports whether the input continues with exactly the bytes
	// the codec's Writer writes for p, and if so consumes them: the next
	// tokens were p's (read as a Reader would return them, so perhaps
	// with a Text token standing for three of them). When it reports
	// false nothing is consumed; the tokens may still be p's, encoded
	// differently.
	Prefix(p *Prefix) bool
}

// WritePrefix writes p to w, from its cached encoding when w supports it.
func WritePrefix(w Writer, p *Prefix) error {
	if pw, ok := w.(PrefixWriter); ok {
		return pw.Prefix(p)
	}
	return p.Replay(w)
}

// Nesting keeps count of the lists a token writer has open and how many
// members each still expects, so the writer knows when an expression is
// complete. The codecs' writers hold one.
type Nesting struct {
	top  int   // members still to come in the innermost open list (0: none open)
	open []int // the same for the enclosing open lists
}

// Reset forgets every open list.
func (n *Nesting) Reset() {
	n.top = 0
	n.open = n.open[:0]
}

// Done records that one complete element was written.
func (n *Nesting) Done() {
	if n.top > 1 {
		n.top--
		return
	}
	// The innermost list is complete, which completes one member of its
	// parent, and so on up.
	for n.top == 1 {
		if len(n.open) == 0 {
			n.top = 0
			return
		}
		n.top = n.open[len(n.open)-1]
		n.open = n.open[:len(n.open)-1]
	}
	if n.top > 1 {
		n.top--
	}
}

// Push opens a list of count > 0 members.
func (n *Nesting) Push(count int) {
	if n.top > 0 {
		n.open = append(n.open, n.top)
	}
	n.top = count
}

// Apply records that the tokens of p were written, as calling Push and
// Done for each of them would.
func (n *Nesting) Apply(p *Prefix) {
	for range p.done {
		n.Done()
	}
	for _, c := range p.opens {
		n.Push(c)
	}
}

// Depth is the number of open lists.
func (n *Nesting) Depth() int {
	if n.top == 0 {
		return 0
	}
	return len(n.open) + 1
}
