package pb

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/braidkit/braid/transport"
	"github.com/stretchr/testify/require"
)

type roleRoot struct{ Referenceable }

func (roleRoot) RemotePing(ctx context.Context) (int, error) { return 1, nil }

// Callers read their answers on dialed TCP, TLS and Unix connections,
// whose reads survive a deadline, and not over WebSocket, nor on the
// accepting side.
func TestRoleTransports(t *testing.T) {
	dir := t.TempDir()
	cert, key, err := transport.WriteSelfSigned(dir)
	require.NoError(t, err)
	cases := []struct {
		listen, dialOpts string
		callers          bool
	}{
		{"tcp:127.0.0.1:0", "", true},
		{"tls:127.0.0.1:0:cert=" + cert + ":key=" + key, ":ca=" + cert, true},
		{"unix:" + filepath.Join(dir, "pb.sock"), "", true},
		{"ws://127.0.0.1:0/pb", "", false},
	}
	for _, c := range cases {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		l, err := transport.Listen(ctx, c.listen)
		require.NoError(t, err, c.listen)
		served := make(chan *Broker, 1)
		srv := &Server{NewRoot: func(b *Broker) any { served <- b; return roleRoot{} }}
		done := make(chan error, 1)
		go func() { done <- srv.Serve(l) }()
		b, err := Dial(ctx, transport.EndpointOf(l.Addr())+c.dialOpts, nil)
		require.NoError(t, err, c.listen)
		n, err := Call[int](ctx, b.Root(), "ping")
		require.NoError(t, err, c.listen)
		require.Equal(t, 1, n)
		require.Equal(t, c.callers, b.role != nil, c.listen)
		require.Nil(t, (<-served).role, "%s: the accepting side", c.listen)
		require.NoError(t, b.Close())
		require.NoError(t, srv.Close())
		require.ErrorIs(t, <-done, ErrServerClosed)
		cancel()
	}
}
