package pb

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"reflect"
	"runtime/debug"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/braidkit/braid/jelly"
	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/jelly/native"
	"github.com/braidkit/braid/jelly/token"
)

// ProtocolVersion is the PB protocol version both Twisted and Braid speak.
const ProtocolVersion = 6

// rootName is the name under which a server publishes its root object.
const rootName = "root"

// readBufferSize is the size of a connection's read buffer. Large strings
// are read past it, straight into the message's frame.
const readBufferSize = 4 << 10

// maxHeldMessages is how many messages in a row the reader handles while
// it holds the output queue (see holdOutput) before it writes the queue.
const maxHeldMessages = 64

// maxQueuedOutput is how many encoded bytes may wait for the writer before
// senders block.
const maxQueuedOutput = 4 << 20

// Broker is one PB connection. After the handshake the protocol is
// symmetric: either side may call objects the other exported. A Broker is
// safe for concurrent use.
type Broker struct {
	conn    net.Conn
	cfg     *Config
	log     *slog.Logger
	br      *bufio.Reader
	dec     exprDecoder
	bdec    *banana.Decoder // the Banana decoder, used until a dialect is chosen
	frameAt int             // where outWriter put the native frame header, under wmu
	dialect banana.Dialect
	native  bool // the braid-msgpack dialect is in force
	// peerIsBraid is set on the dialing side when the server offered
	// Braid's native dialect, whichever dialect was then chosen.
	peerIsBraid bool
	isServer    bool

	// Timeouts and keepalive (watch.go): the guard timer reads these.
	lastRecv   atomic.Int64 // unix nanoseconds of the last message received
	msgStart   atomic.Int64 // when the message being read began to arrive, or 0
	writeStart atomic.Int64 // when the write under way began, or 0
	guard      *time.Timer  // set under mu
	pingSeq    atomic.Int64 // the guard's keepalive pings

	// The reader watch (watch.go): busy is (sequence<<1 | 1) while the
	// reading goroutine runs a handler or writes, watched whether watch
	// has b in its active set; stash is the call the reader's dispatch
	// just prepared, run once dispatch returns.
	watch   *readerWatch
	busy    atomic.Uint64
	watched atomic.Bool
	stash   func()

	ctx    context.Context // cancelled when the connection ends
	cancel context.CancelFunc

	// Output: messages are encoded under wmu into out; the writer goroutine
	// writes whatever has accumulated, so concurrent senders share syscalls.
	wmu     sync.Mutex
	wcond   *sync.Cond
	out     []byte
	spare   []byte
	wclose  bool
	writing bool      // the writer holds a buffer it has not finished writing
	held    bool      // the reader will write what is queued before it waits
	holdGen uint64    // counts holds, for the reader watch (flushStale)
	vec     *writeVec // byte strings written from where they lie (outWriter), once there were any

	mu       sync.Mutex
	closed   bool
	closeErr error
	nextReq  int64
	pending  map[int64]*pendingCall
	nextLUID int64
	exports  map[int64]*export
	byKey    map[exportKey]int64
	named    map[string]*export
	running  map[int64]*callCtx // incoming calls, by request id (native dialect)

	cachesOut  map[int64]*cacheOut
	cacheByKey map[exportKey]int64
	cachesIn   map[int64]*cacheIn
	cacheIDs   map[any]int64 // received copy -> luid

	// Hot-path state (fastpath.go): token writers used under wmu, and the
	// reader's frame, token readers, expression builder and typed decoder.
	st       jelly.Streamer // streams values into the token writer, under wmu
	nw       native.Writer
	frame    []byte
	frameBox *[]byte       // the pool's box for frame (takeFrame)
	bigFrame int           // the longest native message body read whole
	batch    int           // messages read since output was last written
	lend     bool          // an answer went to a caller that reads (role.go)
	role     *readerRole   // callers reading their answers (role.go), nil if they do not
	ban      *bananaTokens // in a Banana dialect (selectDialect)
	nrd      native.Reader
	eb       token.ExprBuilder
	td       jelly.TypedDecoder
	tok      token.Token
	sopts    jelly.Options // streaming and typed decoding: registry, security, extension

	inflight  chan struct{}
	handlers  sync.WaitGroup
	loops     sync.WaitGroup
	done      chan struct{}
	closeOnce sync.Once
}

