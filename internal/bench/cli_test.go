package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func runMain(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := Main(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestMainBadFlags(t *testing.T) {
	cases := map[string][]string{
		"num-prompts":           {"--num-prompts", "many"},
		"flag provided but not": {"--no-such-flag"},
		"random range ratio":    {"--random-range-ratio", "2"},
		"--request-rate":        {"--request-rate", "fast"},
		"unexpected argument":   {"extra"},
		"want K=V":              {"--header", "novalue"},
		"unknown backend":       {"--backend", "tgi"},
	}
	for want, args := range cases {
		code, _, stderr := runMain(args...)
		if code != 2 || !strings.HasPrefix(stderr, "tpuci-bench: ") || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, want) {
			t.Errorf("%v: code %d stderr %q, want exit 2 and one line naming %q", args, code, stderr, want)
		}
	}
	if code, stdout, _ := runMain("--help"); code != 0 || !strings.Contains(stdout, "--random-input-len") && !strings.Contains(stdout, "-random-input-len") {
		t.Errorf("--help: code %d stdout %q", code, stdout)
	}
}

func TestMainUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close()
	out := filepath.Join(t.TempDir(), "r.jsonl")
	code, _, stderr := runMain("--host", "127.0.0.1", "--port", itoa(addr.Port), "--num-prompts", "2", "--output-file", out)
	if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "is the server up") {
		t.Fatalf("code %d stderr %q", code, stderr)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestMainWritesResult(t *testing.T) {
	m := &mockServer{ttft: 2 * time.Millisecond, itl: time.Millisecond}
	srv := m.start(t)
	out := filepath.Join(t.TempDir(), "r.jsonl")
	args := []string{"--backend", "sgl-jax", "--base-url", srv.URL, "--dataset-name", "random",
		"--num-prompts", "4", "--random-input-len", "16", "--random-output-len", "4", "--random-range-ratio", "1",
		"--max-concurrency", "2", "--seed", "42", "--warmup-requests", "1", "--output-file", out,
		"--tokenize-prompt", "--disable-tqdm", "--tag", "t1"}
	for range 2 {
		code, stdout, stderr := runMain(args...)
		if code != 0 {
			t.Fatalf("code %d stderr %s", code, stderr)
		}
		if !strings.Contains(stdout, "==== Serving Benchmark Result ====") || !strings.Contains(stdout, "Median TTFT (ms):") {
			t.Fatalf("stdout table missing: %s", stdout)
		}
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 appended lines, got %d", len(lines))
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &got); err != nil {
		t.Fatal(err)
	}
	if got["request_rate"] != "inf" || got["completed"] != float64(4) || got["tag"] != "t1" || got["max_concurrency"] != float64(2) {
		t.Fatalf("result keys: %v", got)
	}
	for _, k := range []string{"median_ttft_ms", "median_itl_ms", "input_throughput", "output_throughput", "fixed_quirks", "mode", "p99_schedule_lag_ms"} {
		if _, ok := got[k]; !ok {
			t.Errorf("key %s missing", k)
		}
	}
	var res Result
	if err := json.Unmarshal([]byte(lines[0]), &res); err != nil {
		t.Fatalf("result does not round-trip: %v", err)
	}
	if v, ok := res.Metric("completed"); !ok || v != 4 {
		t.Fatalf("round-tripped completed = %v", v)
	}
}

func TestMainAllFailedExitsNonZero(t *testing.T) {
	m := &mockServer{fail: func(int) string { return "http500" }}
	srv := m.start(t)
	out := filepath.Join(t.TempDir(), "r.jsonl")
	code, _, stderr := runMain("--base-url", srv.URL, "--num-prompts", "2", "--warmup-requests", "0",
		"--random-input-len", "4", "--random-output-len", "2", "--output-file", out)
	if code != 1 || !strings.Contains(stderr, "all 2 requests failed") {
		t.Fatalf("code %d stderr %q", code, stderr)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatalf("result not written for a failed run: %v", err)
	}
}
