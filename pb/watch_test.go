package pb_test

import (
	"context"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/pb"
)

// Handlers start on the connection's reading goroutine; one that blocks
// must not stop the calls behind it: another goroutine takes over reading.
func TestBlockedHandlersDoNotStallTheirConnection(t *testing.T) {
	for _, dialects := range [][]string{nil, {"pb"}} {
		name := "native"
		if dialects != nil {
			name = "banana"
		}
		t.Run(name, func(t *testing.T) {
			c := newCalc()
			ts := startServer(t, c, pb.Config{})
			b := dialWith(t, ts, pb.Config{Dialects: dialects})
			ctx := ctxT(t)
			const blockers = 3
			blocked := make(chan error, blockers)
			for range blockers {
				go func() {
					_, err := b.Root().CallRemote(ctx, "block")
					blocked <- err
				}()
				// One at a time, so that each is the reader's work in turn.
				<-c.started
			}
			start := time.Now()
			for i := range 50 {
				sum, err := pb.Call[int](ctx, b.Root(), "add", i, 1)
				require.NoError(t, err)
				require.Equal(t, i+1, sum)
			}
			assert.Less(t, time.Since(start), 2*time.Second, "50 calls behind blocked handlers")
			close(c.release)
			for range blockers {
				require.NoError(t, <-blocked)
			}
		})
	}
}

// A handler that calls back into the caller's objects on the same
// connection gets its answer although it started on the reading goroutine
// (the reader watch hands reading on within a few milliseconds).
func TestHandlerCallsBackOnItsConnection(t *testing.T) {
	ts := startServer(t, newCalc(), pb.Config{})
	b := dial(t, ts)
	ctx := ctxT(t)
	_, err := b.Root().CallRemote(ctx, "store", newCalc())
	require.NoError(t, err)
	start := time.Now()
	for i := range 50 {
		v, err := b.Root().CallRemote(ctx, "callStored", "add", i, 1)
		require.NoError(t, err)
		require.Equal(t, int64(i+1), v)
	}
	assert.Less(t, time.Since(start), 2*time.Second, "50 calls with a callback each")
}

func dialWith(t *testing.T, ts *testServer, cfg pb.Config) *pb.Broker {
	t.Helper()
	b, err := pb.Dial(ctxT(t), ts.endpoint, &cfg)
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	return b
}

// A peer that stops reading is disconnected after WriteTimeout, although
// the server's reader was writing answers itself when the peer stopped.
func TestWriteTimeoutPeerStopsReading(t *testing.T) {
	ts := startServer(t, newCalc(), pb.Config{Limits: pb.Limits{
		WriteTimeout: 300 * time.Millisecond,
		Banana:       banana.Limits{MaxString: 2 << 20}, // "huge" answers 1 MiB
	}})
	good := dial(t, ts)
	rc := rawDial(t, ts)
	rc.write(unhex(t, "02 82 70 62 02 80 13 87 06 81")) // choose "pb", [@version, 6]
	for i := range 32 {
		msg, err := banana.Append(nil, []any{"message", int64(i + 1), "root", "huge", int64(1), []any{"tuple"}, []any{"dictionary"}},
			banana.DialectPB, banana.Limits{})
		require.NoError(t, err)
		if _, err := rc.conn.Write(msg); err != nil {
			break // the server has given up on us already
		}
	}
	// Never read: 32 MiB of answers cannot all fit in socket buffers.
	assert.Eventually(t, func() bool { return strings.Contains(ts.logs.String(), "the peer read nothing for 300ms") },
		5*time.Second, 10*time.Millisecond)
	sum, err := pb.Call[int](ctxT(t), good.Root(), "add", 2, 2)
	require.NoError(t, err)
	assert.Equal(t, 4, sum)
	assert.Eventually(t, func() bool { return ts.srv.Connections() == 1 }, 5*time.Second, 10*time.Millisecond)
}

// IdleTimeout closes a connection on which nothing arrives, and leaves a
// busy one alone.
func TestIdleTimeout(t *testing.T) {
	ts := startServer(t, newCalc(), pb.Config{Limits: pb.Limits{IdleTimeout: 300 * time.Millisecond}})
	busy := dial(t, ts)
	rc := rawDial(t, ts)
	rc.write(unhex(t, "02 82 70 62 02 80 13 87 06 81"))
	for start := time.Now(); time.Since(start) < time.Second; time.Sleep(50 * time.Millisecond) {
		_, err := pb.Call[int](ctxT(t), busy.Root(), "add", 1, 1)
		require.NoError(t, err)
	}
	assert.True(t, rc.closed(), "the idle connection must be closed")
	assert.Eventually(t, func() bool { return strings.Contains(ts.logs.String(), "idle for 300ms") },
		5*time.Second, 10*time.Millisecond)
	_, err := pb.Call[int](ctxT(t), busy.Root(), "add", 1, 1)
	require.NoError(t, err)
}

