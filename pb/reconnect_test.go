package pb_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/braidkit/braid/cred"
	"github.com/braidkit/braid/pb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serveOn serves a login portal on addr until the returned stop is called.
func serveOn(t *testing.T, addr string, portal *cred.Portal) (stop func()) {
	t.Helper()
	var l net.Listener
	var err error
	for i := 0; i < 50; i++ { // the port may take a moment to be free again
		if l, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, err)
	srv := &pb.Server{NewRoot: pb.LoginRoot(portal)}
	done := make(chan struct{})
	go func() { srv.Serve(l); close(done) }()
	return func() { srv.Close(); <-done }
}

// A reconnecting client survives a server restart and logs in again.
func TestReconnectorSurvivesRestart(t *testing.T) {
	realm := newRealm()
	portal := cred.NewPortal(realm, []cred.Checker{cred.NewInMemory(map[string]string{"dora": "pw"})})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	stop := serveOn(t, addr, portal)

	var lost, restored atomic.Int32
	r := pb.NewReconnector("tcp:"+addr, pb.ReconnectOptions{
		Credentials: cred.UsernamePassword{Username: "dora", Password: "pw"},
		MinBackoff:  10 * time.Millisecond,
		MaxBackoff:  100 * time.Millisecond,
		OnLost:      func(error) { lost.Add(1) },
		OnRestored:  func(*pb.Broker, *pb.RemoteReference) { restored.Add(1) },
	})
	defer r.Close()
	ctx := ctxT(t)

	who, err := r.CallRemote(ctx, "whoami")
	require.NoError(t, err)
	assert.Equal(t, "dora", who)
	_, oldAvatar, err := r.Current(ctx)
	require.NoError(t, err)

	stop()
	require.Eventually(t, func() bool { return lost.Load() == 1 }, 5*time.Second, 5*time.Millisecond)
	_, err = oldAvatar.CallRemote(ctx, "whoami")
	assert.ErrorIs(t, err, pb.ErrDeadReference, "a reference from the dead connection fails clearly")

	stop = serveOn(t, addr, portal)
	defer stop()
	who, err = r.CallRemote(ctx, "whoami")
	require.NoError(t, err, "the client reconnects and logs in again")
	assert.Equal(t, "dora", who)
	// OnRestored runs after the new connection is made available, so a
	// call may complete first.
	require.Eventually(t, func() bool { return restored.Load() == 2 }, 5*time.Second, 5*time.Millisecond)
	in, _ := realm.counts("dora")
	assert.Equal(t, 2, in)
}

// Current respects its context while no server is there.
func TestReconnectorWaitsWithContext(t *testing.T) {
	r := pb.NewReconnector("tcp:127.0.0.1:1", pb.ReconnectOptions{MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, err := r.Current(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "last attempt")
	require.NoError(t, r.Close())
	_, _, err = r.Current(context.Background())
	assert.ErrorIs(t, err, pb.ErrClosed)
}
