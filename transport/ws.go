package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

const (
	// wsHandshakeTimeout bounds the HTTP upgrade on both sides when the
	// context has no deadline.
	wsHandshakeTimeout = 30 * time.Second
	// wsBufferSize is the WebSocket library's read and write buffer size.
	wsBufferSize = 16 << 10
	// wsCloseTimeout bounds sending the close frame in Close.
	wsCloseTimeout = time.Second
)

// guardConn is the TCP connection under a WebSocket. The WebSocket library
// sets deadlines on it from its own fields, which are not safe to change
// while a message is being written; once the handshake is done, guardConn
// ignores those calls and wsConn sets deadlines on the TCP connection
// directly, which is safe from any goroutine.
type guardConn struct {
	net.Conn
	frozen atomic.Bool
}

func (g *guardConn) SetDeadline(t time.Time) error {
	if g.frozen.Load() {
		return nil
	}
	return g.Conn.SetDeadline(t)
}

func (g *guardConn) SetReadDeadline(t time.Time) error {
	if g.frozen.Load() {
		return nil
	}
	return g.Conn.SetReadDeadline(t)
}

func (g *guardConn) SetWriteDeadline(t time.Time) error {
	if g.frozen.Load() {
		return nil
	}
	return g.Conn.SetWriteDeadline(t)
}

// guardListener hands out guardConns.
type guardListener struct{ net.Listener }

func (l guardListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &guardConn{Conn: c}, nil
}

// guardOf finds the guardConn under a WebSocket's connection.
func guardOf(c net.Conn) *guardConn {
	for {
		switch x := c.(type) {
		case *guardConn:
			return x
		case *tls.Conn:
			c = x.NetConn()
		default:
			return nil
		}
	}
}

// wsConn is a WebSocket connection as a byte stream.
type wsConn struct {
	ws  *websocket.Conn
	raw *guardConn
	net string // "ws" or "wss", for errors

	rmu sync.Mutex
	r   io.Reader // the message being read, nil between messages

	wmu sync.Mutex

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

func newWSConn(ws *websocket.Conn, scheme string) *wsConn {
	g := guardOf(ws.NetConn())
	if g == nil {
		panic("transport: WebSocket without guardConn") // cannot happen
	}
	g.frozen.Store(true)
	return &wsConn{ws: ws, raw: g, net: scheme}
}

// Read reads the bytes of the incoming binary messages as one stream.
func (c *wsConn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if c.closed.Load() {
			return 0, c.opErr("read", net.ErrClosed)
		}
		if c.r == nil {
			typ, r, err := c.ws.NextReader()
			if err != nil {
				return 0, c.readErr(err)
			}
			if typ != websocket.BinaryMessage {
				c.ws.WriteControl(websocket.CloseMessage,
					websocket.FormatCloseMessage(websocket.CloseUnsupportedData, "binary messages only"),
					time.Now().Add(wsCloseTimeout))
				c.Close()
				return 0, c.opErr("read", errors.New("websocket: text message (want binary)"))
			}
			c.r = r
		}
		n, err := c.r.Read(p)
		if err == io.EOF {
			c.r = nil
			err = nil
		}
		if err != nil {
			return n, c.readErr(err)
		}
		if n > 0 {
			return n, nil
		}
	}
}

// readErr maps an error from the WebSocket library to net.Conn semantics.
func (c *wsConn) readErr(err error) error {
	if c.closed.Load() {
		return c.opErr("read", net.ErrClosed)
	}
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		switch ce.Code {
		case websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived:
			return io.EOF
		case websocket.CloseAbnormalClosure:
			return io.ErrUnexpectedEOF
		}
		return c.opErr("read", err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return io.ErrUnexpectedEOF
	}
	return c.opErr("read", err)
}

func (c *wsConn) opErr(op string, err error) error {
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		err = os.ErrDeadlineExceeded
	}
	if oe, ok := err.(*net.OpError); ok {
		err = oe.Err // report the WebSocket, not the TCP connection
	}
	return &net.OpError{Op: op, Net: c.net, Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

// Write sends p as one binary message.
func (c *wsConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed.Load() {
		return 0, c.opErr("write", net.ErrClosed)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if err := c.ws.WriteMessage(websocket.BinaryMessage, p); err != nil {
		if c.closed.Load() || errors.Is(err, websocket.ErrCloseSent) {
			err = net.ErrClosed
		}
		return 0, c.opErr("write", err)
	}
	return len(p), nil
}

// Close sends a close frame and closes the connection. It does not wait
// for the peer's close frame.
func (c *wsConn) Close() error {
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		deadline := time.Now().Add(wsCloseTimeout)
		c.raw.Conn.SetWriteDeadline(deadline)
		c.ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), deadline)
		c.closeErr = c.ws.Close()
	})
	return c.closeErr
}

