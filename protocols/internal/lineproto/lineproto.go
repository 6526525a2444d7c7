// Package lineproto holds the line-level machinery shared by Braid's
// line-oriented mail protocols (SMTP, POP3): a line reader with a hard length
// limit, and readers and writers for dot-stuffed multi-line blocks (SMTP's
// DATA, POP3's multi-line responses).
//
// Every reader here is bounded: a line longer than the limit is consumed and
// discarded without being kept in memory, and reported as ErrLineTooLong, so
// the caller can answer it and carry on with the next line.
package lineproto

import (
	"bufio"
	"errors"
	"io"
)

// ErrLineTooLong reports a line longer than the reader's limit. The whole line
// has been consumed (up to and including its LF) when it is returned.
var ErrLineTooLong = errors.New("line too long")

// ErrMessageTooLarge reports a dot-stuffed block larger than its size limit.
var ErrMessageTooLarge = errors.New("message too large")

// Reader reads lines with a length limit from a buffered reader.
type Reader struct {
	r   *bufio.Reader
	max int
	buf []byte
}

// NewReader returns a Reader over r whose lines may be at most max octets,
// counting the line terminator. max <= 0 means 1000 (RFC 5321's text line).
func NewReader(r *bufio.Reader, max int) *Reader {
	if max <= 0 {
		max = 1000
	}
	return &Reader{r: r, max: max}
}

// Max returns the reader's line limit.
func (r *Reader) Max() int { return r.max }

// SetMax changes the line limit for the following reads.
func (r *Reader) SetMax(max int) {
	if max > 0 {
		r.max = max
	}
}

// Buffered returns the number of bytes already read from the connection but
// not yet consumed (pipelined input).
func (r *Reader) Buffered() int { return r.r.Buffered() }

// ReadLineRaw returns the next line including its terminator (LF or CRLF; the
// last line of the stream may have none, with io.EOF). The slice is valid
// until the next call. A line over the limit is consumed entirely and
// reported as ErrLineTooLong with no data.
func (r *Reader) ReadLineRaw() ([]byte, error) {
	r.buf = r.buf[:0]
	tooLong := false
	for {
		chunk, err := r.r.ReadSlice('\n')
		if !tooLong {
			if len(r.buf)+len(chunk) > r.max {
				tooLong = true
				r.buf = r.buf[:0]
			} else {
				r.buf = append(r.buf, chunk...)
			}
		}
		switch {
		case err == nil:
			if tooLong {
				return nil, ErrLineTooLong
			}
			return r.buf, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			if tooLong {
				return nil, ErrLineTooLong
			}
			if err == io.EOF && len(r.buf) > 0 {
				return r.buf, io.ErrUnexpectedEOF
			}
			return r.buf, err
		}
	}
}

// ReadLine returns the next line without its terminator (CRLF or LF). The
// slice is valid until the next call.
func (r *Reader) ReadLine() ([]byte, error) {
	line, err := r.ReadLineRaw()
	return TrimEOL(line), err
}

// TrimEOL removes a trailing LF or CRLF.
func TrimEOL(line []byte) []byte {
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
		if n > 0 && line[n-1] == '\r' {
			n--
		}
	}
	return line[:n]
}

// DotReader reads a dot-stuffed block ending with a line holding a single
// "." (RFC 5321 §4.5.2, RFC 1939 §3): it removes the stuffed leading dot of
// each line and returns the text as sent, line terminators included, up to
// and excluding the terminating line. It enforces the Reader's line limit and
// an optional total size limit: past either it fails with ErrLineTooLong or
// ErrMessageTooLarge, after which Drain consumes the rest of the block.
type DotReader struct {
	r       *Reader
	limit   int64 // 0: none
	n       int64
	pending []byte
	done    bool
	err     error
}

// NewDotReader returns a DotReader reading from r; limit > 0 bounds the size
// of the unstuffed text.
func NewDotReader(r *Reader, limit int64) *DotReader {
	return &DotReader{r: r, limit: limit}
}

