package pallas

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/perf"
	"github.com/sgl-project/tpuci/internal/perf/baseline"
	"github.com/sgl-project/tpuci/internal/report"
)

func TestParse(t *testing.T) {
	out := []byte(`warming up
{"kernel": "gmm", "case": "m128", "time_ms": 3.5}
{"other": "json"}
  {"kernel": "gmm", "case": "m256", "time_ms": 4}
done
`)
	ts, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0] != (Timing{"gmm", "m128", 3.5}) || ts[1].CaseName() != "gmm/m256" {
		t.Fatalf("timings %+v", ts)
	}
	for name, tc := range map[string]struct{ line, want string }{
		"nan":      {`{"kernel":"gmm","case":"a","time_ms":NaN}`, "line 2"},
		"zero":     {`{"kernel":"gmm","case":"a","time_ms":0}`, "must be a positive number"},
		"no case":  {`{"kernel":"gmm","time_ms":1}`, "kernel and case"},
		"str time": {`{"kernel":"gmm","case":"a","time_ms":"1"}`, "line 2"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte("x\n" + tc.line + "\n"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want %q, got %v", tc.want, err)
			}
		})
	}
}

// script writes a shell script that the runner runs as "sh <file>".
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestRunnerJudgesEveryKernel(t *testing.T) {
	dir := t.TempDir()
	bl, err := baseline.Parse("pallas.toml", []byte(`
[[baseline]]
device = "cpu"
case = "fast/a"
metric = "time_ms"
value = 10.0

[[baseline]]
device = "cpu"
case = "slow/a"
metric = "time_ms"
value = 10.0
tolerance = 0.05
`))
	if err != nil {
		t.Fatal(err)
	}
	kernels := []config.Kernel{
		{Name: "slow", File: script(t, dir, "slow.sh", `echo '{"kernel":"slow","case":"a","time_ms":11}'`), Tolerance: 0.5},
		{Name: "crash", File: script(t, dir, "crash.sh", "echo boom >&2; exit 3"), Tolerance: 0.1},
		{Name: "fast", File: script(t, dir, "fast.sh", `echo '{"kernel":"fast","case":"a","time_ms":10.5}'; echo '{"kernel":"fast","case":"new","time_ms":1}'`), Tolerance: 0.1},
		{Name: "silent", File: script(t, dir, "silent.sh", "echo hello"), Tolerance: 0.1},
		{Name: "self", File: script(t, dir, "self.sh", "exit 0"), Format: config.KernelExitCode},
		{Name: "selffail", File: script(t, dir, "selffail.sh", "echo 'AssertionError: too slow'; exit 1"), Format: config.KernelExitCode},
		{Name: "hang", File: script(t, dir, "hang.sh", "sleep 30"), Timeout: config.Duration{Duration: 300 * time.Millisecond}, Format: config.KernelExitCode},
	}
	var log bytes.Buffer
	r := &Runner{Repo: dir, Python: "sh", LogDir: t.TempDir(), Device: "cpu", Baselines: bl, Log: &log}
	start := time.Now()
	out := r.Run(context.Background(), kernels)
	if time.Since(start) > 15*time.Second {
		t.Fatalf("the hanging kernel was not stopped at its timeout")
	}
	status := map[string]report.Status{}
	msg := map[string]string{}
	for _, c := range out.Cases {
		status[c.Name], msg[c.Name] = c.Status, c.Message
	}
	want := map[string]report.Status{
		"slow/a": report.Failed, // the entry's 5% beats the kernel's 50%
		"crash":  report.Failed, "fast/a": report.Passed, "fast/new": report.Failed, "silent": report.Failed,
		"self": report.Passed, "selffail": report.Failed, "hang": report.Failed,
	}
	for name, st := range want {
		if status[name] != st {
			t.Errorf("%s: status %q, want %q (%s)", name, status[name], st, msg[name])
		}
	}
	if !strings.Contains(msg["crash"], "exit code 3") || !strings.Contains(msg["silent"], "printed no timing lines") ||
		!strings.Contains(msg["hang"], "timed out") || !strings.Contains(msg["fast/new"], "pallas:baseline") {
		t.Errorf("messages: %v", msg)
	}
	if len(out.Verdicts) != 3 {
		t.Errorf("verdicts %+v", out.Verdicts)
	}
	for _, c := range out.Cases {
		if c.Name == "crash" && !strings.Contains(c.Output, "boom") {
			t.Errorf("crash output %q lacks the script's stderr", c.Output)
		}
	}
}

