package db

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// This file holds a small SQL lexer. It does not parse SQL; it splits text
// into tokens the way the database would at the lexical level (quotes,
// comments, parameters), which is enough to count statements, find the
// leading verb, spot keywords outside string literals, and rewrite $N
// placeholders. Where the rules of a dialect are not modelled exactly, the
// lexer errs on the side of seeing more code, never less: a read-only check
// may then refuse a harmless statement, but cannot be tricked into letting a
// keyword hide inside what it believes is a string.

type tokKind uint8

const (
	tokWord        tokKind = iota // unquoted identifier or keyword
	tokQuotedIdent                // "ident", `ident`, [ident]
	tokString                     // 'text', E'text', $tag$text$tag$
	tokNumber                     // 1, 1.5, 1e3, 0x1F
	tokParam                      // $1, ?, ?1, :name, @name, $name
	tokSemicolon                  // ;
	tokPunct                      // any other character
)

type token struct {
	kind       tokKind
	text       string
	start, end int
}

// lexRules are the lexical features of one dialect.
type lexRules struct {
	dollarQuotes     bool // PostgreSQL $tag$...$tag$
	escapeStrings    bool // PostgreSQL E'...' with backslash escapes
	nestedComments   bool // PostgreSQL /* /* */ */
	brackets         bool // SQLite [ident]
	backticks        bool // SQLite, MySQL `ident`
	backslashStrings bool // MySQL: backslash escapes in every string
	hashComments     bool // MySQL # comment
	namedParams      bool // SQLite :name @name $name
}

func rulesFor(d Dialect) lexRules {
	switch d.Name {
	case "postgres":
		return lexRules{dollarQuotes: true, escapeStrings: true, nestedComments: true}
	case "sqlite":
		return lexRules{brackets: true, backticks: true, namedParams: true}
	case "mysql":
		return lexRules{backticks: true, backslashStrings: true, hashComments: true}
	}
	// Unknown dialects: the union of the conservative choices.
	return lexRules{backticks: true, escapeStrings: true}
}

var errUnterminated = errors.New("unterminated quote or comment")