type mixRoot struct{ pb.Referenceable }

func (mixRoot) RemoteAdd(ctx context.Context, a, b int) (int, error) { return a + b, nil }

// RemoteSlow answers v after ms milliseconds, so the reader that started it
// is taken over.
func (mixRoot) RemoteSlow(ctx context.Context, v, ms int) (int, error) {
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
		return v, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// Many calls in flight on each of several connections, quick ones mixed
// with ones slow enough to be taken over, in both dialects: every answer
// reaches its own caller, and nothing is left running afterwards (goleak).
func TestPipelinedQuickAndSlowCalls(t *testing.T) {
	ts := startServer(t, mixRoot{}, pb.Config{})
	const conns, callers, calls = 6, 12, 25
	var wg sync.WaitGroup
	for c := range conns {
		cfg := pb.Config{}
		if c%2 == 1 {
			cfg.Dialects = []string{"pb"}
		}
		b := dialWith(t, ts, cfg)
		for g := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := ctxT(t)
				for i := range calls {
					want := c*1_000_000 + g*1_000 + i
					var got int
					var err error
					if rand.IntN(4) == 0 {
						got, err = pb.Call[int](ctx, b.Root(), "slow", want, rand.IntN(4))
					} else {
						got, err = pb.Call[int](ctx, b.Root(), "add", want, 0)
					}
					if !assert.NoError(t, err) || !assert.Equal(t, want, got) {
						return
					}
				}
			}()
		}
	}
	wg.Wait()
}

// An answer does not wait for the rest of a message that is slow to
// arrive behind its call.
func TestAnswerNotHeldBehindPartialMessage(t *testing.T) {
	ts := startServer(t, newCalc(), pb.Config{})
	rc := rawDial(t, ts)
	rc.write(unhex(t, "02 82 70 62 02 80 13 87 06 81")) // choose "pb", [@version, 6]
	assert.Equal(t, unhex(t, "02 80 13 87 06 81"), rc.readRaw(6))
	call := func(id int64) []byte {
		msg, err := banana.Append(nil, []any{"message", id, "root", "add", int64(1), []any{"tuple", id, int64(1)}, []any{"dictionary"}},
			banana.DialectPB, banana.Limits{})
		require.NoError(t, err)
		return msg
	}
	// Call 1 whole and the first half of call 2, in one write.
	second := call(2)
	start := time.Now()
	rc.write(append(call(1), second[:len(second)/2]...))
	rc.dec.SetDialect(banana.DialectPB)
	v, err := rc.dec.Decode()
	require.NoError(t, err)
	assert.True(t, banana.Equal([]any{[]byte("answer"), int64(1), int64(2)}, v), "got %v", v)
	assert.Less(t, time.Since(start), 500*time.Millisecond, "the answer waited for the partial message")
	rc.write(second[len(second)/2:])
	v, err = rc.dec.Decode()
	require.NoError(t, err)
	assert.True(t, banana.Equal([]any{[]byte("answer"), int64(2), int64(3)}, v), "got %v", v)
}

// A served connection whose reader was taken over still costs one
// goroutine once idle: the goroutine that served it first does not stay
// behind waiting for its end.
func TestTakenOverConnectionIdlesWithOneGoroutine(t *testing.T) {
	ts := startServer(t, mixRoot{}, pb.Config{})
	b := dial(t, ts)
	ctx := ctxT(t)
	_, err := pb.Call[int](ctx, b.Root(), "add", 1, 1)
	require.NoError(t, err)
	settle := func() int {
		var n int
		for range 50 {
			time.Sleep(20 * time.Millisecond)
			n = runtime.NumGoroutine()
			if n2 := runtime.NumGoroutine(); n2 == n {
				break
			}
		}
		return n
	}
	before := settle()
	for i := range 5 {
		v, err := pb.Call[int](ctx, b.Root(), "slow", i, 30) // taken over
		require.NoError(t, err)
		require.Equal(t, i, v)
	}
	// (Counted here, not in assert.Eventually, whose check runs in a
	// goroutine of its own.)
	after := runtime.NumGoroutine()
	for deadline := time.Now().Add(2 * time.Second); after > before && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		after = runtime.NumGoroutine()
	}
	if !assert.LessOrEqual(t, after, before, "goroutines before and after the slow calls") {
		buf := make([]byte, 1<<20)
		t.Logf("%s", buf[:runtime.Stack(buf, true)])
	}
}
