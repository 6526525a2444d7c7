package banana

import (
	"errors"
	"math/big"
)

// Type bytes of the Banana encoding (spec §1.1).
const (
	typeList    = 0x80
	typeInt     = 0x81
	typeString  = 0x82
	typeNeg     = 0x83
	typeFloat   = 0x84
	typeLongInt = 0x85
	typeLongNeg = 0x86
	typeVocab   = 0x87
)

// Dialect is the Banana dialect in force on a connection. Twisted calls
// dialects "profiles". Before negotiation the dialect is DialectNone, which
// behaves like Twisted's "none": no vocabulary compression, and a VOCAB
// token on input is an error.
type Dialect uint8

const (
	// DialectNone sends every byte string in full and refuses VOCAB tokens.
	DialectNone Dialect = iota
	// DialectPB compresses the 31 words of the "pb" vocabulary to VOCAB
	// tokens and accepts VOCAB tokens on input.
	DialectPB
)

// String returns the dialect's wire name ("none" or "pb").
func (d Dialect) String() string {
	if d == DialectPB {
		return "pb"
	}
	return "none"
}

// Twisted's limits (spec §1.2, §1.7).
const (
	// DefaultSizeLimit is Twisted's SIZE_LIMIT: the longest list or byte
	// string a peer may announce (640 KiB).
	DefaultSizeLimit = 640 * 1024
	// PrefixLimit is the most base-128 digits a prefix may have.
	PrefixLimit = 64
	// DefaultMaxDepth is how deeply lists may nest in one expression.
	// Twisted has no limit at the Banana layer; Python's recursion limit
	// stops it a little above this.
	DefaultMaxDepth = 512
)

// Limits bound what a Decoder accepts and an encoder produces. Every limit
// is checked before the memory it guards is allocated. The zero value of a
// field means "use the default".
type Limits struct {
	// MaxString is the longest byte string accepted (default DefaultSizeLimit).
	MaxString int
	// MaxList is the largest list count accepted (default DefaultSizeLimit).
	MaxList int
	// MaxDepth is the deepest list nesting accepted (default DefaultMaxDepth).
	MaxDepth int
	// MaxExpression is the most bytes one top-level expression may occupy
	// on the wire (default 16 MiB).
	MaxExpression int
}

// DefaultMaxExpression is the default for Limits.MaxExpression.
const DefaultMaxExpression = 16 << 20

// WithDefaults returns l with every zero field set to its default.
func (l Limits) WithDefaults() Limits {
	if l.MaxString <= 0 {
		l.MaxString = DefaultSizeLimit
	}
	if l.MaxList <= 0 {
		l.MaxList = DefaultSizeLimit
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxExpression <= 0 {
		l.MaxExpression = DefaultMaxExpression
	}
	return l
}

// Errors returned by the codec. Decoding errors wrap ErrProtocol, so
// errors.Is(err, banana.ErrProtocol) tells a peer's fault from an I/O error.
var (
	// ErrProtocol is wrapped by every error caused by malformed input.
	ErrProtocol = errors.New("banana: protocol error")
	// ErrTooLarge is wrapped when an announced size exceeds a limit.
	ErrTooLarge = errors.New("banana: size limit exceeded")
	// ErrTooDeep is wrapped when lists nest deeper than Limits.MaxDepth.
	ErrTooDeep = errors.New("banana: nesting too deep")
	// ErrUnencodable is wrapped when a value cannot be encoded.
	ErrUnencodable = errors.New("banana: cannot encode value")
)

// Expressions.
//
// A decoded expression is one of:
//
//	int64      INT, NEG, or LONGINT/LONGNEG whose value fits in int64
//	*big.Int   LONGINT/LONGNEG (or INT/NEG) whose value does not fit
//	float64    FLOAT
//	[]byte     STRING, or a VOCAB token expanded to its word
//	[]any      LIST, whose members are expressions
//
// The encoder (Append) accepts the same types plus string (sent as a
// STRING; Banana has no text type, so this is just an allocation-free way
// to write bytes), the other Go integer types and bool (as integers), and
// float32 (widened to float64). There is no separate VOCAB type: in
// DialectPB every byte string equal to a vocabulary word is compressed.
var _ = (*big.Int)(nil)