func isIdentStart(c byte) bool {
	return c == '_' || c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || c == '$' || (c >= '0' && c <= '9')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lex splits s into tokens; comments and white space are dropped.
func lex(s string, r lexRules) ([]token, error) {
	var toks []token
	i := 0
	n := len(s)
	emit := func(k tokKind, start, end int) {
		toks = append(toks, token{kind: k, text: s[start:end], start: start, end: end})
	}
	// quoted scans a quoted run that starts at i (the opening quote) and
	// ends at close; doubled closing quotes escape, and so does a backslash
	// when backslash is true. It returns the index after the closing quote.
	quoted := func(i int, close byte, backslash bool) (int, error) {
		j := i + 1
		for j < n {
			c := s[j]
			switch {
			case backslash && c == '\\':
				j += 2
				continue
			case c == close:
				if j+1 < n && s[j+1] == close && close != ']' {
					j += 2
					continue
				}
				return j + 1, nil
			}
			j++
		}
		return 0, errUnterminated
	}
	for i < n {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < n && s[i+1] == '-', r.hashComments && c == '#':
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				i = n
			} else {
				i += j + 1
			}
		case c == '/' && i+1 < n && s[i+1] == '*':
			depth := 1
			j := i + 2
			for depth > 0 {
				if j+1 >= n {
					return nil, errUnterminated
				}
				switch {
				case s[j] == '*' && s[j+1] == '/':
					depth--
					j += 2
				case r.nestedComments && s[j] == '/' && s[j+1] == '*':
					depth++
					j += 2
				default:
					j++
				}
			}
			i = j
		case c == '\'':
			j, err := quoted(i, '\'', r.backslashStrings)
			if err != nil {
				return nil, err
			}
			emit(tokString, i, j)
			i = j
		case c == '"':
			j, err := quoted(i, '"', r.backslashStrings)
			if err != nil {
				return nil, err
			}
			emit(tokQuotedIdent, i, j)
			i = j
		case c == '`' && r.backticks:
			j, err := quoted(i, '`', false)
			if err != nil {
				return nil, err
			}
			emit(tokQuotedIdent, i, j)
			i = j
		case c == '[' && r.brackets:
			j, err := quoted(i, ']', false)
			if err != nil {
				return nil, err
			}
			emit(tokQuotedIdent, i, j)
			i = j
		case c == ';':
			emit(tokSemicolon, i, i+1)
			i++
		case c == '$':
			j := i + 1
			switch {
			case j < n && isDigit(s[j]):
				for j < n && isDigit(s[j]) {
					j++
				}
				emit(tokParam, i, j)
				i = j
			case r.dollarQuotes:
				for j < n && isIdentPart(s[j]) && s[j] != '$' && (j > i+1 || !isDigit(s[j])) {
					j++
				}
				if j < n && s[j] == '$' {
					tag := s[i : j+1]
					end := strings.Index(s[j+1:], tag)
					if end < 0 {
						return nil, errUnterminated
					}
					k := j + 1 + end + len(tag)
					emit(tokString, i, k)
					i = k
				} else {
					emit(tokPunct, i, i+1)
					i++
				}
			case r.namedParams && j < n && isIdentPart(s[j]):
				for j < n && (isIdentPart(s[j]) || s[j] == ':') {
					j++
				}
				emit(tokParam, i, j)
				i = j
			default:
				emit(tokPunct, i, i+1)
				i++
			}
		case c == '?':
			j := i + 1
			for j < n && isDigit(s[j]) {
				j++
			}
			emit(tokParam, i, j)
			i = j
		case (c == ':' || c == '@') && r.namedParams && i+1 < n && isIdentStart(s[i+1]):
			j := i + 1
			for j < n && isIdentPart(s[j]) {
				j++
			}
			emit(tokParam, i, j)
			i = j
		case isDigit(c) || (c == '.' && i+1 < n && isDigit(s[i+1])):
			j := i
			if c == '0' && i+1 < n && (s[i+1] == 'x' || s[i+1] == 'X') {
				j += 2
				for j < n && strings.IndexByte("0123456789abcdefABCDEF", s[j]) >= 0 {
					j++
				}
			} else {
				for j < n && (isDigit(s[j]) || s[j] == '.') {
					j++
				}
				if j < n && (s[j] == 'e' || s[j] == 'E') {
					k := j + 1
					if k < n && (s[k] == '+' || s[k] == '-') {
						k++
					}
					if k < n && isDigit(s[k]) {
						for k < n && isDigit(s[k]) {
							k++
						}
						j = k
					}
				}
			}
			emit(tokNumber, i, j)
			i = j
		case isIdentStart(c):
			j := i + 1
			for j < n && isIdentPart(s[j]) {
				j++
			}
			if r.escapeStrings && j == i+1 && (c == 'e' || c == 'E') && j < n && s[j] == '\'' {
				k, err := quoted(j, '\'', true)
				if err != nil {
					return nil, err
				}
				emit(tokString, i, k)
				i = k
				continue
			}
			emit(tokWord, i, j)
			i = j
		default:
			emit(tokPunct, i, i+1)
			i++
		}
	}
	return toks, nil
}

// sqlInfo is what the lexer tells about one piece of SQL text.
type sqlInfo struct {
	toks       []token // without trailing semicolons
	statements int     // number of statements (0 for empty text)
	verb       string  // first keyword, upper case, after leading '('
}

