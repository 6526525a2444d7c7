package pb_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"sync"
	"testing"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/pb"
	"github.com/stretchr/testify/require"
)

// joiner keeps every byte string it is given, and answers with a new one
// made of them.
type joiner struct {
	pb.Referenceable
	mu   sync.Mutex
	kept [][]byte
}

func (j *joiner) RemoteJoin(ctx context.Context, a []byte, mid string, b []byte) ([]byte, error) {
	j.mu.Lock()
	j.kept = append(j.kept, a, b)
	j.mu.Unlock()
	out := append(append(append([]byte{}, a...), mid...), b...)
	return out, nil
}

func (j *joiner) RemoteEcho(ctx context.Context, p []byte) ([]byte, error) {
	j.mu.Lock()
	j.kept = append(j.kept, p)
	j.mu.Unlock()
	return p, nil
}

// pattern is n bytes that differ with seed and position.
func pattern(seed, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(seed*31 + i*7 + i>>9)
	}
	return p
}

// TestLongByteStrings sends and answers byte strings around and far above
// the length from which the native dialect writes them from where they lie
// and reads them as slices of the message's buffer: each arrives intact,
// several in one message too, and none is overwritten by the messages that
// follow, on either side, whether the connection can writev (TCP) or not
// (a pipe), in both dialects.
func TestLongByteStrings(t *testing.T) {
	lim := pb.Limits{Banana: banana.Limits{MaxString: 4 << 20, MaxExpression: 12 << 20}}
	sizes := []int{0, 1, 32<<10 - 1, 32 << 10, 32<<10 + 1, 100 << 10, 1 << 20, 3 << 20, 70 << 10}
	for _, transport := range []string{"tcp", "pipe"} {
		for _, dialects := range [][]string{nil, {"pb"}} {
			t.Run(fmt.Sprintf("%s %v", transport, dialects), func(t *testing.T) {
				j := &joiner{}
				cfg := pb.Config{Limits: lim, Dialects: dialects}
				var b *pb.Broker
				if transport == "tcp" {
					ts := startServer(t, j, pb.Config{Limits: lim})
					var err error
					b, err = pb.Dial(ctxT(t), ts.endpoint, &cfg)
					require.NoError(t, err)
				} else {
					srv := &pb.Server{Root: j, Config: pb.Config{Limits: lim}}
					c1, c2 := net.Pipe()
					done := make(chan struct{})
					go func() { defer close(done); srv.ServeConn(c1) }()
					var err error
					b, err = pb.NewClient(ctxT(t), c2, &cfg)
					require.NoError(t, err)
					t.Cleanup(func() { b.Close(); <-done; srv.Close() })
				}
				defer b.Close()
				require.Equal(t, dialects == nil, b.NativeDialect())

				var sent, got [][]byte
				for i, n := range sizes {
					p := pattern(i, n)
					r, err := pb.Call[[]byte](ctxT(t), b.Root(), "echo", p)
					require.NoError(t, err, "echo of %d bytes", n)
					require.True(t, bytes.Equal(p, r), "echo of %d bytes", n)
					sent, got = append(sent, p), append(got, r)

					q := pattern(i+100, sizes[len(sizes)-1-i])
					r, err = pb.Call[[]byte](ctxT(t), b.Root(), "join", p, "+", q)
					require.NoError(t, err, "join of %d and %d bytes", n, len(q))
					want := append(append(append([]byte{}, p...), '+'), q...)
					require.True(t, bytes.Equal(want, r), "join of %d and %d bytes", n, len(q))
					sent, got = append(sent, p, q), append(got, r)
				}
				// Nothing received earlier was overwritten since.
				k := 0
				for i, n := range sizes {
					require.True(t, bytes.Equal(pattern(i, n), got[k]), "echo answer %d", i)
					q := pattern(i+100, sizes[len(sizes)-1-i])
					want := append(append(append([]byte{}, pattern(i, n)...), '+'), q...)
					require.True(t, bytes.Equal(want, got[k+1]), "join answer %d", i)
					k += 2
				}
				j.mu.Lock()
				defer j.mu.Unlock()
				require.Len(t, j.kept, len(sent))
				for i := range sent {
					require.True(t, bytes.Equal(sent[i], j.kept[i]), "argument %d as the server kept it", i)
				}
			})
		}
	}
}
