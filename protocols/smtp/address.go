package smtp

import (
	"errors"
	"strings"
)

// Address is a mail address from an SMTP path, split at its last "@".
// The null reverse-path "<>" is the zero Address.
type Address struct {
	Local  string `jelly:"local"`
	Domain string `jelly:"domain"`
}

// String returns "local@domain", "local" without a domain, or "" for the
// null path. A local part that needs quoting is quoted.
func (a Address) String() string {
	local := a.Local
	if needsQuoting(local) {
		local = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(local) + `"`
	}
	if a.Domain == "" {
		return local
	}
	return local + "@" + a.Domain
}

// IsNull reports whether a is the null path.
func (a Address) IsNull() bool { return a.Local == "" && a.Domain == "" }

// ParseAddress parses "local@domain" (no angle brackets). The domain is
// lower-cased; the local part is kept as written.
func ParseAddress(s string) (Address, error) {
	return parseMailbox(s)
}

var errBadPath = errors.New("smtp: bad address syntax")

// parsePath parses "<...>" followed by optional ESMTP parameters, as in
// "MAIL FROM:<a@b> SIZE=10". It tolerates a space after the colon (which
// many clients send) and a source route, which it drops (RFC 5321 §4.1.2).
func parsePath(arg string) (Address, map[string]string, error) {
	arg = strings.TrimLeft(arg, " ")
	if !strings.HasPrefix(arg, "<") {
		return Address{}, nil, errBadPath
	}
	end := closingBracket(arg)
	if end < 0 {
		return Address{}, nil, errBadPath
	}
	inner := arg[1:end]
	params, err := parseParams(arg[end+1:])
	if err != nil {
		return Address{}, nil, err
	}
	if inner == "" {
		return Address{}, params, nil
	}
	if strings.HasPrefix(inner, "@") { // source route: @a,@b:user@host
		i := strings.Index(inner, ":")
		if i < 0 {
			return Address{}, nil, errBadPath
		}
		inner = inner[i+1:]
	}
	a, err := parseMailbox(inner)
	return a, params, err
}

// closingBracket finds the '>' closing a path, skipping quoted strings.
func closingBracket(s string) int {
	quoted := false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == '>':
			return i
		}
	}
	return -1
}

func parseParams(s string) (map[string]string, error) {
	if s != "" && s[0] != ' ' {
		return nil, errBadPath
	}
	params := map[string]string{}
	for _, f := range strings.Fields(s) {
		k, v, _ := strings.Cut(f, "=")
		if k == "" {
			return nil, errBadPath
		}
		params[strings.ToUpper(k)] = v
	}
	return params, nil
}

func parseMailbox(s string) (Address, error) {
	if s == "" || len(s) > 320 {
		return Address{}, errBadPath
	}
	var local, domain string
	if s[0] == '"' {
		var b strings.Builder
		i := 1
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			if s[i] < 32 || s[i] == 127 {
				return Address{}, errBadPath
			}
			b.WriteByte(s[i])
		}
		if i >= len(s) {
			return Address{}, errBadPath
		}
		local = b.String()
		rest := s[i+1:]
		if rest != "" {
			if rest[0] != '@' {
				return Address{}, errBadPath
			}
			domain = rest[1:]
		}
	} else {
		at := strings.LastIndexByte(s, '@')
		if at < 0 {
			local = s
		} else {
			local, domain = s[:at], s[at+1:]
		}
		if !validDotAtom(local) {
			return Address{}, errBadPath
		}
	}
	if len(local) > 64 {
		return Address{}, errBadPath
	}
	if strings.Contains(s, "@") && !validDomain(domain) {
		return Address{}, errBadPath
	}
	return Address{Local: local, Domain: strings.ToLower(domain)}, nil
}

const atext = "!#$%&'*+-/=?^_`{|}~"

func isAtext(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte(atext, c) >= 0 || c >= 0x80 // UTF-8 tolerated
}

func validDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '.' && !isAtext(s[i]) {
			return false
		}
	}
	return true
}

func needsQuoting(s string) bool { return s != "" && !validDotAtom(s) }

func validDomain(d string) bool {
	if d == "" || len(d) > 255 {
		return false
	}
	if d[0] == '[' { // address literal
		return d[len(d)-1] == ']' && len(d) > 2 && !strings.ContainsAny(d[1:len(d)-1], "[]\\ ")
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c >= 0x80) {
				return false
			}
		}
	}
	return true
}
