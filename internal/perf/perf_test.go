package perf

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/chips"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/gate"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/workspace"
)

const planTOML = `
[[server]]
name = "dense"
model = "m"
chips = 1
device = "v6e-1"

[[server]]
name = "moe"
model = "m"
chips = 4
tp = 4
ep = 4

[[server]]
name = "sim"
model = "m"
chips = 4
tp = 4
command = ["tpuci-simserver"]

[perf]
baselines = "b.toml"

[[perf.case]]
name = "a"
server = "dense"
num_prompts = 1
input_len = 1
output_len = 1
max_concurrency = 1
metrics = ["median_ttft_ms"]
minutes = 3

[[perf.case]]
name = "b"
server = "moe"
num_prompts = 1
input_len = 1
output_len = 1
max_concurrency = 1
metrics = ["median_ttft_ms"]
minutes = 2

[[perf.case]]
name = "c"
server = "dense"
num_prompts = 1
input_len = 1
output_len = 1
max_concurrency = 1
metrics = ["output_throughput"]
minutes = 1
`

func names(ps []Planned) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Case.Name)
	}
	return strings.Join(out, ",")
}

func TestPlanChipsPartitionsAndGrouping(t *testing.T) {
	c, err := config.Parse("t.toml", []byte(planTOML))
	if err != nil {
		t.Fatal(err)
	}
	tpu1 := chips.Info{Count: 1, Kind: "v6e-1"}
	run, skipped, err := Plan(c, tpu1, nil, partition.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	if names(run) != "a,c" || len(skipped) != 1 || skipped[0].Case.Name != "b" || !strings.Contains(skipped[0].Reason, "needs 4 chips") {
		t.Fatalf("1-chip host: run %s, skipped %+v", names(run), skipped)
	}
	// Without TPUs every case runs; cases of one server stay together.
	cpu := chips.Info{Kind: "cpu", CPU: true}
	run, _, _ = Plan(c, cpu, nil, partition.Spec{})
	if names(run) != "a,c,b" {
		t.Fatalf("grouped order %s", names(run))
	}
	if run[0].Device != "v6e-1" || !strings.HasPrefix(run[2].Device, "cpu ") {
		t.Fatalf("devices %q %q", run[0].Device, run[2].Device)
	}
	p0, s0, _ := Plan(c, cpu, nil, partition.Spec{ID: 0, Count: 2})
	p1, _, _ := Plan(c, cpu, nil, partition.Spec{ID: 1, Count: 2})
	// Each chip count gets parts of its own: the 1-chip cases share one.
	if names(p0) != "a,c" || names(p1) != "b" || len(s0) != 1 {
		t.Fatalf("partitions %s | %s", names(p0), names(p1))
	}
	if run, _, _ := Plan(c, cpu, []string{"c"}, partition.Spec{}); names(run) != "c" {
		t.Fatalf("only: %s", names(run))
	}
	if _, _, err := Plan(c, cpu, []string{"nope"}, partition.Spec{}); err == nil || !strings.Contains(err.Error(), "a, b, c") {
		t.Fatalf("unknown case: %v", err)
	}
	if _, _, err := Plan(c, cpu, nil, partition.Spec{ID: 3, Count: 2}); err == nil {
		t.Fatal("bad partition accepted")
	}
	sim, _ := c.Server("sim")
	if d := Device(sim, tpu1); d != "sim" {
		t.Fatalf("simulator device %q", d)
	}
	if d := BaselineDevice(sim, tpu1); !strings.HasPrefix(d, "sim on cpu ") || !strings.HasSuffix(d, " cores") {
		t.Fatalf("simulator baseline device %q", d)
	}
}

func TestBenchConfigDefaults(t *testing.T) {
	cfg := BenchConfig(config.PerfCase{NumPrompts: 500, InputLen: 1024, OutputLen: 1, MaxConcurrency: 256}, "http://127.0.0.1:1", nil)
	if cfg.Backend != "sgl-jax" || cfg.RangeRatio != 1 || cfg.Warmup != 1 || !math.IsInf(cfg.RequestRate, 1) || cfg.NumPrompts != 500 {
		t.Fatalf("%+v", cfg)
	}
}

func TestDefaultConfigHasBuiltInBaselines(t *testing.T) {
	c, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	ws := &workspace.Workspace{Repo: t.TempDir(), Config: c}
	f, note, err := LoadBaselines(ws)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(note, "built-in") || f.Path != filepath.Join(ws.Repo, "tpuci/baselines/perf.toml") {
		t.Fatalf("note %q path %q", note, f.Path)
	}
	if len(c.Perf.Cases) != 6 {
		t.Fatalf("default perf matrix has %d cases", len(c.Perf.Cases))
	}
	for _, pc := range c.Perf.Cases {
		srv, _ := c.Server(pc.Server)
		dev := Device(srv, chips.Info{Count: 4, Kind: "v6e-4"})
		for _, m := range pc.Metrics {
			e, ok := f.Find(dev, pc.Name, m)
			if !ok || e.Tolerance == 0 {
				t.Errorf("no built-in baseline for %s %s %s", dev, pc.Name, m)
			}
		}
	}
	// Limits equal SGLang-JAX's hard-coded thresholds.
	j := gate.Judge{File: f, Device: "v6e-1"}
	if v := j.Check("qwen3-8b-tp1-latency", "median_ttft_ms", 51.99, 0); !v.Pass || math.Abs(v.Limit-52) > 0.01 {
		t.Fatalf("TTFT limit %v", v.Limit)
	}
	if v := j.Check("qwen3-8b-tp1-input-throughput", "input_throughput", 28299, 0); math.Abs(v.Limit-28299) > 1 {
		t.Fatalf("input throughput limit %v", v.Limit)
	}
	// A checkout with its own file uses it, without the note.
	ws.Config.Source = "tpuci.toml"
	if _, note, _ := LoadBaselines(ws); note != "" {
		t.Fatalf("note for a non-default config: %q", note)
	}
}

func TestMeasurementsSkipBrokenRuns(t *testing.T) {
	ok := &Extra{Device: "sim", NumPrompts: 4, Completed: 4, Metrics: map[string]float64{"median_ttft_ms": 40},
		Verdicts: []gate.Verdict{{Metric: "median_ttft_ms"}}}
	st := report.TargetResult{Target: "perf", Cases: []report.Case{
		{Name: "good", Status: report.Failed, Extra: ok},
		{Name: "recompiled", Status: report.Failed, Extra: &Extra{Device: "sim", NumPrompts: 4, Completed: 4, Recompilations: 2, Metrics: ok.Metrics}},
		{Name: "incomplete", Status: report.Failed, Extra: &Extra{Device: "sim", NumPrompts: 4, Completed: 3}},
	}}
	path := filepath.Join(t.TempDir(), "perf.json")
	if err := report.WriteJSON(path, st); err != nil {
		t.Fatal(err)
	}
	r, err := gate.ReadResults(path, "perf")
	if err != nil {
		t.Fatal(err)
	}
	ms, notes := Measurements(r)
	if len(ms) != 1 || ms[0] != (gate.Measurement{Device: "sim", Case: "good", Metric: "median_ttft_ms", Value: 40}) {
		t.Fatalf("measurements %+v", ms)
	}
	if len(notes) != 2 || !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, "2 recompilations") }) {
		t.Fatalf("notes %v", notes)
	}
	if _, err := gate.ReadResults(filepath.Join(t.TempDir(), "none.json"), "perf"); err == nil || !strings.Contains(err.Error(), "go tool mage perf") {
		t.Fatalf("missing results: %v", err)
	}
}
