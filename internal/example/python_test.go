package example

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/jaxenv/jaxenvtest"
	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/proc"
)

const debianPython = "/usr/bin/python3"

// interpreters are the Pythons the example must pass on: Debian's (with
// pytest and pylint) and the first python3 on PATH when that is another
// one, each with JAX (its venv with the cpu extra, as tpuci makes it).
func interpreters(t *testing.T) []string {
	t.Helper()
	pys := baseInterpreters(t)
	for i, py := range pys {
		pys[i] = jaxenvtest.Python(t, py, "repo")
	}
	return pys
}

func baseInterpreters(t *testing.T) []string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs Python subprocesses")
	}
	needs.Tool(t, debianPython)
	pys := []string{debianPython}
	if p, err := exec.LookPath("python3"); err == nil && p != debianPython {
		if out, err := exec.Command(p, "-c", "import sys; print(sys.executable)").Output(); err == nil &&
			strings.TrimSpace(string(out)) != debianPython {
			pys = append(pys, p)
		}
	}
	return pys
}

func hasModule(py, module string) bool {
	return exec.Command(py, "-c", "import "+module).Run() == nil
}

type result struct {
	out string
	err error
}

// python runs py with args in dir, in its own process group, with env added.
func python(t *testing.T, py, dir string, env []string, args ...string) result {
	t.Helper()
	var buf bytes.Buffer
	_, err := proc.Run(context.Background(), proc.Cmd{
		Argv:    append([]string{py}, args...),
		Dir:     dir,
		Env:     append([]string{"PYTHONDONTWRITEBYTECODE=1", "TPUCI_KERNEL_SLOWDOWN=", "TPUCI_MODEL_DEGRADE="}, env...),
		Timeout: 2 * time.Minute,
		Stdout:  &buf,
	})
	return result{buf.String(), err}
}

// chipEnv is what tpuci hands a suite's tests.
func chipEnv(chips int) []string {
	env := []string{fmt.Sprintf("TPUCI_CHIPS=%d", chips), "XLA_FLAGS="}
	if chips > 0 {
		env[1] = fmt.Sprintf("XLA_FLAGS=--xla_force_host_platform_device_count=%d", chips)
	}
	return env
}

// TestSuitesPass runs every entry of the example's tpuci.toml the way the
// schema's runners do, on every interpreter.
func TestSuitesPass(t *testing.T) {
	pys := interpreters(t)
	root, err := Extract(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(root, "tpuci.toml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, py := range pys {
		for _, s := range cfg.Suites {
			for _, f := range s.Files {
				abs := filepath.Join(root, f.Path)
				var runs [][]string
				dir := root
				switch f.Runner {
				case config.RunnerPytest:
					if hasModule(py, "pytest") {
						runs = append(runs, []string{"-m", "pytest", "-q", "-p", "no:cacheprovider", abs})
					}
					runs = append(runs, []string{abs}) // also runs without pytest
				case config.RunnerUnittest:
					dir = filepath.Dir(abs)
					module := strings.TrimSuffix(filepath.Base(abs), ".py")
					for _, m := range f.Methods {
						runs = append(runs, []string{"-m", "unittest", module + "." + m})
					}
				default:
					runs = append(runs, []string{abs})
				}
				for _, args := range runs {
					r := python(t, py, dir, chipEnv(s.Chips), args...)
					if r.err != nil {
						t.Errorf("%s %s (suite %s): %v\n%s", py, strings.Join(args, " "), s.Name, r.err, r.out)
					}
				}
			}
		}
	}
}

// The 4-chip unit test shards over 4 devices and fails (never skips) with
// fewer; the 4-chip e2e test, which needs no JAX, skips when run by hand.
func TestFourChipTestsInsistOnFourDevices(t *testing.T) {
	pys := interpreters(t)
	root, err := Extract(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(root, "python/sgl_jax/test/test_column_parallel_tp4.py")
	e2e := filepath.Join(root, "test/srt/test_server_tp4.py")
	for _, py := range pys {
		r := python(t, py, root, []string{"TPUCI_CHIPS=", "XLA_FLAGS="}, e2e)
		if r.err != nil || !strings.Contains(r.out, "skipped=") {
			t.Errorf("%s %s without chips: %v; want a clean skip\n%s", py, e2e, r.err, r.out)
		}
		for _, env := range [][]string{{"TPUCI_CHIPS=", "XLA_FLAGS="}, chipEnv(1)} {
			r = python(t, py, root, append(env, "JAX_PLATFORMS=cpu"), unit)
			if r.err == nil || !strings.Contains(r.out, "xla_force_host_platform_device_count=4") {
				t.Errorf("%s %s with %v: %v; want a failure naming the device flag\n%s", py, unit, env, r.err, r.out)
			}
		}
		r = python(t, py, root, append(chipEnv(4), "JAX_PLATFORMS=cpu"), unit)
		if r.err != nil || strings.Contains(r.out, "skipped=") {
			t.Errorf("%s %s with 4 host devices: %v; want all tests run\n%s", py, unit, r.err, r.out)
		}
	}
}

func TestEvalReportsMetricsAndDegradeFails(t *testing.T) {
	py := interpreters(t)[0]
	root, err := Extract(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "test/srt")
	r := python(t, py, dir, chipEnv(1), "-m", "unittest", "test_eval_small.TestEvalSmall.test_mmlu")
	if r.err != nil {
		t.Fatalf("eval: %v\n%s", r.err, r.out)
	}
	var metrics struct {
		Test        string  `json:"test"`
		Score       float64 `json:"score"`
		NumExamples int     `json:"num_examples"`
	}
	found := false
	sc := bufio.NewScanner(strings.NewReader(r.out))
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "TPUCI_METRICS "); ok {
			found = json.Unmarshal([]byte(line), &metrics) == nil
		}
	}
	if !found || metrics.Test != "TestEvalSmall.test_mmlu" || metrics.NumExamples < 120 || metrics.Score <= 0.4 {
		t.Errorf("metrics line %+v (found %v) in:\n%s", metrics, found, r.out)
	}
	r = python(t, py, dir, append(chipEnv(1), "TPUCI_MODEL_DEGRADE=0.5"), "-m", "unittest", "test_eval_small.TestEvalSmall.test_mmlu")
	if r.err == nil {
		t.Errorf("eval with TPUCI_MODEL_DEGRADE=0.5 passed; the knob must push the score under the threshold\n%s", r.out)
	}
}

