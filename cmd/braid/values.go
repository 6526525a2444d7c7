package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"sync"
	"time"
	"weak"

	"github.com/braidkit/braid/internal/literal"
	"github.com/braidkit/braid/jelly"
	"github.com/braidkit/braid/pb"
)

// refNames numbers the remote references a session prints, "<ref 1>",
// "<ref 2>", ..., the same number each time the same reference is
// printed. It holds the references weakly, so that printing one does not
// keep it from being released when nothing else holds it.
type refNames struct {
	mu   sync.Mutex
	ids  map[weak.Pointer[pb.RemoteReference]]int
	next int
}

func (n *refNames) id(r *pb.RemoteReference) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ids == nil {
		n.ids = map[weak.Pointer[pb.RemoteReference]]int{}
	}
	w := weak.Make(r)
	if id, ok := n.ids[w]; ok {
		return id
	}
	if len(n.ids) > 256 {
		for k := range n.ids {
			if k.Value() == nil {
				delete(n.ids, k)
			}
		}
	}
	n.next++
	n.ids[w] = n.next
	return n.next
}

// printer returns a literal printer that prints references by number.
func (n *refNames) printer(width int) *literal.Printer {
	return &literal.Printer{Width: width, Other: func(v any) (string, bool) {
		if r, ok := v.(*pb.RemoteReference); ok {
			return fmt.Sprintf("<ref %d>", n.id(r)), true
		}
		return "", false
	}}
}

// noJSONError says a value has no JSON form.
type noJSONError struct{ what string }

func (e *noJSONError) Error() string {
	return "the result has no JSON form (" + e.what + "); run without --json to see it"
}

// toJSON writes v as compact JSON. The mapping, documented in the command
// reference: None null, bool, int (any size) and float as numbers, str as
// a string, bytes as a base64 string, list/tuple/set/frozenset as arrays,
// dict as an object when every key is a str or an int (ints become their
// decimal text), datetime/date/time as ISO 8601 strings, timedelta as a
// number of seconds, Decimal as a number with its exact digits. NaN,
// infinities, remote references, instances, unpersistables and other dict
// keys have no JSON form.
func toJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := writeJSON(&buf, v, 0); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeJSON(buf *bytes.Buffer, v any, depth int) error {
	if depth > 512 {
		return &noJSONError{"nested too deeply, or cyclic"}
	}
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(x))
	case int64:
		buf.WriteString(strconv.FormatInt(x, 10))
	case *big.Int:
		buf.WriteString(x.String())
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return &noJSONError{"a float that is not finite: " + literal.Format(x)}
		}
		b, _ := json.Marshal(x)
		buf.Write(b)
	case string:
		b, _ := json.Marshal(x)
		buf.Write(b)
	case []byte:
		buf.WriteByte('"')
		buf.WriteString(base64.StdEncoding.EncodeToString(x))
		buf.WriteByte('"')
	case jelly.List:
		return writeJSONArray(buf, x, depth)
	case jelly.Tuple:
		return writeJSONArray(buf, x, depth)
	case jelly.Set:
		return writeJSONArray(buf, x, depth)
	case jelly.FrozenSet:
		return writeJSONArray(buf, x, depth)
	case jelly.Dict:
		buf.WriteByte('{')
		for i, p := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			var key string
			switch k := p.Key.(type) {
			case string:
				key = k
			case int64:
				key = strconv.FormatInt(k, 10)
			case *big.Int:
				key = k.String()
			default:
				return &noJSONError{"a dict key of type " + literal.TypeName(p.Key)}
			}
			b, _ := json.Marshal(key)
			buf.Write(b)
			buf.WriteByte(':')
			if err := writeJSON(buf, p.Value, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case time.Time:
		s := x.Format("2006-01-02T15:04:05")
		if us := x.Nanosecond() / 1000; us != 0 {
			s += fmt.Sprintf(".%06d", us)
		}
		buf.WriteString(`"` + s + `"`)
	case jelly.Date:
		buf.WriteString(`"` + x.String() + `"`)
	case jelly.TimeOfDay:
		buf.WriteString(`"` + x.String() + `"`)
	case time.Duration:
		us := int64(x / time.Microsecond)
		sign := ""
		if us < 0 {
			sign, us = "-", -us
		}
		buf.WriteString(fmt.Sprintf("%s%d.%06d", sign, us/1e6, us%1e6))
	case jelly.Decimal:
		buf.WriteString(x.String())
	case *pb.RemoteReference:
		return &noJSONError{"a remote reference"}
	default:
		return &noJSONError{"a value of type " + literal.TypeName(v)}
	}
	return nil
}

func writeJSONArray(buf *bytes.Buffer, elems []any, depth int) error {
	buf.WriteByte('[')
	for i, e := range elems {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := writeJSON(buf, e, depth+1); err != nil {
			return err
		}
	}
	buf.WriteByte(']')
	return nil
}
