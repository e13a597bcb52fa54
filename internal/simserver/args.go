package simserver

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrHelp is returned by ParseArgs for -h/--help after the usage was printed.
var ErrHelp = errors.New("help requested")

// CacheMissCheckEnv is the environment variable that makes recompilations fatal,
// as in SGLang-JAX.
const CacheMissCheckEnv = "SGLANG_JAX_ENABLE_CACHE_MISS_CHECK"

type flagKind int

const (
	kindString flagKind = iota
	kindInt
	kindFloat
	kindBool
	kindDuration
)

type flagSpec struct {
	kind  flagKind
	usage string
	set   func(c *Config, v string) error
}

func intFlag(usage string, dst func(*Config) *int) flagSpec {
	return flagSpec{kindInt, usage, func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("want an integer, got %q", v)
		}
		*dst(c) = n
		return nil
	}}
}

func int64Flag(usage string, dst func(*Config) *int64) flagSpec {
	return flagSpec{kindInt, usage, func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("want an integer, got %q", v)
		}
		*dst(c) = n
		return nil
	}}
}

func floatFlag(usage string, dst func(*Config) *float64) flagSpec {
	return flagSpec{kindFloat, usage, func(c *Config, v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("want a number, got %q", v)
		}
		*dst(c) = f
		return nil
	}}
}

func stringFlag(usage string, dst func(*Config) *string) flagSpec {
	return flagSpec{kindString, usage, func(c *Config, v string) error {
		*dst(c) = v
		return nil
	}}
}

func boolFlag(usage string, dst func(*Config) *bool) flagSpec {
	return flagSpec{kindBool, usage, func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false, got %q", v)
		}
		*dst(c) = b
		return nil
	}}
}

func durationFlag(usage string, dst func(*Config) *time.Duration) flagSpec {
	return flagSpec{kindDuration, usage, func(c *Config, v string) error {
		d, err := parseDuration(v)
		if err != nil {
			return err
		}
		*dst(c) = d
		return nil
	}}
}

// parseDuration accepts Go durations ("1.5s", "200ms") and bare seconds ("2").
func parseDuration(v string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("want a duration such as 2s or 500ms, got %q", v)
	}
	return d, nil
}

