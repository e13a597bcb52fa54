package bench

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// The golden vector of the bench doc §1.8, produced by bench_serving's own
// calculate_metrics.
func TestCalculateMetricsGolden(t *testing.T) {
	lat := func(ttft float64, itl []float64) float64 { return ttft + sum(itl) + 0.001 }
	a := &requestOutput{success: true, sent: true, promptLen: 128, outputLen: 4, start: 100.0, ttft: 0.050, itl: []float64{0.010, 0.012, 0.011}}
	a.latency = lat(a.ttft, a.itl)
	b := &requestOutput{success: true, sent: true, promptLen: 128, outputLen: 4, start: 100.2, ttft: 0.080, itl: []float64{0.020, 0.010, 0.030}}
	b.latency = lat(b.ttft, b.itl)
	c := &requestOutput{promptLen: 128, outputLen: 4, err: "boom"}
	m := calculateMetrics([]*requestOutput{a, b, c}, 0.5)

	ints := []struct {
		name      string
		got, want int
	}{
		{"completed", m.completed, 2}, {"total_input", m.totalInput, 256}, {"total_output", m.totalOutput, 8},
		{"max_concurrent_requests", m.maxConcurrentRequests, 2},
	}
	for _, c := range ints {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	floats := []struct {
		name      string
		got, want float64
	}{
		{"request_throughput", m.requestThroughput, 4.0},
		{"input_throughput", m.inputThroughput, 512.0},
		{"output_throughput", m.outputThroughput, 16.0},
		{"total_throughput", m.totalThroughput, 528.0},
		{"mean_ttft_ms", m.ttft.mean, 65.0},
		{"median_ttft_ms", m.ttft.median, 65.0},
		{"std_ttft_ms", m.ttft.std, 15.0},
		{"p99_ttft_ms", m.ttft.p99, 79.7},
		{"mean_tpot_ms", m.tpot.mean, 15.833333333333334},
		{"std_tpot_ms", m.tpot.std, 4.5},
		{"p99_tpot_ms", m.tpot.p99, 20.243333333333336},
		{"mean_itl_ms", m.itl.mean, 15.5},
		{"median_itl_ms", m.itl.median, 11.5},
		{"std_itl_ms", m.itl.std, 7.342796924},
		{"p95_itl_ms", m.itl.p95, 27.5},
		{"p99_itl_ms", m.itl.p99, 29.5},
		{"max_itl_ms", m.itl.max, 30.0},
		{"mean_e2e_latency_ms", m.e2e.mean, 112.5},
		{"std_e2e_latency_ms", m.e2e.std, 28.5},
		{"p90_e2e_latency_ms", m.e2e.p90, 135.3},
		{"p99_e2e_latency_ms", m.e2e.p99, 140.43},
		{"concurrency", m.concurrency, 0.45},
		{"max_output_tokens_per_s", m.maxOutputTokensPerS, 8},
	}
	for _, c := range floats {
		if math.Abs(c.got-c.want) > 1e-6 {
			t.Errorf("%s = %.10g, want %.10g", c.name, c.got, c.want)
		}
	}
	if m.outputLens[2] != 0 || m.outputLens[0] != 4 {
		t.Errorf("output lens = %v, want [4 4 0]", m.outputLens)
	}
}

func TestStatsEdgeCases(t *testing.T) {
	if s := summarizeMs(nil); s != (summary{}) {
		t.Fatalf("empty summary = %+v, want zeros (bench_serving's `or 0`)", s)
	}
	s := summarizeMs([]float64{0.004})
	if !near(s.mean, 4) || !near(s.median, 4) || s.std != 0 || !near(s.p99, 4) {
		t.Fatalf("one sample: %+v", s)
	}
	s = summarizeMs([]float64{0.003, 0.001})
	if !near(s.median, 2) || !near(s.std, 1) || !near(s.p90, 2.8) || !near(s.p99, 2.98) {
		t.Fatalf("two samples: %+v", s)
	}
	if p := percentileSorted([]float64{1, 2, 3, 4, 10}, 99); !near(p, 9.76) {
		t.Fatalf("p99 = %v, want numpy's 9.76", p)
	}
	if p := percentileSorted([]float64{0.01, 0.01, 0.011, 0.012, 0.02, 0.03}, 95); !near(p, 0.0275) {
		t.Fatalf("p95 = %v, want numpy's 0.0275", p)
	}
}

func TestPeakConcurrency(t *testing.T) {
	// Two back-to-back requests inside one second: the bucket estimate says
	// 2, the sweep line 1.
	outs := []*requestOutput{
		{sent: true, success: true, start: 10.0, latency: 0.4, ttft: 0.1},
		{sent: true, success: true, start: 10.4, latency: 0.4, ttft: 0.1},
		{sent: true, start: 10.9, end: 11.0, err: "x"},
	}
	_, bucket := bucketPeaks(outs)
	if bucket != 2 {
		t.Fatalf("bucket peak = %d, want 2", bucket)
	}
	if exact := exactPeakConcurrency(outs); exact != 1 {
		t.Fatalf("exact peak = %d, want 1", exact)
	}
	outs[1].start = 10.3
	if exact := exactPeakConcurrency(outs); exact != 2 {
		t.Fatalf("overlapping exact peak = %d, want 2", exact)
	}
}

func TestResultMetricAndJSON(t *testing.T) {
	r := &Result{MedianTTFTMs: 12.5, InputThroughput: 1000, Completed: 3, RequestRate: Rate(math.Inf(1))}
	if v, ok := r.Metric("median_ttft_ms"); !ok || v != 12.5 {
		t.Fatalf("median_ttft_ms = %v, %v", v, ok)
	}
	if v, ok := r.Metric("input_throughput"); !ok || v != 1000 {
		t.Fatalf("input_throughput = %v, %v", v, ok)
	}
	if v, ok := r.Metric("completed"); !ok || v != 3 {
		t.Fatalf("completed = %v, %v", v, ok)
	}
	if v, ok := r.Metric("request_rate"); !ok || !math.IsInf(v, 1) {
		t.Fatalf("request_rate = %v, %v", v, ok)
	}
	if _, ok := r.Metric("mean_e2e_latency_ms"); ok {
		t.Fatal("null e2e metric reported as present")
	}
	if _, ok := r.Metric("backend"); ok {
		t.Fatal("string key reported as a metric")
	}
	if _, ok := r.Metric("no_such_key"); ok {
		t.Fatal("unknown key reported as a metric")
	}
}
