package pb

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/jelly/native"
	"github.com/braidkit/braid/jelly/token"
)

// The hot path. Outgoing calls and answers whose values can be streamed
// (see jelly.StreamTo) are encoded token by token straight into the
// output buffer; incoming messages are read as one frame of bytes and,
// when the target method (or the typed call waiting for an answer) is
// known and the values are plain data, decoded straight into the Go types
// (jelly.TypedDecoder). Everything else takes the general path: the
// frame is built into an expression tree and dispatched as before. Both
// paths give the same bytes and the same values.

// ---- output ----

// lockOut waits until the output queue has room and locks wmu. On error
// (the connection is closing) wmu is not held. When the queue is full and
// nobody is writing it (the reader holds it, say), the caller writes it.
func (b *Broker) lockOut() error {
	b.wmu.Lock()
	for len(b.out) > maxQueuedOutput && !b.wclose {
		if !b.writing {
			b.writing = true
			b.writeQueued()
			continue
		}
		b.wcond.Wait()
	}
	if b.wclose {
		b.wmu.Unlock()
		return fmt.Errorf("%w: %w", ErrConnectionLost, b.errOrLost())
	}
	return nil
}

// outWriter returns the token writer of the connection's codec, set to
// append one message to the output queue. wmu must be held. In the native
// dialect the message goes after a frame header that outResult fills in.
//
// A sender that will write its message itself (inline, with nobody else
// writing and the output not held for the reader, so that commitOut writes
// it at once) may have long byte strings left out of the queue and written
// from where they lie (shareMin): it returns only once the write is done,
// so the caller's slices are not read after the call returns.
func (b *Broker) outWriter(inline bool) token.Writer {
	if b.native {
		b.frameAt = len(b.out)
		b.nw.Reset(append(b.out, nativeFrameHeader[:]...), b.cfg.Limits.Banana)
		if inline && !b.writing && !b.held {
			b.nw.ShareBytes(shareMin)
		}
		return &b.nw
	}
	b.ban.w.Reset(b.out, b.dialect, b.cfg.Limits.Banana)
	return &b.ban.w
}

// shareMin is the shortest byte string written from where it lies rather
// than copied into the output queue: below it, the copy costs less than
// another element of a writev.
const shareMin = 32 << 10

// outResult returns the queue with what the writer appended, or the
// writer's error. Byte strings the native writer shared are noted in
// b.segs, for writeQueued.
func (b *Broker) outResult() ([]byte, error) {
	if b.native {
		out, err := b.nw.Result()
		if err != nil {
			return out[:b.frameAt], err
		}
		body := len(out) - b.frameAt - len(nativeFrameHeader) + b.nw.SharedLen()
		binary.BigEndian.PutUint32(out[b.frameAt+1:], uint32(body))
		if segs := b.nw.Segments(); len(segs) > 0 {
			if b.vec == nil {
				b.vec = &writeVec{}
			}
			b.vec.segs = append(b.vec.segs, segs...)
		}
		return out, nil
	}
	return b.ban.w.Result()
}

// commitOut installs out as the output queue and unlocks wmu. The queue is
// left for later when a write is already under way (its writer also
// writes what was queued meanwhile) or when the reader holds the output
// (it writes the queue before it waits for input, see readLoop); else it
// is written now: by the calling goroutine when inline, or by a
// short-lived goroutine. An inline sender that has other calls in flight
// (yield) lets the goroutines that are ready to run go first, once: those
// are mostly callers whose answers just came, about to send their next
// calls, which then go out in the same write.
func (b *Broker) commitOut(out []byte, inline, yield bool) {
	b.out = out
	if b.writing || b.held || len(b.out) == 0 {
		waits := b.held && !b.writing && len(b.out) > 0
		b.wmu.Unlock()
		if waits && !b.watched.Load() {
			// The reader may be reading a long message: have the watch
			// write the queue if it waits for more than a tick.
			b.watch.add(b)
		}
		return
	}
	b.writing = true
	if !inline {
		b.wmu.Unlock()
		go b.flush()
		return
	}
	if yield {
		b.wmu.Unlock()
		runtime.Gosched()
		b.wmu.Lock()
	}
	b.flushLocked()
}

