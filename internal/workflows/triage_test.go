package workflows

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/githubtest"
)

// The triage journeys' tests: four stdlib unittest files over one small
// module, so that a change to the module runs them all (the plan's
// import graph) and nothing else of the example runs.
const (
	demoModule = "python/sgl_jax/triage_demo.py"
	testA      = "python/sgl_jax/test/test_triage_a.py" // checks answer(): the PR breaks it
	testB      = "python/sgl_jax/test/test_triage_b.py" // checks double(): broken on main, fixed later
	testC      = "python/sgl_jax/test/test_triage_c.py" // flaky: fails when its marker is missing, making it
	testD      = "python/sgl_jax/test/test_triage_d.py" // always fails: quarantined
)

// demo is the module under test; double is broken until fixed.
func demo(answer int, doubleFixed bool) string {
	double := "return 2 * x + 1  # broken"
	if doubleFixed {
		double = "return 2 * x"
	}
	return fmt.Sprintf(`"""Small functions the triage journey's tests check."""


def answer():
    return %d


def double(x):
    %s
`, answer, double)
}

// unittestFile is a test file that imports the demo module.
func unittestFile(class, body string) string {
	return `"""A test of the triage journey."""

import os
import sys
import unittest

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))

from sgl_jax import triage_demo  # noqa: E402


class ` + class + `(unittest.TestCase):
` + body + `

if __name__ == "__main__":
    unittest.main(verbosity=2)
`
}

var triageTests = map[string]string{
	testA: unittestFile("TestA", `    def test_answer(self):
        self.assertEqual(triage_demo.answer(), 42, "answer changed")
`),
	testB: unittestFile("TestB", `    def test_double(self):
        self.assertEqual(triage_demo.double(2), 4, "double is broken")
`),
	testC: unittestFile("TestC", `    def test_marker(self):
        marker = os.path.join(os.environ["TRIAGE_JOURNEY_MARKERS"], "c-ran-before")
        if not os.path.exists(marker):
            open(marker, "w").close()
            self.fail("first run: no marker yet")
        self.assertTrue(triage_demo.answer() is not None)
`),
	testD: unittestFile("TestD", `    def test_known_bug(self):
        self.fail("the known bug of D")
`),
}

// triageConfig is the clone's whole tpuci.toml: lint and one CPU suite of
// the four tests, a flake criterion one flaky verdict meets, and D
// quarantined until a year from now.
func triageConfig(expires time.Time) string {
	return `# The triage journey: lint and one suite of four small tests.
[repo]
python = "/usr/bin/python3"
package = "sgl_jax"
package_dir = "python"
version_file = "python/sgl_jax/version.py"

[lint]
paths = ["python/sgl_jax/triage_demo.py", "python/sgl_jax/test"]
args = ["--errors-only", "--disable=import-error"]
jobs = 1
timeout = "5m"

[[suite]]
name = "unit-test-cpu"
target = "unitTest1"
chips = 0
partitions = 1
timeout_per_file = "2m"
files = [
  { path = "` + testA + `", minutes = 0.1 },
  { path = "` + testB + `", minutes = 0.1 },
  { path = "` + testC + `", minutes = 0.1 },
  { path = "` + testD + `", minutes = 0.1 },
]

[triage]
flaky_min = 1   # one flaky verdict on main makes a test known flaky here

[[quarantine]]
test = "` + testD + `"
reason = "fails on purpose: the journey's quarantined test"
owner = "@triage-owner"
issue = "#7"
expires = ` + expires.Format(time.DateOnly) + `

[gating]
required_label = "run-ci"
import_roots = ["python", "."]

[[gating.filter]]
name = "main_package"
paths = ["python/sgl_jax/**", "tpuci.toml"]
targets = ["lint", "unitTest1"]
`
}

// webhook is a Slack-compatible receiver on loopback.
type webhook struct {
	mu    sync.Mutex
	posts []map[string]any
	srv   *httptest.Server
}

func newWebhook(t *testing.T) *webhook {
	w := &webhook{}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("webhook: not JSON: %s", b)
		}
		w.mu.Lock()
		w.posts = append(w.posts, m)
		w.mu.Unlock()
		_, _ = rw.Write([]byte("ok"))
	}))
	t.Cleanup(w.srv.Close)
	return w
}

