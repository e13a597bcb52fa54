package workflows

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/report"
)

const prWorkflow = "pr-test.yml"

// testJobs are the PR workflow's test jobs, in stage order.
var testJobs = []string{"unit-test-1", "e2e", "pallas", "perf", "unit-test-4", "accuracy"}

// prEvent is the payload of a pull_request event for the clone's branch
// against main.
func prEvent(t *testing.T, dir, action, label string, labels []string, draft bool) map[string]any {
	t.Helper()
	ls := []map[string]any{}
	for _, l := range labels {
		ls = append(ls, map[string]any{"name": l})
	}
	ev := map[string]any{
		"action":     action,
		"repository": map[string]any{"full_name": "sgl-project/sglang-jax"},
		"pull_request": map[string]any{
			"number": 42, "draft": draft, "labels": ls,
			"base": map[string]any{"sha": rev(t, dir, "main"), "ref": "main"},
			"head": map[string]any{"sha": rev(t, dir, "HEAD"), "ref": "feature"},
		},
	}
	if label != "" {
		ev["label"] = map[string]any{"name": label}
	}
	return ev
}

func prRun(t *testing.T, dir string, payload map[string]any) run {
	return run{Dir: dir, Workflow: prWorkflow, Event: "pull_request", Payload: payload,
		Artifacts: filepath.Join(t.TempDir(), "artifacts")}
}

func expectAll(jobs []string, status string, more map[string]string) map[string]string {
	want := map[string]string{}
	for _, j := range jobs {
		want[j] = status
	}
	for k, v := range more {
		want[k] = v
	}
	return want
}

// A labeled, ready PR that changes a kernel: the plan's jobs run and pass,
// pallas among them, and finish passes; every job's results are uploaded
// under a name of its own.
func TestLabeledPRIsGreen(t *testing.T) {
	t.Parallel()
	dir := clone(t, "feature")
	change(t, dir, "faster update_kv_cache", map[string]string{
		"python/sgl_jax/srt/kernels/update_kv_cache/update_kv_cache.py": ""})
	r := prRun(t, dir, prEvent(t, dir, "labeled", "run-ci", []string{"run-ci"}, false))
	res := r.do(t)
	res.expect(t, map[string]string{"coordinator": "succeeded", "lint": "succeeded", "pallas": "succeeded", "finish": "succeeded"})
	for _, j := range testJobs {
		if res.job(j) == "failed" {
			t.Errorf("job %s failed", j)
		}
	}
	res.contains(t, "finish", "every job the plan required passed")
	for _, a := range []string{"tpuci-bin", "tpuci-plan", "tpuci-lint", "tpuci-finish"} {
		if _, err := os.Stat(filepath.Join(r.Artifacts, a)); err != nil {
			t.Errorf("artifact %s missing", a)
		}
	}
	if n := countArtifacts(t, r.Artifacts, "tpuci-pallas-"); n != res.entries("pallas", "succeeded") || n == 0 {
		t.Errorf("%d pallas artifacts for %d pallas jobs", n, res.entries("pallas", "succeeded"))
	}
}

func countArtifacts(t *testing.T, dir, prefix string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), prefix) {
			n++
		}
	}
	return n
}

// A draft: the coordinator fails naming the draft, no test job starts.
func TestDraftPRIsRejected(t *testing.T) {
	t.Parallel()
	dir := clone(t, "feature")
	change(t, dir, "work in progress", map[string]string{"python/sgl_jax/srt/layers/linear.py": ""})
	res := prRun(t, dir, prEvent(t, dir, "labeled", "run-ci", []string{"run-ci"}, true)).do(t)
	res.expect(t, expectAll(testJobs, "skipped", map[string]string{"coordinator": "failed", "lint": "skipped", "finish": "failed"}))
	res.contains(t, "coordinator", "the pull request is a draft")
}

