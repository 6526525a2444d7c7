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
// msgpack values are self-delimiting, so the codec needs no other framing.
// Any msgpack implementation can read the stream (the tests check the
// output against github.com/vmihailenco/msgpack/v5 both ways). (On a PB
// connection the broker wraps each message in a msgpack bin 32 holding its
// encoding, so that the reader knows its length without scanning it, and
// reads it with a Reader whose limits are set by Reader.SetLimits; see
// package pb.) The mapping:
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
//	["unicode",  ext type 2 (ExtText) with s    any ext format of
//	s], s valid  as its payload, in the         type 2 (and the list,
//	UTF-8        shortest format: fixext 1/2/   spelled as above)
//	(text)       4/8/16 for those lengths,
//	             else ext 8/16/32
//	[]any        fixarray, array 16/32
//
// Banana strings are bytes, not text, so byte strings are bin in general;
// the short ones that are valid UTF-8 (most of what PB sends: "message",
// method names, "tuple", "dictionary", dictionary keys) are written as
// fixstr, one byte shorter, which keeps the promise str makes to other
// msgpack readers. The decoder returns []byte for both, without checking
// UTF-8.
//
// Text is what jelly writes for every Go string: the list ["unicode", s]
// with two byte strings. ExtText carries it in one value, 2 or 3 bytes
// plus s instead of 10 or more, and one token instead of three for a
// token.Reader. It is only a shorter spelling of that list: Append and the
// Writer write it for every such list whose s is valid UTF-8 (whether its
// members are strings or []byte), Decode returns the same two-member list
// ([]byte("unicode") and s) for it, and every limit applies to it as to
// the list (MaxDepth and MaxList for a list of two, MaxString for
// "unicode" and for s). A payload that is not valid UTF-8 is refused.
//
// The expression model has no nil, bool or map, and neither does this
// codec: the decoder refuses msgpack nil, true/false, maps, the reserved
// byte 0xc1 and every extension type but ExtBigInt and ExtText with an
// error wrapping banana.ErrProtocol. Append, like banana.Append, writes a
// Go bool as the integer 1 or 0, so it decodes as int64 as it would from
// Banana.
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
// integer extension longer than a 448-bit integer, and a text extension
// longer than MaxString, are refused before the payload is read.
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
