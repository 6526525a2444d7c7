// Package native is the "braid-msgpack" codec: the same s-expressions as
// jelly/banana, encoded in MessagePack (https://msgpack.org) for
// connections where both ends are Braid. PB offers it under DialectName
// during dialect negotiation; a Twisted peer never does, and keeps Banana.
// The package has the shape of banana's codec (Append, a Decoder reading
// one expression per Decode call from a bufio.Reader, banana.Limits and
// banana's errors), so the broker can swap one for the other.
//
// # Wire format
//
// A stream is a series of top-level msgpack values, one per expression;
// msgpack values are self-delimiting, so no other framing is needed. Any
// msgpack implementation can read the stream (the tests check the output
// against github.com/vmihailenco/msgpack/v5 both ways). The mapping:
//
//	expression   written as                     also accepted on input
//	int64        the shortest int: positive     any msgpack int format
//	             fixint/uint 8-64 for v >= 0,
//	             negative fixint/int 8-64 below
//	*big.Int     uint 64 when it fits (2^63 to  an int format, or
//	             2^64-1), else ext type 1       ExtBigInt for any value
//	             (ExtBigInt): sign byte 0 or 1,
//	             then the big-endian magnitude
//	             without leading zero bytes, at
//	             most 56 bytes (|v| < 2^448)
//	float64      float 64                       float 32 (widened)
//	[]byte       fixstr when it is at most 31   any str or bin format:
//	             bytes of valid UTF-8, else     bytes taken as they are
//	             bin 8/16/32
//	[]any        fixarray, array 16/32
//
// Banana strings are bytes, not text, so byte strings are bin in general;
// the short ones that are valid UTF-8 (most of what PB sends: "message",
// method names, "tuple", "unicode", dictionary keys) are written as fixstr,
// one byte shorter, which keeps the promise str makes to other msgpack
// readers. The decoder returns []byte for both, without checking UTF-8.
//
// The expression model has no nil, bool or map, and neither does this
// codec: the decoder refuses msgpack nil, true/false, maps, the reserved
// byte 0xc1 and every extension type but ExtBigInt with an error wrapping
// banana.ErrProtocol. Append, like banana.Append, writes a Go bool as the
// integer 1 or 0, so it decodes as int64 as it would from Banana.
//
// Decoded values use exactly banana's types: int64 for every integer that
// fits (whatever format carried it), *big.Int for the others, float64,
// []byte and []any. banana.Equal compares them.
//
// # Limits
//
// The Decoder enforces banana.Limits on the lengths that headers announce,
// before allocating anything for them: MaxString for bin and str, MaxList
// for arrays, MaxDepth for array nesting, MaxExpression for the bytes of
// one top-level value (an array of n members needs at least n more bytes,
// so a lying array length is refused at its header). Lists start small and
// grow as members arrive, long string bodies are read in growing chunks,
// and nesting is tracked with an explicit stack, never by recursion, so a
// peer cannot make the Decoder allocate memory it has not sent. An
// extension longer than a 448-bit integer is refused before its payload is
// read.
//
// # Errors
//
// As in banana: malformed input gives an error wrapping banana.ErrProtocol
// (and banana.ErrTooLarge or banana.ErrTooDeep for a limit), after which the
// Decoder stays failed; io.EOF means the stream ended cleanly between
// expressions and io.ErrUnexpectedEOF that it ended inside one. Append fails
// with banana.ErrUnencodable (unsupported type, integer of 2^448 or more,
// nesting deeper than MaxDepth) or banana.ErrTooLarge and then leaves dst as
// it was.
package native
