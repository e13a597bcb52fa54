package workflows

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/githubtest"
	"github.com/sgl-project/tpuci/internal/report"
)

// /rerun-failed end to end: a PR Test run (run id 9001) fails one
// unit-test-1 entry on a test that fails once; GitHub, faked on loopback,
// holds that run as the PR's failed run of its head. A triager's
// /rerun-failed is refused and nothing runs. A maintainer's makes GitHub
// rerun exactly run 9001; its attempt 2, under act with the same run id and
// artifact store, runs only the test that failed in the entry that failed
// (it passes now), every other entry and lint run nothing, and the upload
// keeps the first attempt.
func TestSlashRerunFailedRerunsOnlyTheFailedTest(t *testing.T) {
	t.Parallel()
	const runID = 9001
	dir := clone(t, "feature")
	const sampling = "python/sgl_jax/test/test_sampling_params.py"
	marker := strconv.Quote(filepath.Join(t.TempDir(), "failed-once"))
	head := change(t, dir, "sampling: stricter values, narrowed CI", map[string]string{
		sampling: rewrite(t, dir, sampling, "def test_invalid_values():\n", "def test_invalid_values():\n    import os\n"+
			"    if not os.path.exists("+marker+"):\n        open("+marker+", 'w').close()\n"+
			"        raise AssertionError('a bad value slipped through')\n"),
		"tpuci.toml": rerunConfig(t, dir),
	})
	pr := prRun(t, dir, prEvent(t, dir, "labeled", "run-ci", []string{"run-ci"}, false))
	pr.Env = map[string]string{"GITHUB_RUN_ID": strconv.Itoa(runID)}
	first := pr.do(t)
	first.expect(t, map[string]string{"lint": "succeeded", "unit-test-1": "failed", "finish": "failed"})
	failed := ""
	for name, st := range stageRecords(t, pr.Artifacts, "tpuci-unit-test-1-", "unitTest1") {
		if st.Status == report.Failed {
			failed = name
		}
	}
	if failed == "" || first.Err == nil {
		t.Fatalf("no unit-test-1 entry failed, or act passed (%v)", first.Err)
	}

	// GitHub as the first run left it; comments answer from the default branch.
	fake := githubtest.New(t, official, slashToken)
	fake.Perms["maint"], fake.Perms["triager"] = "maintain", "triage"
	fake.Pulls[42] = &githubtest.Pull{Number: 42, HeadSHA: head, HeadRef: "feature", HeadRepo: official,
		BaseSHA: rev(t, dir, "main"), BaseRef: "main"}
	fake.Runs = []*githubtest.Run{{ID: runID, Workflow: prWorkflow, HeadSHA: head, HeadBranch: "feature",
		Event: "pull_request", Status: "completed", Conclusion: "failure", PR: 42}}
	if err := git(dir, "checkout", "-q", "main"); err != nil {
		t.Fatal(err)
	}
	slash := func(id int64, user, assoc string) {
		t.Helper()
		run{Dir: dir, Workflow: slashWorkflow, Event: "issue_comment", Payload: commentEvent(id, "/rerun-failed", user, assoc, true),
			Env: map[string]string{"GITHUB_API_URL": fake.URL}, Secrets: map[string]string{"GITHUB_TOKEN": slashToken},
		}.do(t).expect(t, map[string]string{"command": "succeeded"})
	}
	started := func() (reruns []int64, dispatches, attempt int) {
		fake.Lock()
		defer fake.Unlock()
		return slices.Clone(fake.Reruns), len(fake.Dispatches), fake.Runs[0].Attempt
	}

	slash(1, "triager", "MEMBER")
	if reruns, d, _ := started(); len(reruns) != 0 || d != 0 {
		t.Fatalf("the triager's command started reruns %v and %d dispatches", reruns, d)
	}
	if got := reactionsOn(fake, 1); !slices.Equal(got, []string{"eyes", "-1"}) {
		t.Errorf("triager: reactions %v", got)
	}
	if reply := replyTo(fake, 1); !strings.Contains(reply, "was refused") {
		t.Errorf("triager: reply %q", reply)
	}

	slash(2, "maint", "CONTRIBUTOR")
	reruns, d, attempt := started()
	if !slices.Equal(reruns, []int64{runID}) || d != 0 || attempt != 2 {
		t.Fatalf("the maintainer's command: reruns %v, %d dispatches, run attempt %d", reruns, d, attempt)
	}
	if got := reactionsOn(fake, 2); !slices.Equal(got, []string{"eyes", "+1"}) {
		t.Errorf("maintainer: reactions %v", got)
	}
	if reply := replyTo(fake, 2); !strings.Contains(reply, "/actions/runs/"+strconv.Itoa(runID)+")") {
		t.Errorf("maintainer: reply %q", reply)
	}

	// What GitHub then does: attempt 2 of the same run.
	if err := git(dir, "checkout", "-q", "feature"); err != nil {
		t.Fatal(err)
	}
	pr.Env["GITHUB_RUN_ATTEMPT"] = strconv.Itoa(attempt)
	second := pr.do(t)
	second.expect(t, map[string]string{"lint": "succeeded", "unit-test-1": "succeeded", "finish": "succeeded"})
	second.contains(t, "unit-test-1", "running again what failed in attempts/1: 1 file(s):",
		"|         "+sampling+"::test_invalid_values", "nothing run (carried over from attempts/1")
	second.contains(t, "lint", "nothing run (carried over from attempts/1")
	if ran := testFilesRun(second.Log, "unit-test-1"); !slices.Equal(ran, []string{sampling}) {
		t.Errorf("unit-test-1 ran %v, want only %s", ran, sampling)
	}
	for name, st := range stageRecords(t, pr.Artifacts, "tpuci-unit-test-1-", "unitTest1") {
		if name != failed && st.CarriedCount() != len(st.Cases) {
			t.Errorf("%s ran %d case(s), want none", name, len(st.Cases)-st.CarriedCount())
		}
	}
	kept := stageRecords(t, filepath.Join(pr.Artifacts, failed, "attempts"), "1", "unitTest1")
	if k := kept["1"]; k == nil || k.Status != report.Failed {
		t.Errorf("%s does not keep attempt 1's failed record: %+v", failed, kept)
	}
}