func (b *Broker) flush() {
	b.wmu.Lock()
	b.flushLocked()
}

// holdOutput makes senders queue their messages for the reader, which has
// input to handle and writes the queue before it next waits.
func (b *Broker) holdOutput() {
	b.wmu.Lock()
	b.held = true
	b.holdGen++
	b.wmu.Unlock()
}

// flushStale writes the queue if the reader has held it since the hold
// gen (it is reading a message that is slow to arrive); the reader watch
// calls it each tick with the gen it saw the tick before. It returns the
// current gen, and whether output still waits for the reader.
func (b *Broker) flushStale(gen uint64) (uint64, bool) {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	waiting := b.held && len(b.out) > 0 && !b.writing && !b.wclose
	if waiting && b.holdGen == gen {
		b.writing = true
		go b.flush()
		return gen, false
	}
	return b.holdGen, waiting
}

// flushHeld ends the reader's hold and writes what is queued, as busy work
// (watch.go). It reports false when another goroutine took over reading
// meanwhile.
func (b *Broker) flushHeld() bool {
	b.wmu.Lock()
	b.held = false
	if b.writing || len(b.out) == 0 || b.wclose {
		b.wmu.Unlock()
		return true
	}
	b.writing = true
	b.wmu.Unlock()
	// (Not under wmu: beginBusy may lock the watch, which locks wmu.)
	v := b.beginBusy()
	b.wmu.Lock()
	b.flushLocked()
	return b.endBusy(v)
}

// flushLocked writes the queue until it is empty; wmu is held on entry and
// released on return, and b.writing is set by the caller.
func (b *Broker) flushLocked() {
	b.writeQueued()
	b.wmu.Unlock()
}

// writeQueued writes the queue until it is empty, unlocking wmu around each
// write; wmu is held on entry and on return, b.writing is set on entry and
// cleared on return.
func (b *Broker) writeQueued() {
	for len(b.out) > 0 && !b.wclose {
		buf := b.out
		b.out = b.spare[:0]
		b.spare = nil
		iov := b.gather(buf)
		b.wcond.Broadcast()
		b.wmu.Unlock()

		b.writeStart.Store(time.Now().UnixNano())
		var err error
		if iov != nil {
			_, err = iov.WriteTo(b.conn)
			clear(b.vec.iov) // let the shared byte strings go
		} else {
			_, err = b.conn.Write(buf)
		}
		b.writeStart.Store(0)
		b.wmu.Lock()
		if cap(buf) <= maxSpareOutput {
			b.spare = buf[:0]
		}
		if err != nil {
			b.writing = false
			b.wcond.Broadcast()
			b.wmu.Unlock()
			b.fail(fmt.Errorf("write: %w", err))
			b.wmu.Lock()
			return
		}
	}
	b.writing = false
	b.wcond.Broadcast()
}

// writeVec holds the byte strings of the output queue that are written
// from where they lie: segs under wmu, iov and iovw for the goroutine that
// is writing.
type writeVec struct {
	segs []native.Segment
	iov  net.Buffers
	iovw net.Buffers
}

// gather returns the pieces of buf with the shared byte strings in place,
// for one writev, or nil if there are none; it empties the segments. wmu
// is held, and b.writing set by the caller, which owns b.vec.iov until it
// is done writing.
func (b *Broker) gather(buf []byte) *net.Buffers {
	v := b.vec
	if v == nil || len(v.segs) == 0 {
		return nil
	}
	iov := v.iov[:0]
	at := 0
	for _, s := range v.segs {
		iov = append(iov, buf[at:s.At], s.Data)
		at = s.At
	}
	v.iov = append(iov, buf[at:])
	clear(v.segs)
	v.segs = v.segs[:0]
	v.iovw = v.iov
	return &v.iovw
}

// maxSpareOutput is the largest output buffer kept for reuse.
const maxSpareOutput = 4 << 20

