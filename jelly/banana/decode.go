package banana

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"github.com/braidkit/braid/jelly/internal/body"
	"io"
	"math"
	"math/big"
	"math/bits"
)

const (
	// initialListCap is the most list slots allocated before the elements
	// arrive; a list grows as its elements are actually decoded.
	initialListCap = 16
)

// A Decoder reads Banana expressions from a stream.
//
// The Decoder reads from the bufio.Reader given to NewDecoder and consumes
// exactly the bytes of the expressions it returns: anything after the last
// decoded expression stays in the reader, so the caller can hand the stream
// to another codec. A Decoder is not safe for concurrent use.
type Decoder struct {
	r       *bufio.Reader
	lim     Limits
	dialect Dialect
	err     error // sticky: set once the stream is out of step
	n       int   // bytes of the current expression read so far
	stack   []frame
	openBuf []int // ReadFrame's stack of open lists
	digits  [PrefixLimit]byte
	float   [8]byte
	// body reads string bodies; short ones share arena blocks, each slice
	// handed out once with its capacity clipped.
	body body.Reader
}

// frame is a list being decoded: the members so far and the count the
// header announced.
type frame struct {
	items []any
	want  int
}

// NewDecoder returns a Decoder that reads from r with limits l (zero
// fields take their defaults, see Limits.WithDefaults) in DialectNone.
// The caller keeps ownership of r.
func NewDecoder(r *bufio.Reader, l Limits) *Decoder {
	return &Decoder{r: r, lim: l.WithDefaults()}
}

// SetDialect sets the dialect used for the following expressions. Call it
// once the dialect has been negotiated (spec §1.9).
func (d *Decoder) SetDialect(dialect Dialect) { d.dialect = dialect }

// Dialect returns the dialect in force.
func (d *Decoder) Dialect() Dialect { return d.dialect }

// Decode reads exactly one complete top-level expression, blocking on the
// reader until all of it has arrived. The result is an int64, *big.Int,
// float64, []byte or []any (see the package documentation); it is owned by
// the caller, including the []byte a VOCAB token expands to. (Byte strings
// of up to 64 bytes are carved, with their capacity clipped, from 1 KiB
// blocks, so keeping one alive keeps at most its block alive.)
//
// Decode returns io.EOF only when the stream ends cleanly before the first
// byte of an expression, and io.ErrUnexpectedEOF when it ends inside one.
// Malformed input gives an error wrapping ErrProtocol (and ErrTooLarge or
// ErrTooDeep where a limit was exceeded). Other read errors are returned as
// they are. After an error that leaves the stream in the middle of an
// expression (any error but io.EOF or a read error before the first byte),
// the Decoder is unusable and every later call returns the same error.
func (d *Decoder) Decode() (any, error) {
	if d.err != nil {
		return nil, d.err
	}
	d.n = 0
	v, err := d.decode()
	if err != nil {
		if d.n > 0 {
			d.err = err
		}
		return nil, err
	}
	return v, nil
}

func (d *Decoder) decode() (v any, err error) {
	stack := d.stack[:0]
	defer func() {
		clear(stack) // drop references to partial lists
		d.stack = stack[:0]
	}()
	for {
		v, open, err := d.element(len(stack))
		if err != nil {
			return nil, err
		}
		if open > 0 {
			stack = append(stack, frame{items: make([]any, 0, min(open, initialListCap)), want: open})
			continue
		}
		// v is complete: add it to the innermost open list, closing every
		// list it completes.
		for {
			if len(stack) == 0 {
				return v, nil
			}
			top := &stack[len(stack)-1]
			top.items = append(top.items, v)
			if len(top.items) < top.want {
				break
			}
			v = top.items
			*top = frame{}
			stack = stack[:len(stack)-1]
		}
	}
}

