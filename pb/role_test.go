package pb_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/braidkit/braid/pb"
	"github.com/braidkit/braid/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sleeper answers after a pause, or never.
type sleeper struct {
	pb.Referenceable
	mu     sync.Mutex
	stored *pb.RemoteReference
}

func (s *sleeper) RemoteSleep(ctx context.Context, micros int) (int, error) {
	select {
	case <-time.After(time.Duration(micros) * time.Microsecond):
		return micros, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (s *sleeper) RemoteHang(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

func (s *sleeper) RemoteStore(ctx context.Context, r *pb.RemoteReference) error {
	s.mu.Lock()
	s.stored = r
	s.mu.Unlock()
	return nil
}

func (s *sleeper) storedRef() *pb.RemoteReference {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stored
}

// serveEndpoint serves root on a listening endpoint of the transport package
// and returns the endpoint to dial.
func serveEndpoint(t *testing.T, root any, listen string, dialOpts string) string {
	t.Helper()
	l, err := transport.Listen(context.Background(), listen)
	require.NoError(t, err)
	srv := &pb.Server{Root: root}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		require.NoError(t, srv.Close())
		require.ErrorIs(t, <-done, pb.ErrServerClosed)
	})
	return transport.EndpointOf(l.Addr()) + dialOpts
}

// Callers on a dialed connection read their own answers when nobody else
// reads (role.go). A caller whose context ends while it waits for input
// returns at once, and the connection goes on: over TCP, TLS and Unix
// sockets, in both dialects.
func TestReadingCallerCancelled(t *testing.T) {
	dir := t.TempDir()
	cert, key, err := transport.WriteSelfSigned(dir)
	require.NoError(t, err)
	endpoints := map[string]string{
		"tcp":  serveEndpoint(t, &sleeper{}, "tcp:127.0.0.1:0", ""),
		"tls":  serveEndpoint(t, &sleeper{}, "tls:127.0.0.1:0:cert="+cert+":key="+key, ":ca="+cert),
		"unix": serveEndpoint(t, &sleeper{}, "unix:"+filepath.Join(dir, "pb.sock"), ""),
	}
	for name, ep := range endpoints {
		for _, dialects := range [][]string{nil, {"pb"}} {
			what := fmt.Sprintf("%s %v", name, dialects)
			b, err := pb.Dial(ctxT(t), ep, &pb.Config{Dialects: dialects})
			require.NoError(t, err, what)
			for i := 0; i < 10; i++ {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
				start := time.Now()
				_, err := b.Root().CallRemote(ctx, "hang")
				cancel()
				require.ErrorIs(t, err, context.DeadlineExceeded, what)
				require.Less(t, time.Since(start), time.Second, "%s: the call returned when its context ended", what)
				n, err := pb.Call[int](ctxT(t), b.Root(), "sleep", 10)
				require.NoError(t, err, "%s: the connection goes on", what)
				require.Equal(t, 10, n, what)
			}
			ctx, cancel := context.WithCancel(context.Background())
			go func() { time.Sleep(20 * time.Millisecond); cancel() }()
			_, err = b.Root().CallRemote(ctx, "hang")
			require.ErrorIs(t, err, context.Canceled, what)
			require.NoError(t, b.Close())
		}
	}
}

// The peer's calls reach a client that has stopped calling: the reader
// watch gives the free reading role to a reader goroutine.
func TestIdleClientServesPeerCalls(t *testing.T) {
	s := &sleeper{}
	ts := startServer(t, s, pb.Config{})
	b := dial(t, ts)
	local := newCalc()
	_, err := b.Root().CallRemote(ctxT(t), "store", local)
	require.NoError(t, err)
	for i := 0; i < 50; i++ { // the role goes to callers
		_, err := pb.Call[int](ctxT(t), b.Root(), "sleep", 0)
		require.NoError(t, err)
	}
	for i := 0; i < 5; i++ {
		start := time.Now()
		v, err := s.storedRef().CallRemote(ctxT(t), "add", i, 1)
		require.NoError(t, err)
		assert.Equal(t, int64(i+1), v)
		assert.Less(t, time.Since(start), time.Second)
		_, err = pb.Call[int](ctxT(t), b.Root(), "sleep", 0)
		require.NoError(t, err)
	}
}

// A client that has stopped calling sees the peer close the connection.
func TestIdleClientSeesClose(t *testing.T) {
	ts := startServer(t, &sleeper{}, pb.Config{})
	b := dial(t, ts)
	for i := 0; i < 50; i++ {
		_, err := pb.Call[int](ctxT(t), b.Root(), "sleep", 0)
		require.NoError(t, err)
	}
	require.NoError(t, ts.srv.Close())
	select {
	case <-b.Done():
		require.ErrorIs(t, b.Err(), pb.ErrConnectionLost)
	case <-time.After(5 * time.Second):
		t.Fatal("the client did not see the connection end")
	}
}

// Many callers, some cancelled, some calling back through the peer: every
// call ends with its answer or its context's error, and the connection
// stays up.
func TestReadingCallersStress(t *testing.T) {
	s := &sleeper{}
	c := newCalc()
	ts := startServer(t, c, pb.Config{})
	ts2 := startServer(t, s, pb.Config{})
	b := dial(t, ts)
	b2 := dial(t, ts2)
	_, err := b.Root().CallRemote(ctxT(t), "store", newCalc())
	require.NoError(t, err)

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for i := 0; i < 150; i++ {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rng.IntN(3000))*time.Microsecond)
				var err error
				switch rng.IntN(3) {
				case 0:
					var n int
					n, err = pb.Call[int](ctx, b2.Root(), "sleep", rng.IntN(1500))
					_ = n
				case 1:
					var v any
					v, err = b.Root().CallRemote(ctx, "callStored", "add", i, 1)
					if err == nil && v != int64(i+1) {
						err = errors.New("wrong answer through the callback")
					}
				default:
					_, err = pb.Call[int](ctx, b.Root(), "add", i, 1)
				}
				cancel()
				if err != nil && !errors.Is(err, context.DeadlineExceeded) {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n, err := pb.Call[int](ctxT(t), b.Root(), "add", 1, 1)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	n, err = pb.Call[int](ctxT(t), b2.Root(), "sleep", 1)
	require.NoError(t, err)
	require.Equal(t, 1, n)
}

// A Dial whose context ends just as the handshake finishes either fails
// or gives a connection that works: the interruption of the handshake
// never lands on the connection afterwards.
func TestDialContextEndingAtHandshakeEnd(t *testing.T) {
	ts := startServer(t, &sleeper{}, pb.Config{})
	rng := rand.New(rand.NewPCG(7, 7))
	worked := 0
	for i := 0; i < 200; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rng.IntN(1500))*time.Microsecond)
		b, err := pb.Dial(ctx, ts.endpoint, nil)
		cancel()
		if err != nil {
			var ne net.Error
			require.True(t, errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout(),
				"dial %d failed, not for its context's deadline: %v", i, err)
			continue
		}
		worked++
		n, err := pb.Call[int](ctxT(t), b.Root(), "sleep", 1)
		require.NoError(t, err, "dial %d", i)
		require.Equal(t, 1, n)
		require.NoError(t, b.Close())
	}
	t.Logf("%d of 200 dials finished their handshake", worked)
}
