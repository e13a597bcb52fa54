package perf

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/bench"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/proc"
	"github.com/sgl-project/tpuci/internal/server"
	"github.com/sgl-project/tpuci/internal/textline"
)

// ClientOptions configure ClientBench.
type ClientOptions struct {
	Streams      int           // concurrent streams (default 256)
	Duration     time.Duration // capacity window (default 10s)
	LogDir       string        // the simulator's log
	BinDir       string        // where the simulator is built
	BenchServing string        // path of bench_serving.py to compare with; empty: no comparison
	Python       string        // interpreter of bench_serving.py
}

// ClientBench measures tpuci's own bench client: it starts the simulator
// with a fixed 10 ms decode step (Streams x 100 chunks/s, 25.6k/s at 256
// streams, the worst chunk rate of SGLang-JAX's gates), runs
// bench.Capacity and prints its figures. With BenchServing set it then
// runs the same workload through bench_serving.py and through this
// client in compat mode, and prints both.
func ClientBench(ctx context.Context, w io.Writer, o ClientOptions) error {
	if o.Streams <= 0 {
		o.Streams = 256
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	mgr := server.NewManager(server.Options{LogDir: o.LogDir, BinDir: o.BinDir, Log: w})
	defer mgr.Close()
	sim := &config.Server{Name: "client-bench", Model: "tpuci/capacity", TP: 1, Command: []string{server.SimCommand},
		Args: []string{"--max-running-requests", strconv.Itoa(o.Streams), "--sim-decode-step-ms", "10",
			"--sim-decode-ms-per-seq", "0", "--sim-stamp-chunks=true", "--disable-radix-cache"},
		ReadyTimeout: config.Duration{Duration: time.Minute}}
	off := false
	sim.CacheMiss = &off
	in, err := mgr.Get(ctx, sim)
	if err != nil {
		return fmt.Errorf("bench:client: %w", err)
	}
	fmt.Fprintf(w, "tpuci bench client capacity: %d streams for %s against the simulator (10 ms per decode step)\n", o.Streams, o.Duration)
	rep, err := bench.Capacity(ctx, in.BaseURL, o.Streams, o.Duration)
	if err != nil {
		return fmt.Errorf("bench:client: %w", err)
	}
	fmt.Fprint(w, rep.String())
	if o.BenchServing == "" {
		fmt.Fprintln(w, "(set TPUCI_BENCH_SERVING=/path/to/bench_serving.py to compare with SGLang-JAX's client)")
		return nil
	}
	return compareBenchServing(ctx, w, o, in.BaseURL)
}

// compareBenchServing runs one workload through bench_serving.py and
// through this client (compat mode) and prints the figures side by side.
func compareBenchServing(ctx context.Context, w io.Writer, o ClientOptions, baseURL string) error {
	if o.Python == "" {
		return fmt.Errorf("bench:client: TPUCI_BENCH_SERVING needs a python: set TPUCI_PYTHON")
	}
	n := 2 * o.Streams
	out := filepath.Join(o.LogDir, "bench_serving.jsonl")
	_ = os.Remove(out)
	argv := []string{o.Python, o.BenchServing, "--backend", "sgl-jax", "--base-url", baseURL,
		"--dataset-name", "random-ids", "--num-prompts", strconv.Itoa(n), "--random-input-len", "16",
		"--random-output-len", "256", "--random-range-ratio", "1", "--max-concurrency", strconv.Itoa(o.Streams),
		"--request-rate", "inf", "--seed", "1", "--output-file", out}
	fmt.Fprintf(w, "\nsame workload (%d requests, 16/256 tokens, concurrency %d):\n$ %s\n", n, o.Streams, proc.Quote(argv))
	var logs bytes.Buffer
	start := time.Now()
	if _, err := proc.Run(ctx, proc.Cmd{Argv: argv, Timeout: 10 * time.Minute, Stdout: &logs}); err != nil {
		return fmt.Errorf("bench:client: bench_serving.py: %v: %s", err, textline.Tail(logs.String(), 5))
	}
	pyWall := time.Since(start)
	data, err := os.ReadFile(out)
	if err != nil {
		return fmt.Errorf("bench:client: bench_serving.py wrote no result: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	// bench_serving may write Infinity/NaN, which Go's decoder rejects.
	clean := strings.NewReplacer("-Infinity", "null", "Infinity", "null", "NaN", "null").Replace(lines[len(lines)-1])
	var py map[string]any
	if err := json.Unmarshal([]byte(clean), &py); err != nil {
		return fmt.Errorf("bench:client: bench_serving.py result: %w", err)
	}
	start = time.Now()
	res, err := bench.Run(ctx, bench.Config{BaseURL: baseURL, Backend: "sgl-jax", DatasetName: "random-ids", NumPrompts: n,
		InputLen: 16, OutputLen: 256, RangeRatio: 1, MaxConcurrency: o.Streams, RequestRate: math.Inf(1), Seed: 1, Warmup: 1, Compat: true})
	if err != nil {
		return fmt.Errorf("bench:client: %w", err)
	}
	goWall := time.Since(start)
	fmt.Fprintf(w, "%-28s %14s %14s\n", "", "bench_serving", "tpuci-bench")
	for _, k := range []string{"completed", "output_throughput", "median_ttft_ms", "p99_ttft_ms", "median_itl_ms", "p99_itl_ms", "duration"} {
		g, _ := res.Metric(k)
		p, _ := py[k].(float64)
		fmt.Fprintf(w, "%-28s %14.2f %14.2f\n", k, p, g)
	}
	fmt.Fprintf(w, "%-28s %14s %14s\n", "wall time (incl. startup)", pyWall.Round(time.Millisecond), goWall.Round(time.Millisecond))
	return nil
}
