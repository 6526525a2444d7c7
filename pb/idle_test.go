package pb_test

import (
	"bufio"
	"net"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/braidkit/braid/jelly/banana"
	"github.com/braidkit/braid/pb"
)

// TestIdleConnectionMemory opens many idle connections to an in-process
// server and reports the Go memory (heap and goroutine stacks) each costs
// the server. The clients are bare TCP sockets that only run the
// handshake, so nearly all of the measured memory is the server's.
// BRAID_IDLE_CONNS sets the count (default 2000; 200 with -short).
func TestIdleConnectionMemory(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 200
	}
	if s := os.Getenv("BRAID_IDLE_CONNS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &pb.Server{Root: benchRoot{}}
	go srv.Serve(l)
	defer srv.Close()

	choice, _ := banana.Append(nil, []byte("pb"), banana.DialectNone, banana.Limits{})
	measure := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse + ms.StackInuse
	}
	// Warm up: one connection, so that one-time allocations (method
	// tables, pools) are not counted.
	warm, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer warm.Close()
	warm.Write(choice)
	for srv.Connections() < 1 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)

	before := measure()
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		// Read the offer, choose "pb", read the version.
		br := bufio.NewReaderSize(c, 64)
		dec := banana.NewDecoder(br, banana.Limits{})
		if _, err := dec.Decode(); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(choice); err != nil {
			t.Fatal(err)
		}
		dec.SetDialect(banana.DialectPB)
		if _, err := dec.Decode(); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for srv.Connections() < n+1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // let every broker reach its idle wait
	after := measure()
	per := float64(after-before) / float64(n)
	t.Logf("%d idle connections: %.0f bytes per connection (server side, plus a bare client socket)", n, per)
	runtime.KeepAlive(conns)
}
