package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// Result is one run's outcome. The first block of keys, in order, is
// bench_serving's result dict; the keys after it are tpuci extras; the
// result_details keys are filled only with Config.OutputDetails. No value is
// ever NaN or Inf: statistics of an empty sample are 0 (bench_serving's
// `or 0` guard) or null for the end-to-end latency, which bench_serving
// cannot compute at all then.
type Result struct {
	Tag               *string         `json:"tag"`
	Backend           string          `json:"backend"`
	DatasetName       string          `json:"dataset_name"`
	RequestRate       Rate            `json:"request_rate"`
	MaxConcurrency    *int            `json:"max_concurrency"`
	SharegptOutputLen *int            `json:"sharegpt_output_len"`
	RandomInputLen    int             `json:"random_input_len"`
	RandomOutputLen   int             `json:"random_output_len"`
	RandomRangeRatio  float64         `json:"random_range_ratio"`
	ServerInfo        json.RawMessage `json:"server_info"`

	Duration                     float64 `json:"duration"`
	Completed                    int     `json:"completed"`
	TotalInputTokens             int     `json:"total_input_tokens"`
	TotalInputTextTokens         int     `json:"total_input_text_tokens"`
	TotalInputVisionTokens       int     `json:"total_input_vision_tokens"`
	TotalOutputTokens            int     `json:"total_output_tokens"`
	TotalOutputTokensRetokenized int     `json:"total_output_tokens_retokenized"`
	TotalCachedTokens            int     `json:"total_cached_tokens"`
	CacheHitRate                 float64 `json:"cache_hit_rate"`
	RequestThroughput            float64 `json:"request_throughput"`
	InputThroughput              float64 `json:"input_throughput"`
	OutputThroughput             float64 `json:"output_throughput"`
	TotalThroughput              float64 `json:"total_throughput"`

	MeanE2ELatencyMs   *float64 `json:"mean_e2e_latency_ms"`
	MedianE2ELatencyMs *float64 `json:"median_e2e_latency_ms"`
	StdE2ELatencyMs    *float64 `json:"std_e2e_latency_ms"`
	P90E2ELatencyMs    *float64 `json:"p90_e2e_latency_ms"`
	P99E2ELatencyMs    *float64 `json:"p99_e2e_latency_ms"`
	MeanTTFTMs         float64  `json:"mean_ttft_ms"`
	MedianTTFTMs       float64  `json:"median_ttft_ms"`
	StdTTFTMs          float64  `json:"std_ttft_ms"`
	P99TTFTMs          float64  `json:"p99_ttft_ms"`
	MeanTPOTMs         float64  `json:"mean_tpot_ms"`
	MedianTPOTMs       float64  `json:"median_tpot_ms"`
	StdTPOTMs          float64  `json:"std_tpot_ms"`
	P99TPOTMs          float64  `json:"p99_tpot_ms"`
	MeanITLMs          float64  `json:"mean_itl_ms"`
	MedianITLMs        float64  `json:"median_itl_ms"`
	StdITLMs           float64  `json:"std_itl_ms"`
	P95ITLMs           float64  `json:"p95_itl_ms"`
	P99ITLMs           float64  `json:"p99_itl_ms"`

	Concurrency           float64  `json:"concurrency"`
	AcceptLength          *float64 `json:"accept_length"`
	MaxOutputTokensPerS   float64  `json:"max_output_tokens_per_s"`
	MaxConcurrentRequests int      `json:"max_concurrent_requests"` // bench_serving's bucket estimate (over-counts)

	// tpuci extras.
	Mode        string   `json:"mode"`         // "default" or "compat"
	FixedQuirks []string `json:"fixed_quirks"` // bench_serving quirks this run fixed
	NumPrompts  int      `json:"num_prompts"`
	Seed        int64    `json:"seed"`
	Warmup      int      `json:"warmup_requests"`

	Failed          int       `json:"failed"`
	Failures        []Failure `json:"failures"`         // first failures with reasons
	FailuresOmitted int       `json:"failures_omitted"` // failures beyond the list

	P90TTFTMs            float64 `json:"p90_ttft_ms"`
	P95TTFTMs            float64 `json:"p95_ttft_ms"`
	MaxITLMs             float64 `json:"max_itl_ms"`
	PeakConcurrencyExact int     `json:"peak_concurrency_exact"`

	// E2E to the last token-bearing line instead of the last line ([DONE]).
	MeanE2ELastTokenMs   *float64 `json:"mean_e2e_last_token_ms"`
	MedianE2ELastTokenMs *float64 `json:"median_e2e_last_token_ms"`
	P99E2ELastTokenMs    *float64 `json:"p99_e2e_last_token_ms"`

	// Latencies measured from the planned arrival time instead of the send
	// time: they include queueing behind --max-concurrency and dispatch
	// lateness (corrected for coordinated omission).
	MeanTTFTFromScheduleMs   float64  `json:"mean_ttft_from_schedule_ms"`
	MedianTTFTFromScheduleMs float64  `json:"median_ttft_from_schedule_ms"`
	P99TTFTFromScheduleMs    float64  `json:"p99_ttft_from_schedule_ms"`
	MeanE2EFromScheduleMs    *float64 `json:"mean_e2e_latency_from_schedule_ms"`
	MedianE2EFromScheduleMs  *float64 `json:"median_e2e_latency_from_schedule_ms"`
	P99E2EFromScheduleMs     *float64 `json:"p99_e2e_latency_from_schedule_ms"`

	// Time spent waiting for a --max-concurrency slot.
	MeanClientQueueMs   float64 `json:"mean_client_queue_ms"`
	MedianClientQueueMs float64 `json:"median_client_queue_ms"`
	P99ClientQueueMs    float64 `json:"p99_client_queue_ms"`
	MaxClientQueueMs    float64 `json:"max_client_queue_ms"`
	// Actual send time minus planned arrival time (queueing included).
	MeanScheduleLagMs   float64 `json:"mean_schedule_lag_ms"`
	MedianScheduleLagMs float64 `json:"median_schedule_lag_ms"`
	P99ScheduleLagMs    float64 `json:"p99_schedule_lag_ms"`
	MaxScheduleLagMs    float64 `json:"max_schedule_lag_ms"`

	DurationExclServerInfo float64  `json:"duration_excl_server_info"`
	ClientCPUSeconds       float64  `json:"client_cpu_seconds"` // whole process, getrusage
	ChunksPerToken         float64  `json:"chunks_per_token"`
	UsageMissing           int      `json:"usage_missing"` // OpenAI responses without usage (requested length counted)
	Retokenized            bool     `json:"retokenized"`   // always false: no tokenizer
	Warnings               []string `json:"warnings"`

	// result_details (Config.OutputDetails).
	InputLens      []int       `json:"input_lens,omitempty"`
	OutputLens     []int       `json:"output_lens,omitempty"`
	CachedTokens   []int       `json:"cached_tokens,omitempty"`
	TTFTs          []float64   `json:"ttfts,omitempty"`
	ITLs           [][]float64 `json:"itls,omitempty"`
	GeneratedTexts []string    `json:"generated_texts,omitempty"` // empty strings: text is scanned, not kept
	Errors         []string    `json:"errors,omitempty"`
}

