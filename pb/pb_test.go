package pb_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/braidkit/braid/jelly"
	"github.com/braidkit/braid/pb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if serveForBenchmark() {
		return
	}
	goleak.VerifyTestMain(m)
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testServer serves root on a loopback port for the duration of the test.
type testServer struct {
	srv      *pb.Server
	endpoint string
	addr     string
	logs     *syncBuffer
}

func startServer(t *testing.T, root any, cfg pb.Config) *testServer {
	t.Helper()
	logs := &syncBuffer{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &pb.Server{Root: root, Config: cfg}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		require.NoError(t, srv.Close())
		require.ErrorIs(t, <-done, pb.ErrServerClosed)
	})
	return &testServer{srv: srv, endpoint: "tcp:" + l.Addr().String(), addr: l.Addr().String(), logs: logs}
}

func dial(t *testing.T, ts *testServer) *pb.Broker {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, err := pb.Dial(ctx, ts.endpoint, nil)
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	return b
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// ---- objects served in the tests ----

type calc struct {
	pb.Referenceable
	mu      sync.Mutex
	stored  *pb.RemoteReference
	release chan struct{}
	started chan struct{}
	ctxErr  chan error
}

func newCalc() *calc {
	return &calc{release: make(chan struct{}), started: make(chan struct{}, 10), ctxErr: make(chan error, 10)}
}

func (c *calc) RemoteAdd(ctx context.Context, a, b int) (int, error) { return a + b, nil }

func (c *calc) RemoteEcho(ctx context.Context, v any) (any, error) { return v, nil }

func (c *calc) RemoteSum(ctx context.Context, xs ...int) (int, error) {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n, nil
}

func (c *calc) RemoteGreet(ctx context.Context, name string, kw pb.Kwargs) (string, error) {
	greeting := "hello"
	if g, ok := kw["greeting"].(string); ok {
		greeting = g
	}
	return greeting + " " + name, nil
}

func (c *calc) RemoteGetUser(ctx context.Context) (string, error) { return "user", nil }

func (c *calc) RemoteFail(ctx context.Context, msg string) error { return errors.New(msg) }

func (c *calc) RemoteFailTyped(ctx context.Context, msg string) error { return &appError{msg} }

func (c *calc) RemotePanic(ctx context.Context) error { panic("kaboom") }

func (c *calc) RemoteChild(ctx context.Context, name string) (*child, error) {
	return &child{name: name}, nil
}

func (c *calc) RemoteTwice(ctx context.Context) (jelly.List, error) {
	ch := &child{name: "twice"}
	return jelly.List{ch, ch}, nil
}

func (c *calc) RemoteStore(ctx context.Context, r *pb.RemoteReference) error {
	c.mu.Lock()
	c.stored = r
	c.mu.Unlock()
	return nil
}

func (c *calc) RemoteCallStored(ctx context.Context, method string, args ...any) (any, error) {
	c.mu.Lock()
	r := c.stored
	c.mu.Unlock()
	return r.CallRemote(ctx, method, args...)
}

func (c *calc) RemoteIsSame(ctx context.Context, v any) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := v.(*child)
	return ok && ch != nil, nil
}

func (c *calc) RemoteBlock(ctx context.Context) error {
	c.started <- struct{}{}
	select {
	case <-c.release:
		return nil
	case <-ctx.Done():
		c.ctxErr <- ctx.Err()
		return ctx.Err()
	}
}

func (c *calc) RemoteRefs(ctx context.Context) (int, error) {
	return pb.BrokerFromContext(ctx).ExportCount(), nil
}

func (c *calc) RemoteHuge(ctx context.Context) ([]byte, error) { return make([]byte, 1<<20), nil }

type appError struct{ msg string }

func (e *appError) Error() string  { return e.msg }
func (e *appError) PBType() string { return "myapp.AppError" }

type child struct {
	pb.Referenceable
	name string
}

func (c *child) RemoteName(ctx context.Context) (string, error) { return c.name, nil }

// ---- tests ----

func TestCallBasics(t *testing.T) {
	ts := startServer(t, newCalc(), pb.Config{})
	b := dial(t, ts)
	ctx := ctxT(t)
	root := b.Root()

	sum, err := pb.Call[int](ctx, root, "add", 2, 3)
	require.NoError(t, err)
	assert.Equal(t, 5, sum)

	v, err := root.CallRemote(ctx, "echo", jelly.Dict{{Key: "k", Value: jelly.List{int64(1), "x"}}})
	require.NoError(t, err)
	assert.Equal(t, jelly.Dict{{Key: "k", Value: jelly.List{int64(1), "x"}}}, v)

	n, err := pb.Call[int](ctx, root, "sum", 1, 2, 3, 4)
	require.NoError(t, err)
	assert.Equal(t, 10, n)

	s, err := root.CallRemoteKw(ctx, "greet", []any{"bob"}, pb.Kwargs{"greeting": "hi"})
	require.NoError(t, err)
	assert.Equal(t, "hi bob", s)

	// snake_case wire names reach the same Go method as camelCase ones.
	for _, name := range []string{"getUser", "get_user"} {
		s, err = root.CallRemote(ctx, name)
		require.NoError(t, err)
		assert.Equal(t, "user", s)
	}
}

