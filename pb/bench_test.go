package pb_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/pb"
)

// The benchmarks run their server in a separate process (this test binary,
// re-executed with benchServerEnv set), over one loopback connection, and
// put net/rpc on the same shapes in the same run.

const benchServerEnv = "BRAID_BENCH_SERVER"

// benchLimits lets a 1 MiB byte string through (Banana's default is 640 KiB).
var benchLimits = pb.Limits{Banana: banana.Limits{MaxString: 2 << 20}}

// Record is the element of the 1,000-record benchmark.
type Record struct {
	I int
	S string
	F float64
}

type benchRoot struct{ pb.Referenceable }

func (benchRoot) RemoteEcho(ctx context.Context, v int64) (int64, error) { return v, nil }

func (benchRoot) RemoteEchoBytes(ctx context.Context, v []byte) ([]byte, error) { return v, nil }

func (benchRoot) RemoteEchoRecords(ctx context.Context, v []Record) ([]Record, error) { return v, nil }

// EchoRPC is the net/rpc service with the same methods.
type EchoRPC struct{}

func (EchoRPC) Int64(v int64, r *int64) error         { *r = v; return nil }
func (EchoRPC) Bytes(v []byte, r *[]byte) error       { *r = v; return nil }
func (EchoRPC) Records(v []Record, r *[]Record) error { *r = v; return nil }

// serveForBenchmark runs a benchmark server when this binary was started as
// one, and reports whether it did.
func serveForBenchmark() bool {
	kind := os.Getenv(benchServerEnv)
	if kind == "" {
		return false
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("ERROR", err)
		return true
	}
	fmt.Println("ADDR", l.Addr())
	go func() { io.Copy(io.Discard, os.Stdin); l.Close(); os.Exit(0) }()
	switch kind {
	case "braid":
		srv := &pb.Server{Root: benchRoot{}, Config: pb.Config{Limits: benchLimits}}
		srv.Serve(l)
	case "netrpc":
		s := rpc.NewServer()
		s.Register(EchoRPC{})
		s.Accept(l)
	}
	return true
}

// startBenchServer starts a server process and returns its address.
func startBenchServer(b *testing.B, kind string) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchServerEnv+"="+kind)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		b.Fatalf("bench server: %q %v", line, err)
	}
	return strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))
}

// inFlight runs b.N calls of fn from n goroutines.
func inFlight(b *testing.B, n int, fn func() error) {
	var wg sync.WaitGroup
	var next sync.Mutex
	left := b.N
	errc := make(chan error, n)
	for g := 0; g < n; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				if left == 0 {
					next.Unlock()
					return
				}
				left--
				next.Unlock()
				if err := fn(); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
}

func records() []Record {
	rs := make([]Record, 1000)
	for i := range rs {
		rs[i] = Record{I: i, S: fmt.Sprintf("record %d", i), F: float64(i) / 3}
	}
	return rs
}

type benchClient struct {
	name  string
	int64 func() error
	bytes func([]byte) error
	recs  func([]Record) error
}

func benchClients(b *testing.B) []benchClient {
	braidAddr := startBenchServer(b, "braid")
	rc, err := rpc.Dial("tcp", startBenchServer(b, "netrpc"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rc.Close() })
	return []benchClient{
		braidClient(b, "braid-native", braidAddr, nil),
		braidClient(b, "braid-banana", braidAddr, []string{"pb"}),
		{
			name: "net-rpc",
			int64: func() error {
				var v int64
				err := rc.Call("EchoRPC.Int64", int64(42), &v)
				if err == nil && v != 42 {
					err = fmt.Errorf("echo gave %d", v)
				}
				return err
			},
			bytes: func(p []byte) error {
				var v []byte
				err := rc.Call("EchoRPC.Bytes", p, &v)
				if err == nil && len(v) != len(p) {
					err = fmt.Errorf("echo gave %d bytes", len(v))
				}
				return err
			},
			recs: func(rs []Record) error {
				var v []Record
				err := rc.Call("EchoRPC.Records", rs, &v)
				if err == nil && len(v) != len(rs) {
					err = fmt.Errorf("echo gave %d records", len(v))
				}
				return err
			},
		},
	}
}

// braidClient connects to the Braid bench server, speaking the given
// dialects (nil: the default, which is native between Braid peers).
func braidClient(b *testing.B, name, addr string, dialects []string) benchClient {
	ctx := context.Background()
	br, err := pb.Dial(ctx, "tcp:"+addr, &pb.Config{Limits: benchLimits, Dialects: dialects})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { br.Close() })
	if br.NativeDialect() != (dialects == nil) {
		b.Fatalf("%s: native dialect is %v", name, br.NativeDialect())
	}
	root := br.Root()
	return benchClient{
		name: name,
		int64: func() error {
			v, err := pb.Call[int64](ctx, root, "echo", int64(42))
			if err == nil && v != 42 {
				err = fmt.Errorf("echo gave %d", v)
			}
			return err
		},
		bytes: func(p []byte) error {
			v, err := pb.Call[[]byte](ctx, root, "echoBytes", p)
			if err == nil && len(v) != len(p) {
				err = fmt.Errorf("echo gave %d bytes", len(v))
			}
			return err
		},
		recs: func(rs []Record) error {
			v, err := pb.Call[[]Record](ctx, root, "echoRecords", rs)
			if err == nil && len(v) != len(rs) {
				err = fmt.Errorf("echo gave %d records", len(v))
			}
			return err
		},
	}
}

func BenchmarkEchoInt64(b *testing.B) {
	for _, c := range benchClients(b) {
		for _, n := range []int{1, 64} {
			b.Run(fmt.Sprintf("%s/inflight=%d", c.name, n), func(b *testing.B) {
				b.ReportAllocs()
				inFlight(b, n, c.int64)
			})
		}
	}
}

func BenchmarkEcho1MiB(b *testing.B) {
	p := make([]byte, 1<<20)
	for _, c := range benchClients(b) {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(p)))
			b.ReportAllocs()
			inFlight(b, 1, func() error { return c.bytes(p) })
		})
	}
}

func BenchmarkEchoRecords(b *testing.B) {
	rs := records()
	for _, c := range benchClients(b) {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			inFlight(b, 1, func() error { return c.recs(rs) })
		})
	}
}
