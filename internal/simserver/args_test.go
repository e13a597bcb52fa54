package simserver

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseArgsLaunchServerProfile(t *testing.T) {
	t.Setenv(CacheMissCheckEnv, "")
	var stderr bytes.Buffer
	args := strings.Fields(`--model-path Qwen/Qwen3-32B --trust-remote-code --tp-size 4 --ep-size=2
		--dtype bfloat16 --mem-fraction-static 0.8 --max-running-requests 128 --chunked-prefill-size 2048
		--page-size 64 --context-length 8192 --random-seed 3 --device tpu --download-dir /tmp/x
		--skip-server-warmup --precompile-token-paddings 1024 2048 4096 --attention-backend fa
		--disable-radix-cache --host 127.0.0.1 --port 30001 --dtype float32 --sim-slowdown 1.2
		--sim-ready-delay 1.5 --sim-recompile-every 10 --sim-tokens-per-s-noise 0.05 --swa-full-tokens-ratio -1`)
	cfg, err := ParseArgs(args, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"model", cfg.ModelPath, "Qwen/Qwen3-32B"},
		{"tp", cfg.TPSize, 4},
		{"ep", cfg.EPSize, 2},
		{"max running", cfg.MaxRunningRequests, 128},
		{"chunk", cfg.ChunkedPrefillSize, 2048},
		{"page", cfg.PageSize, 64},
		{"context", cfg.ContextLength, 8192},
		{"random seed", cfg.RandomSeed, int64(3)},
		{"sim seed defaults to random seed", cfg.Seed, int64(3)},
		{"port", cfg.Port, 30001},
		{"radix", cfg.DisableRadixCache, true},
		{"warmup", cfg.SkipServerWarmup, true},
		{"slowdown", cfg.Slowdown, 1.2},
		{"ready delay", cfg.ReadyDelay, 1500 * time.Millisecond},
		{"recompile", cfg.RecompileEvery, 10},
		{"noise", cfg.Noise, 0.05},
		{"cache miss check", cfg.CacheMissCheck, false},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	wantIgnored := []string{"--trust-remote-code", "--dtype", "--mem-fraction-static", "--download-dir", "--precompile-token-paddings", "--attention-backend", "--swa-full-tokens-ratio"}
	if strings.Join(cfg.IgnoredFlags, " ") != strings.Join(wantIgnored, " ") {
		t.Errorf("ignored flags = %v, want %v", cfg.IgnoredFlags, wantIgnored)
	}
	if n := strings.Count(stderr.String(), "--dtype"); n != 1 {
		t.Errorf("--dtype warned %d times, want once:\n%s", n, stderr.String())
	}
}

func TestParseArgsSeedAndEnv(t *testing.T) {
	t.Setenv(CacheMissCheckEnv, "1")
	cfg, err := ParseArgs([]string{"--random-seed", "5", "--sim-seed", "9"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RandomSeed != 5 || cfg.Seed != 9 || !cfg.CacheMissCheck {
		t.Errorf("random seed %d, sim seed %d, cache miss check %v; want 5, 9, true", cfg.RandomSeed, cfg.Seed, cfg.CacheMissCheck)
	}
	cfg, err = ParseArgs(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "127.0.0.1" || cfg.Port != DefaultPort || cfg.Seed != DefaultRandomSeed || cfg.Accuracy != 1 {
		t.Errorf("defaults = %+v", cfg)
	}
}

func TestParseArgsErrors(t *testing.T) {
	t.Setenv(CacheMissCheckEnv, "")
	cases := map[string]struct {
		args []string
		want string
	}{
		"bad int":        {[]string{"--port", "abc"}, `--port: want an integer, got "abc"`},
		"missing value":  {[]string{"--model-path"}, "--model-path: missing value"},
		"value is flag":  {[]string{"--tp-size", "--port", "1"}, "--tp-size: missing value"},
		"positional":     {[]string{"serve"}, `unexpected argument "serve"`},
		"bad duration":   {[]string{"--sim-ready-delay", "soon"}, "want a duration"},
		"bad rate":       {[]string{"--sim-fail-rate", "1.5"}, "--sim-fail-rate must be within 0..1"},
		"bad chunk":      {[]string{"--chunked-prefill-size", "100", "--page-size", "64"}, "multiple of --page-size"},
		"bad bool":       {[]string{"--disable-radix-cache=maybe"}, "want true or false"},
		"zero max reqs":  {[]string{"--max-running-requests", "0"}, "--max-running-requests must be at least 1"},
		"negative crash": {[]string{"--sim-crash-after", "-1"}, "--sim-crash-after must not be negative"},
	}
	for name, tc := range cases {
		_, err := ParseArgs(tc.args, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "parse args: ") {
			t.Errorf("%s: error %v, want one containing %q", name, err, tc.want)
		}
	}
	var help bytes.Buffer
	if _, err := ParseArgs([]string{"--help"}, &help); !errors.Is(err, ErrHelp) || !strings.Contains(help.String(), "--sim-slowdown") {
		t.Errorf("--help: %v, usage %q", err, help.String())
	}
}
