package perf

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/compare/comparetest"
	"github.com/sgl-project/tpuci/internal/example"
	"github.com/sgl-project/tpuci/internal/gate"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/proc"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// runStage runs the perf stage body the way the pipeline does, against
// repo (and config, when not empty), with extra environment.
func runStage(t *testing.T, repo, cfgPath string, env map[string]string) (*pipeline.Stage, string, error) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the simulator and runs serving benchmarks")
	}
	out := t.TempDir()
	vars := map[string]string{"TPUCI_REPO": repo, "TPUCI_OUT": out, "TPUCI_CONFIG": cfgPath}
	for k, v := range env {
		vars[k] = v
	}
	cwd, _ := os.Getwd()
	ws, err := workspace.Resolve(func(k string) string { return vars[k] }, cwd)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	st := &pipeline.Stage{TargetResult: &report.TargetResult{Target: "perf", LogDir: ws.LogDir("perf")}, Out: &buf, Log: &buf}
	err = Body(context.Background(), ws, st)
	return st, buf.String(), err
}

func exampleRepo(t *testing.T) string {
	t.Helper()
	repo, err := filepath.Abs("../example/repo")
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

func failed(st *pipeline.Stage) []report.Case {
	var out []report.Case
	for _, c := range st.Cases {
		if c.Status == report.Failed || c.Status == report.Errored {
			out = append(out, c)
		}
	}
	return out
}

// TestExampleRunsWithoutBaselinesForThisHost is go tool mage perf on the
// bundled example, whose simulator baselines are for no host: every case
// of both profiles runs to completion, keeps its figures and is skipped
// naming this host's device, and the stage is skipped, never judged
// against another machine's numbers.
func TestExampleRunsWithoutBaselinesForThisHost(t *testing.T) {
	st, log, err := runStage(t, exampleRepo(t), "", nil)
	var skip *pipeline.SkipError
	if !errors.As(err, &skip) || !strings.Contains(skip.Reason, "no baseline for this device") {
		t.Fatalf("want a skipped stage, got %v\n%s", err, log)
	}
	if len(st.Cases) != 6 || len(st.Tables) != 1 || len(st.Tables[0].Rows) != 8 || len(st.Failures) != 0 {
		t.Fatalf("%d cases, failures %v, tables %+v", len(st.Cases), st.Failures, st.Tables)
	}
	for _, c := range st.Cases {
		ex, ok := c.Extra.(*Extra)
		if c.Status != report.Skipped || !ok || ex.Completed != ex.NumPrompts || len(ex.Metrics) == 0 ||
			!strings.Contains(c.Message, "no baseline for this device (sim on cpu ") {
			t.Errorf("%s: %s %q %+v", c.Name, c.Status, c.Message, c.Extra)
		}
	}
	if _, err := os.Stat(filepath.Join(st.LogDir, "server-sim-qwen3-8b-perf.log")); err != nil {
		t.Fatalf("server log: %v", err)
	}
	if proc.Running() != 0 {
		t.Fatalf("%d servers still running after the stage", proc.Running())
	}
}

// TestTwiceSlowerSimulatorFailsThisHostsBaselines records this host's
// baselines from one run, then slows every server 2x (far beyond what a
// busy host moves the figures): each judged metric fails, naming metric,
// value, baseline, tolerance and device.
func TestTwiceSlowerSimulatorFailsThisHostsBaselines(t *testing.T) {
	repo, err := example.Extract(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{"TPUCI_CASES": "qwen3-8b-tp1-latency,qwen3-8b-tp1-output-throughput"}
	first, log, _ := runStage(t, repo, "", cases)
	f, err := gate.Load(filepath.Join(repo, "tpuci/baselines/perf.toml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range first.Cases {
		ex := c.Extra.(*Extra)
		for m, v := range ex.Metrics {
			f.Set(gate.Entry{Device: ex.Device, Case: c.Name, Metric: m, Value: v, Tolerance: 0.10})
		}
	}
	if len(f.Entries) != 3 {
		t.Fatalf("recorded %+v\n%s", f.Entries, log)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	cases["TPUCI_SERVER_ARGS"] = "--sim-slowdown 2"
	st, log, err := runStage(t, repo, "", cases)
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	// Both cases fail (a single-request TTFT recorded under a heavier
	// load than now may stay within its tolerance; the other metrics not).
	if len(failed(st)) != 2 || len(st.Failures) < 2 {
		t.Fatalf("want both cases failing, got %v\n%s", st.Failures, log)
	}
	for _, f := range st.Failures {
		for _, want := range []string{"is above its limit", "baseline", "+10% tolerance", "device sim on cpu "} {
			if strings.Contains(f, "throughput") {
				want = strings.Replace(strings.Replace(want, "above", "below", 1), "+10%", "-10%", 1)
			}
			if !strings.Contains(f, want) {
				t.Errorf("failure %q lacks %q", f, want)
			}
		}
	}
	if !strings.Contains(log, "FAIL") {
		t.Fatalf("no verdict table printed:\n%s", log)
	}
}

// TestRecompilationFails makes every 5th request recompile: with the
// cache-miss check on the server stops, and the case fails naming the
// recompilations.
func TestRecompilationFails(t *testing.T) {
	st, log, err := runStage(t, exampleRepo(t), "", map[string]string{
		"TPUCI_SERVER_ARGS": "--sim-recompile-every 5 --sim-recompile-delay 10ms",
		"TPUCI_CASES":       "qwen3-8b-tp1-output-throughput,qwen3-8b-tp1-input-throughput",
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	f := failed(st)
	if len(f) != 2 {
		t.Fatalf("failures %v\n%s", st.Failures, log)
	}
	if !strings.Contains(f[0].Message, "JIT recompilation") || !strings.Contains(f[0].Output, "cache miss occurred") {
		t.Fatalf("case %q: message %q, output %q", f[0].Name, f[0].Message, f[0].Output)
	}
	if ex := f[0].Extra.(*Extra); ex.Recompilations < 1 || len(ex.Verdicts) != 0 {
		t.Fatalf("extra %+v", ex)
	}
	// The next case gets a fresh server, which recompiles as well.
	if !strings.Contains(f[1].Message, "recompilation") {
		t.Fatalf("second case %q", f[1].Message)
	}
}

// TestNeverReadyServerFailsWithinItsTimeout uses a profile whose server
// never becomes ready: the case fails after ready_timeout with the log
// tail, the profile's other cases fail at once, and no process is left.
func TestNeverReadyServerFailsWithinItsTimeout(t *testing.T) {
	repo := t.TempDir()
	cfg := filepath.Join(repo, "tpuci.toml")
	os.WriteFile(cfg, []byte(`
[[server]]
name = "stuck"
model = "m"
chips = 1
command = ["tpuci-simserver"]
args = ["--sim-never-ready"]
ready_timeout = "1500ms"

[perf]
baselines = "perf.toml"

[[perf.case]]
name = "one"
server = "stuck"
num_prompts = 1
input_len = 8
output_len = 8
max_concurrency = 1
metrics = ["median_ttft_ms"]

[[perf.case]]
name = "two"
server = "stuck"
num_prompts = 1
input_len = 8
output_len = 8
max_concurrency = 1
metrics = ["median_itl_ms"]
`), 0o644)
	start := time.Now() // the bound below also covers go build (cached)
	st, log, err := runStage(t, repo, cfg, nil)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	f := failed(st)
	if len(f) != 2 {
		t.Fatalf("cases %+v\n%s", st.Cases, log)
	}
	if !strings.Contains(f[0].Message, "not ready within 1.5s") || f[0].Output == "" || !strings.Contains(st.Failures[0], "server-stuck.log") {
		t.Fatalf("first case: %q output %q", f[0].Message, f[0].Output)
	}
	if !strings.Contains(f[1].Message, "not run: server stuck: not ready") {
		t.Fatalf("second case: %q", f[1].Message)
	}
	if took > 2*time.Minute { // the default ready timeout is far longer: the configured one applied
		t.Fatalf("took %s for a 1.5s ready timeout", took)
	}
	if simAlive(t, filepath.Join(st.LogDir, "server-stuck.log")) {
		t.Fatal("the never-ready server still runs")
	}
	if proc.Running() != 0 {
		t.Fatalf("%d children left", proc.Running())
	}
}

// simAlive reports whether a tpuci-simserver started with the port in
// the first line ("$ argv") of a server log still runs.
func simAlive(t *testing.T, logPath string) bool {
	t.Helper()
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	_, rest, ok := strings.Cut(first, "--port ")
	port, _, _ := strings.Cut(rest, " ")
	if !ok || port == "" {
		t.Fatalf("no port in %q", first)
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		argv := strings.ReplaceAll(string(cmd), "\x00", " ")
		if strings.Contains(argv, "tpuci-simserver") && strings.Contains(argv, "--port "+port+" ") {
			return true
		}
	}
	return false
}

// TestRecordFromResults writes baselines from a stage's results and
// prints the review diff.
func TestRecordFromResults(t *testing.T) {
	dir := t.TempDir()
	ex := &Extra{Device: "sim", NumPrompts: 1, Completed: 1, Metrics: map[string]float64{"median_ttft_ms": 50, "median_itl_ms": 10.123456},
		Verdicts: []gate.Verdict{{Metric: "median_ttft_ms"}, {Metric: "median_itl_ms"}}}
	results := filepath.Join(dir, "perf.json")
	report.WriteJSON(results, report.TargetResult{Target: "perf", Cases: []report.Case{{Name: "lat", Status: report.Failed, Extra: ex}}})
	os.WriteFile(filepath.Join(dir, "tpuci.toml"), []byte(`
[perf]
baselines = "b/perf.toml"
[perf.tolerances]
median_itl_ms = 0.1
`), 0o644)
	os.MkdirAll(filepath.Join(dir, "b"), 0o755)
	os.WriteFile(filepath.Join(dir, "b", "perf.toml"), []byte("[[baseline]]\ndevice = \"sim\"\ncase = \"lat\"\nmetric = \"median_ttft_ms\"\nvalue = 40.0\ntolerance = 0.08\n"), 0o644)
	cwd, _ := os.Getwd()
	vars := map[string]string{"TPUCI_REPO": dir, "TPUCI_OUT": dir}
	ws, err := workspace.Resolve(func(k string) string { return vars[k] }, cwd)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	st := &pipeline.Stage{TargetResult: &report.TargetResult{Target: "perf:baseline"}, Out: &out, Log: &out}
	if err := BaselineBody("")(context.Background(), ws, st); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sim lat median_ttft_ms: 40.00 -> 50.00 (+25.0%)", "sim lat median_itl_ms: new 10.12 (tolerance 10%)", "wrote "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	f, err := gate.Load(filepath.Join(dir, "b", "perf.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := f.Find("sim", "lat", "median_ttft_ms"); e.Value != 50 || e.Tolerance != 0.08 {
		t.Fatalf("entry %+v", e)
	}
	if len(st.Tables) != 1 || len(st.Tables[0].Rows) != 2 {
		t.Fatalf("changes table %+v", st.Tables)
	}
	// A second run with the same results changes nothing.
	out.Reset()
	BaselineBody(results)(context.Background(), ws, st)
	if !strings.Contains(out.String(), "no changes") {
		t.Fatalf("second run:\n%s", out.String())
	}
}

// A 20% slowdown committed into a perf case's server arguments is caught
// by comparing with HEAD~1 on the same host: the base's servers start
// from the base's worktree with its own configuration.
func TestCompareCatchesACommittedSimulatorSlowdown(t *testing.T) {
	repo := comparetest.Repo(t)
	comparetest.Edit(t, repo, "tpuci.toml",
		`"--max-running-requests", "256", "--disable-radix-cache", "--skip-server-warmup"]`,
		`"--max-running-requests", "256", "--disable-radix-cache", "--skip-server-warmup", "--sim-slowdown", "1.2"]`,
		"8b profile: 20% slower")
	st, log, err := runStage(t, repo, "", map[string]string{"TPUCI_COMPARE": "HEAD~1", "TPUCI_COMPARE_ROUNDS": "6",
		"TPUCI_CASES": "qwen3-8b-tp1-latency,qwen3-8b-tp1-output-throughput,qwen3-30b-a3b-tp4-ep4-output-throughput"})
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	status := map[string]report.Status{}
	for _, c := range st.Cases {
		status[c.Name] = c.Status
	}
	// The slowed cases never pass: they fail as slower, or, when the host
	// is too busy for 20% to stand out, are inconclusive (not judged).
	// The unchanged profile is never slower.
	for _, name := range []string{"qwen3-8b-tp1-latency", "qwen3-8b-tp1-output-throughput"} {
		if status[name] == report.Passed || status[name] == "" {
			t.Errorf("%s: %s\n%s", name, status[name], log)
		}
	}
	if status["qwen3-30b-a3b-tp4-ep4-output-throughput"] == report.Failed {
		t.Errorf("the unchanged profile failed: %v\n%s", st.Failures, log)
	}
	if status["qwen3-8b-tp1-latency"] != report.Failed && status["qwen3-8b-tp1-output-throughput"] != report.Failed {
		t.Logf("this host is too busy for a 20%% slowdown in %s rounds: inconclusive", "6")
	}
	if len(st.Tables) != 1 || !strings.Contains(log, "recompiles") || !strings.Contains(log, "0/0") {
		t.Errorf("table:\n%s", log)
	}
	if testing.Verbose() {
		t.Log(report.Text(st.Tables[0]))
	}
	if proc.Running() != 0 {
		t.Fatalf("%d servers still running", proc.Running())
	}
}

// Baselines of another device are never used: the case runs, its figures
// are kept for recording, and the stage is skipped naming the command.
func TestBaselinesOfAnotherDeviceAreNotUsed(t *testing.T) {
	repo := t.TempDir()
	cfg := filepath.Join(repo, "tpuci.toml")
	os.WriteFile(cfg, []byte(`
[[server]]
name = "s"
model = "m"
device = "v6e-1"
chips = 1
command = ["tpuci-simserver"]
ready_timeout = "60s"

[perf]
baselines = "perf.toml"

[[perf.case]]
name = "one"
server = "s"
num_prompts = 2
input_len = 8
output_len = 8
max_concurrency = 2
metrics = ["median_ttft_ms"]
`), 0o644)
	os.WriteFile(filepath.Join(repo, "perf.toml"), []byte("[[baseline]]\ndevice = \"v6e-4\"\ncase = \"one\"\nmetric = \"median_ttft_ms\"\nvalue = 0.001\ntolerance = 0.1\n"), 0o644)
	st, log, err := runStage(t, repo, cfg, nil)
	var skip *pipeline.SkipError
	if !errors.As(err, &skip) || !strings.Contains(skip.Reason, "no baseline for this device") || !strings.Contains(skip.Reason, RecordCommand) {
		t.Fatalf("want a skipped stage, got %v\n%s", err, log)
	}
	if len(st.Cases) != 1 || st.Cases[0].Status != report.Skipped || !strings.Contains(st.Cases[0].Message, "no baseline for this device (v6e-1)") {
		t.Fatalf("cases %+v", st.Cases)
	}
	if ex := st.Cases[0].Extra.(*Extra); ex.Metrics["median_ttft_ms"] <= 0 {
		t.Fatalf("figures not kept: %+v", ex)
	}
}
