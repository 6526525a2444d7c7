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
//
// Runs of tokens that an encoder writes again and again have short cuts
// too: a Prefix is a fixed run whose encoding a PrefixWriter appends, and
// a PrefixReader matches, as a whole; a Flat is a whole element made of
// prefixes and scalars (a struct of numbers and strings, to jelly) that a
// FlatWriter writes, and a FlatReader reads, in one call. The short cuts
// give exactly the bytes and the limits of the tokens one by one: where
// they cannot, they decline, and the caller writes or reads the tokens.
package token

import (
	"errors"
	"fmt"
	"math/big"
	"sync/atomic"
	"unicode/utf8"
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

// Flat is the shape of an element that an encoder writes again and again
// with different scalars: fixed runs of tokens (Prefixes) with one scalar
// after each, which together make one complete expression. Package jelly
// writes a struct whose fields are all numbers, text or byte strings as
// one: the dictionary's opening with the first key, the first field's
// value, the second key, the second value, and so on. A Writer that
// implements FlatWriter writes such an element in one call, checking its
// limits once for the whole of it, and a Reader that implements
// FlatReader reads it in one call. Make one with NewFlat; it is safe for
// concurrent use.
type Flat struct {
	pre   []*Prefix
	kinds []Kind
	// What the element needs of a Writer's limits, for Needs.
	listDepth, maxList, maxString int
	cache                         [numSlots]atomic.Pointer[any]
}

// NewFlat makes the Flat whose element is pre[0], a scalar of kind
// kinds[0], pre[1], a scalar of kind kinds[1], and so on, ending with one
// more prefix if pre has one more member than kinds. A scalar's kind is
// Int, Float, Bytes or Text (which stands for ["unicode", s], as a Reader
// returns it). NewFlat panics unless the tokens make exactly one complete
// expression.
func NewFlat(pre []*Prefix, kinds []Kind) *Flat {
	if len(pre) != len(kinds) && len(pre) != len(kinds)+1 {
		panic("token: NewFlat needs a prefix before each scalar")
	}
	f := &Flat{pre: pre, kinds: kinds, listDepth: -1}
	var open []int // members still to come in each open list
	done := 0
	complete := func() {
		for {
			if len(open) == 0 {
				done++
				return
			}
			open[len(open)-1]--
			if open[len(open)-1] > 0 {
				return
			}
			open = open[:len(open)-1]
		}
	}
	list := func(n int) {
		f.listDepth = max(f.listDepth, len(open))
		f.maxList = max(f.maxList, n)
	}
	for i, p := range pre {
		for _, t := range p.toks {
			if done > 0 {
				panic("token: NewFlat: tokens after a complete expression")
			}
			switch t.Kind {
			case List:
				list(t.N)
				if t.N > 0 {
					open = append(open, t.N)
					continue
				}
			case Bytes:
				f.maxString = max(f.maxString, len(t.Bytes))
			}
			complete()
		}
		if i == len(kinds) {
			break
		}
		if done > 0 {
			panic("token: NewFlat: tokens after a complete expression")
		}
		switch kinds[i] {
		case Int, Float, Bytes:
		case Text:
			list(2)
			f.maxString = max(f.maxString, len(unicodeTag))
		default:
			panic("token: NewFlat: a scalar must be Int, Float, Bytes or Text")
		}
		complete()
	}
	if done != 1 {
		panic("token: NewFlat: the tokens are not one complete expression")
	}
	return f
}

// Prefixes returns the prefixes of f's element.
func (f *Flat) Prefixes() []*Prefix { return f.pre }

// Kinds returns the kinds of f's scalars.
func (f *Flat) Kinds() []Kind { return f.kinds }

// Needs summarizes what writing f's element needs of a Writer's limits, as
// Prefix.Needs does: its list tokens and Text scalars stay within MaxDepth
// when it is written at nesting depth d if d+listDepth < MaxDepth (the
// depth counts the lists open at each of them exactly; listDepth is -1 if
// there is none), and its longest list and longest fixed byte string are
// maxList and maxString. A Text scalar counts as a list of two byte
// strings, "unicode" and the text; the scalars' own byte strings are not
// counted.
func (f *Flat) Needs() (listDepth, maxList, maxString int) {
	return f.listDepth, f.maxList, f.maxString
}

// Cached returns the value a codec keeps in f's slot (SlotNative, ...),
// computing it with build the first time. build may run more than once if
// goroutines race; one result is kept.
func (f *Flat) Cached(slot int, build func(f *Flat) any) any {
	v := f.cache[slot].Load()
	if v == nil {
		v = f.fill(slot, build)
	}
	return *v
}

func (f *Flat) fill(slot int, build func(f *Flat) any) *any {
	v := build(f)
	f.cache[slot].CompareAndSwap(nil, &v)
	return f.cache[slot].Load()
}

// Replay writes f's element with the scalars vals to w token by token:
// each prefix with WritePrefix, each Text scalar with TextWriter.Text when
// w is a TextWriter, else as its three tokens. The Kind fields of vals are
// not read.
func (f *Flat) Replay(w Writer, vals []Token) error {
	tw, _ := w.(TextWriter)
	for i, p := range f.pre {
		if err := WritePrefix(w, p); err != nil {
			return err
		}
		if i == len(f.kinds) {
			break
		}
		v := &vals[i]
		var err error
		switch f.kinds[i] {
		case Int:
			err = w.Int(v.Int)
		case Float:
			err = w.Float(v.Float)
		case Bytes:
			err = w.Bytes(v.Bytes)
		case Text:
			if tw != nil {
				err = tw.Text(string(v.Bytes))
			} else if err = w.List(2); err == nil {
				if err = w.Bytes(unicodeTag); err == nil {
					err = w.Bytes(v.Bytes)
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// FlatWriter is implemented by Writers that write a Flat element in one
// call.
type FlatWriter interface {
	Writer
	// Scalars returns n Tokens, owned by the Writer, in which to pass the
	// scalars of an element to Flat. Each call may return the same memory.
	Scalars(n int) []Token
	// Flat writes the element f with the scalars vals (vals[i] holds the
	// i'th, of the kind f gives; the Kind fields are not read, and the
	// Writer keeps no reference to vals or their bytes): exactly the
	// bytes that writing its tokens one by one (Flat.Replay) would give.
	// When it cannot tell at once that this succeeds (the element might
	// break a limit, a Text scalar is not valid UTF-8, the Writer has
	// failed, ...), it writes nothing, changes nothing and reports false:
	// write the tokens one by one then, which gives the same bytes or the
	// exact error.
	Flat(f *Flat, vals []Token) bool
}

// FlatReader is implemented by Readers that read a Flat element in one
// call.
type FlatReader interface {
	Reader
	// Flat reports whether the input continues with the element f as the
	// codec's Writer writes it: each prefix as PrefixReader.Prefix matches
	// it, and each scalar of the kind f gives (an Int one that fits an
	// int64; a Text one in the codec's compact form), all within the
	// Reader's limits. If so it consumes the element and stores the
	// scalars in vals as Next would return them (Kind set; Bytes alias
	// the input). Otherwise it consumes nothing, though vals may have
	// changed; the element may still be there, encoded otherwise.
	Flat(f *Flat, vals []Token) bool
}

// WriteFlat writes f's element with the scalars vals to w, in one call if
// w is a FlatWriter that takes it, else as Flat.Replay does. Each Text
// scalar must be valid UTF-8: if one is not, WriteFlat writes nothing and
// returns ErrNotText.
func WriteFlat(w Writer, f *Flat, vals []Token) error {
	for i, k := range f.kinds {
		if k == Text && !utf8.Valid(vals[i].Bytes) {
			return ErrNotText
		}
	}
	if fw, ok := w.(FlatWriter); ok && fw.Flat(f, vals) {
		return nil
	}
	return f.Replay(w, vals)
}
