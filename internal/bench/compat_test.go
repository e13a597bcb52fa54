package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/proc"
)

// TestCompatWithBenchServing runs SGLang-JAX's bench_serving.py (offline,
// with the stubs in testdata/compat) and this client in compat mode against
// the same mock server and workload, and compares every numeric key of
// bench_serving's result. Set TPUCI_SGLANG_JAX to an SGLang-JAX checkout
// (git clone https://github.com/sgl-project/sglang-jax); its
// python/sgl_jax/bench_serving.py is run. TPUCI_PYTHON overrides the interpreter
// (/usr/bin/python3, which needs python3-aiohttp, -numpy, -requests, -tqdm
// and -pil).
func TestCompatWithBenchServing(t *testing.T) {
	python, script := benchServing(t)
	scenarios := []struct {
		name    string
		backend string
		args    []string
		cfg     func(*Config)
	}{
		{"generate-poisson", "sgl-jax",
			[]string{"--dataset-name", "random-ids", "--tokenize-prompt", "--num-prompts", "16", "--random-input-len", "64",
				"--random-output-len", "16", "--random-range-ratio", "0.5", "--request-rate", "8", "--max-concurrency", "4", "--seed", "5"},
			func(c *Config) {
				c.DatasetName, c.NumPrompts, c.InputLen, c.OutputLen, c.RangeRatio = "random-ids", 16, 64, 16, 0.5
				c.RequestRate, c.MaxConcurrency, c.Seed = 8, 4, 5
			}},
		{"completions-burst", "sglang-oai",
			[]string{"--dataset-name", "random-ids", "--num-prompts", "12", "--random-input-len", "32",
				"--random-output-len", "12", "--random-range-ratio", "1", "--max-concurrency", "3", "--seed", "11"},
			func(c *Config) {
				c.DatasetName, c.NumPrompts, c.InputLen, c.OutputLen, c.RangeRatio = "random-ids", 12, 32, 12, 1
				c.RequestRate, c.MaxConcurrency, c.Seed = math.Inf(1), 3, 11
			}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			m := &mockServer{ttft: 200 * time.Millisecond, itl: 20 * time.Millisecond}
			srv := m.start(t)
			py := runBenchServing(t, python, script, append([]string{"--backend", sc.backend, "--base-url", srv.URL,
				"--tokenizer", "stub", "--warmup-requests", "1", "--disable-tqdm"}, sc.args...))
			cfg := Config{BaseURL: srv.URL, Backend: sc.backend, Warmup: 1, Compat: true}
			sc.cfg(&cfg)
			goRes, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			compareResults(t, py, goRes)
		})
	}
}

// benchServing returns the interpreter and bench_serving.py to compare
// with, or skips the test when TPUCI_SGLANG_JAX is not set.
func benchServing(t *testing.T) (python, script string) {
	t.Helper()
	root := os.Getenv("TPUCI_SGLANG_JAX")
	if testing.Short() || root == "" {
		t.Skip("set TPUCI_SGLANG_JAX to an SGLang-JAX checkout (and not -short) to compare with its bench_serving.py")
	}
	script = filepath.Join(root, "python", "sgl_jax", "bench_serving.py")
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("TPUCI_SGLANG_JAX=%s: %v (point it at an SGLang-JAX checkout)", root, err)
	}
	python = os.Getenv("TPUCI_PYTHON")
	if python == "" {
		python = "/usr/bin/python3"
	}
	t.Setenv("SGLANG_JAX_IS_IN_CI", "false")
	return python, script
}

func runBenchServing(t *testing.T, python, script string, args []string) map[string]any {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bench_serving.json")
	runner, err := filepath.Abs("testdata/compat/run_bench_serving.py")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var logs strings.Builder
	_, err = proc.Run(ctx, proc.Cmd{Argv: append([]string{python, runner, script, out}, args...),
		Env: []string{"PYTHONDONTWRITEBYTECODE=1"}, Stdout: &logs})
	if err != nil {
		t.Fatalf("bench_serving: %v\n%s", err, logs.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("bench_serving result: %v\n%s", err, logs.String())
	}
	var res map[string]any
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatalf("bench_serving result: %v", err)
	}
	return res
}

// compareResults checks every numeric bench_serving key: within 2% of the
// larger value, plus an absolute allowance for latency keys (1 ms; 3 ms for
// std and p95/p99) because with a constant-latency server those keys
// measure the two clients' own scheduling jitter, which for bench_serving
// on a busy 2-core machine reaches a few milliseconds at p99.
func compareResults(t *testing.T, py map[string]any, goRes *Result) {
	t.Helper()
	keys := make([]string, 0, len(py))
	for k := range py {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var report strings.Builder
	checked := 0
	for _, k := range keys {
		pv, ok := py[k].(float64)
		if !ok {
			continue
		}
		gv, ok := goRes.Metric(k)
		if !ok {
			t.Errorf("%s: bench_serving has %v, tpuci has no value", k, pv)
			continue
		}
		checked++
		tol := 0.02 * math.Max(math.Abs(pv), math.Abs(gv))
		switch {
		case strings.HasSuffix(k, "_ms") && (strings.HasPrefix(k, "std_") || strings.HasPrefix(k, "p9")):
			tol += 3
		case strings.HasSuffix(k, "_ms"):
			tol += 1
		}
		diff := gv - pv
		status := "ok"
		if math.Abs(diff) > tol {
			status = "MISMATCH"
			t.Errorf("%s: bench_serving %.4f, tpuci %.4f (diff %.4f > tol %.4f)", k, pv, gv, diff, tol)
		}
		fmt.Fprintf(&report, "%-34s %14.4f %14.4f %8.2f%% %s\n", k, pv, gv, 100*diff/math.Max(math.Abs(pv), 1e-12), status)
	}
	if checked < 30 {
		t.Errorf("only %d numeric keys compared", checked)
	}
	t.Logf("%-34s %14s %14s %9s\n%s", "key", "bench_serving", "tpuci", "diff", report.String())
}
