package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
)

// machine says where a run happened, with the load average before and
// after: the machine is shared, and load moves absolute numbers.
type machine struct {
	CPU        string `json:"cpu"`
	NumCPU     int    `json:"num_cpu"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Go         string `json:"go"`
	LoadAvg    string `json:"loadavg"`
}

func describeMachine() machine {
	m := machine{NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// report is a run's results.
type report struct {
	Machine      machine                                  `json:"machine"`
	MachineAfter string                                   `json:"loadavg_after"`
	Duration     string                                   `json:"duration"`
	Warmup       string                                   `json:"warmup"`
	Rounds       int                                      `json:"rounds"`
	Elapsed      string                                   `json:"elapsed"`
	Impls        []string                                 `json:"impls"`
	Shapes       []string                                 `json:"shapes"`
	Results      map[string]map[string]*series            `json:"results"` // workload → implementation → rates
	Ratios       map[string]map[string]map[string]float64 `json:"ratios"`  // workload → implementation → "vs impl" → ratio of medians
	Targets      []target                                 `json:"targets"`
}

func (r *report) add(w workload, impl string, rate float64) {
	m := r.Results[w.String()]
	if m == nil {
		m = map[string]*series{}
		r.Results[w.String()] = m
	}
	s := m[impl]
	if s == nil {
		s = &series{}
		m[impl] = s
	}
	s.Rates = append(s.Rates, rate)
}

// median returns an implementation's median on a workload (0: not run).
func (r *report) median(w workload, impl string) float64 {
	if s := r.Results[w.String()][impl]; s != nil {
		return s.Median
	}
	return 0
}

// ratio is num's median over den's (NaN when either was not run).
func (r *report) ratio(w workload, num, den string) float64 {
	a, b := r.median(w, num), r.median(w, den)
	if a == 0 || b == 0 {
		return math.NaN()
	}
	return a / b
}

// baselines are the implementations every other is compared with.
var baselines = []string{implNetRPC, implGRPC, implNative}

func (r *report) finish() {
	r.Ratios = map[string]map[string]map[string]float64{}
	for wk, m := range r.Results {
		for _, s := range m {
			s.Median = median(s.Rates)
		}
		r.Ratios[wk] = map[string]map[string]float64{}
		for impl, s := range m {
			for _, b := range baselines {
				if bs := m[b]; bs != nil && b != impl && bs.Median > 0 {
					if r.Ratios[wk][impl] == nil {
						r.Ratios[wk][impl] = map[string]float64{}
					}
					r.Ratios[wk][impl]["vs_"+b] = s.Median / bs.Median
				}
			}
		}
	}
	r.Targets = r.evalTargets()
}

// target is one of issue 8's goals, evaluated on one run's ratios.
type target struct {
	Name   string  `json:"name"`
	Goal   float64 `json:"goal"`            // the ratio must be at least this
	Ratio  float64 `json:"ratio,omitempty"` // 0: not measured
	Result string  `json:"result"`          // PASS, MISS or SKIP
	Note   string  `json:"note,omitempty"`
}

func (r *report) evalTargets() []target {
	type goal struct {
		name     string
		w        workload
		num, den string
		goal     float64
	}
	goals := []goal{
		{"echo int64, 1 in flight: braid-native vs net/rpc calls/s", workload{"int64", 1}, implNative, implNetRPC, 1.3},
		{"echo int64, 64 in flight: braid-native vs net/rpc calls/s", workload{"int64", 64}, implNative, implNetRPC, 2},
		{"echo int64, 64 in flight: braid-native vs gRPC-go calls/s", workload{"int64", 64}, implNative, implGRPC, 3},
		{"echo 1 MiB: braid-native vs net/rpc MB/s", workload{"bytes", 1}, implNative, implNetRPC, 3},
		{"echo 1,000 records: braid-native vs net/rpc calls/s", workload{"records", 1}, implNative, implNetRPC, 1.2},
		{"Banana vs native, echo int64, 1 in flight", workload{"int64", 1}, implBanana, implNative, 0.8},
		{"Banana vs native, echo int64, 64 in flight", workload{"int64", 64}, implBanana, implNative, 0.8},
	}
	var ts []target
	for _, g := range goals {
		t := target{Name: g.name, Goal: g.goal}
		switch q := r.ratio(g.w, g.num, g.den); {
		case math.IsNaN(q):
			t.Result = "SKIP"
			t.Note = fmt.Sprintf("needs %s and %s on %s", g.num, g.den, g.w)
		case q >= g.goal:
			t.Ratio, t.Result = q, "PASS"
		default:
			t.Ratio, t.Result = q, "MISS"
		}
		ts = append(ts, t)
	}
	ts = append(ts, target{
		Name:   "memory per idle connection ≤ 16 KiB",
		Result: "SKIP",
		Note:   "measured separately: go run . -idle 10000",
	})
	return ts
}

// printReport writes the tables.
func printReport(w io.Writer, r *report) {
	fmt.Fprintf(w, "Braid cross-implementation benchmark: %s, %d CPU, GOMAXPROCS %d, %s\n",
		r.Machine.CPU, r.Machine.NumCPU, r.Machine.GOMAXPROCS, r.Machine.Go)
	fmt.Fprintf(w, "each server in its own process, one connection per implementation; %d interleaved rounds of %s (+%s warm-up) per measurement, median shown; took %s\n",
		r.Rounds, r.Duration, r.Warmup, r.Elapsed)
	fmt.Fprintf(w, "load average before %s, after %s (shared machine: absolute numbers drift, ratios within one run hold)\n",
		r.Machine.LoadAvg, r.MachineAfter)
	for _, name := range r.Shapes {
		s := shapeByName(name)
		fmt.Fprintln(w)
		if name == "curve" {
			printCurve(w, r, s)
			continue
		}
		printShape(w, r, s)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "targets (issue 8; ratios of medians from this run)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  target\tratio\tgoal\tresult")
	for _, t := range r.Targets {
		ratio, goal := "-", "-"
		if t.Ratio != 0 {
			ratio = fmt.Sprintf("%.2f×", t.Ratio)
		}
		if t.Goal != 0 {
			goal = fmt.Sprintf("≥ %.1f×", t.Goal)
		}
		if strings.HasPrefix(t.Name, "memory") {
			goal = "≤ 16 KiB"
		}
		res := t.Result
		if t.Note != "" {
			res += " (" + t.Note + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", t.Name, ratio, goal, res)
	}
	tw.Flush()
}

func printShape(w io.Writer, r *report, s shape) {
	wl := s.loads[0]
	fmt.Fprintf(w, "%s — %s\n", s.title, wl.unit())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  implementation\tmedian\tmin\tmax\t× net/rpc\t× gRPC-go\t× native\t")
	for _, impl := range r.Impls {
		sr := r.Results[wl.String()][impl]
		if sr == nil {
			continue
		}
		lo, hi := minMax(sr.Rates)
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", impl,
			num(sr.Median), num(lo), num(hi),
			ratioCell(r, wl, impl, implNetRPC), ratioCell(r, wl, impl, implGRPC), ratioCell(r, wl, impl, implNative))
	}
	tw.Flush()
}

func printCurve(w io.Writer, r *report, s shape) {
	fmt.Fprintf(w, "%s (median calls/s)\n", s.title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "  in flight\t")
	for _, wl := range s.loads {
		fmt.Fprintf(tw, "%d\t", wl.InFlight)
	}
	fmt.Fprintln(tw)
	for _, impl := range r.Impls {
		fmt.Fprintf(tw, "  %s\t", impl)
		for _, wl := range s.loads {
			fmt.Fprintf(tw, "%s\t", num(r.median(wl, impl)))
		}
		fmt.Fprintln(tw)
	}
	ran := map[string]bool{}
	for _, impl := range r.Impls {
		ran[impl] = true
	}
	for _, q := range [][2]string{{implNative, implNetRPC}, {implNative, implGRPC}, {implNative, implRaw}, {implBanana, implNative}} {
		if !ran[q[0]] || !ran[q[1]] {
			continue
		}
		fmt.Fprintf(tw, "  %s / %s\t", q[0], q[1])
		for _, wl := range s.loads {
			fmt.Fprintf(tw, "%s\t", ratioCell(r, wl, q[0], q[1]))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

func ratioCell(r *report, wl workload, num, den string) string {
	if num == den {
		return "1"
	}
	q := r.ratio(wl, num, den)
	if math.IsNaN(q) {
		return "-"
	}
	return fmt.Sprintf("%.2f×", q)
}

func minMax(xs []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return
}

// num formats a rate: thousands separated, one decimal below 100.
func num(x float64) string {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return "-"
	}
	if x < 100 {
		return fmt.Sprintf("%.1f", x)
	}
	s := fmt.Sprintf("%.0f", x)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
