package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func baseConfig(url string) Config {
	return Config{
		BaseURL: url, Backend: "sgl-jax", NumPrompts: 8, InputLen: 32, OutputLen: 10, RangeRatio: 1,
		MaxConcurrency: 4, Seed: 1, Warmup: 1, Timeout: 30 * time.Second,
	}
}

func run(t *testing.T, cfg Config) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatalf("marshal result: %v", err)
	}
	if s := string(b); strings.Contains(s, "NaN") || strings.Contains(s, "Infinity") {
		t.Fatalf("result JSON holds NaN/Infinity: %s", s)
	}
	return res
}

func within(t *testing.T, name string, got, lo, hi float64) {
	t.Helper()
	if got < lo || got > hi {
		t.Errorf("%s = %.3f, want within [%.3f, %.3f]", name, got, lo, hi)
	}
}

// atLeast checks a lower bound that the mock server's own sleeps
// guarantee on any machine, however busy: a token cannot arrive before
// the server has waited for it. Upper bounds depend on the host's speed
// and are never asserted.
func atLeast(t *testing.T, name string, got, lo float64) {
	t.Helper()
	if !(got >= lo) {
		t.Errorf("%s = %.3f, want at least %.3f (the mock server waits that long)", name, got, lo)
	}
}

// consistent checks that the latency figures add up whatever the
// machine's speed: with itls gaps per request, the time to the last
// token is the time to the first plus the gaps.
func consistent(t *testing.T, res *Result, itls int) {
	t.Helper()
	if res.MeanE2ELastTokenMs == nil {
		t.Fatal("no mean_e2e_last_token_ms")
	}
	want := res.MeanTTFTMs + float64(itls)*res.MeanITLMs
	if d := *res.MeanE2ELastTokenMs - want; d > 0.01*want+0.01 || d < -0.01*want-0.01 {
		t.Errorf("mean last-token latency %.3f ms != mean TTFT %.3f + %d x mean ITL %.3f", *res.MeanE2ELastTokenMs, res.MeanTTFTMs, itls, res.MeanITLMs)
	}
	if !(res.MedianITLMs >= 0) || !(res.MeanITLMs > 0) {
		t.Errorf("ITLs: median %.3f mean %.3f", res.MedianITLMs, res.MeanITLMs)
	}
}

func TestRunGenerateTimings(t *testing.T) {
	m := &mockServer{ttft: 40 * time.Millisecond, itl: 8 * time.Millisecond}
	srv := m.start(t)
	for _, compat := range []bool{false, true} {
		t.Run(fmt.Sprintf("compat=%v", compat), func(t *testing.T) {
			before, _, _, _ := m.stats()
			cfg := baseConfig(srv.URL)
			cfg.Compat = compat
			cfg.OutputDetails = true
			res := run(t, cfg)
			if res.Completed != 8 || res.Failed != 0 {
				t.Fatalf("completed %d failed %d: %+v", res.Completed, res.Failed, res.Failures)
			}
			if res.TotalInputTokens != 256 || res.TotalOutputTokens != 80 || res.TotalOutputTokensRetokenized != 80 {
				t.Fatalf("tokens in %d out %d", res.TotalInputTokens, res.TotalOutputTokens)
			}
			// Server: TTFT 40 ms, ITL 8 ms, 10 tokens.
			atLeast(t, "median_ttft_ms", res.MedianTTFTMs, 40)
			atLeast(t, "median_e2e_latency_ms", *res.MedianE2ELatencyMs, 40+9*8)
			consistent(t, res, 9)
			if !(res.MeanTPOTMs > 0) || !(res.Concurrency > 0 && res.Concurrency <= 4.01) {
				t.Errorf("mean_tpot_ms %.3f, concurrency %.3f (at most 4 requests in flight)", res.MeanTPOTMs, res.Concurrency)
			}
			if res.PeakConcurrencyExact < 1 || res.PeakConcurrencyExact > 4 {
				t.Errorf("peak_concurrency_exact %d, want 1..4", res.PeakConcurrencyExact)
			}
			if len(res.ITLs) != 8 || len(res.ITLs[0]) != 9 || len(res.InputLens) != 8 {
				t.Errorf("details: %d itl lists, first has %d", len(res.ITLs), len(res.ITLs[0]))
			}
			after, peak, _, bodies := m.stats()
			if after-before != 9 {
				t.Errorf("server saw %d generate requests, want 8 + 1 warmup", after-before)
			}
			if peak > 4 && !compat {
				t.Errorf("server saw %d concurrent requests with --max-concurrency 4 (warmup is separate)", peak)
			}
			warm := bodies[before]
			sp := warm["sampling_params"].(map[string]any)
			if sp["max_new_tokens"].(float64) != 10 || sp["ignore_eos"] != true || warm["stream"] != true {
				t.Errorf("warmup payload %v", warm)
			}
			norm := cfg
			norm.normalize()
			specs, _ := buildPrompts(&norm)
			wid, fid := int(warm["input_ids"].([]any)[0].(float64)), specs[0].firstID
			if compat == (wid != fid) {
				t.Errorf("compat=%v: warmup first id %v, request first id %v", compat, wid, fid)
			}
			if compat {
				if res.Mode != "compat" || slices.Contains(res.FixedQuirks, QuirkPerRequestConnection) {
					t.Errorf("compat mode %q quirks %v", res.Mode, res.FixedQuirks)
				}
			} else if res.Mode != "default" || !slices.Contains(res.FixedQuirks, QuirkPerRequestConnection) ||
				!slices.Contains(res.FixedQuirks, QuirkErrorChunkSuccess) {
				t.Errorf("default mode %q quirks %v", res.Mode, res.FixedQuirks)
			}
			if v, ok := res.Metric("median_ttft_ms"); !ok || v != res.MedianTTFTMs {
				t.Errorf("Metric(median_ttft_ms) = %v, %v", v, ok)
			}
			if string(res.ServerInfo) == "" || res.AcceptLength != nil {
				t.Errorf("server info %s accept %v", res.ServerInfo, res.AcceptLength)
			}
		})
	}
}

