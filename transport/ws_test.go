package transport

import (
	"bytes"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestWSEcho(t *testing.T) {
	l := listenEcho(t, "ws://127.0.0.1:0/pb")
	require.Equal(t, "ws", l.Addr().Network())
	ep := EndpointOf(l.Addr())
	require.True(t, strings.HasPrefix(ep, "ws://127.0.0.1:"), ep)
	require.True(t, strings.HasSuffix(ep, "/pb"), ep)

	c := dialEcho(t, ep)
	require.Equal(t, "tcp", c.LocalAddr().Network())
	require.Equal(t, "tcp", c.RemoteAddr().Network())
	require.Equal(t, l.Addr().(*Addr).TCP.Port, c.RemoteAddr().(*net.TCPAddr).Port)
	bigTransfer(t, c)
}

func TestWSIPv6Echo(t *testing.T) {
	if !hasIPv6() {
		t.Skip("no IPv6 loopback on this machine")
	}
	l := listenEcho(t, "ws://[::1]:0/")
	ep := EndpointOf(l.Addr())
	require.True(t, strings.HasPrefix(ep, "ws://[::1]:"), ep)
	dialEcho(t, ep)
}

func TestWSSEcho(t *testing.T) {
	p := newPKI(t, "test")
	cert, key := p.server()
	l := listenEcho(t, "wss://127.0.0.1:0/pb?cert="+cert+"&key="+key)
	require.Equal(t, "wss", l.Addr().Network())
	ep := EndpointOf(l.Addr())
	require.True(t, strings.HasPrefix(ep, "wss://127.0.0.1:"), ep)

	c := dialEcho(t, ep+"?ca="+p.CAFile)
	bigTransfer(t, c)

	// A wrong CA is refused.
	other := newPKI(t, "other")
	_, err := Dial(ctxT(t), ep+"?ca="+other.CAFile)
	var uerr x509.UnknownAuthorityError
	require.ErrorAs(t, err, &uerr)
}

func TestWSSClientAuth(t *testing.T) {
	p := newPKI(t, "test")
	cert, key := p.server()
	ccert, ckey := p.client()
	l := listenEcho(t, "wss://127.0.0.1:0/pb?cert="+cert+"&key="+key+"&ca="+p.CAFile+"&clientauth=require")
	ep := EndpointOf(l.Addr())
	dialEcho(t, ep+"?ca="+p.CAFile+"&cert="+ccert+"&key="+ckey)
	_, err := Dial(ctxT(t), ep+"?ca="+p.CAFile)
	require.Error(t, err, "no client certificate: the upgrade never happens")
}

func TestWSWrongPath(t *testing.T) {
	l := listenEcho(t, "ws://127.0.0.1:0/pb")
	ep := EndpointOf(l.Addr())
	_, err := Dial(ctxT(t), strings.TrimSuffix(ep, "/pb")+"/other")
	require.Error(t, err)
	require.Contains(t, err.Error(), "404")

	// A plain HTTP request to the path is not upgraded.
	resp, err := http.Get("http" + strings.TrimPrefix(ep, "ws"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

func TestWSReadSpansMessages(t *testing.T) {
	l, err := Listen(ctxT(t), "ws://127.0.0.1:0/")
	require.NoError(t, err)
	defer l.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			acc <- c
		}
		close(acc)
	}()
	c, err := Dial(ctxT(t), EndpointOf(l.Addr()))
	require.NoError(t, err)
	defer c.Close()
	s := <-acc
	require.NotNil(t, s)
	defer s.Close()

	// Three writes, three messages, one stream.
	for _, m := range []string{"abc", "", "defg", "h"} {
		n, err := c.Write([]byte(m))
		require.NoError(t, err)
		require.Equal(t, len(m), n)
	}
	got := make([]byte, 8)
	_, err = io.ReadFull(s, got)
	require.NoError(t, err)
	require.Equal(t, "abcdefgh", string(got))

	// A short buffer reads a message in pieces.
	_, err = s.Write([]byte("0123456789"))
	require.NoError(t, err)
	buf := make([]byte, 4)
	var all []byte
	for len(all) < 10 {
		n, err := c.Read(buf)
		require.NoError(t, err)
		require.LessOrEqual(t, n, 4)
		all = append(all, buf[:n]...)
	}
	require.Equal(t, "0123456789", string(all))

	// Close sends a close frame: the peer reads io.EOF.
	require.NoError(t, c.Close())
	_, err = s.Read(buf)
	require.Equal(t, io.EOF, err)
	// Using a closed connection is net.ErrClosed.
	_, err = c.Write([]byte("x"))
	require.ErrorIs(t, err, net.ErrClosed)
	_, err = c.Read(buf)
	require.ErrorIs(t, err, net.ErrClosed)
	require.NoError(t, c.Close(), "Close twice")
}

func TestWSDeadlines(t *testing.T) {
	l, err := Listen(ctxT(t), "ws://127.0.0.1:0/")
	require.NoError(t, err)
	defer l.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		acc <- c
	}()
	c, err := Dial(ctxT(t), EndpointOf(l.Addr()))
	require.NoError(t, err)
	defer c.Close()
	s := <-acc
	require.NotNil(t, s)
	defer s.Close()

	// A read deadline ends a Read that has nothing to read.
	require.NoError(t, c.SetReadDeadline(time.Now().Add(50*time.Millisecond)))
	start := time.Now()
	_, err = c.Read(make([]byte, 1))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	require.True(t, ne.Timeout())
	require.Less(t, time.Since(start), 5*time.Second)

	// A deadline set from another goroutine interrupts a blocked Write.
	require.NoError(t, s.SetWriteDeadline(time.Time{}))
	errc := make(chan error, 1)
	go func() {
		big := make([]byte, 1<<20)
		for {
			if _, err := s.Write(big); err != nil {
				errc <- err
				return
			}
		}
	}()
	time.Sleep(100 * time.Millisecond) // the peer does not read: Write blocks
	require.NoError(t, s.SetDeadline(time.Now()))
	select {
	case err := <-errc:
		require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	case <-time.After(5 * time.Second):
		t.Fatal("Write was not interrupted by the deadline")
	}
}

func TestWSTextMessageRefused(t *testing.T) {
	l, err := Listen(ctxT(t), "ws://127.0.0.1:0/pb")
	require.NoError(t, err)
	defer l.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		acc <- c
	}()
	ws, _, err := websocket.DefaultDialer.DialContext(ctxT(t), EndpointOf(l.Addr()), nil)
	require.NoError(t, err)
	defer ws.Close()
	s := <-acc
	require.NotNil(t, s)
	defer s.Close()

	require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte("hi")))
	_, err = s.Read(make([]byte, 10))
	require.Error(t, err)
	require.Contains(t, err.Error(), "text message")
	_, _, err = ws.ReadMessage()
	require.True(t, websocket.IsCloseError(err, websocket.CloseUnsupportedData), "got %v", err)
}

