package suite

import (
	"bytes"
	"context"
	"github.com/sgl-project/tpuci/internal/jaxenv/jaxenvtest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/compiles"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/report"
)

// Each file's JAX compiles land on one of its cases, in the JUnit
// properties and in the table; a failing file still fails as it would.
func TestRunnerCountsCompilesPerFile(t *testing.T) {
	py := jaxenvtest.AnyPython(t)
	needs.PythonModules(t, py, "pip install pytest", "pytest")
	root := t.TempDir()
	write(t, root, "t/test_jit.py", `import jax, jax.numpy as jnp

def test_a():
    assert jax.jit(lambda x: x + 1)(jnp.ones(3)).sum() == 6

def test_b():
    assert jax.jit(lambda x: x * 2)(jnp.ones((2, 2))).sum() == 8
`)
	write(t, root, "t/test_fails.py", "import jax, jax.numpy as jnp\nprint(jax.jit(jnp.sin)(1.0))\nraise SystemExit(3)\n")
	write(t, root, "t/test_plain.py", "print('no jax')\n")
	s := &config.Suite{Name: "s", TimeoutPerFile: config.Duration{Duration: 5 * time.Minute}, Partitions: 1, Files: []config.File{
		{Path: "t/test_jit.py", Minutes: 1, Runner: config.RunnerPytest},
		{Path: "t/test_fails.py", Minutes: 1, Runner: "python"},
		{Path: "t/test_plain.py", Minutes: 1, Runner: "python"},
	}}
	hook, err := compiles.Install(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	env := func(int) []string { return []string{"JAX_PLATFORMS=cpu", "PYTHONPATH="} }
	plan, err := PlanSuites([]*config.Suite{s}, Options{Repo: root, Python: py, LogDir: filepath.Join(root, "logs"), Env: env, Compiles: hook})
	if err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	r := &Runner{Repo: root, Out: &out, Log: &log, ShmRoot: t.TempDir()}
	res, err := r.Run(context.Background(), plan)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]compiles.Summary{}
	carriers := 0
	for _, c := range res.Cases {
		if c.Compiles != nil {
			carriers++
		}
	}
	for _, f := range res.Compiles {
		got[f.File] = f.Summary
	}
	if carriers != 3 || got["t/test_jit.py"].Compiles < 2 || got["t/test_fails.py"].Compiles < 1 || got["t/test_plain.py"].Processes != 0 {
		t.Fatalf("%d cases carry compiles; per file: %+v\n%s", carriers, got, log.String())
	}
	if len(res.Failures) != 1 || !strings.Contains(res.Failures[0], "exit code 3") {
		t.Fatalf("failures: %q", res.Failures)
	}
	st := &report.TargetResult{Target: "unitTest1", Cases: res.Cases}
	x, err := report.JUnit(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"tpuci.compiles", "tpuci.compile_seconds", "tpuci.cache_hits", "tpuci.cache_misses"} {
		if !strings.Contains(string(x), `<property name="`+p+`"`) {
			t.Errorf("JUnit lacks %s:\n%s", p, x)
		}
	}
	tab, ok := CompileTable(res.Compiles)
	if !ok || len(tab.Rows) != 2 || !report.Fits(report.Text(tab)) {
		t.Errorf("table:\n%s", report.Text(tab))
	}
}

// A file two suites run fails once in each; each failure names its
// suite, so that the two lines say where, not the same thing twice.
func TestFailureOfASharedFileNamesItsSuite(t *testing.T) {
	root := t.TempDir()
	write(t, root, "t/test_fails.py", "raise SystemExit(3)\n")
	write(t, root, "t/test_own.py", "raise SystemExit(4)\n")
	suite := func(name string, files ...string) *config.Suite {
		s := &config.Suite{Name: name, TimeoutPerFile: config.Duration{Duration: time.Minute}, Partitions: 1}
		for _, f := range files {
			s.Files = append(s.Files, config.File{Path: f, Minutes: 1, Runner: "python"})
		}
		return s
	}
	plan, err := PlanSuites([]*config.Suite{suite("cpu", "t/test_fails.py", "t/test_own.py"), suite("tpu", "t/test_fails.py")},
		Options{Repo: root, Python: "python3", LogDir: filepath.Join(root, "logs")})
	if err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	res, err := (&Runner{Repo: root, Out: &out, Log: &log, ShmRoot: t.TempDir()}).Run(context.Background(), plan)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(res.Failures, "\n")
	for _, want := range []string{"cpu: t/test_fails.py: exit code 3", "tpu: t/test_fails.py: exit code 3", "\nt/test_own.py: exit code 4"} {
		if !strings.Contains("\n"+got, want) {
			t.Errorf("failures lack %q:\n%s", want, got)
		}
	}
}
