package bench

import (
	"context"
	"net"
	"testing"

	"github.com/sgl-project/tpuci/internal/simserver"
)

// TestCompatOnSimulator runs bench_serving.py and tpuci's client in compat
// mode one after the other against one simulated SGLang-JAX server and
// compares every metric (see compareResults). Keys that do not measure
// the run are left out: total_output_tokens_retokenized depends on the
// stub tokenizer, and max_concurrent_requests / max_output_tokens_per_s
// are per-second bucket estimates whose edges fall on different requests
// in two runs.
func TestCompatOnSimulator(t *testing.T) {
	python, script := benchServing(t)
	cfg, err := simserver.ParseArgs([]string{"--disable-radix-cache", "--sim-seed", "1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := simserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Serve(ctx, ln)
	url := "http://" + ln.Addr().String()
	py := runBenchServing(t, python, script, []string{"--backend", "sgl-jax", "--base-url", url, "--tokenizer", "stub",
		"--disable-tqdm", "--warmup-requests", "1", "--dataset-name", "random-ids", "--tokenize-prompt",
		"--num-prompts", "200", "--random-input-len", "512", "--random-output-len", "128", "--random-range-ratio", "0.5",
		"--request-rate", "20", "--max-concurrency", "32", "--seed", "3"})
	for _, k := range []string{"total_output_tokens_retokenized", "max_concurrent_requests", "max_output_tokens_per_s"} {
		delete(py, k)
	}
	res, err := Run(context.Background(), Config{BaseURL: url, Backend: "sgl-jax", Warmup: 1, Compat: true,
		DatasetName: "random-ids", NumPrompts: 200, InputLen: 512, OutputLen: 128, RangeRatio: 0.5,
		RequestRate: 20, MaxConcurrency: 32, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	compareResults(t, py, res)
}
