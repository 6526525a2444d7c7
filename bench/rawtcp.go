package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"sync"
	"sync/atomic"
)

// The raw TCP echo is the floor under every RPC system here: a hand-written
// length-prefixed protocol with no reflection, no schema and no framework.
//
// A frame is
//
//	uint32 length of what follows (big-endian)
//	uint64 request id
//	uint8  op: 1 int64, 2 bytes, 3 records
//	payload
//
// int64 is 8 bytes big-endian; bytes are themselves; records are a uvarint
// count, then per record a varint I, a uvarint length and the bytes of S,
// and F's IEEE-754 bits as 8 bytes little-endian (encoding/binary). The
// server decodes every request into Go values ([]Record for records) and
// encodes its answer from them, as the RPC servers do; it answers inline on
// its one reader goroutine, flushing when no more requests are buffered.
// The client has one reader goroutine that hands answers to callers by
// request id and one writer goroutine that sends whatever frames callers
// queued since its last write in one system call.

const (
	rawInt64   = 1
	rawBytes   = 2
	rawRecords = 3

	rawHeader   = 4 + 8 + 1
	rawMaxFrame = 16 << 20
)

// serveRaw accepts raw echo connections until l closes.
func serveRaw(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go serveRawConn(c)
	}
}

func serveRawConn(c net.Conn) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 64<<10)
	w := bufio.NewWriterSize(c, 64<<10)
	var recs []Record
	var out []byte
	for {
		id, op, payload, err := readRawFrame(r)
		if err != nil {
			return
		}
		switch op {
		case rawRecords:
			recs, err = decodeRecords(recs[:0], payload)
			if err != nil {
				return
			}
			out = appendRawFrame(out[:0], id, op, nil)
			out = appendRecords(out, recs)
			finishRawFrame(out)
		default:
			out = appendRawFrame(out[:0], id, op, payload)
		}
		if _, err := w.Write(out); err != nil {
			return
		}
		if r.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				return
			}
		}
	}
}

// readRawFrame reads one frame; the payload is a fresh slice.
func readRawFrame(r *bufio.Reader) (id uint64, op byte, payload []byte, err error) {
	var h [rawHeader]byte
	if _, err = io.ReadFull(r, h[:]); err != nil {
		return
	}
	n := binary.BigEndian.Uint32(h[:4])
	if n < rawHeader-4 || n > rawMaxFrame {
		return 0, 0, nil, fmt.Errorf("raw: bad frame length %d", n)
	}
	id = binary.BigEndian.Uint64(h[4:12])
	op = h[12]
	payload = make([]byte, n-(rawHeader-4))
	_, err = io.ReadFull(r, payload)
	return
}

// appendRawFrame appends a frame header and payload; finishRawFrame fixes
// the length when more payload is appended afterwards.
func appendRawFrame(b []byte, id uint64, op byte, payload []byte) []byte {
	start := len(b)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint64(b, id)
	b = append(b, op)
	b = append(b, payload...)
	binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start-4))
	return b
}

// finishRawFrame sets the length of the single frame b holds.
func finishRawFrame(b []byte) {
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
}

func appendRecords(b []byte, rs []Record) []byte {
	b = binary.AppendUvarint(b, uint64(len(rs)))
	for _, r := range rs {
		b = binary.AppendVarint(b, int64(r.I))
		b = binary.AppendUvarint(b, uint64(len(r.S)))
		b = append(b, r.S...)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(r.F))
	}
	return b
}

var errRawRecords = errors.New("raw: malformed records")

func decodeRecords(rs []Record, b []byte) ([]Record, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, errRawRecords
	}
	b = b[k:]
	for ; n > 0; n-- {
		i, k := binary.Varint(b)
		if k <= 0 {
			return nil, errRawRecords
		}
		b = b[k:]
		sl, k := binary.Uvarint(b)
		if k <= 0 || sl > uint64(len(b)-k) {
			return nil, errRawRecords
		}
		b = b[k:]
		s := string(b[:sl])
		b = b[sl:]
		if len(b) < 8 {
			return nil, errRawRecords
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(b))
		b = b[8:]
		rs = append(rs, Record{I: int(i), S: s, F: f})
	}
	return rs, nil
}

