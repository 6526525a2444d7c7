package native_test

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/jelly/native"
)

// show renders a decoded expression the way the PB spec writes them.
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
	// A PB call, [message, 1, "root", "add", 1, [tuple, 1, 2], [dictionary]],
	// then a second expression on the same stream.
	msg := []any{"message", 1, "root", "add", 1, []any{"tuple", 1, 2}, []any{"dictionary"}}
	wire, err := native.Append(nil, msg, banana.Limits{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", wire)
	wire, err = native.Append(wire, 2.5, banana.Limits{})
	if err != nil {
		panic(err)
	}

	dec := native.NewDecoder(bufio.NewReader(bytes.NewReader(wire)), banana.Limits{})
	for {
		expr, err := dec.Decode()
		if err != nil {
			fmt.Println(err) // io.EOF: the stream ended between expressions
			break
		}
		fmt.Println(show(expr))
	}
	// Output:
	// 97 a7 6d 65 73 73 61 67 65 01 a4 72 6f 6f 74 a3 61 64 64 01 93 a5 74 75 70 6c 65 01 02 91 aa 64 69 63 74 69 6f 6e 61 72 79
	// [b'message', 1, b'root', b'add', 1, [b'tuple', 1, 2], [b'dictionary']]
	// 2.5
	// EOF
}

func ExampleDecodeBytes() {
	// A peer announces an array of 2^32-1 members: refused at the header,
	// before anything is allocated.
	_, _, err := native.DecodeBytes([]byte{0xdd, 0xff, 0xff, 0xff, 0xff, 0x01}, banana.Limits{})
	fmt.Println(err)
	// Output:
	// banana: protocol error: list of 4294967295 elements exceeds the limit of 655360 (banana: size limit exceeded)
}
