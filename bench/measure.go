package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// A workload is one thing measured: a kind of call made with a number of
// calls in flight on the one connection.
type workload struct {
	Kind     string `json:"kind"` // "int64", "bytes" or "records"
	InFlight int    `json:"in_flight"`
}

func (w workload) String() string { return fmt.Sprintf("%s×%d", w.Kind, w.InFlight) }

// unit is what a workload's rate counts.
func (w workload) unit() string {
	if w.Kind == "bytes" {
		return "MB/s"
	}
	return "calls/s"
}

// A shape is a table of the report: one or more workloads.
type shape struct {
	name  string
	title string
	loads []workload
}

// curve is the in-flight curve's points.
var curve = []int{1, 2, 4, 8, 16, 32, 64}

var shapes = func() []shape {
	s := []shape{
		{"echo1", "echo int64, 1 call in flight", []workload{{"int64", 1}}},
		{"echo64", "echo int64, 64 calls in flight", []workload{{"int64", 64}}},
		{"bytes1m", "echo 1 MiB of bytes, 1 call in flight (MB/s of payload, 10^6 bytes, counted once per call)", []workload{{"bytes", 1}}},
		{"records", "echo 1,000 records {I int, S string, F float64}, 1 call in flight", []workload{{"records", 1}}},
		{"curve", "echo int64, calls/s by calls in flight", nil},
	}
	for _, n := range curve {
		s[4].loads = append(s[4].loads, workload{"int64", n})
	}
	return s
}()

func shapeNames() []string {
	var n []string
	for _, s := range shapes {
		n = append(n, s.name)
	}
	return n
}

func shapeByName(name string) shape {
	for _, s := range shapes {
		if s.name == name {
			return s
		}
	}
	panic("unknown shape " + name)
}

// payload sizes of the bytes and records shapes.
const (
	bytesSize   = 1 << 20
	recordCount = 1000
)

func makeRecords(n int) []Record {
	rs := make([]Record, n)
	for i := range rs {
		rs[i] = Record{I: i, S: fmt.Sprintf("record %d", i), F: float64(i) / 3}
	}
	return rs
}

func makeBytes(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + i>>8)
	}
	return p
}

// op returns one call of a workload's kind on c.
func op(ctx context.Context, c client, kind string, blob []byte, recs []Record) func(v int64) error {
	switch kind {
	case "int64":
		return func(v int64) error {
			got, err := c.Int64(ctx, v)
			if err == nil && got != v {
				err = fmt.Errorf("echo of %d gave %d", v, got)
			}
			return err
		}
	case "bytes":
		return func(int64) error {
			got, err := c.Bytes(ctx, blob)
			if err != nil {
				return err
			}
			if len(got) != len(blob) || got[len(got)-1] != blob[len(blob)-1] || (deepCheck && !bytes.Equal(got, blob)) {
				return fmt.Errorf("echo of %d bytes gave %d different bytes", len(blob), len(got))
			}
			return nil
		}
	case "records":
		return func(int64) error {
			_, err := c.Records(ctx, recs)
			return err
		}
	}
	panic("unknown kind " + kind)
}

// runFor makes calls from n goroutines for d and returns how many completed
// and how long they took (until the last call in flight when d ran out
// returned).
func runFor(n int, d time.Duration, call func(v int64) error) (int64, time.Duration, error) {
	var (
		stop  atomic.Bool
		total atomic.Int64
		once  sync.Once
		first error
		wg    sync.WaitGroup
	)
	start := time.Now()
	t := time.AfterFunc(d, func() { stop.Store(true) })
	defer t.Stop()
	for g := 0; g < n; g++ {
		wg.Add(1)
		go func(g int64) {
			defer wg.Done()
			var k int64
			for !stop.Load() {
				if err := call(g<<32 | k); err != nil {
					once.Do(func() { first = err })
					stop.Store(true)
					break
				}
				k++
			}
			total.Add(k)
		}(int64(g))
	}
	wg.Wait()
	return total.Load(), time.Since(start), first
}

// series is one implementation's rates on one workload, one per round.
type series struct {
	Rates  []float64 `json:"rates"`
	Median float64   `json:"median"`
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// runRounds starts every selected implementation's server and client and
// measures every selected workload in interleaved rounds: in each round
// every workload is measured on every implementation back to back, the
// implementations' order rotating from round to round and workload to
// workload, so that drift on a shared machine hits them all alike.
func runRounds(ctx context.Context, o options, log io.Writer) (*report, error) {
	var loads []workload
	seen := map[workload]bool{}
	for _, name := range o.shapes {
		for _, w := range shapeByName(name).loads {
			if !seen[w] {
				seen[w] = true
				loads = append(loads, w)
			}
		}
	}
	blob, recs := makeBytes(bytesSize), makeRecords(recordCount)

	rep := &report{
		Machine:  describeMachine(),
		Duration: o.duration.String(),
		Warmup:   o.warmup.String(),
		Rounds:   o.rounds,
		Impls:    o.impls,
		Shapes:   o.shapes,
		Results:  map[string]map[string]*series{},
	}

	clients := map[string]client{}
	var procs []*serverProc
	defer func() {
		for _, c := range clients {
			c.Close()
		}
		for _, p := range procs {
			p.Close()
		}
	}()
	for _, impl := range o.impls {
		p, err := startServer(serverKind[impl])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", impl, err)
		}
		procs = append(procs, p)
		c, err := dial(ctx, impl, p.addr, recs)
		if err != nil {
			return nil, fmt.Errorf("%s: dial %s: %w", impl, p.addr, err)
		}
		clients[impl] = c
		if got, err := c.Int64(ctx, 42); err != nil || got != 42 {
			return nil, fmt.Errorf("%s: first call gave %d, %v", impl, got, err)
		}
	}

	start := time.Now()
	for r := 0; r < o.rounds; r++ {
		fmt.Fprintf(log, "round %d/%d:", r+1, o.rounds)
		for wi, w := range loads {
			fmt.Fprintf(log, " %s", w)
			for k := range o.impls {
				impl := o.impls[(k+r+wi)%len(o.impls)]
				call := op(ctx, clients[impl], w.Kind, blob, recs)
				if _, _, err := runFor(w.InFlight, o.warmup, call); err != nil {
					return nil, fmt.Errorf("%s, %s: %w", impl, w, err)
				}
				n, el, err := runFor(w.InFlight, o.duration, call)
				if err != nil {
					return nil, fmt.Errorf("%s, %s: %w", impl, w, err)
				}
				rate := float64(n) / el.Seconds()
				if w.Kind == "bytes" {
					rate *= bytesSize / 1e6
				}
				rep.add(w, impl, rate)
			}
		}
		fmt.Fprintln(log)
	}
	rep.Elapsed = time.Since(start).Round(time.Second).String()
	rep.MachineAfter = describeMachine().LoadAvg
	rep.finish()
	return rep, nil
}