// texts are the posted messages' fallback texts.
func (w *webhook) texts() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, p := range w.posts {
		s, _ := p["text"].(string)
		if _, ok := p["blocks"].([]any); !ok {
			s += " (no blocks)"
		}
		out = append(out, s)
	}
	return out
}

// secretsAbsent fails for every secret found in the act logs, the files of
// the artifact stores, or the data repository's files and history.
func secretsAbsent(t *testing.T, secrets []string, logs []string, dirs []string, data string) {
	t.Helper()
	check := func(where, text string) {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("a secret (%d characters) is in %s", len(s), where)
			}
		}
	}
	for i, l := range logs {
		check(fmt.Sprintf("act log %d", i+1), l)
	}
	for _, dir := range dirs {
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err == nil {
				check(p, string(b))
			}
			return nil
		})
	}
	repo := checkoutData(t, data)
	history, err := gitOut(repo, "log", "-p", "--all")
	if err != nil {
		t.Fatal(err)
	}
	check("the data repository's history", history)
	_ = filepath.WalkDir(repo, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		check(p, string(b))
		return nil
	})
}

// Is this failure mine? Main goes red on B while C flakes (the webhook
// hears it once; a re-run of the same commit, where C passes, is red
// again and silent, and makes C's verdict on that commit flaky). A PR on
// that main breaks A, still fails B, and C flakes once more: ci:finish
// fails because of A alone, and the PR's one summary comment names A as
// new, B as already failing on main with main's commit, C as a flaky
// pass and the quarantined D with its owner, issue and expiry. Main's
// fix of B turns it green: the webhook hears that once. No secret is in
// any log, artifact or the data repository.
func TestTriageJourney(t *testing.T) {
	act(t)
	const (
		token    = "ghs-journey-token-0123456789"
		dataTok  = "ghp-journey-data-token-0123456789"
		hookPath = "/services/T0JOURNEY/B0JOURNEY/hook-secret-0123456789"
	)
	gh := githubtest.New(t, "sgl-project/sglang-jax", token)
	hook := newWebhook(t)
	hookURL := hook.srv.URL + hookPath
	data := dataRepo(t)
	markers := t.TempDir()

	dir := clone(t, "main")
	files := map[string]string{"tpuci.toml": triageConfig(time.Now().AddDate(1, 0, 0)), demoModule: demo(42, false)}
	for p, c := range triageTests {
		files[p] = c
	}
	base := rev(t, dir, "HEAD")
	m1 := change(t, dir, "triage journey: four tests, double broken", files)

	common := func(r run) run {
		r.Env = map[string]string{"GITHUB_REPOSITORY": "sgl-project/sglang-jax", "GITHUB_API_URL": gh.URL,
			"GITHUB_SERVER_URL": "https://github.com", "TRIAGE_JOURNEY_MARKERS": markers}
		r.Vars = map[string]string{"TPUCI_NIGHTLY_GIT": data}
		r.Secrets = map[string]string{"GITHUB_TOKEN": token, "GH_PAT_FOR_NIGHTLY_CI_DATA": dataTok, "TPUCI_NOTIFY_WEBHOOK": hookURL}
		return r
	}
	push := func(before, after string, runID int, store string) run {
		r := common(run{Dir: dir, Workflow: prWorkflow, Event: "push", Artifacts: store,
			Payload: map[string]any{"ref": "refs/heads/main", "before": before, "after": after,
				"repository": map[string]any{"full_name": "sgl-project/sglang-jax"}}})
		r.Env["GITHUB_RUN_ID"] = fmt.Sprint(runID)
		return r
	}
	var logs []string
	var stores []string
	step := func(name string, r run, want map[string]string, lines ...string) result {
		t.Helper()
		before := t.Failed()
		res := r.do(t)
		logs = append(logs, res.Log)
		stores = append(stores, r.Artifacts)
		res.expect(t, want)
		res.contains(t, "finish", lines...)
		if t.Failed() && !before { // the later runs need this one's results
			t.Fatalf("%s: stopped", name)
		}
		return res
	}
	skippedRest := map[string]string{"e2e": "skipped", "pallas": "skipped", "perf": "skipped", "unit-test-4": "skipped", "accuracy": "skipped"}
	with := func(m map[string]string) map[string]string {
		out := map[string]string{"coordinator": "succeeded", "lint": "succeeded"}
		for k, v := range skippedRest {
			out[k] = v
		}
		for k, v := range m {
			out[k] = v
		}
		return out
	}

	// (a) Main turns red: B fails, C fails its first run, D is quarantined.
	store1 := filepath.Join(t.TempDir(), "artifacts")
	step("main, attempt 1", push(base, m1, 101, store1), with(map[string]string{"unit-test-1": "failed", "finish": "failed"}),
		"verdict: red")
	if got := hook.texts(); len(got) != 1 || !strings.Contains(got[0], "main of sgl-project/sglang-jax turned red at "+m1[:10]) {
		t.Fatalf("webhook after main turned red: %q", got)
	}
	// The same commit's run re-run: C passes, B fails again: red, silent.
	r := push(base, m1, 101, store1)
	r.Env["GITHUB_RUN_ATTEMPT"] = "2"
	step("main, attempt 2", r, with(map[string]string{"unit-test-1": "failed", "finish": "failed"}), "verdict: red")
	if got := hook.texts(); len(got) != 1 {
		t.Fatalf("webhook after the repeated red: %q", got)
	}

	// (b) A PR on that main: breaks A; B still fails as on main; C flakes
	// once (its marker removed) and passes on its retry; D fails,
	// quarantined.
	if err := os.Remove(filepath.Join(markers, "c-ran-before")); err != nil {
		t.Fatal(err)
	}
	if err := git(dir, "checkout", "-q", "-b", "feature"); err != nil {
		t.Fatal(err)
	}
	change(t, dir, "answer: 41", map[string]string{demoModule: demo(41, false)})
	pr := common(prRun(t, dir, prEvent(t, dir, "labeled", "run-ci", []string{"run-ci"}, false)))
	step("PR", pr, with(map[string]string{"unit-test-1": "failed", "finish": "failed"}), "verdict: fails because of this change")
	comments := gh.CommentsOn(42)
	if len(comments) != 1 {
		t.Fatalf("PR comments: %+v, want one", comments)
	}
	body := comments[0].Body
	t.Logf("the summary comment:\n%s", body)
	for _, want := range []string{
		"### tpuci: fails because of this change",
		"**New: fails here, not on main** (1)\n- `" + testA,
		"**Already failing on main** (1)\n- `" + testB,
		"main's latest result failed alike at `" + m1[:10] + "`",
		"**Flaky passes: failed, then passed on a retry** (1)\n- `" + testC,
		"**Quarantined: runs, does not gate** (1)\n- `" + testD,
		"owner `@triage-owner`, issue \\#7, expires " + time.Now().AddDate(1, 0, 0).Format(time.DateOnly),
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the summary comment lacks %q:\n%s", want, body)
		}
	}
	if got := hook.texts(); len(got) != 1 {
		t.Errorf("a PR run posted to the webhook: %q", got)
	}

	// Main fixes B: green again, heard once. D still fails, and its stage
	// ends without an error because D is quarantined; finish lists it.
	if err := git(dir, "checkout", "-q", "main"); err != nil {
		t.Fatal(err)
	}
	m2 := change(t, dir, "double: fixed", map[string]string{demoModule: demo(42, true)})
	fixed := step("main, fixed", push(m1, m2, 102, filepath.Join(t.TempDir(), "artifacts")),
		with(map[string]string{"unit-test-1": "succeeded", "finish": "succeeded"}),
		"quarantined until", "verdict: green")
	fixed.contains(t, "unit-test-1", "its failures do not gate (1 quarantined)")
	got := hook.texts()
	if len(got) != 2 || !strings.Contains(got[1], "is green again at "+m2[:10]) ||
		!strings.Contains(got[1], "ends a red streak of 2 runs over 1 commit since "+m1[:10]) {
		t.Errorf("webhook after the fix: %q", got)
	}
	t.Logf("the webhook's messages: %q", got)
	secretsAbsent(t, []string{token, dataTok, hookURL, hookPath}, logs, stores, data)
}
