// Package banana implements Banana, the byte-level encoding under Twisted's
// Perspective Broker (spec pb-wire.md, section 1), wire-compatible with
// twisted.spread.banana.
//
// # Wire format
//
// A Banana stream is a series of top-level expressions. Each element is a
// base-128 prefix (digits 0x00-0x7F, least significant first, at most
// PrefixLimit of them), a type byte (0x80-0x87) and, for some types, a
// body:
//
//	80 LIST     prefix = member count; that many elements follow
//	81 INT      +prefix
//	82 STRING   prefix = length; that many raw bytes follow
//	83 NEG      -prefix
//	84 FLOAT    no prefix; 8 bytes of big-endian IEEE-754 binary64
//	85 LONGINT  +prefix
//	86 LONGNEG  -prefix
//	87 VOCAB    prefix = index into the "pb" vocabulary (DialectPB only)
//
// # Expressions
//
// Decoded expressions are built from int64, *big.Int (integers that do not
// fit in an int64), float64, []byte and []any. Banana has no text, None,
// dict or bool; those live one layer up, in jelly. A VOCAB token decodes to
// its word as a []byte, so a receiver sees the same value whether a peer
// compressed a word or spelled it out.
//
// Append encodes an expression. Besides the decoded types it accepts every
// Go integer type, bool, float32 and string. It picks the integer type
// byte from the value exactly as Twisted does and, in DialectPB, writes
// every byte string that equals a vocabulary word as a VOCAB token, so its
// output is byte-for-byte what Twisted would send. Equal compares
// expressions structurally; VocabIndex and VocabWord expose the vocabulary.
//
// # Decoding
//
// A Decoder reads one top-level expression per Decode call from a
// bufio.Reader owned by the caller, blocking until the whole expression
// has arrived; it consumes no byte beyond it. DecodeBytes decodes from a
// byte slice. A Decoder starts in DialectNone; switch it with SetDialect
// once the dialect has been negotiated.
//
// # Limits
//
// Limits bounds what is accepted and produced: the longest byte string
// (MaxString) and list (MaxList), the deepest list nesting (MaxDepth) and
// the most bytes in one top-level expression (MaxExpression). Zero fields
// take Twisted-compatible defaults (Limits.WithDefaults). The Decoder
// checks each announced size as soon as its header is parsed and never
// trusts it for allocation: lists start small and grow as members arrive,
// and long string bodies are read in growing chunks, so a peer cannot make
// it allocate memory it has not sent. Nesting is tracked with an explicit
// stack bounded by MaxDepth, never by recursion.
//
// # Errors
//
// Malformed input makes Decode return an error wrapping ErrProtocol, and
// also ErrTooLarge or ErrTooDeep when a limit was exceeded. Such an error
// is fatal for the connection: Twisted closes it without a word, and a
// Decoder stays failed. io.EOF means the stream ended cleanly between
// expressions, io.ErrUnexpectedEOF that it ended inside one. Append fails
// with an error wrapping ErrUnencodable (unsupported type, integer of
// 2^448 or more, nesting deeper than MaxDepth) or ErrTooLarge (string,
// list or expression over its limit) and then leaves dst as it was.
package banana