// exprDecoder reads one expression at a time: the Banana or the native
// decoder.
type exprDecoder interface {
	Decode() (any, error)
	ReadFrame(dst []byte) ([]byte, error)
}

type pendingCall struct {
	ch  chan callResult
	typ reflect.Type // the Go type a typed call wants, or nil
}

// pendingPool recycles pending calls and their channels. A call goes back
// only once its answer was received; one abandoned by its caller stays in
// the pending table until its answer or the connection's end arrives.
var pendingPool = sync.Pool{New: func() any { return &pendingCall{ch: make(chan callResult, 1)} }}

func getPending(typ reflect.Type) *pendingCall {
	pc := pendingPool.Get().(*pendingCall)
	pc.typ = typ
	return pc
}

func putPending(pc *pendingCall) {
	pc.typ = nil
	pendingPool.Put(pc)
}

type callResult struct {
	v   any
	rv  reflect.Value // a *typ holding the answer, decoded straight from the wire
	err error
}

// export is one object in the connection's export table.
type export struct {
	obj       any
	kind      string                    // dispatch prefix
	wires     atomic.Pointer[wireTable] // the methods of obj's type and kind, by wire name (lookupWire)
	persp     any                       // perspective bound to the object (avatar or viewer)
	refs      int
	onRelease func()
	key       exportKey
	keyed     bool
}

type exportKey struct {
	obj   any
	persp any
}

func newBroker(conn net.Conn, cfg *Config, isServer bool, watch *readerWatch) *Broker {
	if watch == nil {
		watch = newReaderWatch()
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &Broker{
		conn:     conn,
		cfg:      cfg,
		log:      cfg.Logger.With("peer", conn.RemoteAddr().String()),
		br:       bufio.NewReaderSize(conn, readBufferSize),
		isServer: isServer,
		watch:    watch,
		ctx:      ctx,
		cancel:   cancel,
		pending:  map[int64]*pendingCall{},
		exports:  map[int64]*export{},
		byKey:    map[exportKey]int64{},
		named:    map[string]*export{},
		running:  map[int64]*callCtx{},

		cachesOut:  map[int64]*cacheOut{},
		cacheByKey: map[exportKey]int64{},
		cachesIn:   map[int64]*cacheIn{},
		cacheIDs:   map[any]int64{},

		inflight: make(chan struct{}, cfg.Limits.MaxInFlight),
		done:     make(chan struct{}),
	}
	b.wcond = sync.NewCond(&b.wmu)
	b.initRole()
	b.sopts = jelly.Options{Registry: cfg.Registry, Security: cfg.Security, Extension: &brokerExt{b: b}}
	b.bdec = banana.NewDecoder(b.br, cfg.Limits.Banana)
	b.dec = b.bdec
	return b
}

// selectDialect switches the connection to the named dialect.
func (b *Broker) selectDialect(name string) {
	if name != native.DialectName {
		b.ban = &bananaTokens{}
	}
	switch name {
	case native.DialectName:
		// Messages are framed (readNativeFrame); the token reader and
		// the expression builder enforce the limits the framing does not.
		b.native = true
		b.nrd.SetLimits(b.cfg.Limits.Banana)
		b.eb.MaxDepth = b.cfg.Limits.Banana.MaxDepth
	case "pb":
		b.dialect = banana.DialectPB
		b.bdec.SetDialect(banana.DialectPB)
	}
}

// NativeDialect reports whether the connection speaks Braid's native
// (msgpack) dialect, which both ends choose when both are Braid.
func (b *Broker) NativeDialect() bool { return b.native }

// RemoteAddr returns the peer's network address.
func (b *Broker) RemoteAddr() net.Addr { return b.conn.RemoteAddr() }

// Context returns a context that is cancelled when the connection ends.
func (b *Broker) Context() context.Context { return b.ctx }

// Done returns a channel that is closed when the connection has ended.
func (b *Broker) Done() <-chan struct{} { return b.done }

// Err returns why the connection ended, or nil while it is open.
func (b *Broker) Err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closeErr
}

// Dialect returns the Banana dialect negotiated for the connection.
func (b *Broker) Dialect() banana.Dialect { return b.dialect }

// Root returns a reference to the root object the peer published. Twisted
// clients call it getRootObject; it sends nothing until it is called.
func (b *Broker) Root() *RemoteReference {
	return &RemoteReference{b: b, name: rootName, id: rootName}
}

