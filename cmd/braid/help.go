package main

import "strings"

const shellHelp = `Statements:
  EXPR                     evaluate and print the result (None is not printed); _ keeps it
  NAME = EXPR              keep a value, such as a remote reference, in a variable
  OBJ.METHOD(ARGS)         call a remote method; ARGS are values and NAME=VALUE keywords,
                           and calls chain: root.child("x").get()
  describe OBJ             list OBJ's methods, arguments and docs (Braid servers only)
  vars                     list the variables
  release VAR [VAR...]     release the references VAR holds and forget VAR
  help [literals]          this help, or the value syntax
  quit, exit (or Ctrl-D)   leave

root is the server's root object, or your avatar after -u USER. Values are
written as in Python: 1, 2.5, "text", b"bytes", [list], (tuple,), {"dict": 1},
{set}, None, True, False, datetime(2020, 7, 11, 0, 0) ... ("help literals").
Remote references print as <ref N>; keep them in variables to call them.
On a terminal: Tab completes methods (after "obj.") and variables, Up/Down
walk the history, Ctrl-C abandons the line or interrupts a call.
`

const literalHelp = `Value syntax (Python's literals, for every type Jelly carries):

  None  True  False
  42  -7  0x2a  0o52  0b101010  1_000  123456789012345678901234567890   int, any size
  1.5  -0.0  1e-05  1e+16  float("inf")  float("-inf")  float("nan")     float
  "text"  'text'  "tab\t\u00e9\U0001F600"  r"raw\text"                   str
  b"bytes"  b"\x00\xff"                                                   bytes
  [1, 2]  (1, 2)  (1,)  ()  {"k": 1, 2: [3]}  {}  {1, 2}  set()          list tuple dict set
  frozenset({1, 2})  frozenset()                                          frozenset
  datetime(2020, 7, 11, 1, 16, 5, 344)  date(2020, 7, 11)  time(1, 16)   datetime date time
  timedelta(days=-1, seconds=86399, microseconds=999999)  timedelta(0)   timedelta
  Decimal("9.95")                                                         Decimal
  Instance("module.Class", {"state": 1})  Unpersistable("reason")        other Jelly values
  <ref 3>                                                                 a remote reference
                                                                          (printed only)

Escapes: \\ \' \" \n \r \t \a \b \f \v \ooo \xhh, and in str \uhhhh \Uhhhhhhhh.
Trailing commas, line breaks inside brackets and # comments are allowed.
datetime.datetime(...), datetime.timedelta(...) and decimal.Decimal(...), as
Python prints them, read too. What braid prints reads back as the same value.
`

// helpFor returns the shell's help on a topic.
func helpFor(topic string) string {
	switch strings.TrimSpace(topic) {
	case "literals", "literal", "values", "syntax":
		return literalHelp
	}
	return shellHelp
}
