package literal

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxIntDigits bounds the digits of an integer literal, as Python's
// sys.int_info.default_max_str_digits does, so that a long run of digits
// cannot make parsing quadratic.
const maxIntDigits = 4300

// maxIntBits bounds integers written in hex, octal or binary so that their
// decimal form stays within maxIntDigits.
const maxIntBits = 14280

// tokKind is the kind of a token.
type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokInt
	tokFloat
	tokString
	tokBytes
	tokPunct // one of ( ) [ ] { } , : = . - + < >
)

// token is one lexical token. val holds the decoded value of literals:
// int64 or *big.Int, float64, string, []byte.
type token struct {
	kind tokKind
	pos  int    // byte offset in the source
	text string // source text (the punctuation character, the identifier)
	val  any
}

func (t token) String() string {
	switch t.kind {
	case tokEOF:
		return "end of input"
	case tokIdent:
		return fmt.Sprintf("name %s", t.text)
	case tokInt, tokFloat:
		return fmt.Sprintf("number %s", t.text)
	case tokString:
		return "string"
	case tokBytes:
		return "bytes"
	}
	return fmt.Sprintf("%q", t.text)
}

// SyntaxError is a parse error at a position of the source.
type SyntaxError struct {
	Line, Col int    // 1-based
	Msg       string // what is wrong
	// Incomplete is true when the source ended inside an open bracket, so
	// that more input could complete it.
	Incomplete bool
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("syntax error at line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

// ErrIncomplete is matched (errors.Is) by a SyntaxError whose source ended
// inside an open bracket: a line-based reader should read another line.
var ErrIncomplete = errors.New("literal: incomplete input")

// Is makes errors.Is(err, ErrIncomplete) true for incomplete input.
func (e *SyntaxError) Is(target error) bool { return target == ErrIncomplete && e.Incomplete }

// lexer splits source text into tokens.
type lexer struct {
	src string
	pos int
}

func (l *lexer) errAt(pos int, format string, args ...any) *SyntaxError {
	line, col := 1, 1
	for i, r := range l.src {
		if i >= pos {
			break
		}
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &SyntaxError{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentChar(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// IsIdent reports whether s is a name the syntax accepts for a variable or
// a method: ASCII letters, digits and underscores, not starting with a
// digit.
func IsIdent(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentChar(s[i]) {
			return false
		}
	}
	return true
}

// skipSpace skips whitespace and # comments.
func (l *lexer) skipSpace() {
	for l.pos < len(l.src) {
		switch c := l.src[l.pos]; c {
		case ' ', '\t', '\r', '\n', '\f', '\v':
			l.pos++
		case '#':
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				l.pos++
			}
		default:
			return
		}
	}
}

// next returns the next token.
func (l *lexer) next() (token, error) {
	l.skipSpace()
	start := l.pos
	if l.pos >= len(l.src) {
		return token{kind: tokEOF, pos: start}, nil
	}
	c := l.src[l.pos]
	switch {
	case isDigit(c) || (c == '.' && l.pos+1 < len(l.src) && isDigit(l.src[l.pos+1])):
		return l.number()
	case c == '"' || c == '\'':
		return l.str(start, false, false)
	case isIdentStart(c):
		for l.pos < len(l.src) && isIdentChar(l.src[l.pos]) {
			l.pos++
		}
		word := l.src[start:l.pos]
		if l.pos < len(l.src) && (l.src[l.pos] == '"' || l.src[l.pos] == '\'') {
			if bytes, raw, ok := stringPrefix(word); ok {
				return l.str(start, bytes, raw)
			}
		}
		return token{kind: tokIdent, pos: start, text: word}, nil
	case strings.IndexByte("()[]{},:=.-+<>", c) >= 0:
		l.pos++
		return token{kind: tokPunct, pos: start, text: string(c)}, nil
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.pos:])
	if r == utf8.RuneError {
		return token{}, l.errAt(start, "invalid UTF-8")
	}
	return token{}, l.errAt(start, "unexpected character %q", r)
}

// stringPrefix recognises Python's string prefixes: b (bytes), r (raw),
// u (ignored), in either case and combination br/rb.
func stringPrefix(p string) (bytes, raw, ok bool) {
	switch strings.ToLower(p) {
	case "b":
		return true, false, true
	case "r":
		return false, true, true
	case "u":
		return false, false, true
	case "br", "rb":
		return true, true, true
	}
	return false, false, false
}

// number lexes an integer or float literal, Python style: decimal, 0x, 0o
// and 0b integers with single underscores between digits; floats with a
// point or an exponent.
func (l *lexer) number() (token, error) {
	start := l.pos
	src := l.src
	digits := func(ok func(byte) bool) (string, bool) {
		// Digits with single underscores between them; at least one digit.
		var sb strings.Builder
		begin := l.pos
		for l.pos < len(src) {
			c := src[l.pos]
			if ok(c) {
				sb.WriteByte(c)
				l.pos++
				continue
			}
			if c == '_' && l.pos > begin && l.pos+1 < len(src) && ok(src[l.pos+1]) && src[l.pos-1] != '_' {
				l.pos++
				continue
			}
			break
		}
		return sb.String(), sb.Len() > 0
	}
	finish := func(t token) (token, error) {
		if l.pos < len(src) && (isIdentChar(src[l.pos]) || src[l.pos] == '.' && t.kind == tokFloat) {
			return token{}, l.errAt(start, "invalid number %q", src[start:l.pos+1])
		}
		t.pos = start
		t.text = src[start:l.pos]
		return t, nil
	}
	// Prefixed integers.
	if src[l.pos] == '0' && l.pos+1 < len(src) {
		var base int
		var ok func(byte) bool
		switch src[l.pos+1] {
		case 'x', 'X':
			base, ok = 16, func(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }
		case 'o', 'O':
			base, ok = 8, func(c byte) bool { return c >= '0' && c <= '7' }
		case 'b', 'B':
			base, ok = 2, func(c byte) bool { return c == '0' || c == '1' }
		}
		if base != 0 {
			l.pos += 2
			if l.pos < len(src) && src[l.pos] == '_' {
				l.pos++ // Python allows 0x_ff
			}
			d, okd := digits(ok)
			if !okd {
				return token{}, l.errAt(start, "invalid number %q", src[start:l.pos])
			}
			if len(d) > maxIntBits {
				return token{}, l.errAt(start, "integer literal too long")
			}
			n, _ := new(big.Int).SetString(d, base)
			if n.BitLen() > maxIntBits {
				return token{}, l.errAt(start, "integer literal too long")
			}
			return finish(token{kind: tokInt, val: normInt(n)})
		}
	}
	intPart, _ := digits(isDigit)
	isFloat := false
	var frac, exp string
	if l.pos < len(src) && src[l.pos] == '.' {
		isFloat = true
		l.pos++
		if l.pos < len(src) && isDigit(src[l.pos]) {
			frac, _ = digits(isDigit)
		}
	}
	if l.pos < len(src) && (src[l.pos] == 'e' || src[l.pos] == 'E') {
		save := l.pos
		l.pos++
		sign := ""
		if l.pos < len(src) && (src[l.pos] == '+' || src[l.pos] == '-') {
			sign = src[l.pos : l.pos+1]
			l.pos++
		}
		e, ok := digits(isDigit)
		if !ok {
			l.pos = save
			return token{}, l.errAt(start, "invalid number %q", src[start:min(save+1, len(src))])
		}
		isFloat = true
		exp = "e" + sign + e
	}
	if isFloat {
		text := intPart + "." + frac + exp
		if intPart == "" {
			text = "0" + text
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return token{}, l.errAt(start, "invalid number %q", src[start:l.pos])
		}
		// Like Python, a literal too large for a float is infinite and
		// one too small is zero; ParseFloat gives exactly that.
		if math.IsNaN(f) {
			return token{}, l.errAt(start, "invalid number %q", src[start:l.pos])
		}
		return finish(token{kind: tokFloat, val: f})
	}
	if len(intPart) > 1 && strings.Trim(intPart, "0") != "" && intPart[0] == '0' {
		return token{}, l.errAt(start, "leading zeros in decimal integer %q (use 0o for octal)", src[start:l.pos])
	}
	if len(intPart) > maxIntDigits {
		return token{}, l.errAt(start, "integer literal has more than %d digits", maxIntDigits)
	}
	if len(intPart) <= 18 {
		n, _ := strconv.ParseInt(intPart, 10, 64)
		return finish(token{kind: tokInt, val: n})
	}
	n, _ := new(big.Int).SetString(intPart, 10)
	return finish(token{kind: tokInt, val: normInt(n)})
}

// normInt returns n as an int64 when it fits, else n.
func normInt(n *big.Int) any {
	if n.IsInt64() {
		return n.Int64()
	}
	return n
}

// str lexes a quoted string starting at the quote at l.pos; start is where
// its prefix began.
func (l *lexer) str(start int, isBytes, raw bool) (token, error) {
	q := l.src[l.pos]
	l.pos++
	var sb strings.Builder
	for {
		if l.pos >= len(l.src) || l.src[l.pos] == '\n' {
			return token{}, l.errAt(start, "unterminated string")
		}
		c := l.src[l.pos]
		if c == q {
			l.pos++
			break
		}
		if c != '\\' || raw {
			if raw && c == '\\' && l.pos+1 < len(l.src) && (l.src[l.pos+1] == q || l.src[l.pos+1] == '\\') {
				// In a raw string a backslash still keeps a quote from
				// ending it, and stays in the value.
				sb.WriteByte(c)
				sb.WriteByte(l.src[l.pos+1])
				l.pos += 2
				continue
			}
			r, size := utf8.DecodeRuneInString(l.src[l.pos:])
			if r == utf8.RuneError && size == 1 {
				return token{}, l.errAt(l.pos, "invalid UTF-8 in string")
			}
			if isBytes && r >= 0x80 {
				return token{}, l.errAt(l.pos, "bytes can only contain ASCII characters (use \\x escapes)")
			}
			sb.WriteString(l.src[l.pos : l.pos+size])
			l.pos += size
			continue
		}
		// An escape.
		escPos := l.pos
		l.pos++
		if l.pos >= len(l.src) {
			return token{}, l.errAt(start, "unterminated string")
		}
		e := l.src[l.pos]
		l.pos++
		switch e {
		case '\\', '\'', '"':
			sb.WriteByte(e)
		case 'a':
			sb.WriteByte('\a')
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'v':
			sb.WriteByte('\v')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := int(e - '0')
			for i := 0; i < 2 && l.pos < len(l.src) && l.src[l.pos] >= '0' && l.src[l.pos] <= '7'; i++ {
				v = v*8 + int(l.src[l.pos]-'0')
				l.pos++
			}
			if isBytes {
				if v > 0xff {
					return token{}, l.errAt(escPos, "octal escape out of range for bytes")
				}
				sb.WriteByte(byte(v))
			} else {
				sb.WriteRune(rune(v))
			}
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if e != 'x' && isBytes {
				return token{}, l.errAt(escPos, "\\%c escapes are not allowed in bytes", e)
			}
			if l.pos+n > len(l.src) {
				return token{}, l.errAt(escPos, "truncated \\%c escape", e)
			}
			v, err := strconv.ParseUint(l.src[l.pos:l.pos+n], 16, 32)
			if err != nil || strings.ContainsAny(l.src[l.pos:l.pos+n], "+-_") {
				return token{}, l.errAt(escPos, "invalid \\%c escape", e)
			}
			l.pos += n
			if isBytes {
				sb.WriteByte(byte(v))
				break
			}
			if v > utf8.MaxRune || (v >= 0xd800 && v <= 0xdfff) {
				return token{}, l.errAt(escPos, "escape \\%c%0*x is not a Unicode scalar value", e, n, v)
			}
			sb.WriteRune(rune(v))
		default:
			return token{}, l.errAt(escPos, "unknown escape \\%c", e)
		}
	}
	if isBytes {
		return token{kind: tokBytes, pos: start, val: []byte(sb.String())}, nil
	}
	return token{kind: tokString, pos: start, val: sb.String()}, nil
}