// rawClient is the client end of the raw echo.
type rawClient struct {
	conn   net.Conn
	nextID atomic.Uint64

	mu      sync.Mutex
	pending []byte // frames queued for the writer
	calls   map[uint64]chan []byte
	err     error
	wake    chan struct{}
	done    chan struct{}
	rdone   chan struct{}
}

func dialRaw(addr string) (*rawClient, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &rawClient{
		conn:  conn,
		calls: map[uint64]chan []byte{},
		wake:  make(chan struct{}, 1),
		done:  make(chan struct{}),
		rdone: make(chan struct{}),
	}
	go c.reader()
	go c.writer()
	return c, nil
}

func (c *rawClient) writer() {
	var spare []byte
	for {
		select {
		case <-c.wake:
		case <-c.done:
			return
		}
		c.mu.Lock()
		out := c.pending
		c.pending = spare[:0]
		c.mu.Unlock()
		if len(out) == 0 {
			spare = out
			continue
		}
		if _, err := c.conn.Write(out); err != nil {
			c.fail(err)
			return
		}
		spare = out
	}
}

func (c *rawClient) reader() {
	defer close(c.rdone)
	r := bufio.NewReaderSize(c.conn, 64<<10)
	for {
		id, _, payload, err := readRawFrame(r)
		if err != nil {
			c.fail(err)
			return
		}
		c.mu.Lock()
		ch := c.calls[id]
		delete(c.calls, id)
		c.mu.Unlock()
		if ch != nil { // nil: the caller gave up (its context ended)
			ch <- payload
		}
	}
}

// fail ends every pending call with err.
func (c *rawClient) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return
	}
	c.err = err
	close(c.done)
	for id, ch := range c.calls {
		delete(c.calls, id)
		close(ch)
	}
	c.conn.Close()
}

// call sends one request; encode appends its payload.
func (c *rawClient) call(ctx context.Context, op byte, encode func([]byte) []byte) ([]byte, error) {
	id := c.nextID.Add(1)
	ch := make(chan []byte, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return nil, err
	}
	c.calls[id] = ch
	start := len(c.pending)
	c.pending = appendRawFrame(c.pending, id, op, nil)
	c.pending = encode(c.pending)
	binary.BigEndian.PutUint32(c.pending[start:], uint32(len(c.pending)-start-4))
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	select {
	case p, ok := <-ch:
		if !ok {
			return nil, c.closedErr()
		}
		return p, nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.calls, id)
		c.mu.Unlock()
		return nil, ctx.Err()
	}
}

func (c *rawClient) closedErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *rawClient) Int64(ctx context.Context, v int64) (int64, error) {
	p, err := c.call(ctx, rawInt64, func(b []byte) []byte { return binary.BigEndian.AppendUint64(b, uint64(v)) })
	if err != nil {
		return 0, err
	}
	if len(p) != 8 {
		return 0, fmt.Errorf("raw: int64 answer of %d bytes", len(p))
	}
	return int64(binary.BigEndian.Uint64(p)), nil
}

func (c *rawClient) Bytes(ctx context.Context, v []byte) ([]byte, error) {
	return c.call(ctx, rawBytes, func(b []byte) []byte { return append(b, v...) })
}

func (c *rawClient) Records(ctx context.Context, rs []Record) (int, error) {
	p, err := c.call(ctx, rawRecords, func(b []byte) []byte { return appendRecords(b, rs) })
	if err != nil {
		return 0, err
	}
	v, err := decodeRecords(nil, p)
	if err != nil {
		return 0, err
	}
	return len(v), verifyRecords(len(v), func(i int) Record { return v[i] }, rs)
}

func (c *rawClient) Close() error {
	c.fail(net.ErrClosed)
	<-c.rdone
	return nil
}
