package pb_test

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/braidkit/braid/pb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNativeDialectBetweenBraidPeers(t *testing.T) {
	ts := startServer(t, newCalc(), pb.Config{})
	b := dial(t, ts)
	assert.True(t, b.NativeDialect(), "two Braid peers speak the native dialect")
	sum, err := pb.Call[int](ctxT(t), b.Root(), "add", 2, 3)
	require.NoError(t, err)
	assert.Equal(t, 5, sum)

	tw, err := pb.Dial(ctxT(t), ts.endpoint, &pb.Config{Dialects: []string{"pb", "none"}})
	require.NoError(t, err)
	defer tw.Close()
	assert.False(t, tw.NativeDialect(), "a client that only knows pb gets pb")
	sum, err = pb.Call[int](ctxT(t), tw.Root(), "add", 2, 3)
	require.NoError(t, err)
	assert.Equal(t, 5, sum)
}

// In the native dialect a cancelled call cancels the server's handler.
func TestCancelReachesServer(t *testing.T) {
	c := newCalc()
	ts := startServer(t, c, pb.Config{})
	b := dial(t, ts)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := b.Root().CallRemote(ctx, "block")
		errc <- err
	}()
	<-c.started
	cancel()
	assert.ErrorIs(t, <-errc, context.Canceled)
	select {
	case err := <-c.ctxErr:
		assert.ErrorIs(t, err, context.Canceled, "the handler's context was cancelled")
	case <-time.After(5 * time.Second):
		t.Fatal("the cancellation did not reach the server")
	}
	sum, err := pb.Call[int](ctxT(t), b.Root(), "add", 1, 2)
	require.NoError(t, err, "the connection stays up")
	assert.Equal(t, 3, sum)
}

// freezer forwards a connection until frozen, then holds it open silently,
// like a peer whose host vanished.
type freezer struct {
	l      net.Listener
	target string
	mu     sync.Mutex
	frozen bool
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newFreezer(t *testing.T, target string) *freezer {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &freezer{l: l, target: target}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				return
			}
			f.mu.Lock()
			f.conns = append(f.conns, c, up)
			f.mu.Unlock()
			f.wg.Add(2)
			go f.pipe(c, up)
			go f.pipe(up, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
	})
	return f
}

func (f *freezer) pipe(dst, src net.Conn) {
	defer f.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		f.mu.Lock()
		frozen := f.frozen
		f.mu.Unlock()
		if frozen {
			io.Copy(io.Discard, src)
			return
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}

func (f *freezer) freeze() {
	f.mu.Lock()
	f.frozen = true
	f.mu.Unlock()
}

// A peer that stops answering is detected within the keepalive interval,
// and the calls waiting on it fail.
func TestKeepAliveDetectsDeadPeer(t *testing.T) {
	c := newCalc()
	ts := startServer(t, c, pb.Config{})
	f := newFreezer(t, ts.addr)
	b, err := pb.Dial(ctxT(t), "tcp:"+f.l.Addr().String(), &pb.Config{KeepAlive: 100 * time.Millisecond})
	require.NoError(t, err)
	defer b.Close()
	require.True(t, b.NativeDialect())
	_, err = b.Root().CallRemote(ctxT(t), "add", 1, 2)
	require.NoError(t, err)

	// Quiet but alive: pings keep the connection open.
	time.Sleep(400 * time.Millisecond)
	_, err = b.Root().CallRemote(ctxT(t), "add", 1, 2)
	require.NoError(t, err, "an idle but live peer is kept")

	errc := make(chan error, 1)
	go func() {
		_, err := b.Root().CallRemote(context.Background(), "block")
		errc <- err
	}()
	<-c.started
	f.freeze()
	start := time.Now()
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, pb.ErrConnectionLost)
		assert.Less(t, time.Since(start), time.Second, "detected within a few intervals")
		assert.Contains(t, b.Err().Error(), "keepalive")
	case <-time.After(5 * time.Second):
		t.Fatal("the dead peer was not detected")
	}
	close(c.release)
}