// Read implements io.Reader. It returns io.EOF at the terminating line.
func (d *DotReader) Read(p []byte) (int, error) {
	for len(d.pending) == 0 {
		if d.done {
			return 0, io.EOF
		}
		if d.err != nil {
			return 0, d.err
		}
		line, err := d.r.ReadLineRaw()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			d.err = err
			return 0, err
		}
		if isDotLine(line) {
			d.done = true
			return 0, io.EOF
		}
		if len(line) > 0 && line[0] == '.' {
			line = line[1:]
		}
		d.n += int64(len(line))
		if d.limit > 0 && d.n > d.limit {
			d.err = ErrMessageTooLarge
			return 0, d.err
		}
		d.pending = line
	}
	n := copy(p, d.pending)
	d.pending = d.pending[n:]
	return n, nil
}

// Size returns the number of unstuffed bytes read so far.
func (d *DotReader) Size() int64 { return d.n }

// Done reports whether the terminating line has been read.
func (d *DotReader) Done() bool { return d.done }

// Drain consumes the rest of the block, ignoring the limits, up to and
// including the terminating line. It returns the first violation met
// (ErrLineTooLong or ErrMessageTooLarge, including one met during Drain), or
// the read error that stopped it.
func (d *DotReader) Drain() error {
	violation := d.err
	if violation != nil && !errors.Is(violation, ErrLineTooLong) && !errors.Is(violation, ErrMessageTooLarge) {
		return violation
	}
	d.pending = nil
	for !d.done {
		line, err := d.r.ReadLineRaw()
		switch {
		case errors.Is(err, ErrLineTooLong):
			if violation == nil {
				violation = err
			}
			continue
		case err != nil:
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			d.err = err
			return err
		}
		if isDotLine(line) {
			d.done = true
			break
		}
		if len(line) > 0 && line[0] == '.' {
			line = line[1:]
		}
		d.n += int64(len(line))
		if violation == nil && d.limit > 0 && d.n > d.limit {
			violation = ErrMessageTooLarge
		}
	}
	return violation
}

func isDotLine(line []byte) bool {
	return (len(line) == 3 && line[0] == '.' && line[1] == '\r' && line[2] == '\n') ||
		(len(line) == 2 && line[0] == '.' && line[1] == '\n')
}

// DotWriter writes a dot-stuffed block: every line is sent terminated by
// CRLF (a bare LF becomes CRLF), a line starting with "." gets another one,
// and Close ends the text with CRLF if needed and writes the terminating
// ".\r\n". It does not flush the underlying writer.
type DotWriter struct {
	w     *bufio.Writer
	state int // 0: start of line, 1: in line, 2: after CR
}

// NewDotWriter returns a DotWriter writing to w.
func NewDotWriter(w *bufio.Writer) *DotWriter { return &DotWriter{w: w} }

// Write implements io.Writer.
func (d *DotWriter) Write(p []byte) (int, error) {
	for i, c := range p {
		var err error
		switch {
		case d.state == 0 && c == '.':
			err = d.w.WriteByte('.')
			if err == nil {
				err = d.w.WriteByte('.')
			}
			d.state = 1
		case c == '\n':
			if d.state != 2 {
				err = d.w.WriteByte('\r')
			}
			if err == nil {
				err = d.w.WriteByte('\n')
			}
			d.state = 0
		case c == '\r':
			err = d.w.WriteByte('\r')
			d.state = 2
		default:
			err = d.w.WriteByte(c)
			d.state = 1
		}
		if err != nil {
			return i, err
		}
	}
	return len(p), nil
}

// Close finishes the block.
func (d *DotWriter) Close() error {
	var err error
	switch d.state {
	case 1:
		_, err = d.w.WriteString("\r\n")
	case 2:
		err = d.w.WriteByte('\n')
	}
	if err != nil {
		return err
	}
	d.state = 0
	_, err = d.w.WriteString(".\r\n")
	return err
}
