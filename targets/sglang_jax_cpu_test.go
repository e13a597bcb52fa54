package targets_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/proc"
	"github.com/sgl-project/tpuci/internal/report"
)

// cpuSuiteEnv is what SGLang-JAX's unit-test-cpu job sets (pr-test.yml).
var cpuSuiteEnv = []string{"SGLANG_JAX_IS_IN_CI=true", "USE_DEVICE_TYPE=cpu"}

// fileVerdict is one test file's result in one runner.
type fileVerdict struct {
	failed  bool
	seconds float64
	tests   []string // failing tests, as "Class::test" or "test"
}

var (
	suiteEnd    = regexp.MustCompile(`(?m)^filename='([^']+)', elapsed=(\d+)`)
	suiteFailed = regexp.MustCompile(`expected return code 0, but (\S+) returned (-?\d+)`)
	// pytest's "FAILED path::Class::test - ..." and unittest's "FAIL: test (module.Class.test)".
	pytestFailed   = regexp.MustCompile(`(?m)^(?:FAILED|ERROR) \S+?\.py::(\S+)`)
	unittestFailed = regexp.MustCompile(`(?m)^(?:FAIL|ERROR): (\w+) \((?:[\w.]+\.)?(\w+)\.\w+\)`)
)

// runSuiteVerdicts runs run_suite.py --suite name in repo and returns the
// verdict of every file. run_suite.py stops at the first failing file, so
// it is started again after it with --range-begin until the suite ends.
func runSuiteVerdicts(t *testing.T, repo, python, suite string) map[string]fileVerdict {
	t.Helper()
	verdicts := map[string]fileVerdict{}
	for begin := 0; ; {
		var out bytes.Buffer
		res, err := proc.Run(context.Background(), proc.Cmd{
			Argv:    []string{python, "test/srt/run_suite.py", "--suite", suite, "--range-begin", strconv.Itoa(begin)},
			Dir:     repo,
			Env:     cpuSuiteEnv,
			Timeout: 90 * time.Minute,
			Stdout:  &out,
		})
		log := out.String()
		ends := suiteEnd.FindAllStringSubmatchIndex(log, -1)
		from := 0
		for _, m := range ends {
			file, _ := filepath.Rel(repo, log[m[2]:m[3]])
			secs, _ := strconv.ParseFloat(log[m[4]:m[5]], 64)
			v := fileVerdict{seconds: secs, tests: failingTests(log[from:m[0]])}
			verdicts[file] = v
			from = m[1]
		}
		if err == nil && res.ExitCode == 0 {
			return verdicts
		}
		fail := suiteFailed.FindStringSubmatch(log)
		if fail == nil || len(ends) == 0 {
			t.Fatalf("run_suite.py from file %d ended without naming a failed file (%v):\n%s", begin, err, tail(log, 3000))
		}
		file, _ := filepath.Rel(repo, fail[1])
		v := verdicts[file]
		v.failed = true
		verdicts[file] = v
		begin += len(ends)
	}
}

// failingTests lists the failing tests a file's output names.
func failingTests(log string) []string {
	var tests []string
	for _, m := range pytestFailed.FindAllStringSubmatch(log, -1) {
		tests = append(tests, m[1])
	}
	for _, m := range unittestFailed.FindAllStringSubmatch(log, -1) {
		tests = append(tests, m[2]+"::"+m[1])
	}
	sort.Strings(tests)
	return tests
}