func TestRunCoalescedChunks(t *testing.T) {
	m := &mockServer{ttft: 20 * time.Millisecond, itl: 4 * time.Millisecond, tokensPerChunk: 3}
	srv := m.start(t)
	cfg := baseConfig(srv.URL)
	cfg.OutputLen = 10
	res := run(t, cfg)
	// Chunks carry tokens 3,6,9,10: TTFT covers 3 tokens, 7 ITL entries.
	if res.Completed != 8 || res.TotalOutputTokens != 80 {
		t.Fatalf("completed %d output %d", res.Completed, res.TotalOutputTokens)
	}
	within(t, "chunks_per_token", res.ChunksPerToken, 0.4, 0.4)
	atLeast(t, "median_ttft_ms", res.MedianTTFTMs, 20)
	atLeast(t, "median_e2e_latency_ms", *res.MedianE2ELatencyMs, 20+3*4)
}

func TestRunServerInfoWindow(t *testing.T) {
	m := &mockServer{ttft: 5 * time.Millisecond, itl: 2 * time.Millisecond, infoDelay: 300 * time.Millisecond}
	srv := m.start(t)
	cfg := baseConfig(srv.URL)
	cfg.NumPrompts, cfg.Warmup = 4, 0
	def := run(t, cfg)
	if def.Duration != def.DurationExclServerInfo {
		t.Errorf("default duration %.3f includes server info (excl %.3f)", def.Duration, def.DurationExclServerInfo)
	}
	cfg.Compat = true
	cmp := run(t, cfg)
	if cmp.Duration-cmp.DurationExclServerInfo < 0.3 {
		t.Errorf("compat duration %.3f should include the 0.3 s /get_server_info (excl %.3f)", cmp.Duration, cmp.DurationExclServerInfo)
	}
	if slices.Contains(cmp.FixedQuirks, QuirkServerInfoInDuration) || !slices.Contains(def.FixedQuirks, QuirkServerInfoInDuration) {
		t.Errorf("quirk lists: default %v compat %v", def.FixedQuirks, cmp.FixedQuirks)
	}
}

func TestRunCompletions(t *testing.T) {
	// The server stops after 6 tokens although 10 are requested.
	m := &mockServer{ttft: 10 * time.Millisecond, itl: 3 * time.Millisecond, maxTokens: 6}
	srv := m.start(t)
	cfg := baseConfig(srv.URL)
	cfg.Backend = "sglang-oai"
	def := run(t, cfg)
	if def.Completed != 8 || def.TotalOutputTokens != 48 || def.UsageMissing != 0 {
		t.Fatalf("default: completed %d output %d usage missing %d %v", def.Completed, def.TotalOutputTokens, def.UsageMissing, def.Failures)
	}
	_, _, _, bodies := m.stats()
	last := bodies[len(bodies)-1]
	if last["model"] != "mock-model" || last["max_tokens"].(float64) != 10 || last["stream_options"] == nil {
		t.Fatalf("default payload %v", last)
	}
	atLeast(t, "median_e2e_latency_ms", *def.MedianE2ELatencyMs, 10+5*3)
	consistent(t, def, 5)
	cfg.Compat = true
	cmp := run(t, cfg)
	// bench_serving counts the requested tokens when no usage arrives.
	if cmp.Completed != 8 || cmp.TotalOutputTokens != 80 {
		t.Fatalf("compat: completed %d output %d", cmp.Completed, cmp.TotalOutputTokens)
	}
}

