package literal

import (
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/braidkit/braid/jelly"
)

// Printer formats generic values in the literal syntax. The zero value
// prints on one line.
type Printer struct {
	// Width, when positive, makes containers whose one-line form would
	// run past this column print one element per line, indented.
	Width int
	// Indent is the indentation of one level (default four spaces).
	Indent string
	// Other formats values the syntax does not cover, such as remote
	// references ("<ref 3>"); it returns false to fall back to
	// "<Go type T>".
	Other func(v any) (string, bool)
}

// Format prints v on one line in the literal syntax.
func Format(v any) string { return (&Printer{}).Format(v) }

// Format prints v.
func (p *Printer) Format(v any) string {
	st := &printState{p: p, visiting: map[uintptr]bool{}}
	var sb strings.Builder
	st.write(&sb, v, 0)
	return sb.String()
}

type printState struct {
	p        *Printer
	visiting map[uintptr]bool // containers being printed, to cut cycles
}

func (st *printState) indent(level int) string {
	in := st.p.Indent
	if in == "" {
		in = "    "
	}
	return strings.Repeat(in, level)
}

// identity returns a key for a container value, or 0 if it has none.
func identity(v any) uintptr {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice:
		if rv.Len() == 0 {
			return 0
		}
		return rv.Pointer()
	case reflect.Pointer, reflect.Map:
		return rv.Pointer()
	}
	return 0
}

// container describes how a container value prints.
type container struct {
	open, close string
	elems       []any // for sequences
	pairs       []jelly.Pair
	isDict      bool
	trailing    bool // a one-element tuple needs "(x,)"
	empty       string
}

// asContainer returns the shape of a container value.
func asContainer(v any) (container, bool) {
	switch x := v.(type) {
	case jelly.List:
		return container{open: "[", close: "]", elems: x, empty: "[]"}, true
	case jelly.Tuple:
		return container{open: "(", close: ")", elems: x, trailing: len(x) == 1, empty: "()"}, true
	case jelly.Set:
		return container{open: "{", close: "}", elems: x, empty: "set()"}, true
	case jelly.FrozenSet:
		return container{open: "frozenset({", close: "})", elems: x, empty: "frozenset()"}, true
	case jelly.Dict:
		return container{open: "{", close: "}", pairs: x, isDict: true, empty: "{}"}, true
	case []any:
		return container{open: "[", close: "]", elems: x, empty: "[]"}, true
	}
	return container{}, false
}

// write prints v at an indentation level.
func (st *printState) write(sb *strings.Builder, v any, level int) {
	if level > 2*maxDepth {
		sb.WriteString("...")
		return
	}
	c, ok := asContainer(v)
	if !ok {
		if in, isInst := v.(jelly.Instance); isInst {
			st.writeInstance(sb, in, level)
			return
		}
		sb.WriteString(st.scalar(v))
		return
	}
	n := len(c.elems) + len(c.pairs)
	if n == 0 {
		sb.WriteString(c.empty)
		return
	}
	id := identity(v)
	if id != 0 {
		if st.visiting[id] {
			sb.WriteString(c.open + "..." + c.close)
			return
		}
		st.visiting[id] = true
		defer delete(st.visiting, id)
	}
	multi := false
	if st.p.Width > 0 {
		one := (&printState{p: &Printer{Other: st.p.Other}, visiting: st.visiting}).oneLine(v)
		multi = len(st.indent(level))+utf8.RuneCountInString(one) > st.p.Width
		if !multi {
			sb.WriteString(one)
			return
		}
	}
	sb.WriteString(c.open)
	if multi && !c.isDict && allScalar(c.elems) {
		// Pack short scalars into lines, as Python's pprint does with
		// compact=True.
		line := ""
		for _, e := range c.elems {
			item := st.scalar(e) + ","
			if line != "" && len(st.indent(level+1))+utf8.RuneCountInString(line)+1+utf8.RuneCountInString(item) > st.p.Width {
				sb.WriteString("\n" + st.indent(level+1) + line)
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += item
		}
		sb.WriteString("\n" + st.indent(level+1) + line)
		sb.WriteString("\n" + st.indent(level) + c.close)
		return
	}
	for i := 0; i < n; i++ {
		if multi {
			sb.WriteString("\n" + st.indent(level+1))
		} else if i > 0 {
			sb.WriteString(", ")
		}
		if c.isDict {
			st.write(sb, c.pairs[i].Key, level+1)
			sb.WriteString(": ")
			st.write(sb, c.pairs[i].Value, level+1)
		} else {
			st.write(sb, c.elems[i], level+1)
		}
		if multi {
			sb.WriteString(",")
		}
	}
	if !multi && c.trailing {
		sb.WriteString(",")
	}
	if multi {
		sb.WriteString("\n" + st.indent(level))
	}
	sb.WriteString(c.close)
}

// oneLine prints v without line breaks, sharing the cycle guard (the
// container itself is already marked, so it is printed here directly).
func (st *printState) oneLine(v any) string {
	id := identity(v)
	var sb strings.Builder
	if id != 0 && st.visiting[id] {
		// Print v's contents with v marked, as write would.
		delete(st.visiting, id)
		defer func() { st.visiting[id] = true }()
	}
	st.write(&sb, v, 0)
	return sb.String()
}

func (st *printState) writeInstance(sb *strings.Builder, in jelly.Instance, level int) {
	sb.WriteString("Instance(")
	sb.WriteString(quoteStr(in.Class))
	sb.WriteString(", ")
	st.write(sb, in.State, level)
	sb.WriteString(")")
}

// scalar prints a value that is not a container.
func (st *printState) scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case *big.Int:
		if x == nil {
			return "None"
		}
		return x.String()
	case float64:
		return formatFloat(x)
	case float32:
		return formatFloat(float64(x))
	case string:
		return quoteStr(x)
	case []byte:
		return quoteBytes(x)
	case time.Time:
		return formatDateTime(x)
	case jelly.Date:
		return fmt.Sprintf("date(%d, %d, %d)", x.Year, int(x.Month), x.Day)
	case jelly.TimeOfDay:
		return "time(" + clockArgs(x.Hour, x.Minute, x.Second, x.Microsecond) + ")"
	case time.Duration:
		return formatDuration(x)
	case jelly.Decimal:
		return "Decimal(" + quoteStr(x.String()) + ")"
	case jelly.Unpersistable:
		return "Unpersistable(" + quoteStr(x.Reason) + ")"
	}
	if st.p.Other != nil {
		if s, ok := st.p.Other(v); ok {
			return s
		}
	}
	return fmt.Sprintf("<Go type %T>", v)
}

