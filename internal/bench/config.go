package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/url"
	"strings"
	"time"
)

// Config describes one benchmark run. Field names follow bench_serving's
// flags; zero values mean "off" except where noted.
type Config struct {
	BaseURL     string // http://host:port of the server, with an optional path prefix
	Backend     string // sgl-jax, sglang, sglang-native (/generate); sglang-oai, vllm, lmdeploy (/v1/completions)
	Model       string // model name; empty: the first id of GET /v1/models
	DatasetName string // "random" (default) or "random-ids"; both send synthetic token ids

	NumPrompts int
	InputLen   int     // --random-input-len
	OutputLen  int     // --random-output-len
	RangeRatio float64 // lengths are drawn from [max(int(L*r),1), L]
	VocabSize  int     // ids stay below this; 0 means 32000

	MaxConcurrency int     // 0: unlimited
	RequestRate    float64 // requests per second; <=0 or +Inf sends everything at once
	Seed           int64   // numpy-compatible seed, 0..2^32-1
	Warmup         int     // warmup requests, excluded from the metrics

	// Compat reproduces bench_serving's measurement quirks; the default
	// mode fixes them (see Result.FixedQuirks).
	Compat bool
	// FlushCache posts /flush_cache after the warmup. It is also done for
	// sgl-jax backends when SGLANG_JAX_IS_IN_CI is true, as bench_serving does.
	FlushCache bool
	Timeout    time.Duration // per request; 0: none

	DisableStream    bool
	DisableIgnoreEOS bool
	ExtraRequestBody json.RawMessage   // JSON object merged last into every payload
	Headers          map[string]string // extra HTTP headers, e.g. Authorization
	Tag              string
	OutputDetails    bool // fill the per-request result_details keys
	MaxLineBytes     int  // longest accepted stream line; 0 means 16 MiB
	// OnMeasure, when set, is called as the measured window opens (after
	// the warmup), so a caller can mark it for the server's compile
	// accounting.
	OnMeasure func(at time.Time)
	Log       io.Writer
}

type api int

const (
	apiGenerate api = iota
	apiCompletions
)

func (a api) path() string {
	if a == apiGenerate {
		return "/generate"
	}
	return "/v1/completions"
}

func backendAPI(backend string) (api, error) {
	switch backend {
	case "sgl-jax", "sglang", "sglang-native":
		return apiGenerate, nil
	case "sglang-oai", "vllm", "lmdeploy":
		return apiCompletions, nil
	case "sglang-oai-chat", "vllm-chat", "lmdeploy-chat":
		return 0, fmt.Errorf("backend %q needs text prompts but tpuci-bench sends token ids; use sglang-oai or sgl-jax", backend)
	}
	return 0, fmt.Errorf("unknown backend %q; use one of sgl-jax, sglang, sglang-native, sglang-oai, vllm, lmdeploy", backend)
}

const (
	defaultVocab        = 32000
	defaultMaxLineBytes = 16 << 20
)

// infiniteRate reports whether requests are sent all at once.
func (c *Config) infiniteRate() bool {
	return c.RequestRate <= 0 || math.IsInf(c.RequestRate, 1) || math.IsNaN(c.RequestRate)
}

// normalize fills defaults and checks every field, naming the first bad one.
func (c *Config) normalize() (api, *url.URL, error) {
	if c.Backend == "" {
		c.Backend = "sgl-jax"
	}
	a, err := backendAPI(c.Backend)
	if err != nil {
		return 0, nil, fmt.Errorf("backend: %w", err)
	}
	if c.DatasetName == "" {
		c.DatasetName = "random"
	}
	if c.DatasetName != "random" && c.DatasetName != "random-ids" {
		return 0, nil, fmt.Errorf("dataset name %q: only random and random-ids are supported (synthetic token ids, no tokenizer)", c.DatasetName)
	}
	if c.VocabSize == 0 {
		c.VocabSize = defaultVocab
	}
	if c.MaxLineBytes == 0 {
		c.MaxLineBytes = defaultMaxLineBytes
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	checks := []struct {
		bad  bool
		name string
		msg  string
	}{
		{c.NumPrompts < 1, "num prompts", "must be at least 1"},
		{c.InputLen < 1 || c.InputLen > 1<<30, "random input len", "must be between 1 and 2^30"},
		{c.OutputLen < 1 || c.OutputLen > 1<<30, "random output len", "must be between 1 and 2^30"},
		{!(c.RangeRatio >= 0 && c.RangeRatio <= 1), "random range ratio", "must be within [0, 1]"},
		{c.VocabSize < 2 || c.VocabSize > 1<<30, "vocab size", "must be between 2 and 2^30"},
		{c.MaxConcurrency < 0, "max concurrency", "must not be negative"},
		{c.Seed < 0 || c.Seed > math.MaxUint32, "seed", "must be within [0, 2^32-1] like numpy's"},
		{c.Warmup < 0, "warmup requests", "must not be negative"},
		{c.Timeout < 0, "timeout", "must not be negative"},
		{c.MaxLineBytes < 1024, "max line bytes", "must be at least 1024"},
	}
	for _, ch := range checks {
		if ch.bad {
			return 0, nil, fmt.Errorf("%s: %s", ch.name, ch.msg)
		}
	}
	if len(c.ExtraRequestBody) > 0 {
		if _, err := parseObject(c.ExtraRequestBody); err != nil {
			return 0, nil, fmt.Errorf("extra request body: %w", err)
		}
	}
	for k, v := range c.Headers {
		if !validHeader(k, v) {
			return 0, nil, fmt.Errorf("header %q: invalid name or value", k)
		}
	}
	u, err := url.Parse(strings.TrimRight(c.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return 0, nil, fmt.Errorf("base url %q: want http://host:port", c.BaseURL)
	}
	return a, u, nil
}
