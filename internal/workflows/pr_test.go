package workflows

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	res := prRun(t, dir, prEvent(t, dir, "labeled", "run-ci", []string{"run-ci"}, false)).do(t)
	res.expect(t, map[string]string{"coordinator": "succeeded", "lint": "succeeded", "unit-test-1": "failed",
		"e2e": "skipped", "perf": "skipped", "unit-test-4": "skipped", "accuracy": "skipped", "finish": "failed"})
	if n := res.entries("unit-test-1", "succeeded"); n < 1 {
		t.Errorf("the other unit-test-1 jobs did not run to success (%d)", n)
	}
	res.contains(t, "finish", "unit-test-1", "test_rotary_embedding.py")
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