// streamCall sends a message or cachemessage whose arguments can be
// streamed. ok is false when they cannot (nothing was queued).
func (b *Broker) streamCall(cmd string, reqID int64, objectID any, method string, args []any, wantAnswer, yield bool) (ok bool, err error) {
	if err := b.lockOut(); err != nil {
		return true, err
	}
	w := b.outWriter(true)
	w.List(7)
	w.String(cmd)
	w.Int(reqID)
	switch id := objectID.(type) {
	case string:
		w.String(id)
	case int64:
		w.Int(id)
	default:
		b.wmu.Unlock()
		return false, nil
	}
	w.String(method)
	if wantAnswer {
		w.Int(1)
	} else {
		w.Int(0)
	}
	ok, err = b.st.StreamTuple(w, args, &b.sopts)
	if !ok || err != nil {
		// Let the general path produce the expression, or the error.
		b.wmu.Unlock()
		return false, nil
	}
	token.WritePrefix(w, emptyDict)
	out, err := b.outResult()
	if err != nil {
		b.wmu.Unlock()
		return false, nil
	}
	b.commitOut(out, true, yield)
	return true, nil
}

var emptyDict = token.NewPrefix(func(w token.Writer) { w.List(1); w.String("dictionary") })

// streamAnswer sends ["answer", reqID, v] when v can be streamed.
func (b *Broker) streamAnswer(reqID int64, v any) (ok bool, err error) {
	if err := b.lockOut(); err != nil {
		return true, err
	}
	w := b.outWriter(true)
	w.List(3)
	w.String("answer")
	w.Int(reqID)
	ok, err = b.st.StreamTo(w, v, &b.sopts)
	if !ok || err != nil {
		b.wmu.Unlock()
		return false, nil
	}
	out, err := b.outResult()
	if err != nil {
		b.wmu.Unlock()
		return false, nil
	}
	b.commitOut(out, true, false)
	return true, nil
}

// ---- native framing ----

// In the native dialect each message travels as a msgpack bin 32 whose
// bytes are the message's msgpack encoding: 0xc6, the length as a
// big-endian uint32, then the message. Knowing a message's length, the
// reader need not scan it to find its end; the token reader checks the
// limits on strings and lists as it goes (native.Reader.SetLimits), and
// the expression builder the nesting depth.
var nativeFrameHeader = [5]byte{0xc6}

// nativeChunk is the most bytes of a native message body made room for
// before they have arrived.
const nativeChunk = 64 << 10

// readNativeFrame reads one framed native message into dst (from its
// start). A body larger than nativeChunk that has not arrived yet, and
// more than twice as long as the longest the peer has sent, is read into
// a buffer that doubles as bytes come, so a peer announcing a length it
// never sends cannot make the reader allocate it; one that has sent long
// messages before has room made for the next at once.
func (b *Broker) readNativeFrame(dst []byte) ([]byte, error) {
	h, err := b.br.Peek(len(nativeFrameHeader))
	if err != nil {
		if err == io.EOF && len(h) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return dst[:0], err
	}
	if h[0] != nativeFrameHeader[0] {
		return dst[:0], protocolErrorf("native message starts with 0x%02x, not a frame header (0xc6)", h[0])
	}
	u := binary.BigEndian.Uint32(h[1:])
	if max := b.cfg.Limits.Banana.MaxExpression; uint64(u) > uint64(max) {
		return dst[:0], fmt.Errorf("%w: message of %d bytes exceeds the limit of %d (%w)", ErrProtocol, u, max, banana.ErrTooLarge)
	}
	n := int(u) // at most MaxExpression, an int
	b.br.Discard(len(nativeFrameHeader))
	have, size := 0, n // body bytes read, and bytes room is made for
	if n > nativeChunk && n > b.br.Buffered() && n > 2*b.bigFrame {
		size = nativeChunk
	}
	for {
		dst = slices.Grow(dst[:have], size-have)[:size]
		if _, err := io.ReadFull(b.br, dst[have:]); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return dst[:0], err
		}
		if size == n {
			b.bigFrame = max(b.bigFrame, n)
			return dst, nil
		}
		have, size = size, min(n, 2*size)
	}
}

// framePool holds read buffers of connections that are waiting for their
// next message, so that an idle connection keeps none, and a large
// message's buffer serves the next one.
var framePool sync.Pool

// takeFrame gives the reader a buffer from the pool. The pool holds
// *[]byte boxes, which the reader keeps (frameBox) to put its buffer back
// in without allocating.
func (b *Broker) takeFrame() {
	if p, ok := framePool.Get().(*[]byte); ok {
		b.frame, b.frameBox = (*p)[:0], p
		return
	}
	b.frame = make([]byte, 0, 512)
}