func (c *wsConn) LocalAddr() net.Addr  { return c.ws.LocalAddr() }
func (c *wsConn) RemoteAddr() net.Addr { return c.ws.RemoteAddr() }

func (c *wsConn) SetDeadline(t time.Time) error      { return c.raw.Conn.SetDeadline(t) }
func (c *wsConn) SetReadDeadline(t time.Time) error  { return c.raw.Conn.SetReadDeadline(t) }
func (c *wsConn) SetWriteDeadline(t time.Time) error { return c.raw.Conn.SetWriteDeadline(t) }

// wsListener accepts WebSocket connections upgraded by its http.Server.
type wsListener struct {
	addr     *Addr
	path     string
	scheme   string
	srv      *http.Server
	upgrader websocket.Upgrader
	conns    chan *wsConn

	mu       sync.Mutex
	closed   bool
	done     chan struct{} // closed by Close
	handlers sync.WaitGroup

	serveDone chan struct{} // closed when Serve has returned
	serveErr  error

	closeOnce sync.Once
	closeErr  error
}

func listenWS(ctx context.Context, ep Endpoint) (net.Listener, error) {
	var cfg *tls.Config
	if ep.Scheme == "wss" {
		var err error
		if cfg, err = serverTLSConfig(ep); err != nil {
			return nil, err
		}
		cfg.NextProtos = []string{"http/1.1"}
	}
	var lc net.ListenConfig
	tl, err := lc.Listen(ctx, "tcp", ep.Address)
	if err != nil {
		return nil, err
	}
	var inner net.Listener = guardListener{tl}
	if cfg != nil {
		inner = tls.NewListener(inner, cfg)
	}
	l := &wsListener{
		addr:   &Addr{Scheme: ep.Scheme, TCP: tcpAddr(tl), Path: ep.Path},
		path:   ep.Path,
		scheme: ep.Scheme,
		upgrader: websocket.Upgrader{
			ReadBufferSize:   wsBufferSize,
			WriteBufferSize:  wsBufferSize,
			HandshakeTimeout: wsHandshakeTimeout,
		},
		conns:     make(chan *wsConn),
		done:      make(chan struct{}),
		serveDone: make(chan struct{}),
	}
	l.srv = &http.Server{
		Handler:           l,
		ReadHeaderTimeout: wsHandshakeTimeout,
		IdleTimeout:       wsHandshakeTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() {
		defer close(l.serveDone)
		if err := l.srv.Serve(inner); !errors.Is(err, http.ErrServerClosed) {
			l.serveErr = err
		}
	}()
	return l, nil
}

// ServeHTTP upgrades a request for the listener's path and hands the
// connection to Accept.
func (l *wsListener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != l.path {
		http.NotFound(w, r)
		return
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	l.handlers.Add(1)
	l.mu.Unlock()
	defer l.handlers.Done()

	ws, err := l.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered with an HTTP error
	}
	c := newWSConn(ws, l.scheme)
	select {
	case l.conns <- c:
	case <-l.done:
		c.Close()
	}
}

// Accept waits for and returns the next upgraded connection.
func (l *wsListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, &net.OpError{Op: "accept", Net: l.scheme, Addr: l.addr, Err: net.ErrClosed}
	case <-l.serveDone:
		err := l.serveErr
		if err == nil {
			err = net.ErrClosed
		}
		return nil, &net.OpError{Op: "accept", Net: l.scheme, Addr: l.addr, Err: err}
	}
}

// Close stops the HTTP server, closes connections not yet accepted and
// waits for the server's goroutines. Accepted connections stay open.
func (l *wsListener) Close() error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		close(l.done)
		l.mu.Unlock()
		l.closeErr = l.srv.Close()
		<-l.serveDone
		l.handlers.Wait()
	})
	return l.closeErr
}

func (l *wsListener) Addr() net.Addr { return l.addr }

func dialWS(ctx context.Context, ep Endpoint) (net.Conn, error) {
	d := websocket.Dialer{
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var nd net.Dialer
			c, err := nd.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &guardConn{Conn: c}, nil
		},
		HandshakeTimeout: wsHandshakeTimeout,
		ReadBufferSize:   wsBufferSize,
		WriteBufferSize:  wsBufferSize,
	}
	if ep.Scheme == "wss" {
		cfg, err := clientTLSConfig(ep)
		if err != nil {
			return nil, err
		}
		cfg.NextProtos = []string{"http/1.1"}
		d.TLSClientConfig = cfg
	}
	u := url.URL{Scheme: ep.Scheme, Host: ep.Address, Path: ep.Path}
	ws, resp, err := d.DialContext(ctx, u.String(), nil)
	if err != nil {
		if resp != nil && errors.Is(err, websocket.ErrBadHandshake) {
			return nil, errors.New("websocket handshake refused: HTTP " + resp.Status)
		}
		return nil, err
	}
	return newWSConn(ws, ep.Scheme), nil
}