// ExportCount returns how many objects this side currently exports to the
// peer, not counting named objects such as the root.
func (b *Broker) ExportCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.exports)
}

// Close ends the connection. Pending calls fail with ErrConnectionLost and
// objects exported to the peer are released. Close waits for the
// connection's reader and writer to stop, not for running handlers.
func (b *Broker) Close() error {
	b.shutdown(nil)
	b.loops.Wait()
	return nil
}

// closeFlushed ends the connection after everything queued so far has been
// written (or the write timeout expired).
func (b *Broker) closeFlushed() {
	b.wmu.Lock()
	for (len(b.out) > 0 || b.writing) && !b.wclose {
		if !b.writing {
			// Queued for the reader, which is waiting for input.
			b.writing = true
			b.writeQueued()
			continue
		}
		b.wcond.Wait()
	}
	b.wmu.Unlock()
	b.shutdown(fmt.Errorf("%w: server shut down", ErrConnectionLost))
}

// Wait blocks until the connection has ended and every handler it started
// has returned.
func (b *Broker) Wait() {
	<-b.done
	b.loops.Wait()
	b.handlers.Wait()
}

// shutdown ends the connection once, recording why.
func (b *Broker) shutdown(reason error) {
	b.closeOnce.Do(func() {
		b.mu.Lock()
		b.closed = true
		if reason == nil {
			reason = ErrConnectionLost
		}
		b.closeErr = reason
		pending := b.pending
		b.pending = nil
		exports := b.exports
		b.exports = map[int64]*export{}
		b.byKey = map[exportKey]int64{}
		named := b.named
		b.named = map[string]*export{}
		cachesOut := b.cachesOut
		b.cachesOut = map[int64]*cacheOut{}
		b.cacheByKey = map[exportKey]int64{}
		b.cachesIn = map[int64]*cacheIn{}
		b.cacheIDs = map[any]int64{}
		b.stopGuardLocked()
		b.mu.Unlock()
		b.watch.remove(b)

		b.wmu.Lock()
		b.wclose = true
		b.wcond.Broadcast()
		b.wmu.Unlock()

		b.conn.Close()
		b.cancel()
		for _, pc := range pending {
			pc.ch <- callResult{err: fmt.Errorf("%w: %w", ErrConnectionLost, reason)}
		}
		// Release hooks (logouts) run in luid order, then named objects.
		ids := make([]int64, 0, len(exports))
		for id := range exports {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			exports[id].release()
		}
		for _, e := range named {
			e.release()
		}
		stopAllObserving(b.ctx, b, cachesOut)
		close(b.done)
	})
}

func (e *export) release() {
	if f := e.onRelease; f != nil {
		e.onRelease = nil
		f()
	}
}

// fail closes the connection because of err, logging the reason.
func (b *Broker) fail(err error) {
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return
	}
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		b.log.Debug("pb: connection closed by peer")
		b.shutdown(fmt.Errorf("%w: peer closed the connection", ErrConnectionLost))
		return
	}
	b.log.Warn("pb: closing connection", "reason", err)
	b.shutdown(err)
}

// start runs the connection's reader goroutine and arms its guard.
func (b *Broker) start() {
	b.loops.Add(1)
	go b.readLoop()
	b.startKeepAlive()
}

// startKeepAlive arms the guard (watch.go), which also sends the native
// dialect's keepalive pings; with Twisted peers, which answer no pings, TCP
// probes the connection instead.
func (b *Broker) startKeepAlive() {
	if iv := b.cfg.KeepAlive; iv > 0 && !b.native {
		if tc, ok := b.conn.(*net.TCPConn); ok {
			tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: iv, Interval: max(iv/3, time.Second), Count: 3})
		}
	}
	b.startGuard()
}

// ---- output ----

// send encodes one message and queues it; a short-lived goroutine writes
// it unless a write is under way. An encoding error (a value too large for
// the wire, say) is returned and nothing is queued.
func (b *Broker) send(msg []any) error { return b.sendMsg(msg, false) }

// sendInline is send for goroutines that may block writing (callers and
// handlers, never the reader): the message is written by the calling
// goroutine unless a write is under way (see commitOut).
func (b *Broker) sendInline(msg []any) error { return b.sendMsg(msg, true) }

