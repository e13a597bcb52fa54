// Package simserver is a simulated SGLang-JAX model server: it speaks the
// same HTTP API (native /generate, OpenAI-compatible endpoints, health and
// info endpoints) and models a continuous-batching TPU serving engine with a
// deterministic, seeded timing model. tpuci runs its perf, accuracy and
// nightly stages against it on machines without a TPU.
package simserver

import (
	"io"
	"time"
)

// Config holds everything the simulator needs. ParseArgs builds it from
// SGLang-JAX launch_server style flags; DefaultConfig gives the defaults.
type Config struct {
	// Flags mirrored from python -m sgl_jax.launch_server.
	ModelPath          string
	TokenizerPath      string
	ServedModelName    string
	Host               string
	Port               int
	TPSize             int
	EPSize             int
	DPSize             int
	MaxRunningRequests int
	ChunkedPrefillSize int // <= 0 disables chunking
	PageSize           int
	ContextLength      int
	RandomSeed         int64
	Device             string
	DisableRadixCache  bool
	SkipServerWarmup   bool
	// IgnoredFlags lists the SGLang-JAX flags that were accepted but are not modelled.
	IgnoredFlags []string

	// CacheMissCheck mirrors SGLANG_JAX_ENABLE_CACHE_MISS_CHECK: a recompilation
	// fails the request and stops the server with an error.
	CacheMissCheck bool

	// Simulator knobs (--sim-*).
	Slowdown             float64       // multiplies every step time
	FailRate             float64       // fraction of requests answered with HTTP 500
	CrashAfter           int           // stop with ErrCrashed after N completed requests (0: never)
	StampChunks          bool          // add "ts" (Unix ns send time) to /generate chunks
	RecompileEvery       int           // every Nth request triggers a recompilation (0: never)
	RecompileDelay       time.Duration // device time one recompilation costs
	ReadyDelay           time.Duration // health endpoints answer 503 until this passed
	NeverReady           bool          // health endpoints always answer 503
	Accuracy             float64       // probability of answering a known eval question correctly
	EvalDataDir          string        // MMLU CSV / GSM8K JSONL files
	Seed                 int64         // seeds every simulated decision
	PrefillBaseMs        float64       // fixed cost of a prefill step
	PrefillMsPer1kTokens float64       // prefill cost per 1000 computed prompt tokens
	DecodeStepMs         float64       // fixed cost of a decode step
	DecodeMsPerSeq       float64       // decode cost per running sequence
	Noise                float64       // relative uniform jitter of step times
	ProfileDir           string        // default output dir of /start_profile traces
	ShutdownTimeout      time.Duration // how long SIGTERM waits for in-flight requests

	// Log receives the start, ready and error lines; nil means io.Discard.
	Log io.Writer
}

// Defaults resembling one TPU v6e chip serving an 8B dense model: a lone
// 1024-token prompt has a TTFT of about 47 ms, prefill runs at about 29k
// tokens/s with 4096-token chunks, ITL is about 10 ms at batch 1 and about
// 74 ms at batch 256 (about 3.5k output tokens/s).
const (
	DefaultModelPath            = "Qwen/Qwen3-8B"
	DefaultPort                 = 30000
	DefaultMaxRunningRequests   = 256
	DefaultChunkedPrefillSize   = 4096
	DefaultContextLength        = 40960
	DefaultRandomSeed           = 42
	DefaultPrefillBaseMs        = 16
	DefaultPrefillMsPer1kTokens = 30
	DefaultDecodeStepMs         = 10
	DefaultDecodeMsPerSeq       = 0.25
	DefaultRecompileDelay       = 2 * time.Second
	DefaultShutdownTimeout      = 10 * time.Second
)

// DefaultConfig returns the configuration used when no flag is given.
func DefaultConfig() Config {
	return Config{
		ModelPath:            DefaultModelPath,
		Host:                 "127.0.0.1",
		Port:                 DefaultPort,
		TPSize:               1,
		EPSize:               1,
		DPSize:               1,
		MaxRunningRequests:   DefaultMaxRunningRequests,
		ChunkedPrefillSize:   DefaultChunkedPrefillSize,
		PageSize:             1,
		ContextLength:        DefaultContextLength,
		RandomSeed:           DefaultRandomSeed,
		Device:               "tpu",
		Slowdown:             1,
		Accuracy:             1,
		Seed:                 DefaultRandomSeed,
		RecompileDelay:       DefaultRecompileDelay,
		PrefillBaseMs:        DefaultPrefillBaseMs,
		PrefillMsPer1kTokens: DefaultPrefillMsPer1kTokens,
		DecodeStepMs:         DefaultDecodeStepMs,
		DecodeMsPerSeq:       DefaultDecodeMsPerSeq,
		ShutdownTimeout:      DefaultShutdownTimeout,
	}
}

func (c Config) servedName() string {
	if c.ServedModelName != "" {
		return c.ServedModelName
	}
	return c.ModelPath
}

func (c Config) tokenizerPath() string {
	if c.TokenizerPath != "" {
		return c.TokenizerPath
	}
	return c.ModelPath
}
