package pallas

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/compare"
	"github.com/sgl-project/tpuci/internal/compare/comparetest"
	"github.com/sgl-project/tpuci/internal/compiles"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/gate"
	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/workspace"
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
	bl, err := gate.Parse("pallas.toml", []byte(`
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
		{Name: "hang", File: script(t, dir, "hang.sh", "sleep 600"), Timeout: config.Duration{Duration: 300 * time.Millisecond}, Format: config.KernelExitCode},
	}
	var log bytes.Buffer
	r := &Runner{Repo: dir, Python: "sh", LogDir: t.TempDir(), Device: "cpu", Baselines: bl, Log: &log}
	start := time.Now()
	out := r.Run(context.Background(), kernels)
	if time.Since(start) > 2*time.Minute { // far below the hang's 10 minutes on any host
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
	p0, s0, err := Plan(ks, nil, partition.Spec{ID: 0, Count: 2})
	if err != nil || len(p0) != 1 || p0[0].Name != "a" || len(s0) != 2 {
		t.Fatalf("part 0: %v %v %v", p0, s0, err)
	}
	p1, _, _ := Plan(ks, nil, partition.Spec{ID: 1, Count: 2})
	if len(p1) != 2 || p1[0].Name != "b" || p1[1].Name != "c" {
		t.Fatalf("part 1 keeps config order: %v", p1)
	}
	if _, _, err := Plan(ks, []string{"zz"}, partition.Spec{}); err == nil || !strings.Contains(err.Error(), "zz") {
		t.Fatalf("unknown kernel: %v", err)
	}
	if _, _, err := Plan(ks, nil, partition.Spec{ID: 2, Count: 2}); err == nil {
		t.Fatal("bad partition accepted")
	}
}

func TestMeasurementsFromResults(t *testing.T) {
	v := gate.Verdict{Pass: true}
	st := report.TargetResult{Target: "pallas", Cases: []report.Case{
		{Name: "gmm/a", Status: report.Failed, Extra: &Extra{Device: "cpu", Kernel: "gmm", Case: "a", TimeMs: 2.5, Verdict: &v}},
		{Name: "self", Status: report.Passed, Extra: &Extra{Device: "cpu", Kernel: "self"}},
		{Name: "skipped", Status: report.Skipped},
	}}
	path := filepath.Join(t.TempDir(), "pallas.json")
	if err := report.WriteJSON(path, st); err != nil {
		t.Fatal(err)
	}
	r, err := gate.ReadResults(path, "pallas")
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := Measurements(r)
	if len(ms) != 1 || ms[0] != (gate.Measurement{Device: "cpu", Case: "gmm/a", Metric: Metric, Value: 2.5}) {
		t.Fatalf("measurements %+v", ms)
	}
	if _, err := gate.ReadResults(path, "perf"); err == nil || !strings.Contains(err.Error(), `"pallas"`) {
		t.Fatalf("wrong target accepted: %v", err)
	}
}

// runStage runs the pallas stage body as the pipeline does, on repo with
// extra environment.
func runStage(t *testing.T, repo string, env map[string]string) (*pipeline.Stage, string, error) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the example's kernel benchmarks")
	}
	needs.Tool(t, python)
	// The config's interpreter; tpuci adds JAX in a venv when it lacks it.
	vars := map[string]string{"TPUCI_REPO": repo, "TPUCI_OUT": t.TempDir()}
	for k, v := range env {
		vars[k] = v
	}
	cwd, _ := os.Getwd()
	ws, err := workspace.Resolve(func(k string) string { return vars[k] }, cwd)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	st := &pipeline.Stage{TargetResult: &report.TargetResult{Target: "pallas", LogDir: ws.LogDir("pallas")}, Out: &buf, Log: &buf}
	err = Body(context.Background(), ws, st)
	return st, buf.String(), err
}

const python = "/usr/bin/python3"

// On a host whose fingerprint has no baselines, the example's kernels
// still run, and every case is skipped naming the device and the command
// that records one: neither a pass nor a failure.
func TestExampleOnAnotherDeviceIsSkipped(t *testing.T) {
	repo := comparetest.Repo(t)
	os.WriteFile(filepath.Join(repo, "tpuci/baselines/pallas.toml"), []byte(`
[[baseline]]
device = "cpu Some Other CPU (family 6 model 85), 64 cores"
case = "megablox_gmm/m512-k256-n256-g4"
metric = "time_ms"
value = 0.5
`), 0o644)
	st, log, err := runStage(t, repo, map[string]string{"TPUCI_KERNELS": "megablox_gmm"})
	var skip *pipeline.SkipError
	if !errors.As(err, &skip) || !strings.Contains(skip.Reason, "no baseline for this device (cpu ") || !strings.Contains(skip.Reason, "TPUCI_COMPARE=HEAD~1") {
		t.Fatalf("want the stage skipped, got %v\n%s", err, log)
	}
	if len(st.Cases) != 3 || len(st.Failures) != 0 {
		t.Fatalf("cases %+v failures %v\n%s", st.Cases, st.Failures, log)
	}
	for _, c := range st.Cases {
		if c.Status != report.Skipped || !strings.Contains(c.Message, "no baseline for this device (cpu ") ||
			!strings.Contains(c.Message, RecordCommand) || !strings.Contains(c.Message, "64 cores") {
			t.Errorf("%s: %s %q", c.Name, c.Status, c.Message)
		}
	}
	// The terminal table notes the repeated reason once, under the table.
	if !strings.Contains(log, "skipped [1]\n") || !strings.Contains(log, "\n[1] no baseline for this device\n") {
		t.Errorf("verdict table:\n%s", log)
	}
}

// A committed 2x slowdown of one kernel (it does its work twice) fails
// the comparison with HEAD~1, naming that kernel's cases and no other
// (a noisy host may leave one of its cases inconclusive).
func TestCompareCatchesACommittedKernelSlowdown(t *testing.T) {
	repo := comparetest.Repo(t)
	comparetest.SlowGMM(t, repo)
	st, log, err := runStage(t, repo, map[string]string{"TPUCI_COMPARE": "HEAD~1", "TPUCI_COMPARE_ROUNDS": "8"})
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	failed := map[string]string{}
	for _, c := range st.Cases {
		if c.Status == report.Failed {
			failed[c.Name] = c.Message
		}
	}
	if len(failed) == 0 {
		t.Fatalf("no case failed\n%s", log)
	}
	for name, msg := range failed {
		if !strings.HasPrefix(name, "megablox_gmm/") || !strings.Contains(msg, "slower") || !strings.Contains(msg, "HEAD~1") {
			t.Errorf("%s: %s", name, msg)
		}
	}
	if len(st.Tables) != 1 || !strings.Contains(strings.Join(st.Tables[0].Header, " "), "interval") || len(st.Tables[0].Rows) != 9 {
		t.Fatalf("tables %+v", st.Tables)
	}
	if _, err := os.Stat(filepath.Join(repo, "..")); err != nil || strings.Contains(comparetest.Git(t, repo, "worktree", "list"), "pallas-base") {
		t.Errorf("the base worktree was left behind")
	}
}

// Six comparisons of identical revisions (each runs the real JAX kernels
// ten times, seconds apiece): the false-alarm budget is one "slower"
// verdict; the rate is logged.
func TestCompareIdenticalRevisionsRarelyAlarm(t *testing.T) {
	repo := comparetest.Repo(t)
	const runs = 6
	alarms, excludesZero, verdicts := 0, 0, 0
	for i := 0; i < runs; i++ {
		st, log, err := runStage(t, repo, map[string]string{"TPUCI_COMPARE": "HEAD", "TPUCI_COMPARE_ROUNDS": "5", "TPUCI_KERNELS": "update_kv_cache"})
		if err != nil {
			t.Fatalf("%v\n%s", err, log)
		}
		slower := false
		for _, c := range st.Cases {
			ex, ok := c.Extra.(*Extra)
			if !ok || ex.Compare == nil {
				continue
			}
			verdicts++
			if ex.Compare.Lo > 0 || ex.Compare.Hi < 0 {
				excludesZero++
			}
			slower = slower || ex.Compare.Verdict == compare.Slower
		}
		if slower {
			alarms++
		}
	}
	t.Logf("identical revisions: %d of %d comparisons said slower; %d of %d case intervals excluded zero", alarms, runs, excludesZero, verdicts)
	if alarms > 1 {
		t.Fatalf("%d false alarms in %d comparisons (budget 1)", alarms, runs)
	}
}

// The unchanged example's benchmarks compile only while warming up: each
// kernel's compiles are counted from real JAX and none comes after the
// warm-up mark, in the cases, the verdict table and the JUnit properties.
func TestExampleCompilesOnlyBeforeWarmup(t *testing.T) {
	repo := comparetest.Repo(t)
	st, log, err := runStage(t, repo, nil)
	var skip *pipeline.SkipError
	if err != nil && !errors.As(err, &skip) {
		t.Fatalf("%v\n%s", err, log)
	}
	if len(st.Failures) != 0 {
		t.Fatalf("failures %v\n%s", st.Failures, log)
	}
	tot, ok := st.CompileTotals()
	if !ok || tot.Compiles == 0 || len(tot.AfterWarmup) != 0 || tot.CacheMisses != 0 {
		t.Fatalf("compile totals %+v (accounted %v)\n%s", tot, ok, log)
	}
	per := map[string]int{}
	for _, c := range st.Cases {
		if c.Compiles != nil {
			kernel, _, _ := strings.Cut(c.Name, "/")
			per[kernel] += c.Compiles.Compiles
		}
	}
	t.Logf("compiles per kernel %v; total %d in %.2fs, cache off %d", per, tot.Compiles, tot.CompileSeconds, tot.CacheOff)
	if len(per) != 3 {
		t.Errorf("compile accounting on %v; want one case of each of the 3 kernels", per)
	}
	if len(st.Tables) != 1 || !slices.Contains(st.Tables[0].Header, "compiles") {
		t.Fatalf("tables %+v", st.Tables)
	}
	xml, err := report.JUnit(st.TargetResult)
	if err != nil || !strings.Contains(string(xml), `name="tpuci.compiles_after_warmup" value="0"`) {
		t.Errorf("junit: %v\n%s", err, xml)
	}
}

// A committed change that makes jit(_gmm) recompile on every call fails
// megablox_gmm by name and shapes; the other kernels are unaffected.
func TestRecompilingKernelFailsByName(t *testing.T) {
	repo := comparetest.Repo(t)
	comparetest.RecompileGMM(t, repo)
	st, log, err := runStage(t, repo, map[string]string{"TPUCI_KERNELS": "megablox_gmm,update_kv_cache"})
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if len(st.Failures) != 1 || !strings.HasPrefix(st.Failures[0], "kernel megablox_gmm: compiled ") ||
		!strings.Contains(st.Failures[0], "after warm-up: 7× jit(_gmm) (ShapedArray(float32[512,256])") {
		t.Fatalf("failures %q\n%s", st.Failures, log)
	}
	for _, c := range st.Cases {
		if c.Name == "megablox_gmm" && (c.Status != report.Failed || c.Compiles == nil || len(c.Compiles.AfterWarmup) == 0) {
			t.Errorf("case %s: %s %+v", c.Name, c.Status, c.Compiles)
		}
	}
	t.Logf("failure: %s", st.Failures[0])
}

func TestCompilesColumn(t *testing.T) {
	tbl := report.Table{Header: []string{"case", "metric", "verdict"}, Rows: [][]string{
		{"a/1", "time_ms", "pass"}, {"a/2", "time_ms", "pass"}, {"b/1", "time_ms", "FAIL"}}}
	got := CompilesColumn(tbl, map[string]compiles.Summary{"a": {Compiles: 3, CompileSeconds: 1.5},
		"b": {Compiles: 1, AfterWarmup: []compiles.Compile{{Fn: "jit(f)"}}}})
	want := [][]string{{"a/1", "time_ms", "3 (1.5s)", "pass"}, {"a/2", "time_ms", "", "pass"}, {"b/1", "time_ms", "1 (0s) 1 late", "FAIL"}}
	if !slices.Equal(got.Header, []string{"case", "metric", "compiles", "verdict"}) || fmt.Sprint(got.Rows) != fmt.Sprint(want) {
		t.Fatalf("%v\n%v", got.Header, got.Rows)
	}
	if tbl.Header[2] != "verdict" {
		t.Errorf("the input table changed: %v", tbl.Header)
	}
}