func (b *Broker) sendMsg(msg []any, inline bool) error {
	if err := b.lockOut(); err != nil {
		return err
	}
	token.WriteExpr(b.outWriter(inline), msg)
	out, err := b.outResult()
	if err != nil {
		b.wmu.Unlock()
		return err
	}
	b.commitOut(out, inline, false)
	return nil
}

func (b *Broker) errOrLost() error {
	if err := b.Err(); err != nil {
		return err
	}
	return ErrConnectionLost
}

// sendDecref tells the peer that one reference to its object luid is gone.
func (b *Broker) sendDecref(luid int64) {
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if !closed {
		_ = b.send([]any{"decref", luid})
	}
}

// ---- input ----

// readLoop is a goroutine reading the connection as its reader, until it
// is no longer the reader or the connection fails.
func (b *Broker) readLoop() {
	defer b.loops.Done()
	b.lend = false
	for b.readOne(nil) == readOn {
	}
}

// readStep is what readOne did.
type readStep uint8

const (
	readOn          readStep = iota // handled a message; still the reader
	readGone                        // no longer the reader (taken over, or the role handed on)
	readFailed                      // the connection failed
	readInterrupted                 // a reading caller's read was interrupted (readForAnswer)
)

// readOne reads and handles one message as the connection's reader: a
// reader goroutine (c nil) or a caller reading for its answer (role.go).
func (b *Broker) readOne(c *readingCaller) readStep {
	if b.br.Buffered() == 0 || b.batch == maxHeldMessages {
		// Nothing left to read at once, or a long run of messages: write
		// what the handlers queued, then (if need be) wait for input.
		if !b.flushHeld() {
			return readGone
		}
		b.batch = 0
		if b.br.Buffered() == 0 {
			b.releaseFrame()
			if c == nil && b.lend && b.nonePending() {
				// Callers read their own answers: leave the connection to
				// the next one (role.go).
				b.lend = false
				b.releaseRole()
				return readGone
			}
			if step := b.waitInput(c); step != readOn {
				return step
			}
		}
		b.holdOutput()
	}
	b.batch++
	b.msgStart.Store(time.Now().UnixNano())
	if b.frame == nil {
		b.takeFrame()
	}
	var frame []byte
	var err error
	if b.native {
		frame, err = b.readNativeFrame(b.frame[:0])
	} else {
		frame, err = b.dec.ReadFrame(b.frame[:0])
	}
	if err != nil {
		if errors.Is(err, banana.ErrProtocol) {
			err = fmt.Errorf("%w: %w", ErrProtocol, err)
		}
		b.fail(err)
		return readFailed
	}
	b.lastRecv.Store(time.Now().UnixNano())
	b.msgStart.Store(0)
	b.frame = frame[:0]
	if err := b.dispatchFrame(frame); err != nil {
		b.fail(err)
		return readFailed
	}
	if run := b.stash; run != nil {
		b.stash = nil
		if c != nil {
			// A caller does not run the peer's calls: a reader goroutine
			// runs this one, and reads on.
			b.handOff(run)
			return readGone
		}
		v := b.beginBusy()
		run()
		if !b.endBusy(v) {
			return readGone // another goroutine reads now
		}
	}
	return readOn
}

// waitInput waits until input arrives.
func (b *Broker) waitInput(c *readingCaller) readStep {
	if c != nil && c.seq != 0 {
		return b.waitInputCaller(c)
	}
	if _, err := b.br.Peek(1); err != nil {
		b.fail(err)
		return readFailed
	}
	return readOn
}

func protocolErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrProtocol}, args...)...)
}

