package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/rpc"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"

	"github.com/braidkit/braid/bench/echopb"
	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/pb"
)

// Servers run in a separate process: this binary (or the test binary)
// re-executed with serverEnv naming the server kind. The child prints
// "ADDR host:port" on stdout, then answers control commands read from
// stdin, one a line:
//
//	mem               → "MEM heapInuse stackInuse rss goroutines conns" after two GCs
//	heapprofile PATH  → writes a pprof heap profile to PATH, answers "OK"
//
// and exits when stdin closes.
const serverEnv = "BRAID_BENCH_SERVER"

// Server kinds.
const (
	kindBraid  = "braid"
	kindNetRPC = "netrpc"
	kindGRPC   = "grpc"
	kindRaw    = "raw"
)

// braidLimits let the 1 MiB byte string through on both ends: Banana's
// default string limit is Twisted's 640 KiB and pb's message limit 4 MiB.
var braidLimits = pb.Limits{Banana: banana.Limits{MaxString: 2 << 20, MaxExpression: 8 << 20}}

// Record is the element of the 1,000-record shape.
type Record struct {
	I int
	S string
	F float64
}

// braidRoot is the Braid server's root object.
type braidRoot struct{ pb.Referenceable }

func (braidRoot) RemoteEcho(ctx context.Context, v int64) (int64, error) { return v, nil }

func (braidRoot) RemoteEchoBytes(ctx context.Context, v []byte) ([]byte, error) { return v, nil }

func (braidRoot) RemoteEchoRecords(ctx context.Context, v []Record) ([]Record, error) {
	return v, nil
}

// EchoRPC is the net/rpc service (gob) with the same methods.
type EchoRPC struct{}

func (EchoRPC) Int64(v int64, r *int64) error         { *r = v; return nil }
func (EchoRPC) Bytes(v []byte, r *[]byte) error       { *r = v; return nil }
func (EchoRPC) Records(v []Record, r *[]Record) error { *r = v; return nil }

// grpcEcho is the gRPC service (protobuf, generated in echopb).
type grpcEcho struct{ echopb.UnimplementedEchoServer }

func (grpcEcho) EchoInt64(ctx context.Context, v *echopb.Int64) (*echopb.Int64, error) {
	return v, nil
}

func (grpcEcho) EchoBytes(ctx context.Context, v *echopb.Bytes) (*echopb.Bytes, error) {
	return v, nil
}

func (grpcEcho) EchoRecords(ctx context.Context, v *echopb.Records) (*echopb.Records, error) {
	return v, nil
}

// serve runs a server of the given kind in this process until stdin closes.
func serve(kind string) int {
	raiseNoFile(0) // the Go runtime already raises the soft limit; make sure
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	conns := func() int { return -1 }
	switch kind {
	case kindBraid:
		logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		srv := &pb.Server{Root: braidRoot{}, Config: pb.Config{Limits: braidLimits, Logger: logger}}
		conns = srv.Connections
		go srv.Serve(l)
	case kindNetRPC:
		s := rpc.NewServer()
		if err := s.Register(EchoRPC{}); err != nil {
			fmt.Println("ERROR", err)
			return 1
		}
		go s.Accept(l)
	case kindGRPC:
		s := grpc.NewServer()
		echopb.RegisterEchoServer(s, grpcEcho{})
		go s.Serve(l)
	case kindRaw:
		go serveRaw(l)
	default:
		fmt.Println("ERROR unknown server kind", kind)
		return 1
	}
	fmt.Println("ADDR", l.Addr())
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		switch sc.Text() {
		case "mem":
			m := readMem()
			fmt.Printf("MEM %d %d %d %d %d\n", m.HeapInuse, m.StackInuse, m.RSS, m.Goroutines, conns())
		default:
			if path, ok := strings.CutPrefix(sc.Text(), "heapprofile "); ok {
				if err := writeHeapProfile(path); err != nil {
					fmt.Println("ERROR", err)
				} else {
					fmt.Println("OK")
				}
				continue
			}
			fmt.Println("ERROR unknown command", sc.Text())
		}
	}
	return 0
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// HeapProfile makes the server process write a pprof heap profile.
func (p *serverProc) HeapProfile(path string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := io.WriteString(p.stdin, "heapprofile "+path+"\n"); err != nil {
		return err
	}
	line, err := p.out.ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "OK" {
		return fmt.Errorf("%s server: %s", p.kind, strings.TrimSpace(line))
	}
	return nil
}

// memSample is one process's memory after a forced collection.
type memSample struct {
	HeapInuse  uint64 `json:"heap_inuse"`
	StackInuse uint64 `json:"stack_inuse"`
	RSS        uint64 `json:"rss"`
	Goroutines int    `json:"goroutines"`
	Conns      int    `json:"conns,omitempty"`
}

// Bytes is what the per-connection figure counts: heap in use plus
// goroutine stacks.
func (m memSample) Bytes() uint64 { return m.HeapInuse + m.StackInuse }

func readMem() memSample {
	runtime.GC()
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memSample{
		HeapInuse:  ms.HeapInuse,
		StackInuse: ms.StackInuse,
		RSS:        rss(),
		Goroutines: runtime.NumGoroutine(),
	}
}

// rss reads the resident set size from /proc (0 where there is none).
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, _ := strconv.ParseUint(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// raiseNoFile makes sure this process may hold at least need descriptors
// (0: as many as the hard limit allows), raising the hard limit too when it
// is allowed to (root). It returns the soft limit in force afterwards.
func raiseNoFile(need uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if need == 0 {
		need = lim.Max
	}
	if lim.Cur >= need {
		return lim.Cur, nil
	}
	want := lim
	want.Cur = need
	if want.Max < need {
		want.Max = need
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err == nil {
		return want.Cur, nil
	}
	// No permission to raise the hard limit: take what it allows.
	want = lim
	want.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
		return lim.Cur, err
	}
	return want.Cur, fmt.Errorf("hard limit is %d", lim.Max)
}

// serverProc is a running server process.
type serverProc struct {
	kind  string
	addr  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
	mu    sync.Mutex
}

// startServer re-executes this binary as a server of the given kind.
func startServer(kind string) (*serverProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), serverEnv+"="+kind)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &serverProc{kind: kind, cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	line, err := p.out.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		p.Close()
		return nil, fmt.Errorf("%s server: %q %v", kind, strings.TrimSpace(line), err)
	}
	p.addr = strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))
	return p, nil
}

// Mem asks the server process for its memory after a forced collection.
func (p *serverProc) Mem() (memSample, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var m memSample
	if _, err := io.WriteString(p.stdin, "mem\n"); err != nil {
		return m, err
	}
	line, err := p.out.ReadString('\n')
	if err != nil {
		return m, err
	}
	_, err = fmt.Sscanf(line, "MEM %d %d %d %d %d", &m.HeapInuse, &m.StackInuse, &m.RSS, &m.Goroutines, &m.Conns)
	if err != nil {
		return m, fmt.Errorf("%s server answered %q: %v", p.kind, strings.TrimSpace(line), err)
	}
	return m, nil
}

// Close stops the server process: closing its stdin makes it exit.
func (p *serverProc) Close() error {
	p.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-done
		return errors.New(p.kind + " server did not exit; killed")
	}
}