type benchLine struct {
	Kernel string  `json:"kernel"`
	Case   string  `json:"case"`
	TimeMs float64 `json:"time_ms"`
}

func runBench(t *testing.T, py, file string, env []string, args ...string) ([]benchLine, result) {
	t.Helper()
	r := python(t, py, filepath.Dir(file), env, append([]string{file}, args...)...)
	var lines []benchLine
	for _, l := range strings.Split(strings.TrimSpace(r.out), "\n") {
		if l == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(l))
		dec.DisallowUnknownFields()
		var b benchLine
		if err := dec.Decode(&b); err != nil {
			t.Errorf("%s: output line %q is not {kernel, case, time_ms}: %v", file, l, err)
			continue
		}
		lines = append(lines, b)
	}
	return lines, r
}

func TestKernelBenchmarks(t *testing.T) {
	pys := interpreters(t)
	root, err := Extract(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	benches, _ := fs.Glob(FS(), "benchmark/kernels/*/bench_*.py")
	if len(benches) < 2 {
		t.Fatalf("%d kernel benchmarks; want at least 2", len(benches))
	}
	for _, py := range pys {
		for _, b := range benches {
			file := filepath.Join(root, b)
			first, r := runBench(t, py, file, nil)
			if r.err != nil || len(first) < 2 {
				t.Errorf("%s %s: %v, %d cases\n%s", py, b, r.err, len(first), r.out)
				continue
			}
			second, _ := runBench(t, py, file, nil, "--repeats", "1")
			seen := map[string]bool{}
			for i, l := range first {
				if l.Kernel == "" || l.Case == "" || !(l.TimeMs > 0) || seen[l.Case] {
					t.Errorf("%s: bad or duplicate line %+v", b, l)
				}
				seen[l.Case] = true
				if i >= len(second) || second[i].Case != l.Case || second[i].Kernel != l.Kernel {
					t.Errorf("%s: case keys differ between runs: %+v vs %+v", b, first, second)
					break
				}
			}
		}
	}

	// The slowdown knob really slows the kernel down; the margin is wide on purpose.
	py, file := pys[0], filepath.Join(root, benches[0])
	base, _ := runBench(t, py, file, nil)
	slow, r := runBench(t, py, file, []string{"TPUCI_KERNEL_SLOWDOWN=20"}, "--cases", base[0].Case, "--repeats", "3")
	if r.err != nil || len(slow) != 1 || slow[0].TimeMs < 3*base[0].TimeMs {
		t.Errorf("TPUCI_KERNEL_SLOWDOWN=20: %+v vs base %+v (%v)", slow, base[0], r.err)
	}
	r = python(t, py, root, []string{"TPUCI_KERNEL_SLOWDOWN=fast"}, file)
	var exit *proc.ExitError
	if !errors.As(r.err, &exit) || exit.Outcome.ExitCode != 2 || !strings.Contains(r.out, "TPUCI_KERNEL_SLOWDOWN must be a positive number") {
		t.Errorf("bad TPUCI_KERNEL_SLOWDOWN: %v\n%s", r.err, r.out)
	}
}

func TestPylintErrorsOnlyIsClean(t *testing.T) {
	interpreters(t)
	needs.PythonModules(t, debianPython, "apt-get install pylint", "pylint")
	root, err := Extract(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	_ = fs.WalkDir(FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".py") {
			files = append(files, filepath.Join(root, p))
		}
		return err
	})
	r := python(t, debianPython, root, nil, append([]string{"-m", "pylint", "--errors-only", "--disable=import-error"}, files...)...)
	if r.err != nil || strings.TrimSpace(r.out) != "" {
		t.Errorf("pylint: %v\n%s", r.err, r.out)
	}
}

func TestWheelBuildsWithVersionFromVersionFile(t *testing.T) {
	interpreters(t)
	needs.PythonModules(t, debianPython, "apt-get install python3-build python3-wheel", "build", "wheel")
	root, err := Extract(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	r := python(t, debianPython, root, nil, "-m", "build", "--no-isolation", "--wheel", "--outdir", out, filepath.Join(root, "python"))
	if r.err != nil {
		t.Fatalf("build: %v\n%s", r.err, r.out)
	}
	if _, err := os.Stat(filepath.Join(out, "sgl_jax_example-0.1.0-py3-none-any.whl")); err != nil {
		entries, _ := os.ReadDir(out)
		t.Errorf("wheel sgl_jax_example-0.1.0-py3-none-any.whl not built; %s holds %v", out, entries)
	}
}