// dispatch handles one incoming message. A returned error closes the
// connection.
func (b *Broker) dispatch(expr any) error {
	msg, ok := expr.([]any)
	if !ok || len(msg) == 0 {
		return protocolErrorf("non-list expression received")
	}
	cmd, ok := msg[0].([]byte)
	if !ok {
		return protocolErrorf("message command is %T, not a byte string", msg[0])
	}
	switch string(cmd) {
	case "version":
		if len(msg) != 2 {
			return protocolErrorf("version message has %d fields", len(msg))
		}
		if v, ok := msg[1].(int64); !ok || v != ProtocolVersion {
			return protocolErrorf("version incompatibility: ours %d, theirs %v", ProtocolVersion, msg[1])
		}
		return nil
	case "message":
		return b.handleMessage(msg)
	case "answer", "error":
		return b.handleAnswer(msg, string(cmd) == "error")
	case "decref":
		return b.handleDecref(msg)
	case "cachemessage":
		return b.handleMessage(msg)
	case "decache", "uncache":
		if len(msg) != 2 {
			return protocolErrorf("%s has %d fields, want 2", cmd, len(msg))
		}
		luid, ok := msg[1].(int64)
		if !ok {
			return protocolErrorf("%s of %v, which is not a cache id", cmd, msg[1])
		}
		if string(cmd) == "decache" {
			return b.handleDecache(luid)
		}
		return b.handleUncache(luid)
	case "cancel", "ping", "pong":
		// Braid's own messages exist only in the native dialect.
		if !b.native {
			return b.unknownCommand(cmd)
		}
		if len(msg) != 2 {
			return protocolErrorf("%s has %d fields, want 2", cmd, len(msg))
		}
		switch string(cmd) {
		case "cancel":
			if id, ok := msg[1].(int64); ok {
				b.mu.Lock()
				cc := b.running[id]
				b.mu.Unlock()
				if cc != nil {
					cc.cancel(context.Canceled)
				}
			}
		case "ping":
			return b.send([]any{"pong", msg[1]})
		}
		return nil
	case "didNotUnderstand":
		b.log.Warn("pb: peer did not understand a message", "message", fmt.Sprint(msg[1:]...))
		return nil
	default:
		return b.unknownCommand(cmd)
	}
}

// unknownCommand answers a message this side does not know with
// didNotUnderstand, as Twisted intends to (its own reply is broken on
// Python 3), and keeps the connection.
func (b *Broker) unknownCommand(cmd []byte) error {
	b.log.Warn("pb: unknown message", "command", string(cmd))
	return b.send([]any{"didNotUnderstand", cmd})
}

func truthy(v any) bool {
	switch v := v.(type) {
	case int64:
		return v != 0
	case *big.Int:
		return v.Sign() != 0
	case []byte:
		return len(v) > 0
	case float64:
		return v != 0
	case []any:
		return len(v) > 0
	}
	return false
}

func (b *Broker) handleMessage(msg []any) error {
	if len(msg) != 7 {
		return protocolErrorf("message has %d fields, want 7", len(msg))
	}
	reqID, ok := msg[1].(int64)
	if !ok {
		return protocolErrorf("message request id is %T", msg[1])
	}
	name, ok := msg[3].([]byte)
	if !ok {
		return protocolErrorf("method name is %T, not a byte string", msg[3])
	}
	answer := truthy(msg[4])
	reply := func(v any, err error) {
		if !answer {
			if err != nil {
				b.log.Info("pb: call without answer failed", "method", string(name), "error", err)
			}
			return
		}
		if err != nil {
			_ = b.sendError(reqID, err, nil)
			return
		}
		_ = b.sendAnswer(reqID, v, nil)
	}

	var ex *export
	if string(msg[0].([]byte)) == "cachemessage" {
		ex = b.lookupCache(msg[2])
	} else {
		ex = b.lookupExport(msg[2])
	}
	if ex == nil {
		reply(nil, NewError(TypePBError, "Invalid Object ID"))
		return nil
	}
	args, kw, err := b.unjellyArgs(msg[5], msg[6])
	if err != nil {
		reply(nil, err)
		return nil
	}

	method := string(name)
	b.startCall(reqID, answer, ex, method, func(ctx context.Context) (any, error) {
		return b.invoke(ctx, ex, method, args, kw)
	})
	return nil
}