var knownFlags = map[string]flagSpec{
	"model-path":           stringFlag("model path reported by the info endpoints", func(c *Config) *string { return &c.ModelPath }),
	"tokenizer-path":       stringFlag("tokenizer path reported by /get_model_info", func(c *Config) *string { return &c.TokenizerPath }),
	"served-model-name":    stringFlag("model id in /v1/models (default: model path)", func(c *Config) *string { return &c.ServedModelName }),
	"host":                 stringFlag("listen host", func(c *Config) *string { return &c.Host }),
	"port":                 intFlag("listen port (0: any free port)", func(c *Config) *int { return &c.Port }),
	"tp-size":              intFlag("tensor parallel size (reported only)", func(c *Config) *int { return &c.TPSize }),
	"ep-size":              intFlag("expert parallel size (reported only)", func(c *Config) *int { return &c.EPSize }),
	"dp-size":              intFlag("data parallel size (reported only)", func(c *Config) *int { return &c.DPSize }),
	"max-running-requests": intFlag("running batch limit; more requests wait in a queue", func(c *Config) *int { return &c.MaxRunningRequests }),
	"chunked-prefill-size": intFlag("prefill token budget per step (-1: no chunking)", func(c *Config) *int { return &c.ChunkedPrefillSize }),
	"page-size":            intFlag("KV cache page size", func(c *Config) *int { return &c.PageSize }),
	"context-length":       intFlag("model context length", func(c *Config) *int { return &c.ContextLength }),
	"random-seed":          int64Flag("server random seed (default of --sim-seed)", func(c *Config) *int64 { return &c.RandomSeed }),
	"device":               stringFlag("device name (reported only)", func(c *Config) *string { return &c.Device }),
	"disable-radix-cache":  boolFlag("disable the prefix cache", func(c *Config) *bool { return &c.DisableRadixCache }),
	"skip-server-warmup":   boolFlag("accepted for compatibility", func(c *Config) *bool { return &c.SkipServerWarmup }),

	"sim-slowdown":                 floatFlag("multiply all step times (1.2 = 20% slower)", func(c *Config) *float64 { return &c.Slowdown }),
	"sim-fail-rate":                floatFlag("fraction of requests answered with HTTP 500", func(c *Config) *float64 { return &c.FailRate }),
	"sim-crash-after":              intFlag("exit with code 1 after N completed requests", func(c *Config) *int { return &c.CrashAfter }),
	"sim-recompile-every":          intFlag("every Nth request triggers a recompilation", func(c *Config) *int { return &c.RecompileEvery }),
	"sim-recompile-delay":          durationFlag("device time of one recompilation", func(c *Config) *time.Duration { return &c.RecompileDelay }),
	"sim-ready-delay":              durationFlag("health endpoints return 503 until this passed", func(c *Config) *time.Duration { return &c.ReadyDelay }),
	"sim-stamp-chunks":             boolFlag("add the send time as \"ts\" to /generate chunks (client latency checks)", func(c *Config) *bool { return &c.StampChunks }),
	"sim-never-ready":              boolFlag("health endpoints always return 503", func(c *Config) *bool { return &c.NeverReady }),
	"sim-accuracy":                 floatFlag("probability of answering an eval question correctly", func(c *Config) *float64 { return &c.Accuracy }),
	"sim-eval-data":                stringFlag("directory of MMLU *.csv and GSM8K *.jsonl files", func(c *Config) *string { return &c.EvalDataDir }),
	"sim-seed":                     int64Flag("seed of all simulated decisions (default: --random-seed)", func(c *Config) *int64 { return &c.Seed }),
	"sim-prefill-base-ms":          floatFlag("fixed cost of a prefill step", func(c *Config) *float64 { return &c.PrefillBaseMs }),
	"sim-prefill-ms-per-1k-tokens": floatFlag("prefill cost per 1000 prompt tokens", func(c *Config) *float64 { return &c.PrefillMsPer1kTokens }),
	"sim-decode-step-ms":           floatFlag("fixed cost of a decode step", func(c *Config) *float64 { return &c.DecodeStepMs }),
	"sim-decode-ms-per-seq":        floatFlag("decode cost per running sequence", func(c *Config) *float64 { return &c.DecodeMsPerSeq }),
	"sim-tokens-per-s-noise":       floatFlag("relative jitter of step times, e.g. 0.05", func(c *Config) *float64 { return &c.Noise }),
	"sim-profile-dir":              stringFlag("directory for /start_profile traces", func(c *Config) *string { return &c.ProfileDir }),
	"sim-shutdown-timeout":         durationFlag("how long SIGTERM waits for in-flight requests", func(c *Config) *time.Duration { return &c.ShutdownTimeout }),
}

// ParseArgs parses SGLang-JAX launch_server style arguments (without the
// program name). Flags the simulator does not model are accepted with their
// values and reported once on stderr. It also reads CacheMissCheckEnv.
func ParseArgs(args []string, stderr io.Writer) (Config, error) {
	if stderr == nil {
		stderr = io.Discard
	}
	cfg := DefaultConfig()
	seedSet := false
	warned := map[string]bool{}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "-h" || arg == "--help" {
			printUsage(stderr)
			return cfg, ErrHelp
		}
		if !strings.HasPrefix(arg, "-") || isNumber(arg) {
			return cfg, fmt.Errorf("parse args: unexpected argument %q: every option is a --flag, see --help", arg)
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		name = strings.ReplaceAll(name, "_", "-")
		spec, known := knownFlags[name]
		if !known {
			if !hasValue {
				for i+1 < len(args) && isValue(args[i+1]) {
					i++
				}
			}
			if !warned[name] {
				warned[name] = true
				cfg.IgnoredFlags = append(cfg.IgnoredFlags, "--"+name)
				fmt.Fprintf(stderr, "simserver: ignoring --%s: not modelled by the simulator\n", name)
			}
			continue
		}
		if !hasValue {
			if spec.kind == kindBool {
				value = "true"
			} else {
				if i+1 >= len(args) || !isValue(args[i+1]) {
					return cfg, fmt.Errorf("parse args: --%s: missing value", name)
				}
				i++
				value = args[i]
			}
		}
		seedSet = seedSet || name == "sim-seed"
		if err := spec.set(&cfg, value); err != nil {
			return cfg, fmt.Errorf("parse args: --%s: %w", name, err)
		}
	}
	if !seedSet {
		cfg.Seed = cfg.RandomSeed
	}
	switch strings.ToLower(os.Getenv(CacheMissCheckEnv)) {
	case "1", "true":
		cfg.CacheMissCheck = true
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("parse args: %w", err)
	}
	return cfg, nil
}