// Failure is one failed request and why it failed.
type Failure struct {
	Request int    `json:"request"`
	Error   string `json:"error"`
}

// Rate is a request rate; +Inf (send all at once) is written as "inf".
type Rate float64

func (r Rate) MarshalJSON() ([]byte, error) {
	f := float64(r)
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return []byte(`"inf"`), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

func (r *Rate) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "inf" || s == "Infinity" {
		*r = Rate(math.Inf(1))
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("request rate %q: %w", s, err)
	}
	*r = Rate(f)
	return nil
}

var (
	metricFieldsOnce sync.Once
	metricFields     map[string]int
)

// Metric returns a numeric value by its JSON key, e.g. "median_ttft_ms" or
// "input_throughput". ok is false for unknown or non-numeric keys and for
// null values.
func (r *Result) Metric(name string) (float64, bool) {
	metricFieldsOnce.Do(func() {
		metricFields = map[string]int{}
		t := reflect.TypeFor[Result]()
		for i := range t.NumField() {
			tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			metricFields[tag] = i
		}
	})
	i, ok := metricFields[name]
	if !ok || r == nil {
		return 0, false
	}
	v := reflect.ValueOf(r).Elem().Field(i)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return 0, false
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int64:
		return float64(v.Int()), true
	case reflect.Float64:
		return v.Float(), true
	case reflect.Bool:
		if v.Bool() {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// WriteTable prints bench_serving's human summary with the same labels and
// layout, so log scrapers keep working, followed by the tpuci extras.
func (r *Result) WriteTable(w io.Writer) {
	line := func(label string, v any) {
		switch x := v.(type) {
		case float64:
			fmt.Fprintf(w, "%-40s %-10.2f\n", label, x)
		case *float64:
			if x == nil {
				fmt.Fprintf(w, "%-40s %-10s\n", label, "n/a")
			} else {
				fmt.Fprintf(w, "%-40s %-10.2f\n", label, *x)
			}
		default:
			fmt.Fprintf(w, "%-40s %-10v\n", label, x)
		}
	}
	fmt.Fprintln(w, "\n"+center(" Serving Benchmark Result ", 50, '='))
	line("Backend:", r.Backend)
	if math.IsInf(float64(r.RequestRate), 1) {
		line("Traffic request rate:", "inf")
	} else {
		line("Traffic request rate:", float64(r.RequestRate))
	}
	if r.MaxConcurrency != nil {
		line("Max request concurrency:", *r.MaxConcurrency)
	} else {
		line("Max request concurrency:", "not set")
	}
	line("Successful requests:", r.Completed)
	line("Benchmark duration (s):", r.Duration)
	line("Total input tokens:", r.TotalInputTokens)
	line("Total input text tokens:", r.TotalInputTextTokens)
	line("Total generated tokens:", r.TotalOutputTokens)
	line("Total generated tokens (retokenized):", r.TotalOutputTokensRetokenized)
	line("Total cached tokens:", r.TotalCachedTokens)
	fmt.Fprintf(w, "%-40s %-10.4f\n", "Cache hit rate:", r.CacheHitRate)
	line("Request throughput (req/s):", r.RequestThroughput)
	line("Input token throughput (tok/s):", r.InputThroughput)
	line("Output token throughput (tok/s):", r.OutputThroughput)
	line("Peak output token throughput (tok/s):", r.MaxOutputTokensPerS)
	line("Peak concurrent requests:", r.MaxConcurrentRequests)
	line("Total token throughput (tok/s):", r.TotalThroughput)
	line("Concurrency:", r.Concurrency)
	if r.AcceptLength != nil && *r.AcceptLength != 0 {
		line("Accept length:", *r.AcceptLength)
	}
	fmt.Fprintln(w, center("End-to-End Latency", 50, '-'))
	line("Mean E2E Latency (ms):", r.MeanE2ELatencyMs)
	line("Median E2E Latency (ms):", r.MedianE2ELatencyMs)
	line("P90 E2E Latency (ms):", r.P90E2ELatencyMs)
	line("P99 E2E Latency (ms):", r.P99E2ELatencyMs)
	fmt.Fprintln(w, center("Time to First Token", 50, '-'))
	line("Mean TTFT (ms):", r.MeanTTFTMs)
	line("Median TTFT (ms):", r.MedianTTFTMs)
	line("P99 TTFT (ms):", r.P99TTFTMs)
	fmt.Fprintln(w, center("Time per Output Token (excl. 1st token)", 50, '-'))
	line("Mean TPOT (ms):", r.MeanTPOTMs)
	line("Median TPOT (ms):", r.MedianTPOTMs)
	line("P99 TPOT (ms):", r.P99TPOTMs)
	fmt.Fprintln(w, center("Inter-Token Latency", 50, '-'))
	line("Mean ITL (ms):", r.MeanITLMs)
	line("Median ITL (ms):", r.MedianITLMs)
	line("P95 ITL (ms):", r.P95ITLMs)
	line("P99 ITL (ms):", r.P99ITLMs)
	line("Max ITL (ms):", r.MaxITLMs)
	fmt.Fprintln(w, center("tpuci client", 50, '-'))
	line("Mode:", r.Mode)
	line("Failed requests:", r.Failed)
	line("Peak concurrent requests (exact):", r.PeakConcurrencyExact)
	line("P99 client queue (ms):", r.P99ClientQueueMs)
	line("P99 schedule lag (ms):", r.P99ScheduleLagMs)
	line("Median TTFT from schedule (ms):", r.MedianTTFTFromScheduleMs)
	line("Client CPU (s):", r.ClientCPUSeconds)
	fmt.Fprintln(w, strings.Repeat("=", 50))
	for _, wn := range r.Warnings {
		fmt.Fprintln(w, "warning:", wn)
	}
}

// center pads s on both sides like Python's "{:c^n}" (extra pad on the right).
func center(s string, n int, c byte) string {
	pad := n - len(s)
	if pad <= 0 {
		return s
	}
	left := pad / 2
	return strings.Repeat(string(c), left) + s + strings.Repeat(string(c), pad-left)
}
