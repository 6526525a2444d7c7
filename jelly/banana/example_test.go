package banana_test

import (
	"fmt"
	"strings"

	"github.com/braidkit/braid/jelly/banana"
)

// show renders a decoded expression the way the spec writes them.
func show(expr any) string {
	switch v := expr.(type) {
	case []byte:
		return fmt.Sprintf("b'%s'", v)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = show(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	default: // int64, *big.Int, float64
		return fmt.Sprint(v)
	}
}

func Example() {
	// A PB call as Twisted sends it once the "pb" dialect is in force:
	// [message, 1, "root", "add", 1, [tuple, 1, 2], [dictionary]].
	msg := []any{"message", 1, "root", "add", 1, []any{"tuple", 1, 2}, []any{"dictionary"}}

	wire, err := banana.Append(nil, msg, banana.DialectPB, banana.Limits{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", wire)

	expr, rest, err := banana.DecodeBytes(wire, banana.DialectPB, banana.Limits{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s, %d bytes left\n", show(expr), len(rest))
	fmt.Println("same expression:", banana.Equal(msg, expr))
	// Output:
	// 07 80 1a 87 01 81 04 82 72 6f 6f 74 03 82 61 64 64 01 81 03 80 0b 87 01 81 02 81 01 80 05 87
	// [b'message', 1, b'root', b'add', 1, [b'tuple', 1, 2], [b'dictionary']], 0 bytes left
	// same expression: true
}
