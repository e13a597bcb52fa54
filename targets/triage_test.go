package targets_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/triage"
)

// triageRepo is a checkout with one suite of two test files; test_b.py
// fails when the file FAIL_B exists next to it.
func triageRepo(t *testing.T, quarantine string) string {
	t.Helper()
	repo := t.TempDir()
	writeFile(t, filepath.Join(repo, "python/sgl_jax/__init__.py"), "")
	writeFile(t, filepath.Join(repo, "test/test_a.py"), "print('a')\n")
	writeFile(t, filepath.Join(repo, "test/test_b.py"), `import os
if os.path.exists(os.path.join(os.path.dirname(__file__), "FAIL_B")):
    raise ValueError(f"checksum {os.getpid():#x} of {__file__} mismatched {os.getpid()} times")
print("b")
`)
	writeFile(t, filepath.Join(repo, "tpuci.toml"), `[repo]
python = "`+pythonPath(t)+`"

[[suite]]
name = "unit"
target = "unitTest1"
files = [
  { path = "test/test_a.py", minutes = 1 },
  { path = "test/test_b.py", minutes = 1 },
]
`+quarantine)
	return repo
}

func quarantineEntry(expires string) string {
	return `
[[quarantine]]
test = "test/test_b.py"
reason = "fails one run in ten on v6e-1"
owner = "@kernels"
issue = "https://github.com/sgl-project/sglang-jax/issues/42"
expires = ` + expires + "\n"
}