// startCall prepares one incoming call, which the reader runs and answers
// as soon as dispatch returns (see readLoop and watch.go).
func (b *Broker) startCall(reqID int64, answer bool, ex *export, method string, run func(ctx context.Context) (any, error)) {
	// Calls start in arrival order and run concurrently; MaxInFlight bounds
	// how many run at once, and reading waits while it is reached.
	select {
	case b.inflight <- struct{}{}:
	case <-b.ctx.Done():
		return
	}
	b.handlers.Add(1)
	// The handler's context ends with the connection, at the method's
	// deadline, and — in the native dialect, where the caller can send
	// "cancel" — when the caller gives up.
	cc := newCallCtx(b, ex.persp)
	var ctx context.Context = cc
	var cancel context.CancelFunc
	if d := b.handlerTimeout(method); d > 0 {
		ctx, cancel = context.WithTimeout(ctx, d)
	}
	cancellable := b.native && answer
	if cancellable {
		b.mu.Lock()
		b.running[reqID] = cc
		b.mu.Unlock()
	}
	b.stash = func() {
		defer b.handlers.Done()
		defer func() { <-b.inflight }()
		defer cc.cancel(context.Canceled)
		if cancel != nil {
			defer cancel()
		}
		if cancellable {
			defer func() {
				b.mu.Lock()
				delete(b.running, reqID)
				b.mu.Unlock()
			}()
		}
		v, err := run(ctx)
		if !answer {
			if err != nil {
				b.log.Info("pb: call without answer failed", "method", method, "error", err)
			}
			return
		}
		if err != nil {
			_ = b.sendError(reqID, err, ex.persp)
			return
		}
		_ = b.sendAnswer(reqID, v, ex.persp)
	}
}

// invoke runs one call on an exported object, turning a panic into an error.
func (b *Broker) invoke(ctx context.Context, ex *export, method string, args []any, kw Kwargs) (v any, err error) {
	defer b.recoverHandler(method, &err)
	if method == DescribeMethod {
		return b.describe(ctx, ex), nil
	}
	if h, ok := ex.obj.(Handler); ok {
		return h.HandleCall(ctx, &Request{Method: method, Args: args, Kwargs: kw})
	}
	m, err := b.cfg.methods.lookup(ex.obj, ex.kind, method)
	if err != nil {
		return nil, err
	}
	return m.invoke(ctx, ex.obj, ex.persp, args, kw)
}

// recoverHandler turns a handler's panic into *err.
func (b *Broker) recoverHandler(method string, err *error) {
	if p := recover(); p != nil {
		stack := string(debug.Stack())
		b.log.Error("pb: handler panicked", "method", method, "panic", p, "stack", stack)
		*err = &RemoteError{Type: TypeBraidError, Value: fmt.Sprintf("panic: %v", p), Traceback: stack,
			Parents: parentsOf(TypeBraidError, TypePBError)}
	}
}

// handlerTimeout is the deadline for an incoming call of method.
func (b *Broker) handlerTimeout(method string) time.Duration {
	if d, ok := b.cfg.MethodTimeouts[method]; ok {
		return d
	}
	return b.cfg.HandlerTimeout
}

// sendAnswer jellies v and sends it; a value that cannot be jellied or
// encoded fails the call with an error instead.
func (b *Broker) sendAnswer(reqID int64, v any, persp any) error {
	if ok, err := b.streamAnswer(reqID, v); ok {
		return err
	}
	expr, err := b.jelly(v, persp)
	if err == nil {
		err = b.sendInline([]any{"answer", reqID, expr})
		if err == nil || errors.Is(err, ErrConnectionLost) {
			return err
		}
	}
	b.log.Info("pb: answer could not be sent", "request", reqID, "error", err)
	return b.sendError(reqID, err, persp)
}

func (b *Broker) sendError(reqID int64, err error, persp any) error {
	f := failureFor(err)
	expr, jerr := b.jelly(failureExpr(f, b.cfg.UnsafeTracebacks), persp)
	if jerr != nil {
		return jerr
	}
	if serr := b.send([]any{"error", reqID, expr}); serr != nil {
		if errors.Is(serr, ErrConnectionLost) {
			return serr
		}
		// The failure text itself is too large: send a short one.
		f = NewError(TypePBError, "error too large to send")
		expr, _ = b.jelly(failureExpr(f, false), persp)
		return b.send([]any{"error", reqID, expr})
	}
	return nil
}

// lookupExport finds the object a message is addressed to.
func (b *Broker) lookupExport(id any) *export {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch id := id.(type) {
	case int64:
		return b.exports[id]
	case []byte:
		return b.named[string(id)]
	}
	return nil
}

