package targets_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Runs on main (here: TPUCI_RECORD_DURATIONS=1) add their per-file
// durations to the history store; suite:list and later runs weigh files
// by the median of those runs, and by the estimate where none measured.
func TestDurationsAccumulateAcrossRuns(t *testing.T) {
	py := pythonPath(t)
	repo := t.TempDir()
	hist := filepath.Join(t.TempDir(), "history")
	writeFile(t, filepath.Join(repo, "python/sgl_jax/__init__.py"), "")
	writeFile(t, filepath.Join(repo, "test/test_a.py"), "print('a')\n")
	writeFile(t, filepath.Join(repo, "test/test_b.py"), "print('b')\n")
	writeFile(t, filepath.Join(repo, "tpuci.toml"), `[repo]
python = "`+py+`"
[[suite]]
name = "unit"
target = "unitTest1"
files = [
  { path = "test/test_a.py", minutes = 7 },
  { path = "test/test_b.py", minutes = 9 },
]
`)
	env := []string{"TPUCI_NIGHTLY_HISTORY=" + hist, "TPUCI_DEPS=workflow", "TPUCI_FORCE=1"}
	for i := range 2 {
		out := filepath.Join(t.TempDir(), "out")
		runEnv := append(slices.Clone(env), "TPUCI_OUT="+out, "TPUCI_RECORD_DURATIONS=1")
		if i == 1 {
			// The second run measures test_a only.
			runEnv = append(runEnv, "TPUCI_SELECT="+filepath.Join(repo, "sel.txt"))
			writeFile(t, filepath.Join(repo, "sel.txt"), "test/test_a.py\n")
		}
		if r := run(t, repo, runEnv, "unitTest1"); r.code != 0 {
			t.Fatalf("run %d: exit %d\n%s\n%s", i, r.code, r.stdout, r.stderr)
		} else if !strings.Contains(r.stdout+r.stderr, "recorded the durations of") {
			t.Fatalf("run %d did not record:\n%s\n%s", i, r.stdout, r.stderr)
		}
	}
	recs, _ := filepath.Glob(filepath.Join(hist, "durations", "*.json"))
	if len(recs) != 2 {
		t.Fatalf("records %v", recs)
	}
	r := run(t, repo, append(env, "TPUCI_OUT="+filepath.Join(t.TempDir(), "out")), "suite:list", "unit")
	text := r.stdout
	if r.code != 0 || !strings.Contains(text, "weights: median of the last 5 measured runs (2 in ") {
		t.Fatalf("suite:list: exit %d\n%s\n%s", r.code, text, r.stderr)
	}
	lineOf := func(file string) string {
		for _, l := range strings.Split(text, "\n") {
			if strings.Contains(l, file) {
				return l
			}
		}
		return ""
	}
	// Measured in two runs / in one, both far below their estimates.
	if a := lineOf("test/test_a.py"); !strings.Contains(a, "median of 2") || strings.Contains(a, " 7.0 ") {
		t.Errorf("test_a: %q", a)
	}
	if b := lineOf("test/test_b.py"); !strings.Contains(b, "1 run") || strings.Contains(b, " 9.0 ") {
		t.Errorf("test_b: %q", b)
	}
	// Without the flag (a pull request), nothing is added.
	if r := run(t, repo, append(env, "TPUCI_OUT="+filepath.Join(t.TempDir(), "out")), "unitTest1"); r.code != 0 {
		t.Fatalf("PR run: exit %d\n%s", r.code, r.stderr)
	}
	if recs, _ := filepath.Glob(filepath.Join(hist, "durations", "*.json")); len(recs) != 2 {
		t.Errorf("a run off main recorded: %v", recs)
	}
}