// An expired [[quarantine]] entry fails the config check before any work,
// in one error (wrapped to the terminal) naming tpuci.toml:line:col and
// what to do; extended, the same entry loads and ci:plan lists it.
func TestExpiredQuarantineNamesItsLine(t *testing.T) {
	repo := triageRepo(t, quarantineEntry("2001-01-31")) // long past on any clock
	want := regexp.QuoteMeta(filepath.Join(repo, "tpuci.toml")) + fmt.Sprintf(":%d:1: ", lineOf(t, repo, "expires =")) +
		`quarantine\[0\]\.expires: the quarantine ` +
		`of test/test_b\.py expired on 2001-01-31: fix the test and remove the entry, or extend expires$`
	for _, target := range []string{"config:show", "unitTest1"} {
		out := filepath.Join(t.TempDir(), "out")
		r := run(t, repo, []string{"TPUCI_OUT=" + out, "TPUCI_DEPS=workflow"}, target)
		// Once, wrapped to the terminal.
		shown := errorLine(r.stderr)
		fitsTerminal(t, target, r.stderr)
		if r.code == 0 || strings.Count(r.stderr, "Error: ") != 1 ||
			!regexp.MustCompile(want).MatchString(strings.TrimPrefix(shown, "Error: ")) {
			t.Fatalf("%s: exit %d, want one line matching %s\nstdout:\n%s\nstderr:\n%s", target, r.code, want, r.stdout, r.stderr)
		}
		if strings.Contains(r.stdout, "test/test_a.py") || exists(filepath.Join(out, "unitTest1.json")) {
			t.Errorf("%s: ran despite the expired entry:\n%s", target, r.stdout)
		}
	}
	repo = triageRepo(t, quarantineEntry("2999-12-31"))
	r := run(t, repo, []string{"TPUCI_OUT=" + filepath.Join(t.TempDir(), "out")}, "config:show")
	if r.code != 0 || !strings.Contains(r.stdout, "expires = 2999-12-31") || !strings.Contains(r.stdout, "[triage]") {
		t.Fatalf("extended: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// ci:plan lists it, in its output (within 100 columns) and plan.json.
	out := filepath.Join(t.TempDir(), "out")
	r = run(t, repo, []string{"TPUCI_OUT=" + out}, "ci:plan")
	_, listed, _ := strings.Cut(r.stdout, "\nquarantined: 1 (they run and are reported; their failures do not gate)\n")
	want = "  test/test_b.py\n    until 2999-12-31, owner @kernels, https://github.com/sgl-project/sglang-jax/issues/42\n" +
		"    fails one run in ten on v6e-1\n"
	if r.code != 0 || !strings.HasPrefix(listed, want) {
		t.Fatalf("ci:plan: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var plan struct {
		Quarantine []map[string]any `json:"quarantine"`
	}
	data, err := os.ReadFile(filepath.Join(out, "plan.json"))
	if err != nil || json.Unmarshal(data, &plan) != nil || len(plan.Quarantine) != 1 ||
		plan.Quarantine[0]["owner"] != "@kernels" || plan.Quarantine[0]["expires"] != "2999-12-31" ||
		plan.Quarantine[0]["issue"] != "https://github.com/sgl-project/sglang-jax/issues/42" {
		t.Errorf("plan.json quarantine: %v %s", err, data)
	}
}

// lineOf is the number of the first line of tpuci.toml that starts with prefix.
func lineOf(t *testing.T, repo, prefix string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repo, "tpuci.toml"))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	t.Fatalf("tpuci.toml has no line %q", prefix)
	return 0
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// ci:quarantine reads the failure record: a test flaky on main above the
// threshold is proposed for quarantine as TOML that, once owner and issue
// are filled in, the config accepts; a quarantined test green for 30
// first attempts is proposed for removal; an always-failing test is not
// proposed.
func TestQuarantineProposals(t *testing.T) {
	repo := triageRepo(t, quarantineEntry("2999-12-31"))
	hist := filepath.Join(t.TempDir(), "history")
	store := triage.Dir{Root: filepath.Join(hist, triage.Subdir)}
	start := time.Now().UTC().Add(-40 * time.Hour) // the window ends now
	for i := range 36 {
		commit := fmt.Sprintf("%040x", i+1)
		at := start.Add(time.Duration(i) * time.Hour)
		e := func(test, outcome string) triage.Entry {
			fp := ""
			if outcome != triage.Passed {
				fp = triage.Fingerprint(test, "AssertionError")
			}
			return triage.Entry{Test: test, File: test, Outcome: outcome, Fingerprint: fp, Attempts: 1}
		}
		a := e("test/test_a.py", triage.Passed)
		if i%9 == 4 { // flaky on 4 of 36 commits: failed, then passed in a rerun of the commit
			a = e("test/test_a.py", triage.Failed)
			rerun := triage.Run{Commit: commit, Ref: "main", Event: "push", RunID: fmt.Sprint(1000 + i), Attempt: 2,
				Target: "unitTest1", Date: at.Add(time.Minute), Entries: []triage.Entry{e("test/test_a.py", triage.Passed)}}
			if err := store.Add(rerun); err != nil {
				t.Fatal(err)
			}
		}
		run := triage.Run{Commit: commit, Ref: "main", Event: "push", RunID: fmt.Sprint(1000 + i), Attempt: 1,
			Target: "unitTest1", Date: at, Entries: []triage.Entry{a, e("test/test_b.py", triage.Passed),
				e("test/test_c.py", triage.Failed)}}
		if err := store.Add(run); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "out")
	r := run(t, repo, []string{"TPUCI_OUT=" + out, "TPUCI_NIGHTLY_HISTORY=" + hist}, "ci:quarantine")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"# flaky in 4 of 36 verdicts (11.1 %)", "[[quarantine]]\ntest = \"test/test_a.py\"\n",
		fmt.Sprintf("#   tpuci.toml:%d: test/test_b.py: 36 clean first attempts in a row\n"+
			"#     owner @kernels, issue https://github.com/sgl-project/sglang-jax/issues/42\n", lineOf(t, repo, "[[quarantine]]"))} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "test_c.py") {
		t.Errorf("an always-failing test was proposed:\n%s", r.stdout)
	}
	var pr triage.Proposal
	data, err := os.ReadFile(filepath.Join(out, triage.QuarantineFile))
	if err != nil || json.Unmarshal(data, &pr) != nil || len(pr.Add) != 1 || pr.Add[0].Flaky != 4 || len(pr.Remove) != 1 ||
		pr.Remove[0].Clean != 36 {
		t.Fatalf("quarantine.json: %v\n%s", err, data)
	}
	// Pasted with an owner and an issue, the proposal is a valid entry.
	_, toml, _ := strings.Cut(r.stdout, "[[quarantine]]")
	toml, _, _ = strings.Cut(toml, "\n\n")
	toml = strings.Replace(strings.Replace(toml, `owner = ""`, `owner = "@me"`, 1), `issue = ""`, `issue = "#7"`, 1)
	cfg, _ := os.ReadFile(filepath.Join(repo, "tpuci.toml"))
	writeFile(t, filepath.Join(repo, "tpuci.toml"), string(cfg)+"\n[[quarantine]]"+toml+"\n")
	if r := run(t, repo, []string{"TPUCI_OUT=" + out}, "config:show"); r.code != 0 || !strings.Contains(r.stdout, "@me") {
		t.Errorf("pasted proposal: exit %d\n%s\n%s", r.code, r.stderr, toml)
	}
}