// formatFloat prints a float as Python's repr does (the shortest text
// that reads back as the same float, with ".0" on integral values and an
// exponent below 1e-4 and from 1e16), and the non-finite values as
// float("inf"), float("-inf") and float("nan").
func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return `float("inf")`
	case math.IsInf(f, -1):
		return `float("-inf")`
	case math.IsNaN(f):
		return `float("nan")`
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, expText, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expText)
	sign := ""
	if mant[0] == '-' {
		sign, mant = "-", mant[1:]
	}
	digits := strings.Replace(mant, ".", "", 1)
	if exp < -4 || exp >= 16 {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		es := "+"
		if exp < 0 {
			es, exp = "-", -exp
		}
		return fmt.Sprintf("%s%se%s%02d", sign, m, es, exp)
	}
	point := exp + 1 // digits before the point
	switch {
	case point <= 0:
		return sign + "0." + strings.Repeat("0", -point) + digits
	case point >= len(digits):
		return sign + digits + strings.Repeat("0", point-len(digits)) + ".0"
	}
	return sign + digits[:point] + "." + digits[point:]
}

// quoteStr prints a string in double quotes with Python-style escapes for
// quotes, backslashes and non-printable characters.
func quoteStr(s string) string {
	var sb strings.Builder
	sb.Grow(len(s) + 2)
	sb.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			sb.WriteString(`\"`)
		case '\\':
			sb.WriteString(`\\`)
		case '\n':
			sb.WriteString(`\n`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		default:
			switch {
			case r < 0x20 || r == 0x7f:
				fmt.Fprintf(&sb, `\x%02x`, r)
			case r < 0x7f || (unicode.IsPrint(r) && r != utf8.RuneError):
				sb.WriteRune(r)
			case r < 0x100:
				fmt.Fprintf(&sb, `\x%02x`, r)
			case r < 0x10000:
				fmt.Fprintf(&sb, `\u%04x`, r)
			default:
				fmt.Fprintf(&sb, `\U%08x`, r)
			}
		}
	}
	sb.WriteByte('"')
	return sb.String()
}

// quoteBytes prints bytes as b"...": printable ASCII as is, the rest as
// escapes.
func quoteBytes(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) + 3)
	sb.WriteString(`b"`)
	for _, c := range b {
		switch {
		case c == '"':
			sb.WriteString(`\"`)
		case c == '\\':
			sb.WriteString(`\\`)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\r':
			sb.WriteString(`\r`)
		case c == '\t':
			sb.WriteString(`\t`)
		case c >= 0x20 && c < 0x7f:
			sb.WriteByte(c)
		default:
			fmt.Fprintf(&sb, `\x%02x`, c)
		}
	}
	sb.WriteByte('"')
	return sb.String()
}

// clockArgs prints hour and minute always, then second and microsecond
// when not zero, as Python's reprs do.
func clockArgs(h, m, s, us int) string {
	switch {
	case us != 0:
		return fmt.Sprintf("%d, %d, %d, %d", h, m, s, us)
	case s != 0:
		return fmt.Sprintf("%d, %d, %d", h, m, s)
	}
	return fmt.Sprintf("%d, %d", h, m)
}

// formatDateTime prints a time.Time's wall clock in its own location, to
// the microsecond, as jelly sends it.
func formatDateTime(t time.Time) string {
	return fmt.Sprintf("datetime(%d, %d, %d, %s)", t.Year(), int(t.Month()), t.Day(),
		clockArgs(t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1000))
}

// formatDuration prints a duration as Python's timedelta repr does, after
// normalising it the same way (days of either sign, then seconds and
// microseconds that are not negative). Sub-microsecond parts are dropped
// toward zero, as jelly does.
func formatDuration(d time.Duration) string {
	us := int64(d / time.Microsecond)
	const day = 86400 * 1e6
	days := us / day
	rest := us % day
	if rest < 0 {
		days--
		rest += day
	}
	secs, micros := rest/1e6, rest%1e6
	var parts []string
	if days != 0 {
		parts = append(parts, fmt.Sprintf("days=%d", days))
	}
	if secs != 0 {
		parts = append(parts, fmt.Sprintf("seconds=%d", secs))
	}
	if micros != 0 {
		parts = append(parts, fmt.Sprintf("microseconds=%d", micros))
	}
	if len(parts) == 0 {
		return "timedelta(0)"
	}
	return "timedelta(" + strings.Join(parts, ", ") + ")"
}

// allScalar reports whether no element is a container or an Instance.
func allScalar(elems []any) bool {
	for _, e := range elems {
		if _, ok := asContainer(e); ok {
			return false
		}
		if _, ok := e.(jelly.Instance); ok {
			return false
		}
	}
	return true
}
