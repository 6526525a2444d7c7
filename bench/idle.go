package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// idleTarget is issue 8's bound on what one idle connection may cost.
const idleTarget = 16 << 10

// idleResult is what n idle Braid connections cost, on each side.
type idleResult struct {
	Dialect   string `json:"dialect"`
	Requested int    `json:"requested"`
	Conns     int    `json:"conns"`
	Note      string `json:"note,omitempty"`
	DialTime  string `json:"dial_time"`
	Settle    string `json:"settle"`

	ServerBefore memSample `json:"server_before"`
	ServerAfter  memSample `json:"server_after"`
	ClientBefore memSample `json:"client_before"`
	ClientAfter  memSample `json:"client_after"`

	// Per connection: heap in use + goroutine stacks, resident set size,
	// and goroutines.
	ServerBytes      float64 `json:"server_bytes_per_conn"`
	ServerRSS        float64 `json:"server_rss_per_conn"`
	ServerGoroutines float64 `json:"server_goroutines_per_conn"`
	ClientBytes      float64 `json:"client_bytes_per_conn"`
	ClientRSS        float64 `json:"client_rss_per_conn"`
	ClientGoroutines float64 `json:"client_goroutines_per_conn"`

	Result string `json:"result"` // the server side against idleTarget: PASS or MISS
}

// idleMemory opens n Braid connections (in each dialect asked for) to a
// Braid server in a separate process, makes one echo call on each, leaves
// them idle for settle, and reports what each costs the server process and
// this (the client) process: heap in use plus goroutine stacks, after
// forced collections, before and after, divided by n. A first connection
// is opened before the "before" reading, so one-time costs (codec tables,
// pools) are not charged to the n.
func idleMemory(ctx context.Context, n int, dialects []string, settle time.Duration, profile string, log io.Writer) ([]idleResult, error) {
	const spare = 64
	note := ""
	if got, err := raiseNoFile(uint64(n + spare)); got < uint64(n+spare) {
		fit := int(got) - spare
		if fit < 1 {
			return nil, fmt.Errorf("RLIMIT_NOFILE is %d and could not be raised to %d: %v", got, n+spare, err)
		}
		note = fmt.Sprintf("RLIMIT_NOFILE could not be raised to %d (%v): measured %d connections instead of %d", n+spare, err, fit, n)
		fmt.Fprintln(log, "bench: WARNING:", note)
		n = fit
	}
	var out []idleResult
	for _, d := range dialects {
		res, err := idleOnce(ctx, n, d, settle, profile, log)
		if err != nil {
			return out, fmt.Errorf("idle %s: %w", d, err)
		}
		res.Note = note
		if note != "" {
			res.Requested = n
		}
		out = append(out, res)
	}
	return out, nil
}

