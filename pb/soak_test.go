package pb_test

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/braidkit/braid/pb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type soakRoot struct{ pb.Referenceable }

func (soakRoot) RemoteWork(ctx context.Context, n int) (int, error) {
	select {
	case <-time.After(time.Duration(n) * time.Millisecond):
		return n, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (soakRoot) RemoteChild(ctx context.Context, name string) (*child, error) {
	return &child{name: name}, nil
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// 200 clients make calls while a fifth of them are cut mid-call; afterwards
// nothing is left: no connections, no exported objects, no goroutines, and
// the heap is back near where it started.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &pb.Server{Root: soakRoot{}, Config: pb.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	endpoint := "tcp:" + l.Addr().String()

	// Warm up once so that one-time allocations do not count as growth.
	b, err := pb.Dial(context.Background(), endpoint, nil)
	require.NoError(t, err)
	_, err = b.Root().CallRemote(context.Background(), "work", 1)
	require.NoError(t, err)
	b.Close()
	require.Eventually(t, func() bool { return srv.Connections() == 0 }, 5*time.Second, 10*time.Millisecond)
	before := heapInUse()

	const clients, calls = 200, 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	var cut, finished int
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			b, err := pb.Dial(ctx, endpoint, nil)
			if !assert.NoError(t, err) {
				return
			}
			defer b.Close()
			root := b.Root()
			victim := i%5 == 0
			for j := 0; j < calls; j++ {
				v, err := root.CallRemote(ctx, "child", "c")
				if !assert.NoError(t, err) {
					return
				}
				ref := v.(*pb.RemoteReference)
				if victim && j == calls/2 {
					// Cut the connection while a call is in flight, holding
					// a reference the server has exported.
					errc := make(chan error, 1)
					go func() {
						_, err := root.CallRemote(ctx, "work", 2000)
						errc <- err
					}()
					time.Sleep(time.Duration(5+rand.IntN(20)) * time.Millisecond)
					b.Close()
					assert.ErrorIs(t, <-errc, pb.ErrConnectionLost)
					mu.Lock()
					cut++
					mu.Unlock()
					return
				}
				_, err = root.CallRemote(ctx, "work", rand.IntN(3))
				assert.NoError(t, err)
				ref.Release()
			}
			mu.Lock()
			finished++
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	assert.Equal(t, clients/5, cut)
	assert.Equal(t, clients-clients/5, finished)
	require.Eventually(t, func() bool { return srv.Connections() == 0 }, 10*time.Second, 10*time.Millisecond,
		"every connection is gone on the server")

	after := heapInUse()
	t.Logf("heap in use: %d KiB before, %d KiB after", before>>10, after>>10)
	assert.Less(t, after, before+4<<20, "the heap is back near its baseline")

	require.NoError(t, srv.Close())
	require.ErrorIs(t, <-served, pb.ErrServerClosed)
	// goleak (TestMain) checks that no goroutine outlived its connection.
}