// tpuciVerdicts reads per-file verdicts from a target's results.
func tpuciVerdicts(st report.TargetResult) map[string]fileVerdict {
	verdicts := map[string]fileVerdict{}
	for _, c := range st.Cases {
		v := verdicts[c.File]
		v.seconds += c.Duration.Seconds()
		if c.Status == report.Failed || c.Status == report.Errored {
			v.failed = true
			name := strings.ReplaceAll(c.Name, ".", "::")
			v.tests = append(v.tests, name)
		}
		verdicts[c.File] = v
	}
	for f, v := range verdicts {
		sort.Strings(v.tests)
		verdicts[f] = v
	}
	return verdicts
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func verdictWord(v fileVerdict, ok bool) string {
	switch {
	case !ok:
		return "not run"
	case v.failed:
		return "failed"
	}
	return "passed"
}

// SGLang-JAX's own CPU suite, run by tpuci and by run_suite.py in the same
// Debian 13 environment (SGLang-JAX's python[cpu], made by bootstrap.sh
// from registries), gets the same verdict for every file; a file that
// fails in both fails on the same tests. Takes about twice the suite's
// time (~45 min on 2 cores): go test -timeout 120m.
func TestCPUSuiteAgreesWithRunSuiteOnSGLangJAX(t *testing.T) {
	src := sglangJAX(t)
	needs.Tool(t, "mmdebstrap")
	needs.Tool(t, "bwrap")
	repo := cloneAt(t, src, "HEAD")
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	venv := filepath.Join(cache, "tpuci-test", "sglang-jax-trixie")
	script, _ := filepath.Abs(filepath.Join("..", "scripts", "bootstrap.sh"))
	var boot bytes.Buffer
	if _, err := proc.Run(context.Background(), proc.Cmd{
		Argv: []string{"bash", script}, Dir: repo, Stdout: &boot, Timeout: 30 * time.Minute,
		Env: []string{"TPUCI_REPO=" + repo, "TPUCI_VENV=" + venv, "TPUCI_PYTHON_DEBIAN=trixie",
			"TPUCI_PY_EXTRAS=cpu", "TPUCI_EXTRA_PACKAGES=uv pytest", "TPUCI_SKIP_GO=1", "TPUCI_SKIP_CACHES=1"},
	}); err != nil {
		t.Fatalf("bootstrap: %v\n%s", err, tail(boot.String(), 3000))
	}
	python := filepath.Join(venv, "bin", "python")
	const suite = "unit-test-cpu"

	want := runSuiteVerdicts(t, repo, python, suite)

	out := t.TempDir()
	env := append([]string{"TPUCI_REPO=" + repo, "TPUCI_OUT=" + out, "TPUCI_PYTHON=" + python,
		"TPUCI_SUITE=" + suite, "TPUCI_DEPS=workflow", "TPUCI_LOCK_FILE=" + filepath.Join(out, "lock")}, cpuSuiteEnv...)
	r := run(t, t.TempDir(), env, "unitTest1")
	got := tpuciVerdicts(stageResult(t, out, "unitTest1"))

	files := map[string]bool{}
	for f := range want {
		files[f] = true
	}
	for f := range got {
		files[f] = true
	}
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	sort.Strings(names)
	var table strings.Builder
	fmt.Fprintf(&table, "| file | run_suite.py | tpuci | minutes (run_suite.py / tpuci) |\n|---|---|---|---|\n")
	anyFailed := false
	for _, f := range names {
		w, inWant := want[f]
		g, inGot := got[f]
		fmt.Fprintf(&table, "| %s | %s | %s | %.2f / %.2f |\n", f, verdictWord(w, inWant), verdictWord(g, inGot), w.seconds/60, g.seconds/60)
		anyFailed = anyFailed || w.failed
		switch {
		case inWant != inGot:
			t.Errorf("%s: run by one runner only (run_suite.py %v, tpuci %v)", f, inWant, inGot)
		case w.failed != g.failed:
			t.Errorf("%s: run_suite.py %s, tpuci %s", f, verdictWord(w, inWant), verdictWord(g, inGot))
		case w.failed && len(w.tests) > 0 && !sameTests(w.tests, g.tests):
			t.Errorf("%s fails on other tests: run_suite.py %v, tpuci %v", f, w.tests, g.tests)
		}
	}
	t.Logf("unit-test-cpu, file by file:\n%s", table.String())
	if (r.code != 0) != anyFailed {
		t.Errorf("tpuci exit %d, run_suite.py failed files: %v\n%s", r.code, anyFailed, tail(r.stdout, 3000))
	}
}

// sameTests compares failing test names, ignoring the class where only one
// side names it.
func sameTests(a, b []string) bool {
	short := func(xs []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range xs {
			m[x[strings.LastIndex(x, ":")+1:]] = true
		}
		return m
	}
	sa, sb := short(a), short(b)
	if len(sa) != len(sb) {
		return false
	}
	for k := range sa {
		if !sb[k] {
			return false
		}
	}
	return true
}