func TestPlanPartitions(t *testing.T) {
	ks := []config.Kernel{{Name: "a", Minutes: 5}, {Name: "b", Minutes: 2}, {Name: "c", Minutes: 3}}
	p0, s0, err := Plan(ks, nil, "0/2")
	if err != nil || len(p0) != 1 || p0[0].Name != "a" || len(s0) != 2 {
		t.Fatalf("part 0: %v %v %v", p0, s0, err)
	}
	p1, _, _ := Plan(ks, nil, "1/2")
	if len(p1) != 2 || p1[0].Name != "b" || p1[1].Name != "c" {
		t.Fatalf("part 1 keeps config order: %v", p1)
	}
	if _, _, err := Plan(ks, []string{"zz"}, ""); err == nil || !strings.Contains(err.Error(), "zz") {
		t.Fatalf("unknown kernel: %v", err)
	}
	if _, _, err := Plan(ks, nil, "2/2"); err == nil {
		t.Fatal("bad partition accepted")
	}
}

func TestMeasurementsFromResults(t *testing.T) {
	v := baseline.Verdict{Pass: true}
	st := report.Stage{Target: "pallas", Cases: []report.Case{
		{Name: "gmm/a", Status: report.Failed, Extra: &Extra{Device: "cpu", Kernel: "gmm", Case: "a", TimeMs: 2.5, Verdict: &v}},
		{Name: "self", Status: report.Passed, Extra: &Extra{Device: "cpu", Kernel: "self"}},
		{Name: "skipped", Status: report.Skipped},
	}}
	path := filepath.Join(t.TempDir(), "pallas.json")
	if err := report.WriteJSON(path, st); err != nil {
		t.Fatal(err)
	}
	r, err := perf.ReadResults(path, "pallas")
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := Measurements(r)
	if len(ms) != 1 || ms[0] != (baseline.Measurement{Device: "cpu", Case: "gmm/a", Metric: Metric, Value: 2.5}) {
		t.Fatalf("measurements %+v", ms)
	}
	if _, err := perf.ReadResults(path, "perf"); err == nil || !strings.Contains(err.Error(), `"pallas"`) {
		t.Fatalf("wrong target accepted: %v", err)
	}
}

// TestExampleKernelsAndSlowdown runs the example's kernel scripts: a run
// judged against baselines measured moments before passes, and one with
// TPUCI_KERNEL_SLOWDOWN=4 fails every case.
func TestExampleKernelsAndSlowdown(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the example's kernel benchmarks")
	}
	python := "/usr/bin/python3"
	needs.Tool(t, python)
	repo, err := filepath.Abs("../example/repo")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(repo, "tpuci.toml"))
	if err != nil {
		t.Fatal(err)
	}
	kernels := cfg.Pallas.Kernels
	if len(kernels) == 0 {
		t.Fatal("the example configures no kernels")
	}
	run := func(bl *baseline.File, env ...string) Outcome {
		r := &Runner{Repo: repo, Python: python, Env: env, LogDir: t.TempDir(), Device: "cpu", Baselines: bl}
		return r.Run(context.Background(), kernels)
	}
	// Calibrate on this machine's current load, then judge with a 100%
	// tolerance: only a real slowdown fails.
	first := run(&baseline.File{Path: "calibration"})
	cal := &baseline.File{Path: "calibration"}
	for _, v := range first.Verdicts {
		cal.Set(baseline.Entry{Device: "cpu", Case: v.Case, Metric: Metric, Value: v.Value, Tolerance: 0.99})
	}
	if len(cal.Entries) < len(kernels) {
		t.Fatalf("calibration measured %d cases: %v", len(cal.Entries), first.Failures)
	}
	if ok := run(cal); len(ok.Failures) != 0 {
		t.Fatalf("unchanged kernels failed: %v", ok.Failures)
	}
	slow := run(cal, "TPUCI_KERNEL_SLOWDOWN=4")
	if len(slow.Failures) != len(cal.Entries) {
		t.Fatalf("slowdown 4: %d failures for %d cases: %v", len(slow.Failures), len(cal.Entries), slow.Failures)
	}
	if !strings.Contains(slow.Failures[0], "time_ms") || !strings.Contains(slow.Failures[0], "baseline") {
		t.Fatalf("failure does not name metric and baseline: %s", slow.Failures[0])
	}
	if data, _ := json.Marshal(slow.Cases[0].Extra); !strings.Contains(string(data), `"verdict"`) {
		t.Fatalf("case extra lacks the verdict: %s", data)
	}
}
