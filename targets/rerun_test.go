package targets_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/compare/comparetest"
	"github.com/sgl-project/tpuci/internal/report"
)

// record reads a stage's record from out.
func record(t *testing.T, out, target string) *report.TargetResult {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, target+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var st report.TargetResult
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	return &st
}

// TPUCI_ONLY on the example runs one pytest test and one unittest test
// (a script the suite runs with python, run here through unittest) and
// nothing else of unitTest1, in every suite that lists them; the record
// says it ran only those, so a later run does not take it for the whole
// target.
func TestOnlyRunsOneTestOfTheExample(t *testing.T) {
	dir := t.TempDir()
	only := "python/sgl_jax/test/test_sampling_params.py::test_invalid_values," +
		"python/sgl_jax/test/test_common_utils.py::TestCommonUtils.test_cdiv"
	r := run(t, dir, append(exampleEnv(dir), "TPUCI_DEPS=workflow", "TPUCI_ONLY="+only), "unitTest1")
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	st := record(t, filepath.Join(dir, "out"), "unitTest1")
	if st.Status != report.Passed || st.Only != only {
		t.Fatalf("record: %s, only %q", st.Status, st.Only)
	}
	var names []string
	for _, c := range st.Cases {
		if c.Status == report.Skipped {
			continue
		}
		names = append(names, c.Class+" "+c.Name)
	}
	slices.Sort(names)
	// Both files are in the 1-chip and the CPU suite.
	want := []string{
		"unit-test-cpu python.sgl_jax.test.test_sampling_params::test_invalid_values",
		"unit-test-cpu test_common_utils.TestCommonUtils.test_cdiv",
		"unit-test-tpu-v6e-1 python.sgl_jax.test.test_sampling_params::test_invalid_values",
		"unit-test-tpu-v6e-1 test_common_utils.TestCommonUtils.test_cdiv",
	}
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Errorf("cases run:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	fitsTerminal(t, "unitTest1 with TPUCI_ONLY", r.stdout+r.stderr)

	// A misspelt test, or a value naming nothing, fails before any work.
	for only, want := range map[string]string{
		"python/sgl_jax/test/test_common_utils.py::TestCommonUtils.test_cdivv": "no method test_cdivv in TestCommonUtils",
		"python/sgl_jax/test/test_sampling_params.py::test_invalid_valuez":     "no test function or class test_invalid_valuez",
		",": "TPUCI_ONLY=,: names nothing",
	} {
		out := filepath.Join(t.TempDir(), "out")
		r := run(t, dir, append(exampleEnv(dir), "TPUCI_OUT="+out, "TPUCI_ONLY="+only), "unitTest1")
		if words := strings.Join(strings.Fields(r.stdout+r.stderr), " "); r.code == 0 || !strings.Contains(words, want) {
			t.Errorf("TPUCI_ONLY=%s: exit %d, want an error naming %q\n%s%s", only, r.code, want, r.stdout, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(out, "logs")); err == nil {
			t.Errorf("TPUCI_ONLY=%s: ran something (%s/logs exists)", only, out)
		}
	}
}

// The local rerun journey on a git copy of the example whose sampling
// test fails once: unitTest1 (after lint) fails naming the test; `rerun`
// keeps those results in attempts/1, runs again only that test of the
// one suite where it failed, and the new record is a flaky pass with the
// earlier failure attached and every other case carried over; lint is
// carried over, not run. A second `rerun` finds nothing failed and runs
// nothing.
func TestRerunRunsOnlyWhatFailed(t *testing.T) {
	repo := comparetest.Repo(t)
	marker := filepath.Join(t.TempDir(), "failed-once")
	const test = "python/sgl_jax/test/test_sampling_params.py"
	comparetest.Edit(t, repo, test, "def test_invalid_values():\n",
		"def test_invalid_values():\n    import os\n    if not os.path.exists("+strconv.Quote(marker)+"):\n"+
			"        open("+strconv.Quote(marker)+", 'w').close()\n        assert False, 'a bad value slipped through'\n",
		"sampling: a test that fails once")
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	env := append(exampleEnv(dir), "TPUCI_REPO="+repo)
	first := run(t, dir, env, "unitTest1")
	if words := strings.Join(strings.Fields(first.stdout), " "); first.code != 1 ||
		!strings.Contains(words, "test_invalid_values: AssertionError: a bad value slipped through") {
		t.Fatalf("first run: exit %d\nstdout:\n%s\nstderr:\n%s", first.code, first.stdout, first.stderr)
	}
	// The error mage prints fits the terminal: its first part, the rest
	// in the failures above.
	if line := errorLine(first.stderr); !strings.HasPrefix(line, "Error: unitTest1: 1 failure(s): ") || !strings.HasSuffix(line, "(see above)") {
		t.Errorf("first run's error line: %q", line)
	}
	fitsTerminal(t, "first run's error", errorLine(first.stderr))
	before := record(t, out, "unitTest1")

	r := run(t, dir, env, "rerun")
	all := r.stdout + r.stderr
	if r.code != 0 {
		t.Fatalf("rerun: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if n := strings.Count(all, "  ok "); n != 1 || !strings.Contains(all, "  ok "+test) || strings.Contains(all, "==> lint") {
		t.Errorf("rerun ran %d files, want only %s and no lint:\n%s", n, test, all)
	}
	fitsTerminal(t, "rerun", all)
	kept := record(t, filepath.Join(out, "attempts", "1"), "unitTest1")
	if kept.Status != report.Failed || len(kept.Cases) != len(before.Cases) {
		t.Errorf("attempts/1 does not keep the first run: %s, %d cases", kept.Status, len(kept.Cases))
	}
	st := record(t, out, "unitTest1")
	if st.Status != report.Passed || !strings.Contains(st.Reason, "ran again what failed in attempts/1") || len(st.Cases) != len(before.Cases) {
		t.Fatalf("record: %s (%s), %d cases, %d before", st.Status, st.Reason, len(st.Cases), len(before.Cases))
	}
	ran := 0
	for _, c := range st.Cases {
		if c.CarriedOver != "" {
			if c.CarriedOver != "attempts/1" {
				t.Errorf("%s carried over from %q", c.Name, c.CarriedOver)
			}
			continue
		}
		ran++
		if !strings.HasSuffix(c.Name, "::test_invalid_values") || c.Class != "unit-test-tpu-v6e-1" || !c.Flaky() ||
			c.Attempts[0].Message == "" || !strings.Contains(c.Attempts[0].Message, "a bad value slipped through") {
			t.Errorf("ran again: %+v", c)
		} else if _, err := os.Stat(c.Attempts[0].Log); err != nil || !strings.Contains(c.Attempts[0].Log, filepath.Join("attempts", "1", "logs")) {
			t.Errorf("the earlier attempt's log %q is not kept: %v", c.Attempts[0].Log, err)
		}
	}
	if ran != 1 {
		t.Errorf("%d cases ran again, want 1", ran)
	}
	if lint := record(t, out, "lint"); lint.Status != report.Passed || !strings.HasPrefix(lint.Reason, "carried over from attempts/1") {
		t.Errorf("lint: %s (%s)", lint.Status, lint.Reason)
	} else if _, err := os.Stat(lint.LogDir); err != nil || lint.LogDir != filepath.Join(out, "attempts", "1", "logs", "lint") {
		t.Errorf("lint's carried-over record names its logs at %s, not where they are: %v", lint.LogDir, err)
	}
	x, _ := os.ReadFile(filepath.Join(out, "junit", "unitTest1.xml"))
	if !strings.Contains(string(x), `<flakyFailure message="AssertionError: a bad value slipped through`) ||
		!strings.Contains(string(x), `name="tpuci.carried_over" value="attempts/1"`) {
		t.Errorf("JUnit lacks the flaky pass or the carried-over cases:\n%s", x)
	}
	if md, _ := os.ReadFile(filepath.Join(out, "summary.md")); !strings.Contains(string(md), "1 flaky: passed on a rerun") ||
		!strings.Contains(string(md), "carried over, not run again") ||
		!strings.Contains(string(md), "`"+filepath.Join(out, "attempts", "1", "logs", "lint")+"`") {
		t.Errorf("summary.md:\n%s", md)
	}

	again := run(t, dir, env, "rerun")
	if again.code != 0 || !strings.Contains(strings.Join(strings.Fields(again.stdout), " "), "nothing failed in the last run") || strings.Contains(again.stdout+again.stderr, "==> ") {
		t.Errorf("second rerun: exit %d\nstdout:\n%s\nstderr:\n%s", again.code, again.stdout, again.stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "attempts", "2")); err == nil {
		t.Errorf("a rerun with nothing failed moved the results")
	}
}