func idleOnce(ctx context.Context, n int, dialect string, settle time.Duration, profile string, log io.Writer) (idleResult, error) {
	res := idleResult{Dialect: dialect, Requested: n, Settle: settle.String()}
	var dialects []string // nil: native
	if dialect == "banana" {
		dialects = []string{"pb"}
	}
	p, err := startServer(kindBraid)
	if err != nil {
		return res, err
	}
	defer p.Close()

	var conns []*braidClient
	var mu sync.Mutex
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	open := func() error {
		c, err := dialBraid(ctx, p.addr, dialects)
		if err != nil {
			return err
		}
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
		if v, err := c.Int64(ctx, 7); err != nil || v != 7 {
			return fmt.Errorf("echo on a new connection gave %d, %v", v, err)
		}
		return nil
	}
	if err := open(); err != nil {
		return res, err
	}
	if res.ServerBefore, err = p.Mem(); err != nil {
		return res, err
	}
	res.ClientBefore = readMem()

	fmt.Fprintf(log, "idle %s: opening %d connections…", dialect, n)
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if err := open(); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		fmt.Fprintln(log)
		return res, fmt.Errorf("after %d connections: %w", len(conns), err)
	}
	res.DialTime = time.Since(start).Round(time.Millisecond).String()
	fmt.Fprintf(log, " %s; idle for %s\n", res.DialTime, settle)

	// Wait until the server holds every connection, then leave them alone.
	deadline := time.Now().Add(30 * time.Second)
	for {
		m, err := p.Mem()
		if err != nil {
			return res, err
		}
		if m.Conns >= n+1 {
			break
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("server holds %d connections, want %d", m.Conns, n+1)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(settle)
	if res.ServerAfter, err = p.Mem(); err != nil {
		return res, err
	}
	res.ClientAfter = readMem()
	res.Conns = n
	if profile != "" {
		path, err := filepath.Abs(fmt.Sprintf("%s-%s-server.pprof", profile, dialect))
		if err != nil {
			return res, err
		}
		if err := p.HeapProfile(path); err != nil {
			return res, err
		}
		if err := writeHeapProfile(fmt.Sprintf("%s-%s-client.pprof", profile, dialect)); err != nil {
			return res, err
		}
		fmt.Fprintf(log, "idle %s: heap profiles in %s-%s-{server,client}.pprof\n", dialect, profile, dialect)
	}

	per := func(a, b uint64) float64 { return (float64(a) - float64(b)) / float64(n) }
	res.ServerBytes = per(res.ServerAfter.Bytes(), res.ServerBefore.Bytes())
	res.ServerRSS = per(res.ServerAfter.RSS, res.ServerBefore.RSS)
	res.ServerGoroutines = float64(res.ServerAfter.Goroutines-res.ServerBefore.Goroutines) / float64(n)
	res.ClientBytes = per(res.ClientAfter.Bytes(), res.ClientBefore.Bytes())
	res.ClientRSS = per(res.ClientAfter.RSS, res.ClientBefore.RSS)
	res.ClientGoroutines = float64(res.ClientAfter.Goroutines-res.ClientBefore.Goroutines) / float64(n)
	res.Result = "PASS"
	if res.ServerBytes > idleTarget {
		res.Result = "MISS"
	}
	return res, nil
}

func printIdle(w io.Writer, rs []idleResult) {
	m := describeMachine()
	fmt.Fprintf(w, "memory per idle Braid connection: %s, %d CPU, %s, load average %s\n", m.CPU, m.NumCPU, m.Go, m.LoadAvg)
	if len(rs) > 0 {
		fmt.Fprintf(w, "%d connections to a Braid server in its own process; each made one echo call, then sat idle %s;\n", rs[0].Conns, rs[0].Settle)
		fmt.Fprintln(w, "heap in use + goroutine stacks after forced GCs, (after − before) / connections; RSS likewise (kernel socket buffers not included)")
		if rs[0].Note != "" {
			fmt.Fprintln(w, "NOTE:", rs[0].Note)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  dialect\tside\theap/conn\tstacks/conn\theap+stacks/conn\tRSS/conn\tgoroutines/conn\ttarget ≤ 16 KiB\t")
	for _, r := range rs {
		n := float64(r.Conns)
		heap := func(a, b memSample) string { return kib((float64(a.HeapInuse) - float64(b.HeapInuse)) / n) }
		stack := func(a, b memSample) string { return kib((float64(a.StackInuse) - float64(b.StackInuse)) / n) }
		fmt.Fprintf(tw, "  %s\tserver\t%s\t%s\t%s\t%s\t%.1f\t%s\t\n", r.Dialect,
			heap(r.ServerAfter, r.ServerBefore), stack(r.ServerAfter, r.ServerBefore),
			kib(r.ServerBytes), kib(r.ServerRSS), r.ServerGoroutines, r.Result)
		cres := "PASS"
		if r.ClientBytes > idleTarget {
			cres = "MISS"
		}
		fmt.Fprintf(tw, "  %s\tclient\t%s\t%s\t%s\t%s\t%.1f\t(%s)\t\n", r.Dialect,
			heap(r.ClientAfter, r.ClientBefore), stack(r.ClientAfter, r.ClientBefore),
			kib(r.ClientBytes), kib(r.ClientRSS), r.ClientGoroutines, cres)
	}
	tw.Flush()
	fmt.Fprintln(w, "the target is evaluated on the server side; the client side's figure is shown in parentheses for reference")
}

func kib(b float64) string { return fmt.Sprintf("%.1f KiB", b/1024) }