// element reads one element at nesting depth depth (the number of open
// lists). It returns either a complete value, or open > 0 when it read the
// header of a non-empty list with that many members.
func (d *Decoder) element(depth int) (v any, open int, err error) {
	nd := 0
	var typ byte
	for {
		c, err := d.r.ReadByte()
		if err != nil {
			return nil, 0, d.readErr(err)
		}
		if d.n++; d.n > d.lim.MaxExpression {
			return nil, 0, d.tooLong()
		}
		if c >= 0x80 {
			typ = c
			break
		}
		if nd == PrefixLimit {
			return nil, 0, fmt.Errorf("%w: more than %d prefix digits", ErrProtocol, PrefixLimit)
		}
		d.digits[nd] = c
		nd++
	}

	switch typ {
	case typeList:
		n, ok := d.prefixUint(nd)
		if !ok || n > uint64(d.lim.MaxList) {
			return nil, 0, fmt.Errorf("%w: list of %s elements exceeds the limit of %d (%w)",
				ErrProtocol, d.prefixString(nd), d.lim.MaxList, ErrTooLarge)
		}
		if depth >= d.lim.MaxDepth {
			return nil, 0, fmt.Errorf("%w: lists nested more than %d deep (%w)", ErrProtocol, d.lim.MaxDepth, ErrTooDeep)
		}
		if n == 0 {
			return []any{}, 0, nil
		}
		return nil, int(n), nil

	case typeString:
		n, ok := d.prefixUint(nd)
		if !ok || n > uint64(d.lim.MaxString) {
			return nil, 0, fmt.Errorf("%w: byte string of %s bytes exceeds the limit of %d (%w)",
				ErrProtocol, d.prefixString(nd), d.lim.MaxString, ErrTooLarge)
		}
		if int(n) > d.lim.MaxExpression-d.n {
			return nil, 0, d.tooLong()
		}
		d.n += int(n)
		b, err := d.body.Read(d.r, int(n))
		if err != nil {
			return nil, 0, d.bodyErr(err)
		}
		return b, 0, nil

	case typeInt, typeLongInt:
		return d.prefixInt(nd, false), 0, nil

	case typeNeg, typeLongNeg:
		return d.prefixInt(nd, true), 0, nil

	case typeFloat:
		// Any prefix is ignored (spec §1.4).
		if len(d.float) > d.lim.MaxExpression-d.n {
			return nil, 0, d.tooLong()
		}
		d.n += len(d.float)
		if _, err := io.ReadFull(d.r, d.float[:]); err != nil {
			return nil, 0, d.bodyErr(err)
		}
		return math.Float64frombits(uint64(d.float[0])<<56 | uint64(d.float[1])<<48 |
			uint64(d.float[2])<<40 | uint64(d.float[3])<<32 | uint64(d.float[4])<<24 |
			uint64(d.float[5])<<16 | uint64(d.float[6])<<8 | uint64(d.float[7])), 0, nil

	case typeVocab:
		if d.dialect != DialectPB {
			return nil, 0, fmt.Errorf("%w: VOCAB token in dialect %q", ErrProtocol, d.dialect.String())
		}
		i, ok := d.prefixUint(nd)
		if !ok || i == 0 || i >= uint64(len(vocabWords)) {
			return nil, 0, fmt.Errorf("%w: unknown VOCAB index %s", ErrProtocol, d.prefixString(nd))
		}
		w := vocabWords[i]
		b := d.body.Slice(len(w))
		copy(b, w)
		return b, 0, nil

	default:
		return nil, 0, fmt.Errorf("%w: unknown type byte 0x%02x", ErrProtocol, typ)
	}
}

// readErr maps an error from reading a prefix or type byte.
func (d *Decoder) readErr(err error) error {
	if err == io.EOF && d.n > 0 {
		return io.ErrUnexpectedEOF
	}
	return err
}

// bodyErr maps an error from reading the body of an element, which always
// comes after its type byte.
func (d *Decoder) bodyErr(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (d *Decoder) tooLong() error {
	return fmt.Errorf("%w: expression longer than %d bytes (%w)", ErrProtocol, d.lim.MaxExpression, ErrTooLarge)
}

// significant returns the number of prefix digits without the high-order
// zero digits that the decoder accepts and ignores.
func (d *Decoder) significant(nd int) int {
	for nd > 0 && d.digits[nd-1] == 0 {
		nd--
	}
	return nd
}

// prefixUint returns the value of the nd prefix digits, and false if it
// does not fit in a uint64.
func (d *Decoder) prefixUint(nd int) (uint64, bool) {
	nd = d.significant(nd)
	// Nine digits hold 63 bits; a tenth digit may add only bit 63.
	if nd > 10 || nd == 10 && d.digits[9] > 1 {
		return 0, false
	}
	var u uint64
	for i := nd - 1; i >= 0; i-- {
		u = u<<7 | uint64(d.digits[i])
	}
	return u, true
}

// prefixBig returns the value of the nd prefix digits as a big.Int.
func (d *Decoder) prefixBig(nd int) *big.Int {
	nd = d.significant(nd)
	words := make([]big.Word, (7*nd+bits.UintSize-1)/bits.UintSize)
	for k := 0; k < nd; k++ {
		p := 7 * k
		w, s := p/bits.UintSize, uint(p%bits.UintSize)
		words[w] |= big.Word(d.digits[k]) << s
		if s > bits.UintSize-7 {
			words[w+1] |= big.Word(d.digits[k]) >> (bits.UintSize - s)
		}
	}
	return new(big.Int).SetBits(words)
}

// prefixString formats the prefix value for an error message.
func (d *Decoder) prefixString(nd int) string {
	if u, ok := d.prefixUint(nd); ok {
		return fmt.Sprint(u)
	}
	return d.prefixBig(nd).String()
}

// prefixInt returns the integer +N or -N as an int64 if it fits, else as
// a *big.Int.
func (d *Decoder) prefixInt(nd int, neg bool) any {
	if u, ok := d.prefixUint(nd); ok {
		if !neg && u <= math.MaxInt64 {
			return int64(u)
		}
		if neg && u <= 1<<63 {
			return int64(-u) // wraps to math.MinInt64 for 2^63
		}
	}
	z := d.prefixBig(nd)
	if neg {
		z.Neg(z)
	}
	return z
}

// DecodeBytes decodes the first expression in b, in dialect d with limits
// l, and returns it with the bytes that follow it. If b holds no complete
// expression (including when b is empty) the error is io.ErrUnexpectedEOF.
// On error rest is b. Errors are those of Decoder.Decode.
func DecodeBytes(b []byte, d Dialect, l Limits) (expr any, rest []byte, err error) {
	src := bytes.NewReader(b)
	br := bufio.NewReaderSize(src, 64)
	dec := NewDecoder(br, l)
	dec.SetDialect(d)
	expr, err = dec.Decode()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, b, err
	}
	used := len(b) - src.Len() - br.Buffered()
	return expr, b[used:], nil
}
