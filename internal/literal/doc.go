// Package literal is the text syntax in which the braid command reads
// arguments and prints results: Python's literal syntax, so that what a
// Twisted user would type, and what Python's repr prints, reads here too,
// extended to every type Jelly carries. What the printer writes, the
// parser reads back to the same value (see Equal); remote references are
// the one exception (they print as <ref N> and live in shell variables).
//
// # Values
//
//	syntax                                   Go value (package jelly's generic values)
//	---------------------------------------  ------------------------------------------
//	None  True  False                        nil, bool
//	42  -7  0x2a  0o52  0b101010  1_000      int64, or *big.Int beyond 64 bits (any size,
//	                                         at most 4300 digits, as Python)
//	1.5  -0.0  1e-05  2.  .5  1e+16          float64 (printed as Python's repr prints it)
//	float("inf")  float("-inf")  float("nan") the non-finite floats (float() also takes
//	                                         "infinity", any case, and numbers)
//	"text"  'text'  r"raw\text"              string (UTF-8)
//	b"bytes"  b'\x00\xff'  rb"\d"            []byte (ASCII characters and escapes only)
//	[1, 2]  []                               jelly.List
//	(1, 2)  (1,)  ()                         jelly.Tuple; (x) is just x
//	{"k": 1, 2: [3]}  {}                     jelly.Dict, in the order written
//	{1, 2}  set()  set([1, 2])               jelly.Set
//	frozenset({1, 2})  frozenset()           jelly.FrozenSet
//	datetime(2020, 7, 11, 1, 16, 5, 344)     time.Time in UTC (year, month, day,
//	                                         [hour, [minute, [second, [microsecond]]]])
//	date(2020, 7, 11)                        jelly.Date
//	time(1, 16, 5, 344)  time(0, 0)          jelly.TimeOfDay
//	timedelta(days=-1, seconds=86399,        time.Duration; also microseconds=,
//	          microseconds=999999)           milliseconds=, minutes=, hours=, weeks=,
//	timedelta(0)                             or positional (days, seconds, microseconds)
//	Decimal("9.95")  Decimal(3)              jelly.Decimal (digits and exponent kept)
//	Instance("module.Class", {"a": 1})       jelly.Instance (an allowed class instance)
//	Unpersistable("reason")                  jelly.Unpersistable
//
// The module-qualified names Python's reprs print are accepted too:
// datetime.datetime(...), datetime.date(...), datetime.time(...),
// datetime.timedelta(...) and decimal.Decimal(...).
//
// Strings take Python's escapes: \\ \' \" \a \b \f \n \r \t \v, \ooo
// (octal), \xhh, and in text (not bytes) \uhhhh and \Uhhhhhhhh; an
// unknown escape is an error (Python keeps it with a warning). A string
// may not span lines, and adjacent strings are not joined. A raw string
// (r"...") keeps its backslashes. Surrogate code points are refused: text
// must be valid UTF-8, as Jelly requires.
//
// Containers take a trailing comma and any whitespace, including line
// breaks, between elements; # starts a comment to the end of the line.
// Dict keys and set elements may be any value; duplicates are kept as
// written (a Python peer keeps the last value of a repeated dict key and
// one copy of a repeated set element), and a Python peer refuses
// unhashable keys such as lists. A unary - or + applies to numbers.
//
// # Printing
//
// Format prints one line; a Printer with a Width breaks containers that do
// not fit into one element per line, indented, with trailing commas (which
// still parse). Strings print in double quotes; printable non-ASCII
// characters print as themselves and the rest as \x, \u or \U escapes.
// Floats print as Python's repr: the shortest text that reads back as the
// same float, ".0" on integral values, exponent notation below 1e-04 and
// from 1e+16. Datetimes print their wall clock to the microsecond (Jelly
// carries no time zone). A container that contains itself prints [...]
// where it recurs, as in Python; that form does not parse back.
//
// # Expressions
//
// ParseExpr adds what the braid shell needs: variable names (letters,
// digits, underscores; not None, True, False or a built-in name) and
// method calls on them, chained, with keyword arguments, and indexing of
// lists, tuples and dicts (x[0], x[-1], d["key"]):
//
//	expr    = sign* primary { "." name "(" [args] ")" | "[" expr "]" }
//	args    = arg { "," arg } [","]
//	arg     = expr | name "=" expr          (positional arguments first)
//	primary = literal | name | "(" expr ")" | display | builtin "(" [args] ")"
//
// Eval evaluates an expression with an Env that supplies the variables and
// performs the method calls, left to right.
package literal
