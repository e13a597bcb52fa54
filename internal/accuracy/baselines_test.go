package accuracy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBuiltinBaselinesRoundTrip(t *testing.T) {
	b, err := ParseBaselines("builtin", builtinBaselines)
	if err != nil {
		t.Fatal(err)
	}
	if b.AllowedDrop != 0.02 || len(b.Entries) != 2 {
		t.Fatalf("parsed %+v", b)
	}
	e, ok := b.Find(Key{Model: "Qwen/Qwen3-8B", Device: "v6e-1", Dataset: "mmlu", Samples: 200})
	if !ok || e.Score != 0.698 {
		t.Errorf("Qwen3-8B baseline: %+v %v", e, ok)
	}
	if got := string(b.Render()); got != string(builtinBaselines) {
		t.Errorf("Render changes the built-in file:\n%s", got)
	}
}

func TestExampleBaselinesParse(t *testing.T) {
	b, err := LoadBaselines("../example/repo/tpuci/baselines/accuracy.toml", false)
	if err != nil || b.Builtin || len(b.Entries) == 0 {
		t.Fatalf("%v %+v", err, b)
	}
}

func TestBaselineErrorsNameFileAndField(t *testing.T) {
	cases := []struct{ content, want string }{
		{"allowed_drop = 0.02\n[[baseline]]\nmodel = \"m\"\ndevice = \"d\"\ndataset = \"mmlu\"\nsamples = 1\nscore = 1.5\n", "baseline[0] (m on d, mmlu n=1): score must be a fraction in [0, 1], not 1.5"},
		{"[[baseline]]\nmodel = \"m\"\ndevice = \"d\"\ndataset = \"mmlu\"\nscroe = 0.5\n", `bad.toml:5:1: unknown field "baseline.scroe"`},
		{"[[baseline]]\nmodel = \"m\"\ndataset = \"mmlu\"\nscore = 0.5\n", "model, device and dataset are all required"},
		{"allowed_drop = 2\n", "allowed_drop must be in [0, 1)"},
		{"[[baseline]]\nmodel = \"m\"\ndevice = \"d\"\ndataset = \"mmlu\"\nscore = 0.5\nallowed_drop = -1\n", "allowed_drop must be in [0, 1)"},
		{"[[baseline]]\nmodel = \"m\"\ndevice = \"d\"\ndataset = \"x\"\nscore = 0.5\n[[baseline]]\nmodel = \"m\"\ndevice = \"d\"\ndataset = \"x\"\nscore = 0.6\n", "baseline[1] (m on d, x (all)): duplicate of baseline[0]"},
		{"score = = 1\n", "bad.toml:1:"},
	}
	for _, c := range cases {
		p := filepath.Join(t.TempDir(), "bad.toml")
		os.WriteFile(p, []byte(c.content), 0o644)
		_, err := LoadBaselines(p, true)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) || strings.Contains(err.Error(), "\n") {
			t.Errorf("content %q: error %v, want one line naming %s with %q", c.content, err, p, c.want)
		}
	}
}

func TestMissingBaselinesFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "tpuci", "baselines", "accuracy.toml")
	b, err := LoadBaselines(p, true)
	if err != nil || !b.Builtin || b.Path != p || len(b.Entries) != 2 {
		t.Fatalf("with built-in: %v %+v", err, b)
	}
	b, err = LoadBaselines(p, false)
	if err != nil || b.Builtin || len(b.Entries) != 0 || b.AllowedDrop != DefaultAllowedDrop {
		t.Fatalf("without: %v %+v", err, b)
	}
}

func drop(f float64) *float64 { return &f }

