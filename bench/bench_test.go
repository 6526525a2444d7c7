package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary serve, as the command does, when it is
// re-executed as a benchmark server.
func TestMain(m *testing.M) {
	if kind := os.Getenv(serverEnv); kind != "" {
		os.Exit(serve(kind))
	}
	os.Exit(m.Run())
}

// TestEveryShapeEveryImplementation runs one tiny round of every shape on
// every implementation, checking every answer in full, and renders the
// report both ways.
func TestEveryShapeEveryImplementation(t *testing.T) {
	deepCheck = true
	defer func() { deepCheck = false }()
	o, err := parseFlags([]string{"-duration", "40ms", "-warmup", "5ms", "-rounds", "1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	rep, err := runRounds(context.Background(), o, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	for _, name := range shapeNames() {
		for _, w := range shapeByName(name).loads {
			for _, impl := range implNames {
				s := rep.Results[w.String()][impl]
				if s == nil || len(s.Rates) != 1 || s.Median <= 0 {
					t.Errorf("%s on %s: %+v", impl, w, s)
				}
			}
		}
	}
	for _, tg := range rep.Targets {
		if tg.Result == "SKIP" && !strings.HasPrefix(tg.Name, "memory") {
			t.Errorf("target %q skipped: %s", tg.Name, tg.Note)
		}
	}

	var text bytes.Buffer
	printReport(&text, rep)
	for _, want := range append(shapeTitles(), "targets", "× net/rpc", "braid-banana / braid-native") {
		if !strings.Contains(text.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	if err := writeJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	var back report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Targets) != len(rep.Targets) || len(back.Results) != len(rep.Results) {
		t.Errorf("JSON lost results: %s", js.String())
	}
	t.Logf("\n%s", text.String())
}

func shapeTitles() []string {
	var ts []string
	for _, s := range shapes {
		ts = append(ts, s.title)
	}
	return ts
}

// TestRunFlags goes through the command's entry point with a narrow
// selection and -json.
func TestRunFlags(t *testing.T) {
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"-duration", "20ms", "-rounds", "2", "-shapes", "echo1", "-impls", "raw-tcp,net-rpc", "-json"}, &out, &errs)
	if err != nil {
		t.Fatalf("%v\n%s", err, errs.String())
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	s := rep.Results["int64×1"]
	if len(s) != 2 || len(s[implRaw].Rates) != 2 || len(s[implNetRPC].Rates) != 2 {
		t.Errorf("results: %s", out.String())
	}
	if q := rep.Ratios["int64×1"][implRaw]["vs_"+implNetRPC]; q <= 0 {
		t.Errorf("no raw-tcp/net-rpc ratio: %s", out.String())
	}

	for _, bad := range [][]string{{"-shapes", "nope"}, {"-impls", "corba"}, {"-rounds", "0"}, {"stray"}} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("flags %q accepted", bad)
		}
	}
}

// TestIdleMemory holds a few thousand idle Braid connections in each
// dialect and reports what each costs (go run . -idle 10000 for the real
// figure). It checks the harness, not the 16 KiB target.
func TestIdleMemory(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 200
	}
	var log bytes.Buffer
	rs, err := idleMemory(context.Background(), n, []string{"native", "banana"}, 100*time.Millisecond, "", &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	for _, r := range rs {
		if r.Conns < 1 || r.ServerAfter.Conns != r.Conns+1 || r.ServerBytes <= 0 || r.ClientBytes <= 0 {
			t.Errorf("%s: %+v", r.Dialect, r)
		}
		if r.Note != "" {
			t.Log(r.Note)
		}
	}
	var text bytes.Buffer
	printIdle(&text, rs)
	t.Logf("\n%s", text.String())
}

// TestRawRecords round-trips the raw echo's record encoding.
func TestRawRecords(t *testing.T) {
	want := append(makeRecords(3), Record{I: -5, S: "", F: -0.5}, Record{I: 1 << 40, S: strings.Repeat("é", 300), F: 1e300})
	got, err := decodeRecords(nil, appendRecords(nil, want))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d records", len(got))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if _, err := decodeRecords(nil, appendRecords(nil, want)[:20]); err == nil {
		t.Error("truncated records decoded")
	}
}