// lookupCache finds the copy a cachemessage is addressed to, as an export
// whose calls run Observe* methods.
func (b *Broker) lookupCache(id any) *export {
	luid, ok := id.(int64)
	if !ok {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if ci := b.cachesIn[luid]; ci != nil {
		return &export{obj: ci.obj, kind: prefixObserve}
	}
	return nil
}

func (b *Broker) unjellyArgs(argsExpr, kwExpr any) ([]any, Kwargs, error) {
	av, err := b.unjelly(argsExpr)
	if err != nil {
		return nil, nil, err
	}
	var args []any
	switch a := av.(type) {
	case jelly.Tuple:
		args = a
	case jelly.List:
		args = a
	case nil:
	default:
		return nil, nil, typeErrorf("arguments are %T, not a tuple", av)
	}
	kv, err := b.unjelly(kwExpr)
	if err != nil {
		return nil, nil, err
	}
	var kw Kwargs
	switch d := kv.(type) {
	case jelly.Dict:
		if len(d) > 0 {
			kw = make(Kwargs, len(d))
			for _, p := range d {
				switch k := p.Key.(type) {
				case string:
					kw[k] = p.Value
				case []byte:
					kw[string(k)] = p.Value
				default:
					return nil, nil, typeErrorf("keywords must be strings, not %T", p.Key)
				}
			}
		}
	case nil:
	default:
		return nil, nil, typeErrorf("keyword arguments are %T, not a dictionary", kv)
	}
	return args, kw, nil
}

func (b *Broker) handleAnswer(msg []any, isError bool) error {
	if len(msg) != 3 {
		return protocolErrorf("%s has %d fields, want 3", msg[0], len(msg))
	}
	reqID, ok := msg[1].(int64)
	if !ok {
		return protocolErrorf("answer request id is %T", msg[1])
	}
	b.mu.Lock()
	pc := b.pending[reqID]
	delete(b.pending, reqID)
	b.mu.Unlock()
	if pc == nil {
		return protocolErrorf("answer for request %d, which is not pending", reqID)
	}
	// Braid completes the call even when its payload cannot be unjellied
	// (Twisted would hang it and drop the connection); the connection stays.
	v, err := b.unjelly(msg[2])
	switch {
	case err != nil:
		err = fmt.Errorf("pb: cannot unjelly the %s: %w", msg[0], err)
		v = nil
	case isError:
		err = b.errorFromPayload(v)
		v = nil
	}
	b.lend = b.role != nil // the caller reads its next answer itself
	pc.ch <- callResult{v: v, err: err}
	return nil
}

func (b *Broker) handleDecref(msg []any) error {
	if len(msg) != 2 {
		return protocolErrorf("decref has %d fields, want 2", len(msg))
	}
	luid, ok := msg[1].(int64)
	if !ok {
		return protocolErrorf("decref of %v, which is not an exported id", msg[1])
	}
	b.mu.Lock()
	ex := b.exports[luid]
	if ex == nil {
		b.mu.Unlock()
		return protocolErrorf("decref of unknown id %d", luid)
	}
	ex.refs--
	if ex.refs > 0 {
		b.mu.Unlock()
		return nil
	}
	delete(b.exports, luid)
	if ex.keyed {
		delete(b.byKey, ex.key)
	}
	b.mu.Unlock()
	ex.release()
	return nil
}

// ---- calling out ----

func (b *Broker) call(ctx context.Context, objectID any, method string, args []any, kw Kwargs, wantAnswer bool) (any, error) {
	v, _, err := b.callCommand(ctx, "message", objectID, method, args, kw, wantAnswer, PerspectiveFromContext(ctx), nil)
	return v, err
}

// callCommand sends a message or cachemessage and waits for its answer.
// When typ is not nil and the answer is plain data, it is decoded straight
// into a new *typ, returned as rv; otherwise the answer is v.
func (b *Broker) callCommand(ctx context.Context, cmd string, objectID any, method string, args []any, kw Kwargs, wantAnswer bool, persp any, typ reflect.Type) (v any, rv reflect.Value, err error) {
	if d := b.cfg.CallTimeout; d > 0 && wantAnswer {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
	}
	b.mu.Lock()
	if b.closed {
		err := b.closeErr
		b.mu.Unlock()
		return nil, rv, fmt.Errorf("%w: %w", ErrDeadReference, err)
	}
	b.nextReq++
	reqID := b.nextReq
	var pc *pendingCall
	if wantAnswer {
		pc = getPending(typ)
		b.pending[reqID] = pc
	}
	others := len(b.pending) > 1 // other calls in flight (commitOut)
	b.mu.Unlock()

	streamed := false
	if len(kw) == 0 {
		streamed, err = b.streamCall(cmd, reqID, objectID, method, args, wantAnswer, others)
	}
	if !streamed {
		var msg []any
		msg, err = b.buildMessage(cmd, reqID, objectID, method, args, kw, wantAnswer, persp)
		if err == nil {
			err = b.sendInline(msg)
		}
	}
	if err != nil {
		if pc != nil {
			b.mu.Lock()
			delete(b.pending, reqID)
			b.mu.Unlock()
		}
		return nil, rv, fmt.Errorf("pb: calling %s: %w", method, err)
	}
	if pc == nil {
		return nil, rv, nil
	}
	// The caller reads its answer itself when nobody reads (role.go).
	if b.role != nil && b.takeRole() {
		if r, ok := b.readForAnswer(ctx, pc); ok {
			putPending(pc)
			return r.v, r.rv, r.err
		}
	}
	for {
		select {
		case r := <-pc.ch:
			// Delivered once, after leaving the pending table: nothing can
			// send to pc again, so it can serve another call.
			putPending(pc)
			return r.v, r.rv, r.err
		case <-ctx.Done():
			// The call stays pending so that its answer, when it comes, is
			// recognised and dropped. A Braid peer is told to stop working on it.
			if b.native {
				_ = b.send([]any{"cancel", reqID})
			}
			return nil, rv, ctx.Err()
		}
	}
}

func (b *Broker) buildMessage(cmd string, reqID int64, objectID any, method string, args []any, kw Kwargs, wantAnswer bool, persp any) ([]any, error) {
	argsExpr, err := b.jelly(jelly.Tuple(args), persp)
	if err != nil {
		return nil, err
	}
	var kwd jelly.Dict
	if len(kw) > 0 {
		keys := make([]string, 0, len(kw))
		for k := range kw {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		kwd = make(jelly.Dict, len(keys))
		for i, k := range keys {
			kwd[i] = jelly.Pair{Key: k, Value: kw[k]}
		}
	}
	kwExpr, err := b.jelly(kwd, persp)
	if err != nil {
		return nil, err
	}
	answer := 0
	if wantAnswer {
		answer = 1
	}
	return []any{cmd, reqID, objectID, method, answer, argsExpr, kwExpr}, nil
}

// ---- exports ----

// exportObject adds one count to obj's entry in the export table, creating
// it if needed, and returns its luid.
func (b *Broker) exportObject(obj any, kind string, persp any) (int64, error) {
	key := exportKey{obj: obj, persp: persp}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, ErrConnectionLost
	}
	if luid, ok := b.byKey[key]; ok {
		b.exports[luid].refs++
		return luid, nil
	}
	return b.addExportLocked(&export{obj: obj, kind: kind, persp: persp, key: key, keyed: true})
}

// exportFresh exports obj under a new luid even if it is already exported,
// with a hook that runs once when the peer releases it or the connection
// ends. Logins use it: each login is its own avatar reference.
func (b *Broker) exportFresh(obj any, kind string, persp any, onRelease func()) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, ErrConnectionLost
	}
	return b.addExportLocked(&export{obj: obj, kind: kind, persp: persp, onRelease: onRelease})
}

func (b *Broker) addExportLocked(ex *export) (int64, error) {
	if len(b.exports)+len(b.named) >= b.cfg.Limits.MaxReferences {
		return 0, ErrTooManyReferences
	}
	b.nextLUID++
	ex.refs = 1
	b.exports[b.nextLUID] = ex
	if ex.keyed {
		b.byKey[ex.key] = b.nextLUID
	}
	return b.nextLUID, nil
}

// setNamed publishes obj under a name, such as the root.
func (b *Broker) setNamed(name string, obj any) {
	kind, ok := byReference(obj)
	if !ok {
		kind = prefixRemote
	}
	b.mu.Lock()
	b.named[name] = &export{obj: obj, kind: kind, refs: 1}
	b.mu.Unlock()
}

// localObject returns the object this side exported as luid, for a [local,
// luid] back-reference; unknown ids give nil, as in Twisted.
func (b *Broker) localObject(luid int64) any {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ex := b.exports[luid]; ex != nil {
		return ex.obj
	}
	return nil
}