func inspect(s string, d Dialect) (sqlInfo, error) {
	toks, err := lex(s, rulesFor(d))
	if err != nil {
		return sqlInfo{}, err
	}
	for len(toks) > 0 && toks[len(toks)-1].kind == tokSemicolon {
		toks = toks[:len(toks)-1]
	}
	info := sqlInfo{toks: toks}
	if len(toks) == 0 {
		return info, nil
	}
	info.statements = 1
	prevSemi := false
	for _, t := range toks {
		if t.kind == tokSemicolon {
			if !prevSemi {
				info.statements++
			}
			prevSemi = true
			continue
		}
		prevSemi = false
	}
	for _, t := range toks {
		if t.kind == tokPunct && t.text == "(" {
			continue
		}
		if t.kind == tokWord {
			info.verb = strings.ToUpper(t.text)
		}
		break
	}
	return info, nil
}

// readOnlyVerbs start statements that only read.
var readOnlyVerbs = map[string]bool{
	"SELECT": true, "WITH": true, "VALUES": true, "TABLE": true, "SHOW": true, "EXPLAIN": true,
}

// writeWords may not appear anywhere, outside quotes, in a read-only
// statement: they mark data-modifying CTEs (WITH x AS (DELETE ...)),
// SELECT ... INTO, REPLACE INTO, and row locks (FOR UPDATE / FOR SHARE).
var writeWords = map[string]bool{
	"INSERT": true, "UPDATE": true, "DELETE": true, "MERGE": true, "UPSERT": true, "INTO": true,
	"SHARE": true, "CREATE": true, "DROP": true, "ALTER": true, "TRUNCATE": true, "GRANT": true,
	"REVOKE": true, "COPY": true, "CALL": true, "LOCK": true, "PRAGMA": true, "ATTACH": true,
	"DETACH": true,
}

// txControlVerbs are statements that would end or nest the transaction a
// facade call runs in.
var txControlVerbs = map[string]bool{
	"BEGIN": true, "START": true, "COMMIT": true, "END": true, "ROLLBACK": true, "ABORT": true,
	"SAVEPOINT": true, "RELEASE": true,
}

// checkReadOnly returns nil when s is a single statement that only reads,
// and otherwise a reason.
func checkReadOnly(s string, d Dialect) error {
	info, err := inspect(s, d)
	if err != nil {
		return fmt.Errorf("cannot read the statement: %w", err)
	}
	switch {
	case info.statements == 0:
		return errors.New("empty statement")
	case info.statements > 1:
		return errors.New("more than one statement")
	case !readOnlyVerbs[info.verb]:
		if info.verb == "" {
			return errors.New("the statement does not start with a keyword")
		}
		return fmt.Errorf("%s is not a read-only statement", info.verb)
	}
	for _, t := range info.toks {
		if t.kind == tokWord {
			if w := strings.ToUpper(t.text); writeWords[w] {
				return fmt.Errorf("%s is not allowed in a read-only statement", w)
			}
		}
	}
	return nil
}

// rewriteQuestion rewrites $N placeholders into ? for drivers that only
// know positional question marks, repeating arguments as needed. Text without
// $N placeholders is returned unchanged.
func rewriteQuestion(s string, args []any, d Dialect) (string, []any, error) {
	if !strings.Contains(s, "$") {
		return s, args, nil
	}
	toks, err := lex(s, rulesFor(d))
	if err != nil {
		return "", nil, fmt.Errorf("db: cannot rewrite placeholders: %w", err)
	}
	var b strings.Builder
	var out []any
	last := 0
	found := false
	for _, t := range toks {
		if t.kind != tokParam || t.text[0] != '$' || len(t.text) < 2 || !isDigit(t.text[1]) {
			continue
		}
		k, err := strconv.Atoi(t.text[1:])
		if err != nil || k < 1 || k > len(args) {
			return "", nil, fmt.Errorf("db: placeholder %s has no argument (%d given)", t.text, len(args))
		}
		found = true
		b.WriteString(s[last:t.start])
		b.WriteByte('?')
		out = append(out, args[k-1])
		last = t.end
	}
	if !found {
		return s, args, nil
	}
	b.WriteString(s[last:])
	return b.String(), out, nil
}