// releaseFrame gives the reader's buffer back to the pool before the
// reader waits for the next message.
func (b *Broker) releaseFrame() {
	if b.frame != nil {
		if b.frameBox == nil {
			b.frameBox = new([]byte)
		}
		*b.frameBox = b.frame[:0]
		framePool.Put(b.frameBox)
		b.frame, b.frameBox = nil, nil
	}
}

// bananaTokens is the Banana token writer and reader of a connection
// that speaks a Banana dialect, made when the dialect is selected (a
// native connection has no use for them).
type bananaTokens struct {
	w banana.Writer
	r banana.Reader
}

// tokens returns a token reader over frame, in the connection's codec.
func (b *Broker) tokens(frame []byte) token.Reader {
	if b.native {
		b.nrd.Reset(frame)
		return &b.nrd
	}
	b.ban.r.Reset(frame, b.dialect)
	return &b.ban.r
}

func (b *Broker) framesLeft() int {
	if b.native {
		return b.nrd.Len()
	}
	return b.ban.r.Len()
}

// dispatchFrame handles one incoming message held in frame. In the native
// dialect, the typed decoder may hand out a long byte string as a slice of
// the frame (for a frame mostly made of it: the string then pins little
// else), after which the reader does not reuse the frame; the next frame
// of that size is made in one allocation (readNativeFrame). (A Banana
// frame is found by scanning, and grows as it is read: its buffer is
// worth keeping.)
func (b *Broker) dispatchFrame(frame []byte) error {
	if b.native {
		b.td.ShareBytes(max(shareMin, len(frame)/2))
	}
	ok := b.fastFrame(frame)
	if b.td.Shared() {
		b.frame = nil
	}
	if ok {
		return nil
	}
	expr, err := b.eb.ReadExpr(b.tokens(frame))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	if n := b.framesLeft(); n != 0 {
		return protocolErrorf("%d bytes after the message in its frame", n)
	}
	return b.dispatch(expr)
}

// fastFrame handles calls and answers that decode straight into typed
// values; it reports false, having changed nothing, for anything else.
func (b *Broker) fastFrame(frame []byte) bool {
	r := b.tokens(frame)
	t := &b.tok
	if r.Next(t) != nil || t.Kind != token.List {
		return false
	}
	n := t.N
	if r.Next(t) != nil || t.Kind != token.Bytes {
		return false
	}
	switch string(t.Bytes) {
	case "answer":
		return n == 3 && b.fastAnswer(r)
	case "message":
		return n == 7 && b.fastMessage(r)
	}
	return false
}

func (b *Broker) fastAnswer(r token.Reader) bool {
	t := &b.tok
	if r.Next(t) != nil || t.Kind != token.Int {
		return false
	}
	reqID := t.Int
	b.mu.Lock()
	pc := b.pending[reqID]
	b.mu.Unlock()
	if pc == nil || pc.typ == nil {
		return false
	}
	rv := reflect.New(pc.typ)
	b.td.Reset(&b.sopts)
	if !b.td.Decode(r, rv.Elem(), 0) || b.framesLeft() != 0 {
		return false
	}
	b.mu.Lock()
	if b.pending[reqID] != pc {
		b.mu.Unlock()
		return false
	}
	delete(b.pending, reqID)
	b.mu.Unlock()
	b.lend = b.role != nil // the caller reads its next answer itself
	pc.ch <- callResult{rv: rv}
	return true
}