func TestRunFailures(t *testing.T) {
	m := &mockServer{ttft: 5 * time.Millisecond, itl: 2 * time.Millisecond}
	var base atomic.Int64
	m.fail = func(n int) string {
		switch n - int(base.Load()) {
		case 3:
			return "http500"
		case 5:
			return "error-chunk"
		case 7:
			return "abort"
		}
		return ""
	}
	srv := m.start(t)
	for _, compat := range []bool{false, true} {
		reqs, _, _, _ := m.stats()
		base.Store(int64(reqs))
		cfg := baseConfig(srv.URL)
		cfg.Compat, cfg.Warmup, cfg.MaxConcurrency = compat, 0, 1
		res := run(t, cfg)
		want := map[bool]int{false: 3, true: 2}[compat] // compat counts the error chunk as a success
		if res.Failed != want || res.Completed != 8-want || len(res.Failures) != want {
			t.Fatalf("compat=%v: failed %d completed %d failures %+v", compat, res.Failed, res.Completed, res.Failures)
		}
		if !strings.Contains(res.Failures[0].Error, "HTTP 500") || res.Failures[0].Request != 2 {
			t.Errorf("first failure %+v", res.Failures[0])
		}
		if !compat && !strings.Contains(res.Failures[1].Error, "mock mid-stream failure") {
			t.Errorf("second failure %+v", res.Failures[1])
		}
	}
}

func TestRunAllFailed(t *testing.T) {
	m := &mockServer{fail: func(int) string { return "http500" }}
	srv := m.start(t)
	cfg := baseConfig(srv.URL)
	cfg.Warmup = 0
	res := run(t, cfg)
	if res.Completed != 0 || res.Failed != 8 || res.MeanE2ELatencyMs != nil || res.MeanTTFTMs != 0 {
		t.Fatalf("all failed: %+v", res)
	}
	cfg.Warmup = 2
	_, err := Run(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "warmup: all 2 requests") || !strings.Contains(err.Error(), "HTTP 500") {
		t.Fatalf("warmup failure error: %v", err)
	}
}

func TestRunUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	cfg := baseConfig(url)
	if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "model lookup") {
		t.Fatalf("unreachable without --model: %v", err)
	}
	cfg.Model = "m"
	if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "warmup") {
		t.Fatalf("unreachable with warmup: %v", err)
	}
}

func TestRunPoissonSchedule(t *testing.T) {
	m := &mockServer{ttft: time.Millisecond, itl: time.Millisecond}
	srv := m.start(t)
	cfg := baseConfig(srv.URL)
	cfg.NumPrompts, cfg.OutputLen, cfg.MaxConcurrency, cfg.Warmup = 20, 2, 0, 0
	cfg.RequestRate, cfg.Seed = 40, 7
	specsCfg := cfg
	specsCfg.normalize()
	_, rng := buildPrompts(&specsCfg)
	gaps := arrivalIntervals(rng, cfg.RequestRate, cfg.NumPrompts, false)
	planned := plannedArrivals(gaps, cfg.NumPrompts)
	def := run(t, cfg)
	if def.Completed != 20 || def.RequestRate != 40 {
		t.Fatalf("completed %d rate %v", def.Completed, def.RequestRate)
	}
	last := planned[len(planned)-1]
	atLeast(t, "default duration", def.Duration, last)
	if def.P99ScheduleLagMs < 0 || def.MeanClientQueueMs < 0 {
		t.Errorf("schedule lag p99 %.2f ms, queue %.2f ms", def.P99ScheduleLagMs, def.MeanClientQueueMs)
	}
	cfg.Compat = true
	cmp := run(t, cfg)
	// Compat sleeps every gap sequentially, the last one included.
	atLeast(t, "compat duration", cmp.Duration, sum(gaps))
}

