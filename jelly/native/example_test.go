package native_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
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

// A Writer that shares long byte strings leaves them out of its output;
// the pieces, written in order (with one writev, say), are the encoding.
func ExampleWriter_ShareBytes() {
	payload := bytes.Repeat([]byte{0xff}, 100)
	var w native.Writer
	w.Reset(nil, banana.Limits{})
	w.ShareBytes(64)
	w.List(3)
	w.String("blob")
	w.Bytes(payload) // shared: only its header is written
	w.Int(7)
	out, err := w.Result()
	if err != nil {
		fmt.Println(err)
		return
	}
	var pieces net.Buffers
	at := 0
	for _, s := range w.Segments() {
		pieces = append(pieces, out[at:s.At], s.Data)
		at = s.At
	}
	pieces = append(pieces, out[at:])
	var wire bytes.Buffer
	pieces.WriteTo(&wire)

	expr, _, err := native.DecodeBytes(wire.Bytes(), banana.Limits{})
	fmt.Println(len(out), w.SharedLen(), wire.Len(), err)
	fmt.Println(len(expr.([]any)[1].([]byte)))
	// Output:
	// 9 100 109 <nil>
	// 100
}