func (b *Broker) fastMessage(r token.Reader) bool {
	t := &b.tok
	if r.Next(t) != nil || t.Kind != token.Int {
		return false
	}
	reqID := t.Int
	if r.Next(t) != nil {
		return false
	}
	var ex *export
	switch t.Kind {
	case token.Int:
		ex = b.lookupExport(t.Int)
	case token.Bytes:
		ex = b.lookupExport(t.Bytes)
	}
	if ex == nil {
		return false
	}
	if _, ok := ex.obj.(Handler); ok {
		return false
	}
	if r.Next(t) != nil || t.Kind != token.Bytes {
		return false
	}
	m, wire := b.cfg.methods.lookupWire(ex, t.Bytes)
	if m == nil || m.view || m.variadic || m.kwargs || wire == DescribeMethod {
		return false
	}
	if r.Next(t) != nil || t.Kind != token.Int {
		return false
	}
	answer := t.Int != 0
	b.td.Reset(&b.sopts)
	n, ok := b.td.Seq(r)
	if !ok || n != len(m.params) {
		return false
	}
	in := make([]reflect.Value, 2+n)
	for i, pt := range m.params {
		v := reflect.New(pt).Elem()
		if !b.td.Decode(r, v, 1) {
			return false
		}
		in[2+i] = v
	}
	if !b.td.EmptyDict(r) || b.framesLeft() != 0 {
		return false
	}
	b.startCall(reqID, answer, ex, wire, func(ctx context.Context) (any, error) {
		return b.invokeTyped(ctx, ex, wire, m, in)
	})
	return true
}

// invokeTyped runs m with arguments already converted, turning a panic
// into an error as invoke does.
func (b *Broker) invokeTyped(ctx context.Context, ex *export, method string, m *method, in []reflect.Value) (v any, err error) {
	defer b.recoverHandler(method, &err)
	in[0] = reflect.ValueOf(ex.obj)
	in[1] = reflect.ValueOf(&ctx).Elem()
	return m.results(m.fn.Call(in))
}

// ---- method lookup by wire name ----

// wireTable caches, per Go type and prefix, the method each wire name
// resolves to, so that a call costs no string conversion.
type wireTable struct {
	mu sync.Mutex
	m  atomic.Pointer[map[string]wireEntry]
}

type wireEntry struct {
	m    *method
	wire string
}

// maxWireNames bounds a wireTable: spellings are chosen by the peer.
const maxWireNames = 256

// lookupWire returns the method of the exported object for a wire name
// (nil if none) and the name as a string. The export keeps its table.
func (c *methodCache) lookupWire(ex *export, name []byte) (*method, string) {
	v, prefix := ex.obj, ex.kind
	tab := ex.wires.Load()
	if tab == nil {
		key := cacheKey{reflect.TypeOf(v), prefix}
		wt, ok := c.wire.Load(key)
		if !ok {
			wt, _ = c.wire.LoadOrStore(key, &wireTable{})
		}
		tab = wt.(*wireTable)
		ex.wires.Store(tab)
	}
	if mp := tab.m.Load(); mp != nil {
		if e, ok := (*mp)[string(name)]; ok {
			return e.m, e.wire
		}
	}
	wire := string(name)
	m, err := c.lookup(v, prefix, wire)
	if err != nil {
		return nil, wire
	}
	tab.mu.Lock()
	old := tab.m.Load()
	if old == nil || len(*old) < maxWireNames {
		next := make(map[string]wireEntry, 1+lenOf(old))
		if old != nil {
			for k, e := range *old {
				next[k] = e
			}
		}
		next[wire] = wireEntry{m: m, wire: wire}
		tab.m.Store(&next)
	}
	tab.mu.Unlock()
	return m, wire
}

func lenOf(m *map[string]wireEntry) int {
	if m == nil {
		return 0
	}
	return len(*m)
}

// ---- extension: which types are never claimed ----

var declinedTypes sync.Map // reflect.Type -> bool

var (
	typeExportedRef = reflect.TypeFor[exportedRef]()
	typeCacheable   = reflect.TypeFor[Cacheable]()
	typeReferencer  = reflect.TypeFor[referencer]()
	typeViewer      = reflect.TypeFor[viewer]()
	typeHandler     = reflect.TypeFor[Handler]()
)

// DeclinesType implements jelly.TypeDecliner: JellyExt claims values by
// their type alone, except pointers (which may be received cache copies).
func (e *brokerExt) DeclinesType(t reflect.Type) bool {
	if d, ok := declinedTypes.Load(t); ok {
		return d.(bool)
	}
	d := t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && t != typeExportedRef &&
		!t.Implements(typeCacheable) && !t.Implements(typeReferencer) && !t.Implements(typeViewer) &&
		!t.Implements(typeHandler)
	declinedTypes.Store(t, d)
	return d
}