// Without the label: lint runs, nothing expensive does, and finish fails
// naming the label. Re-running the whole run into the same artifact store
// succeeds the same way (uploads that a re-run rewrites overwrite).
func TestPRWithoutLabelRunsLintOnlyAndReruns(t *testing.T) {
	t.Parallel()
	dir := clone(t, "feature")
	change(t, dir, "tidy the sampler", map[string]string{"python/sgl_jax/srt/sampling/sampler.py": ""})
	r := prRun(t, dir, prEvent(t, dir, "synchronize", "", nil, false))
	want := expectAll(testJobs, "skipped", map[string]string{"coordinator": "succeeded", "lint": "succeeded", "finish": "failed"})
	for attempt := 1; attempt <= 2; attempt++ {
		res := r.do(t)
		res.expect(t, want)
		res.contains(t, "finish", `no "run-ci" label`)
		if t.Failed() {
			t.Fatalf("attempt %d", attempt)
		}
	}
}

// Adding a label that does not concern CI runs nothing and cancels nothing.
func TestUnrelatedLabelIsANoop(t *testing.T) {
	t.Parallel()
	dir := clone(t, "feature")
	change(t, dir, "tidy the sampler", map[string]string{"python/sgl_jax/srt/sampling/sampler.py": ""})
	res := prRun(t, dir, prEvent(t, dir, "labeled", "documentation", []string{"documentation", "run-ci"}, false)).do(t)
	res.expect(t, expectAll(testJobs, "skipped", map[string]string{"coordinator": "succeeded", "lint": "skipped", "finish": "succeeded"}))
	res.contains(t, "coordinator", `label "documentation" does not change what CI runs`)
}

// A docs-only change runs no test job, and finish passes.
func TestDocsOnlyPRRunsNothing(t *testing.T) {
	t.Parallel()
	dir := clone(t, "feature")
	change(t, dir, "document the sampler", map[string]string{"docs/sampling.md": "# Sampling\n", "README.md": ""})
	res := prRun(t, dir, prEvent(t, dir, "labeled", "run-ci", []string{"run-ci"}, false)).do(t)
	res.expect(t, expectAll(testJobs, "skipped", map[string]string{"coordinator": "succeeded", "lint": "skipped", "finish": "succeeded"}))
}

// A test file that fails: its job fails, the other jobs of the stage still
// run and pass, later stages do not start, and finish fails naming the job
// and the file.
func TestFailingTestFailsFinishNamingIt(t *testing.T) {
	t.Parallel()
	dir := clone(t, "feature")
	rotary := "python/sgl_jax/test/test_rotary_embedding.py"
	old, err := os.ReadFile(filepath.Join(dir, rotary))
	if err != nil {
		t.Fatal(err)
	}
	change(t, dir, "rotary: new base", map[string]string{
		rotary:       "raise AssertionError('rotary embedding drifted')\n" + string(old),
		"tpuci.toml": "", // run every file of every suite
	})
	r := prRun(t, dir, prEvent(t, dir, "labeled", "run-ci", []string{"run-ci"}, false))
	res := r.do(t)
	res.expect(t, map[string]string{"coordinator": "succeeded", "lint": "succeeded", "unit-test-1": "failed",
		"e2e": "skipped", "perf": "skipped", "unit-test-4": "skipped", "accuracy": "skipped", "finish": "failed"})
	// act reports a matrix's later entries as failed once one failed, so
	// the entries' own records tell what each ran.
	got := stageStatuses(t, r.Artifacts, "tpuci-unit-test-1-", "unitTest1")
	if got["failed"] != 1 || got["passed"] < 1 {
		t.Errorf("unit-test-1 entries: %v; want one failed and the others passed", got)
	}
	res.contains(t, "finish", "unit-test-1", "test_rotary_embedding.py")
}

// stageStatuses counts the statuses of target's stage records in the
// artifacts named prefix*.
func stageStatuses(t *testing.T, store, prefix, target string) map[string]int {
	t.Helper()
	recs, _ := filepath.Glob(filepath.Join(store, prefix+"*", target+".json"))
	out := map[string]int{}
	for _, rec := range recs {
		data, err := os.ReadFile(rec)
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			Status string `json:"status"`
		}
		if err := json.Unmarshal(data, &st); err != nil {
			t.Fatalf("%s: %v", rec, err)
		}
		out[st.Status]++
	}
	return out
}