// A stage run on main records each test's result with the failing file's
// fingerprint; a later pull request's run of the same failure, in another
// checkout with other numbers in its message, has the same fingerprint,
// so triage calls it main's failure.
func TestMainRunRecordsFailures(t *testing.T) {
	hist := filepath.Join(t.TempDir(), "history")
	env := func(out string, kv ...string) []string {
		return append([]string{"TPUCI_OUT=" + out, "TPUCI_NIGHTLY_HISTORY=" + hist, "TPUCI_DEPS=workflow"}, kv...)
	}
	mainRepo := triageRepo(t, "")
	writeFile(t, filepath.Join(mainRepo, "test/FAIL_B"), "")
	r := run(t, mainRepo, env(filepath.Join(t.TempDir(), "out"), "GITHUB_EVENT_NAME=push", "GITHUB_REF=refs/heads/main",
		"GITHUB_RUN_ID=4242", "GITHUB_RUN_ATTEMPT=1", "RUNNER_NAME=tpu-v6e-1-runner-3"), "unitTest1")
	if r.code == 0 || !strings.Contains(r.stderr+r.stdout, "recorded 2 test results of unitTest1 (1 not passed; main run)") {
		t.Fatalf("main run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	runs, err := triage.Dir{Root: filepath.Join(hist, triage.Subdir)}.Runs()
	if err != nil || len(runs) != 1 {
		t.Fatalf("records: %v %d", err, len(runs))
	}
	rec := runs[0]
	if rec.Ref != "main" || rec.Event != "push" || rec.RunID != "4242" || rec.Attempt != 1 ||
		rec.Runner != "tpu-v6e-1-runner-3" || rec.Target != "unitTest1" || len(rec.Commit) < 7 {
		t.Errorf("record %+v", rec)
	}
	byTest := map[string]triage.Entry{}
	for _, e := range rec.Entries {
		byTest[e.Test] = e
	}
	b := byTest["test/test_b.py"]
	if byTest["test/test_a.py"].Outcome != triage.Passed || b.Outcome != triage.Failed || b.Class != "case-crash" ||
		b.Fingerprint == "" || !strings.Contains(b.Message, "ValueError: checksum <hex> of <path> mismatched <n> times") {
		t.Fatalf("entries %+v", rec.Entries)
	}

	// A pull request's run elsewhere: not recorded, same fingerprint; main
	// fails the same, so the stage ends without an error and says why.
	prRepo := triageRepo(t, "")
	writeFile(t, filepath.Join(prRepo, "test/FAIL_B"), "")
	out := filepath.Join(t.TempDir(), "out")
	r = run(t, prRepo, env(out, "GITHUB_EVENT_NAME=pull_request"), "unitTest1")
	if r.code != 0 || strings.Contains(r.stderr+r.stdout, "recorded") ||
		!strings.Contains(r.stdout+r.stderr, "its failures do not gate (1 main)") {
		t.Fatalf("PR run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var tr report.TargetResult
	data, err := os.ReadFile(filepath.Join(out, "unitTest1.json"))
	if err != nil || json.Unmarshal(data, &tr) != nil {
		t.Fatal(err)
	}
	fs := triage.FailuresOf(&tr, "unit-test-1")
	if len(fs) != 1 || fs[0].Test != "test/test_b.py" || fs[0].Fingerprint != b.Fingerprint {
		t.Fatalf("PR failures %+v, main's fingerprint %s", fs, b.Fingerprint)
	}
	h := triage.Build(runs, time.Now(), triage.PolicyOf(nil))
	if d := triage.Decide(fs[0], h, nil, []string{"README.md"}, triage.PolicyOf(nil), time.Now()); d.Triage != "main" || d.Gates ||
		d.Main == nil || d.Main.RunID != "4242" {
		t.Errorf("decision %+v", d)
	}
	if recs, _ := filepath.Glob(filepath.Join(hist, triage.Subdir, "*.json")); len(recs) != 1 {
		t.Errorf("records after the PR run: %v", recs)
	}
}

// A quarantined test that fails lets its stage end without an error, so
// the stages after it still run; the record keeps the failure and says
// why. Without the entry the same failure fails the stage.
func TestQuarantinedFailureDoesNotStopTheStage(t *testing.T) {
	for _, tc := range []struct {
		name       string
		quarantine string
		code       int
	}{
		{"quarantined", quarantineEntry("2999-12-31"), 0},
		{"not quarantined", "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := triageRepo(t, tc.quarantine)
			writeFile(t, filepath.Join(repo, "test/FAIL_B"), "")
			out := filepath.Join(t.TempDir(), "out")
			r := run(t, repo, []string{"TPUCI_OUT=" + out, "TPUCI_DEPS=workflow"}, "unitTest1")
			if (r.code == 0) != (tc.code == 0) {
				t.Fatalf("exit %d, want %d\n%s\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			var rec report.TargetResult
			data, err := os.ReadFile(filepath.Join(out, "unitTest1.json"))
			if err != nil || json.Unmarshal(data, &rec) != nil {
				t.Fatalf("record: %v", err)
			}
			if rec.Status != report.Failed {
				t.Errorf("record status %s, want failed: the failure stays on record", rec.Status)
			}
			if excused := strings.Contains(rec.Reason, "do not gate (1 quarantined)"); excused != (tc.code == 0) {
				t.Errorf("reason %q", rec.Reason)
			}
		})
	}
}