// Validate reports the first configuration value that cannot work.
func (c Config) Validate() error {
	checks := []struct {
		bad  bool
		flag string
		msg  string
	}{
		{c.ModelPath == "", "--model-path", "must not be empty"},
		{c.Port < 0 || c.Port > 65535, "--port", "must be within 0..65535"},
		{c.TPSize < 1, "--tp-size", "must be at least 1"},
		{c.EPSize < 1, "--ep-size", "must be at least 1"},
		{c.DPSize < 1, "--dp-size", "must be at least 1"},
		{c.MaxRunningRequests < 1, "--max-running-requests", "must be at least 1"},
		{c.PageSize < 1, "--page-size", "must be at least 1"},
		{c.ChunkedPrefillSize == 0, "--chunked-prefill-size", "must be positive or -1 (no chunking)"},
		{c.ChunkedPrefillSize > 0 && c.ChunkedPrefillSize%c.PageSize != 0, "--chunked-prefill-size", "must be a multiple of --page-size"},
		{c.ContextLength < 2, "--context-length", "must be at least 2"},
		{c.Slowdown <= 0, "--sim-slowdown", "must be positive"},
		{c.FailRate < 0 || c.FailRate > 1, "--sim-fail-rate", "must be within 0..1"},
		{c.Accuracy < 0 || c.Accuracy > 1, "--sim-accuracy", "must be within 0..1"},
		{c.CrashAfter < 0, "--sim-crash-after", "must not be negative"},
		{c.RecompileEvery < 0, "--sim-recompile-every", "must not be negative"},
		{c.RecompileDelay < 0, "--sim-recompile-delay", "must not be negative"},
		{c.ReadyDelay < 0, "--sim-ready-delay", "must not be negative"},
		{c.PrefillBaseMs < 0, "--sim-prefill-base-ms", "must not be negative"},
		{c.PrefillMsPer1kTokens < 0, "--sim-prefill-ms-per-1k-tokens", "must not be negative"},
		{c.DecodeStepMs < 0, "--sim-decode-step-ms", "must not be negative"},
		{c.DecodeMsPerSeq < 0, "--sim-decode-ms-per-seq", "must not be negative"},
		{c.Noise < 0 || c.Noise >= 1, "--sim-tokens-per-s-noise", "must be within 0..1 (exclusive)"},
		{c.ShutdownTimeout < 0, "--sim-shutdown-timeout", "must not be negative"},
	}
	for _, ch := range checks {
		if ch.bad {
			return fmt.Errorf("%s %s", ch.flag, ch.msg)
		}
	}
	return nil
}

// isValue reports whether an argument following a flag is its value rather
// than the next flag; negative numbers are values.
func isValue(s string) bool {
	return !strings.HasPrefix(s, "-") || isNumber(s)
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: tpuci-simserver [--flag value]...")
	fmt.Fprintln(w, "Simulated SGLang-JAX server. Other SGLang-JAX flags are accepted and ignored.")
	names := make([]string, 0, len(knownFlags))
	for n := range knownFlags {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  --%-30s %s\n", n, knownFlags[n].usage)
	}
	fmt.Fprintf(w, "Environment: %s=1 makes a recompilation fatal.\n", CacheMissCheckEnv)
}