func TestWSPeerVanishes(t *testing.T) {
	l, err := Listen(ctxT(t), "ws://127.0.0.1:0/")
	require.NoError(t, err)
	defer l.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		acc <- c
	}()
	ws, _, err := websocket.DefaultDialer.DialContext(ctxT(t), EndpointOf(l.Addr()), nil)
	require.NoError(t, err)
	s := <-acc
	require.NotNil(t, s)
	defer s.Close()
	ws.NetConn().Close() // no close frame
	_, err = s.Read(make([]byte, 10))
	require.Equal(t, io.ErrUnexpectedEOF, err)
}

func TestWSListenerClose(t *testing.T) {
	before := goleak.IgnoreCurrent()
	l, err := Listen(ctxT(t), "ws://127.0.0.1:0/pb")
	require.NoError(t, err)
	ep := EndpointOf(l.Addr())

	// An accepted connection, an upgraded one never accepted, and an idle
	// HTTP connection.
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		acc <- c
	}()
	c1, err := Dial(ctxT(t), ep)
	require.NoError(t, err)
	s1 := <-acc
	require.NotNil(t, s1)
	c2, err := Dial(ctxT(t), ep)
	require.NoError(t, err)
	idle, err := net.Dial("tcp", l.Addr().(*Addr).TCP.String())
	require.NoError(t, err)

	acceptErr := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			c.Close()
			err = errors.New("accepted")
		}
		acceptErr <- err
	}()
	time.Sleep(50 * time.Millisecond) // let c2's upgrade wait for Accept

	require.NoError(t, l.Close())
	require.NoError(t, l.Close(), "Close twice")

	// A blocked Accept returns net.ErrClosed; c2 may have been accepted
	// first, in which case the next Accept fails.
	err = <-acceptErr
	if err.Error() == "accepted" {
		_, err = l.Accept()
	}
	require.ErrorIs(t, err, net.ErrClosed)
	_, err = l.Accept()
	require.ErrorIs(t, err, net.ErrClosed)

	// The accepted connection still works after the listener has closed.
	go func() { io.Copy(s1, s1) }()
	echo(t, c1, []byte("still here"))
	s1.Close()
	c1.Close()
	c2.Close()
	idle.Close()
	_, err = Dial(ctxT(t), ep)
	require.Error(t, err)
	goleak.VerifyNone(t, before)
}

func TestWSConcurrentUse(t *testing.T) {
	l := listenEcho(t, "ws://127.0.0.1:0/")
	c, err := Dial(ctxT(t), EndpointOf(l.Addr()))
	require.NoError(t, err)
	defer c.Close()

	const writers, msgs, size = 4, 100, 100
	done := make(chan struct{})
	var wg sync.WaitGroup
	// Deadlines may be set from any goroutine while others read and write.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			time.Sleep(time.Millisecond)
		}
	}()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := bytes.Repeat([]byte{byte('a' + w)}, size)
			for range msgs {
				if _, err := c.Write(msg); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	got := make([]byte, writers*msgs*size)
	_, err = io.ReadFull(c, got)
	close(done)
	wg.Wait()
	require.NoError(t, err)
	// Each Write is one message, so the bytes of a Write stay together.
	for i := 0; i < len(got); i += size {
		require.Equal(t, bytes.Repeat(got[i:i+1], size), got[i:i+size], "message at %d", i)
	}
}