func TestErrors(t *testing.T) {
	ts := startServer(t, newCalc(), pb.Config{})
	b, err := pb.Dial(ctxT(t), ts.endpoint, &pb.Config{
		ErrorTypes: map[string]func(*pb.RemoteError) error{
			"myapp.AppError": func(re *pb.RemoteError) error { return &appError{re.Value} },
		},
	})
	require.NoError(t, err)
	defer b.Close()
	ctx := ctxT(t)
	root := b.Root()

	_, err = root.CallRemote(ctx, "fail", "bad value")
	var re *pb.RemoteError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, pb.TypeBraidError, re.Type)
	assert.Equal(t, "bad value", re.Value)
	assert.True(t, re.Check(pb.TypePBError))
	assert.True(t, re.Check("builtins.Exception"))

	_, err = root.CallRemote(ctx, "failTyped", "typed")
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "myapp.AppError", re.Type)
	var ae *appError
	require.ErrorAs(t, err, &ae, "a registered type name yields the Go error")
	assert.Equal(t, "typed", ae.msg)

	_, err = root.CallRemote(ctx, "nosuch")
	require.ErrorAs(t, err, &re)
	assert.Equal(t, pb.TypeNoSuchMethod, re.Type)
	assert.Equal(t, "No such method: remote_nosuch", re.Value)
	assert.True(t, re.Check("builtins.AttributeError"))

	_, err = root.CallRemote(ctx, "add", 1)
	require.ErrorAs(t, err, &re)
	assert.Equal(t, pb.TypeTypeError, re.Type)

	_, err = root.CallRemote(ctx, "add", "x", 1)
	require.ErrorAs(t, err, &re)
	assert.Equal(t, pb.TypeTypeError, re.Type)

	_, err = root.CallRemote(ctx, "panic")
	require.ErrorAs(t, err, &re)
	assert.Contains(t, re.Value, "kaboom")
	assert.Equal(t, "Traceback unavailable\n", re.Traceback, "tracebacks stay private by default")

	// An answer too large for Banana fails the call, not the connection.
	_, err = root.CallRemote(ctx, "huge")
	require.ErrorAs(t, err, &re)
	sum, err := pb.Call[int](ctx, root, "add", 1, 1)
	require.NoError(t, err)
	assert.Equal(t, 2, sum)
}

func TestReferences(t *testing.T) {
	ts := startServer(t, newCalc(), pb.Config{})
	b := dial(t, ts)
	ctx := ctxT(t)
	root := b.Root()

	refs := func() int {
		n, err := pb.Call[int](ctx, root, "refs")
		require.NoError(t, err)
		return n
	}
	assert.Equal(t, 0, refs())
	v, err := root.CallRemote(ctx, "child", "a")
	require.NoError(t, err)
	a := v.(*pb.RemoteReference)
	name, err := a.CallRemote(ctx, "name")
	require.NoError(t, err)
	assert.Equal(t, "a", name)
	assert.Equal(t, 1, refs())

	// The same object twice in one answer: two references, two counts,
	// one export.
	v, err = root.CallRemote(ctx, "twice")
	require.NoError(t, err)
	pair := v.(jelly.List)
	require.Len(t, pair, 2)
	r1, r2 := pair[0].(*pb.RemoteReference), pair[1].(*pb.RemoteReference)
	assert.NotSame(t, r1, r2)
	assert.Equal(t, 2, refs())
	r1.Release()
	assert.Equal(t, 2, refs(), "one count is still held")
	r2.Release()
	r2.Release() // releasing twice sends one decref
	assert.Equal(t, 1, refs())

	// Passing the reference back gives the server its own object.
	same, err := pb.Call[bool](ctx, root, "isSame", a)
	require.NoError(t, err)
	assert.True(t, same)

	a.Release()
	assert.Equal(t, 0, refs())
	_, err = a.CallRemote(ctx, "name")
	assert.ErrorIs(t, err, pb.ErrDeadReference)

	// luids are never reused.
	v, err = root.CallRemote(ctx, "child", "b")
	require.NoError(t, err)
	bref := v.(*pb.RemoteReference)
	assert.Contains(t, bref.String(), "RemoteReference 3 ")
	bref.Release()
}