func TestJudge(t *testing.T) {
	b := &Baselines{Path: "b.toml", AllowedDrop: 0.02, Entries: []Baseline{
		{Model: "m", Device: "v6e-1", Dataset: "mmlu", Samples: 200, Score: 0.70},
		{Model: "m", Device: "v6e-1", Dataset: "gsm8k", Score: 0.92, AllowedDrop: drop(0)},
	}}
	mmlu := Key{Model: "m", Device: "v6e-1", Dataset: "mmlu", Samples: 200}
	cases := []struct {
		score  float64
		status string
		margin float64
	}{
		{0.72, Pass, 0.04},
		{0.68, Pass, 0}, // exactly at the threshold
		{0.675, Fail, -0.005},
		{137.0 / 200, Pass, 0.005},
		{135.0 / 200, Fail, -0.005},
	}
	for _, c := range cases {
		v := Judge(c.score, 0.03, mmlu, b)
		if v.Status != c.status || abs(*v.Threshold-0.68) > 1e-12 || *v.Baseline != 0.70 || v.AllowedDrop != 0.02 || abs(*v.Margin-c.margin) > 1e-9 {
			t.Errorf("score %v: %+v", c.score, v)
		}
		for _, want := range []string{"baseline 0.7000", "allowed drop 0.0200", "threshold 0.6800", "margin"} {
			if !strings.Contains(v.Message, want) {
				t.Errorf("message %q lacks %q", v.Message, want)
			}
		}
	}
	// A per-entry allowed drop (nightly style) overrides the file's.
	g := Judge(0.919, 0.01, Key{Model: "m", Device: "v6e-1", Dataset: "gsm8k"}, b)
	if g.Status != Fail || g.AllowedDrop != 0 {
		t.Errorf("per-entry drop: %+v", g)
	}
	n := Judge(0.5, 0.01, Key{Model: "m", Device: "v6e-1", Dataset: "mmlu", Samples: 100}, b)
	if n.Status != NoBaseline || n.Threshold != nil || !strings.Contains(n.Message, "accuracy:baseline") {
		t.Errorf("no baseline: %+v", n)
	}
	// A device the file has no baseline of is neither a pass nor a failure.
	o := Judge(0.5, 0.01, Key{Model: "m", Device: "v6e-4", Dataset: "mmlu", Samples: 200}, b)
	if o.Status != OtherDevice || o.Threshold != nil || !strings.Contains(o.Message, "no baseline for this device (v6e-4)") {
		t.Errorf("other device: %+v", o)
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func TestUpdateBaselines(t *testing.T) {
	b := &Baselines{Path: filepath.Join(t.TempDir(), "a.toml"), AllowedDrop: 0.02, Entries: []Baseline{
		{Model: "m", Device: "d", Dataset: "mmlu", Samples: 200, Score: 0.70, AllowedDrop: drop(0.03), Note: "old"},
		{Model: "m", Device: "d", Dataset: "gsm8k", Samples: 0, Score: 0.90},
	}}
	res := func(name, dataset string, samples int, score float64) *CaseResult {
		return &CaseResult{Type: "accuracy", Case: name, Model: "m", Device: "d", Dataset: dataset, Samples: samples,
			N: 200, Answered: 200, Score: score, Stderr: 0.031, Commit: "0123456789abcdef0123", Verdict: Verdict{Status: Pass}}
	}
	partial := res("cut", "math", 0, 0.5)
	partial.Partial, partial.Error = true, "interrupted"
	failing := res("flaky", "aime25", 0, 0.1)
	failing.Errors = 3
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	changes, skipped := b.Update([]*CaseResult{
		res("mmlu-case", "mmlu", 200, 0.71234),
		res("gsm8k-case", "gsm8k", 0, 0.90),    // unchanged score but n differs from the entry: recorded
		res("new-case", "mmlu_pro", 100, 0.45), // new entry
		partial, failing,
	}, now)
	if len(skipped) != 2 || !strings.Contains(skipped[0], "cut: did not finish") || !strings.Contains(skipped[1], "3 requests failed") {
		t.Errorf("skipped: %q", skipped)
	}
	if len(changes) != 3 {
		t.Fatalf("changes: %v", changes)
	}
	if got := changes[0].String(); got != "m on d, mmlu n=200: 0.7000 -> 0.7123 (+0.0123, case mmlu-case)" {
		t.Errorf("change line %q", got)
	}
	if got := changes[2].String(); !strings.Contains(got, "mmlu_pro n=100: new 0.4500") {
		t.Errorf("new line %q", got)
	}
	e, _ := b.Find(Key{Model: "m", Device: "d", Dataset: "mmlu", Samples: 200})
	if e.Score != 0.7123 || e.AllowedDrop == nil || *e.AllowedDrop != 0.03 || e.Commit != "0123456789ab" || e.Updated != "2026-03-04" || e.N != 200 {
		t.Errorf("updated entry: %+v", e)
	}
	if err := b.Write(); err != nil {
		t.Fatal(err)
	}
	back, err := LoadBaselines(b.Path, false)
	if err != nil || len(back.Entries) != 3 {
		t.Fatalf("reload: %v %+v", err, back)
	}
	again, _ := back.Update([]*CaseResult{res("mmlu-case", "mmlu", 200, 0.71234)}, now)
	if len(again) != 0 {
		t.Errorf("recording the same result twice changed %v", again)
	}
}