// A push to main runs every target, and all pass.
func TestPushToMainRunsEverything(t *testing.T) {
	t.Parallel()
	dir := clone(t, "main")
	before := rev(t, dir, "HEAD")
	after := change(t, dir, "merge #42", map[string]string{"python/sgl_jax/srt/layers/linear.py": ""})
	res := run{Dir: dir, Workflow: prWorkflow, Event: "push", Artifacts: filepath.Join(t.TempDir(), "artifacts"),
		Payload: map[string]any{"ref": "refs/heads/main", "before": before, "after": after,
			"repository": map[string]any{"full_name": "sgl-project/sglang-jax"}}}.do(t)
	res.expect(t, expectAll(testJobs, "succeeded", map[string]string{"coordinator": "succeeded", "lint": "succeeded", "finish": "succeeded"}))
	res.contains(t, "coordinator", "a push to main runs every target")
}

// rerunConfig is the example's configuration narrowed to lint and two
// small unitTest1 suites, so that a re-run journey stays short: the
// 1-chip suite in two jobs, the CPU suite in one.
func rerunConfig(t *testing.T, dir string) string {
	t.Helper()
	example, err := os.ReadFile(filepath.Join(dir, "tpuci.toml"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(example)
	head, _, ok1 := strings.Cut(s, "[[suite]]")
	_, gating, ok2 := strings.Cut(s, "[gating]")
	gating, _, ok3 := strings.Cut("[gating]"+gating, "[[gating.filter]]\nname = \"pallas_kernel\"")
	if !ok1 || !ok2 || !ok3 {
		t.Fatal("the example's tpuci.toml changed shape: update rerunConfig")
	}
	gating = strings.Replace(gating, `targets = ["lint", "unitTest1", "unitTest4", "e2e", "perf", "accuracy"]`, `targets = ["lint", "unitTest1"]`, 1)
	return head + `[[suite]]
name = "unit-test-tpu-v6e-1"
target = "unitTest1"
chips = 1
partitions = 2
timeout_per_file = "2m"
files = [
  { path = "python/sgl_jax/test/test_rotary_embedding.py", minutes = 0.5 },
  { path = "python/sgl_jax/test/test_common_utils.py", minutes = 0.2 },
  { path = "python/sgl_jax/test/test_sampling_params.py", minutes = 0.3, runner = "pytest" },
]

[[suite]]
name = "unit-test-cpu"
target = "unitTest1"
chips = 0
partitions = 1
timeout_per_file = "2m"
files = [
  { path = "python/sgl_jax/test/test_common_utils.py", minutes = 0.2 },
]

` + gating
}

// stageRecords reads target's stage record in each artifact named
// prefix*, by artifact.
func stageRecords(t *testing.T, store, prefix, target string) map[string]*report.TargetResult {
	t.Helper()
	recs, _ := filepath.Glob(filepath.Join(store, prefix+"*", target+".json"))
	out := map[string]*report.TargetResult{}
	for _, rec := range recs {
		data, err := os.ReadFile(rec)
		if err != nil {
			t.Fatal(err)
		}
		var st report.TargetResult
		if err := json.Unmarshal(data, &st); err != nil {
			t.Fatalf("%s: %v", rec, err)
		}
		out[filepath.Base(filepath.Dir(rec))] = &st
	}
	return out
}

// "Re-run failed jobs": a PR whose sampling test fails once. The first
// run fails one unit-test-1 entry naming the file. The re-run (run attempt
// 2, the same artifact store) downloads each job's own earlier results:
// the entry that failed runs only the test that failed, which passes now
// (a flaky pass, the earlier failure kept in its record and under
// attempts/1 of its upload), and carries over its other file and tests;
// the other entries and lint run nothing and carry their results over.
func TestRerunOfFailedJobsRunsOnlyTheFailedFile(t *testing.T) {
	t.Parallel()
	dir := clone(t, "feature")
	const sampling = "python/sgl_jax/test/test_sampling_params.py"
	marker := filepath.Join(t.TempDir(), "failed-once")
	change(t, dir, "sampling: stricter values, narrowed CI", map[string]string{
		sampling: rewrite(t, dir, sampling, "def test_invalid_values():\n", "def test_invalid_values():\n    import os\n"+
			"    if not os.path.exists("+strconv.Quote(marker)+"):\n        open("+strconv.Quote(marker)+", 'w').close()\n"+
			"        raise AssertionError('a bad value slipped through')\n"),
		"tpuci.toml": rerunConfig(t, dir),
	})
	r := prRun(t, dir, prEvent(t, dir, "labeled", "run-ci", []string{"run-ci"}, false))
	first := r.do(t)
	first.expect(t, map[string]string{"coordinator": "succeeded", "lint": "succeeded", "unit-test-1": "failed", "finish": "failed"})
	failed := ""
	for name, st := range stageRecords(t, r.Artifacts, "tpuci-unit-test-1-", "unitTest1") {
		if st.Status == report.Failed {
			if failed != "" {
				t.Fatalf("two entries failed: %s and %s", failed, name)
			}
			failed = name
		}
	}
	if failed == "" {
		t.Fatal("no unit-test-1 entry failed")
	}
	first.contains(t, "finish", "unit-test-1", "test_sampling_params.py")
	if t.Failed() {
		t.FailNow()
	}

	r.Env = map[string]string{"GITHUB_RUN_ATTEMPT": "2"}
	second := r.do(t)
	second.expect(t, map[string]string{"coordinator": "succeeded", "lint": "succeeded", "unit-test-1": "succeeded", "finish": "succeeded"})
	// The line names the test on its second line (wrapped to 100 columns).
	second.contains(t, "unit-test-1", "running again what failed in attempts/1: 1 file(s):", "|         "+sampling+"::test_invalid_values",
		"nothing run (carried over from attempts/1")
	second.contains(t, "lint", "<== lint passed, nothing run (carried over from attempts/1")
	if ran := testFilesRun(second.Log, "unit-test-1"); strings.Join(ran, ",") != sampling {
		t.Errorf("unit-test-1 ran %v, want only %s", ran, sampling)
	}
	recs := stageRecords(t, r.Artifacts, "tpuci-unit-test-1-", "unitTest1")
	for name, st := range recs {
		if name == failed {
			continue
		}
		if st.Status != report.Passed || !strings.HasPrefix(st.Reason, "carried over from attempts/1") || st.CarriedCount() != len(st.Cases) {
			t.Errorf("%s: %s (%s), %d of %d cases carried over", name, st.Status, st.Reason, st.CarriedCount(), len(st.Cases))
		}
	}
	st := recs[failed]
	if st == nil || st.Status != report.Passed || st.FlakyCount() != 1 || !strings.Contains(st.Reason, "ran again what failed in attempts/1") {
		t.Fatalf("%s: %+v", failed, st)
	}
	ran, carried := 0, 0
	for _, c := range st.Cases {
		switch {
		case c.CarriedOver != "":
			carried++
		case strings.HasSuffix(c.Name, "::test_invalid_values") && c.Flaky() && strings.Contains(c.Attempts[0].Message, "a bad value slipped through"):
			ran++
		default:
			t.Errorf("ran again: %+v", c)
		}
	}
	if ran != 1 || carried == 0 {
		t.Errorf("%d cases ran again, %d carried over: want 1 and the rest", ran, carried)
	}
	kept := stageRecords(t, filepath.Join(r.Artifacts, failed, "attempts"), "1", "unitTest1")
	if k := kept["1"]; k == nil || k.Status != report.Failed {
		t.Errorf("the upload does not keep the first attempt's record: %+v", kept)
	}
}

// testFilesRun lists the test files the entries of job id ran, from the
// "ok"/"FAILED" line the suite runner prints per file.
func testFilesRun(log, id string) []string {
	var out []string
	line := regexp.MustCompile(`^\[[^/\]]+/([^\]]+?)\s*\] +\| +(?:ok|FAILED) (\S+\.py) `)
	for _, l := range strings.Split(log, "\n") {
		if m := line.FindStringSubmatch(l); m != nil && (m[1] == id || strings.HasPrefix(m[1], id+" (")) {
			out = append(out, m[2])
		}
	}
	return out
}
