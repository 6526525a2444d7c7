// Command bench is Braid's cross-implementation benchmark: Braid in both
// dialects, Go's net/rpc, gRPC-go and a hand-written raw TCP echo, on the
// same shapes, each server in its own process, one client connection per
// implementation, measured in interleaved rounds so that the ratios come
// from one run. See README.md.
//
//	cd bench && go run .                  # every shape, 3 rounds of 1s
//	go run . -shapes echo1,echo64 -rounds 5
//	go run . -idle 10000                  # memory per idle connection
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

func main() {
	if kind := os.Getenv(serverEnv); kind != "" {
		os.Exit(serve(kind))
	}
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	duration time.Duration
	warmup   time.Duration
	rounds   int
	shapes   []string
	impls    []string
	json     bool
	idle     int
	idleDial []string
	settle   time.Duration
	profile  string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.duration, "duration", time.Second, "length of one measurement")
	fs.DurationVar(&o.warmup, "warmup", 0, "calls made and discarded before each measurement (default duration/10)")
	fs.IntVar(&o.rounds, "rounds", 3, "interleaved rounds of every shape × implementation; the table shows the median")
	shapes := fs.String("shapes", strings.Join(shapeNames(), ","), "comma-separated shapes: "+strings.Join(shapeNames(), ", "))
	impls := fs.String("impls", strings.Join(implNames, ","), "comma-separated implementations: "+strings.Join(implNames, ", "))
	fs.BoolVar(&o.json, "json", false, "print the results as JSON instead of tables")
	fs.IntVar(&o.idle, "idle", 0, "instead of the throughput rounds, hold this many idle Braid connections and report the memory each costs")
	idleDial := fs.String("idle-dialects", "native,banana", "dialects measured by -idle: native, banana")
	fs.DurationVar(&o.settle, "idle-settle", time.Second, "how long the -idle connections sit untouched before memory is read")
	fs.StringVar(&o.profile, "idle-heapprofile", "", "with -idle, write pprof heap profiles of both processes to PREFIX-DIALECT-{server,client}.pprof")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run . [flags]   (in bench/; from the repository root: go -C bench run . [flags])\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.rounds < 1 {
		return o, fmt.Errorf("-rounds must be at least 1")
	}
	if o.duration <= 0 {
		return o, fmt.Errorf("-duration must be positive")
	}
	if o.warmup <= 0 {
		o.warmup = o.duration / 10
	}
	var err error
	if o.shapes, err = pickList("shape", *shapes, shapeNames()); err != nil {
		return o, err
	}
	if o.impls, err = pickList("implementation", *impls, implNames); err != nil {
		return o, err
	}
	if o.idleDial, err = pickList("dialect", *idleDial, []string{"native", "banana"}); err != nil {
		return o, err
	}
	return o, nil
}

// pickList splits a comma-separated flag and checks every entry is known,
// keeping the order of known.
func pickList(what, s string, known []string) ([]string, error) {
	want := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		ok := false
		for _, k := range known {
			ok = ok || k == f
		}
		if !ok {
			return nil, fmt.Errorf("unknown %s %q (known: %s)", what, f, strings.Join(known, ", "))
		}
		want[f] = true
	}
	var out []string
	for _, k := range known {
		if want[k] {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no %s selected", what)
	}
	return out, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.idle > 0 {
		res, err := idleMemory(ctx, o.idle, o.idleDial, o.settle, o.profile, stderr)
		if err != nil {
			return err
		}
		if o.json {
			return writeJSON(stdout, map[string]any{"machine": describeMachine(), "idle": res})
		}
		printIdle(stdout, res)
		return nil
	}
	rep, err := runRounds(ctx, o, stderr)
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(stdout, rep)
	}
	printReport(stdout, rep)
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