func TestRunFlushAndHeaders(t *testing.T) {
	m := &mockServer{ttft: time.Millisecond, itl: time.Millisecond}
	srv := m.start(t)
	cfg := baseConfig(srv.URL)
	cfg.NumPrompts, cfg.FlushCache = 2, true
	cfg.ExtraRequestBody = json.RawMessage(`{"stream": true, "rid": null, "sampling_params": {"max_new_tokens": 3, "temperature": 0}}`)
	cfg.Headers = map[string]string{"Authorization": "Bearer x"}
	res := run(t, cfg)
	_, _, flushes, bodies := m.stats()
	if flushes != 1 {
		t.Fatalf("flushes %d, want 1", flushes)
	}
	// The extra body overrides sampling_params, so 3 tokens are generated.
	if res.TotalOutputTokens != 6 {
		t.Fatalf("output tokens %d, want 6 from the overriding extra body", res.TotalOutputTokens)
	}
	if _, ok := bodies[len(bodies)-1]["rid"]; !ok {
		t.Fatalf("extra key missing: %v", bodies[len(bodies)-1])
	}
}

func TestRunConfigErrors(t *testing.T) {
	good := baseConfig("http://127.0.0.1:1")
	cases := []struct {
		mut  func(*Config)
		want string
	}{
		{func(c *Config) { c.NumPrompts = 0 }, "num prompts"},
		{func(c *Config) { c.InputLen = 0 }, "random input len"},
		{func(c *Config) { c.RangeRatio = 1.5 }, "random range ratio"},
		{func(c *Config) { c.Seed = -1 }, "seed"},
		{func(c *Config) { c.Backend = "tgi" }, "unknown backend"},
		{func(c *Config) { c.Backend = "vllm-chat" }, "token ids"},
		{func(c *Config) { c.BaseURL = "localhost:3000" }, "base url"},
		{func(c *Config) { c.DatasetName = "sharegpt" }, "dataset name"},
		{func(c *Config) { c.ExtraRequestBody = json.RawMessage(`[1]`) }, "extra request body"},
		{func(c *Config) { c.Headers = map[string]string{"X-A": "a\r\nb"} }, "header"},
	}
	for _, tc := range cases {
		c := good
		tc.mut(&c)
		_, err := Run(context.Background(), c)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "bench: config: ") {
			t.Errorf("want error naming %q, got %v", tc.want, err)
		}
	}
}

// A server that closes every connection after one response without saying
// so: reused keep-alive connections fail and must be redialled.
func TestKeepAliveRedial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				body := "data: {\"text\":\"a\",\"meta_info\":{\"completion_tokens\":1}}\n\ndata: [DONE]\n\n"
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
			}()
		}
	}()
	cfg := baseConfig("http://" + ln.Addr().String())
	cfg.Model, cfg.OutputLen, cfg.MaxConcurrency, cfg.NumPrompts = "m", 1, 1, 5
	res := run(t, cfg)
	if res.Completed != 5 {
		t.Fatalf("completed %d: %+v", res.Completed, res.Failures)
	}
	if conns.Load() < 6 {
		t.Fatalf("server saw %d connections, want a new one per request", conns.Load())
	}
}

func TestCapacitySmall(t *testing.T) {
	m := &mockServer{ttft: 2 * time.Millisecond, itl: 2 * time.Millisecond}
	srv := m.start(t)
	rep, err := Capacity(context.Background(), srv.URL, 4, 400*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Chunks == 0 || rep.TSSamples == 0 || rep.Requests < 4 || rep.DelayP99 <= 0 || rep.CPUPerChunkUs <= 0 {
		t.Fatalf("capacity report: %+v", rep)
	}
	if math.IsNaN(rep.ChunksPerSec) || !strings.Contains(rep.String(), "chunks/s") {
		t.Fatalf("report text: %s", rep)
	}
}

func TestRunTimeoutAndCancel(t *testing.T) {
	// The server would answer after a minute; the bounds below are far
	// from both the timeouts and that minute, so any host meets them.
	m := &mockServer{ttft: time.Minute, itl: time.Millisecond}
	srv := m.start(t)
	cfg := baseConfig(srv.URL)
	cfg.NumPrompts, cfg.Warmup, cfg.Timeout = 2, 0, 200*time.Millisecond
	start := time.Now()
	res := run(t, cfg)
	if res.Failed != 2 || !strings.Contains(res.Failures[0].Error, "timeout") {
		t.Fatalf("timeouts: %+v", res.Failures)
	}
	if time.Since(start) > 30*time.Second {
		t.Fatalf("per-request timeout not applied: run took %s", time.Since(start))
	}

	cfg.Timeout = 0
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err := Run(ctx, cfg)
	if err == nil || !strings.Contains(err.Error(), "context deadline exceeded") || time.Since(start) > 30*time.Second {
		t.Fatalf("cancel: err %v after %s", err, time.Since(start))
	}
}