// A server calls back into an object the client passed.
func TestCallback(t *testing.T) {
	ts := startServer(t, newCalc(), pb.Config{})
	b := dial(t, ts)
	ctx := ctxT(t)
	local := newCalc()
	_, err := b.Root().CallRemote(ctx, "store", local)
	require.NoError(t, err)
	assert.Equal(t, 1, b.ExportCount())
	v, err := b.Root().CallRemote(ctx, "callStored", "add", 20, 22)
	require.NoError(t, err)
	assert.Equal(t, int64(42), v)
}

func TestDisconnectFailsPendingCalls(t *testing.T) {
	c := newCalc()
	ts := startServer(t, c, pb.Config{})
	b := dial(t, ts)
	errc := make(chan error, 1)
	go func() {
		_, err := b.Root().CallRemote(context.Background(), "block")
		errc <- err
	}()
	<-c.started
	start := time.Now()
	b.Close()
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, pb.ErrConnectionLost)
		assert.Less(t, time.Since(start), time.Second)
	case <-time.After(5 * time.Second):
		t.Fatal("pending call did not fail when the connection closed")
	}
	// The server cancels the handler's context.
	select {
	case err := <-c.ctxErr:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("handler context was not cancelled")
	}
	_, err := b.Root().CallRemote(ctxT(t), "add", 1, 2)
	assert.ErrorIs(t, err, pb.ErrDeadReference)
}

func TestServerGoneFailsPendingCalls(t *testing.T) {
	c := newCalc()
	ts := startServer(t, c, pb.Config{})
	b := dial(t, ts)
	errc := make(chan error, 1)
	go func() {
		_, err := b.Root().CallRemote(context.Background(), "block")
		errc <- err
	}()
	<-c.started
	require.NoError(t, ts.srv.Close())
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, pb.ErrConnectionLost)
	case <-time.After(5 * time.Second):
		t.Fatal("pending call hung after the server went away")
	}
}

func TestCallContextCancel(t *testing.T) {
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
	// The late answer is dropped quietly and the connection keeps working.
	close(c.release)
	sum, err := pb.Call[int](ctxT(t), b.Root(), "add", 2, 2)
	require.NoError(t, err)
	assert.Equal(t, 4, sum)
}

func TestShutdownWaitsForCalls(t *testing.T) {
	c := newCalc()
	ts := startServer(t, c, pb.Config{})
	b := dial(t, ts)
	errc := make(chan error, 1)
	go func() {
		_, err := b.Root().CallRemote(context.Background(), "block")
		errc <- err
	}()
	<-c.started
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- ts.srv.Shutdown(ctx)
	}()
	time.Sleep(50 * time.Millisecond)
	close(c.release)
	require.NoError(t, <-errc, "the in-flight call finishes")
	require.NoError(t, <-done)
}

func TestMaxReferences(t *testing.T) {
	ts := startServer(t, newCalc(), pb.Config{Limits: pb.Limits{MaxReferences: 4}})
	b := dial(t, ts)
	ctx := ctxT(t)
	var held []*pb.RemoteReference
	for i := 0; i < 3; i++ { // the root counts as one
		v, err := b.Root().CallRemote(ctx, "child", "c")
		require.NoError(t, err)
		held = append(held, v.(*pb.RemoteReference))
	}
	_, err := b.Root().CallRemote(ctx, "child", "c")
	var re *pb.RemoteError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "Maximum PB reference count exceeded.", re.Value)
	held[0].Release()
	v, err := b.Root().CallRemote(ctx, "child", "c")
	require.NoError(t, err)
	v.(*pb.RemoteReference).Release()
}

func TestTimeouts(t *testing.T) {
	c := newCalc()
	ts := startServer(t, c, pb.Config{MethodTimeouts: map[string]time.Duration{"block": 50 * time.Millisecond}})
	b := dial(t, ts)
	start := time.Now()
	_, err := b.Root().CallRemote(ctxT(t), "block")
	var re *pb.RemoteError
	require.ErrorAs(t, err, &re, "the server's per-method deadline ends the handler")
	assert.Contains(t, re.Value, "deadline exceeded")
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.ErrorIs(t, <-c.ctxErr, context.DeadlineExceeded)

	cb, err := pb.Dial(ctxT(t), ts.endpoint, &pb.Config{CallTimeout: 50 * time.Millisecond})
	require.NoError(t, err)
	defer cb.Close()
	c.ctxErr = make(chan error, 10)
	_, err = cb.Root().CallRemote(context.Background(), "sum") // fast calls are unaffected
	require.NoError(t, err)
}
