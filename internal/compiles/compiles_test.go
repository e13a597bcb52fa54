package compiles_test

import (
	"bytes"
	"github.com/sgl-project/tpuci/internal/jaxenv/jaxenvtest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/compiles"
	"github.com/sgl-project/tpuci/internal/needs"
)

type ran struct {
	code           int
	stdout, stderr string
}

// run runs script with python in dir; with h set, as case name with the hook.
func run(t *testing.T, python, dir, script string, h *compiles.Hook, name string, env ...string) ran {
	t.Helper()
	path := filepath.Join(dir, "script.py")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, path)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "JAX_PLATFORMS=cpu", "PYTHONPATH=")
	cmd.Env = append(cmd.Env, env...)
	if h != nil {
		cmd.Env = append(cmd.Env, h.Env(name, env)...)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return ran{code, out.String(), errb.String()}
}

func install(t *testing.T) *compiles.Hook {
	t.Helper()
	h, err := compiles.Install(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func collect(t *testing.T, h *compiles.Hook, name string) compiles.Summary {
	t.Helper()
	got, err := compiles.Collect(h.CaseDir(name))
	if err != nil {
		t.Fatal(err)
	}
	return got[name]
}

const twoShapes = `
import tpuci_marks
import jax, jax.numpy as jnp
x3, x24 = jnp.ones(3), jnp.ones((2, 4))
tpuci_marks.mark("warmup_end")

@jax.jit
def double(x):
    return x * 2

double(x3).block_until_ready()
double(x24).block_until_ready()
double(x3).block_until_ready()
print("done")
`

func TestTwoShapesTwoCompiles(t *testing.T) {
	py := jaxenvtest.AnyPython(t)
	h := install(t)
	r := run(t, py, t.TempDir(), twoShapes, h, "test_two.py")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	s := collect(t, h, "test_two.py")
	var doubles []string
	for _, c := range s.AfterWarmup {
		if c.Fn == "jit(double)" {
			doubles = append(doubles, c.Shapes)
		}
	}
	if len(doubles) != 2 || !strings.Contains(doubles[0], "float32[3]") || !strings.Contains(doubles[1], "float32[2,4]") {
		t.Fatalf("jit(double) compiles after warm-up: %q; want float32[3] then float32[2,4] (summary %+v)", doubles, s)
	}
	if s.Compiles < 2 || s.CompileSeconds <= 0 || s.Processes != 1 {
		t.Fatalf("summary %+v", s)
	}
}

const cached = `
import jax, jax.numpy as jnp
print(jax.jit(lambda x: jnp.sin(x) @ x.T)(jnp.ones((8, 8))).sum())
`

func TestPersistentCacheHitsOnSecondRun(t *testing.T) {
	py := jaxenvtest.AnyPython(t)
	h := install(t)
	cache := "JAX_COMPILATION_CACHE_DIR=" + t.TempDir()
	env := []string{cache, "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=0", "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES=-1"}
	dir := t.TempDir()
	for _, name := range []string{"cold", "warm"} {
		if r := run(t, py, dir, cached, h, name, env...); r.code != 0 {
			t.Fatalf("%s: exit %d: %s", name, r.code, r.stderr)
		}
	}
	cold, warm := collect(t, h, "cold"), collect(t, h, "warm")
	if cold.Compiles == 0 || cold.CacheHits != 0 || cold.CacheMisses != cold.Compiles || cold.CacheWrites == 0 {
		t.Errorf("cold run: %+v; want only misses, some written", cold)
	}
	if warm.Compiles != cold.Compiles || warm.CacheHits != warm.Compiles || warm.CacheMisses != 0 {
		t.Errorf("warm run: %+v; want every one of cold's %d compiles a hit", warm, cold.Compiles)
	}
}

// JAX asks its persistent cache even when it has no directory; such
// compiles are "off", not misses.
func TestNoCacheDirNoMisses(t *testing.T) {
	py := jaxenvtest.AnyPython(t)
	h := install(t)
	if r := run(t, py, t.TempDir(), cached, h, "nocache", "JAX_COMPILATION_CACHE_DIR="); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	s := collect(t, h, "nocache")
	if s.Compiles == 0 || s.CacheMisses != 0 || s.CacheHits != 0 || s.CacheOff != s.Compiles {
		t.Fatalf("summary %+v; want every compile with the cache off", s)
	}
}

const spawn = `
import multiprocessing as mp

def child():
    import jax, jax.numpy as jnp
    jax.jit(lambda x: x + 1)(jnp.ones(7)).block_until_ready()

if __name__ == "__main__":
    mp.set_start_method("spawn")
    p = mp.Process(target=child)
    p.start()
    p.join()
    raise SystemExit(p.exitcode)
`

func TestSpawnChildCompilesAreCollected(t *testing.T) {
	py := jaxenvtest.AnyPython(t)
	h := install(t)
	if r := run(t, py, t.TempDir(), spawn, h, "spawn"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	s := collect(t, h, "spawn")
	if s.Compiles == 0 || s.Processes != 1 {
		t.Fatalf("summary %+v; want the child's compiles (the parent never imports jax)", s)
	}
}

// logs checks that the hook's DEBUG level on pxla lets no extra record
// reach a handler, and that a failing test fails the same way.
const logs = `
import logging, sys
logging.basicConfig(level=logging.WARNING, format="%(name)s %(message)s")
import jax, jax.numpy as jnp
print(jax.jit(lambda x: x * 3)(jnp.arange(4)).tolist())
assert False, "the test's own failure"
`

func TestHookChangesNoResult(t *testing.T) {
	py := jaxenvtest.AnyPython(t)
	dir := t.TempDir()
	want := run(t, py, dir, logs, nil, "")
	if want.code == 0 || !strings.Contains(want.stderr, "the test's own failure") {
		t.Fatalf("without the hook: %+v", want)
	}
	for _, knob := range []string{"", "TPUCI_COMPILE_TEST_RAISE=1"} {
		h := install(t)
		got := run(t, py, dir, logs, h, "logs", knob)
		if got != want {
			t.Errorf("with the hook (%q): %+v\nwithout: %+v", knob, got, want)
		}
		s := collect(t, h, "logs")
		if knob == "" && s.Compiles == 0 {
			t.Errorf("no compiles recorded: %+v", s)
		}
		if knob != "" && s.Compiles != 0 {
			t.Errorf("listeners forced to raise still recorded: %+v", s)
		}
	}
}

func TestNoJAXNoChange(t *testing.T) {
	py := needs.Tool(t, "python3")
	venv := filepath.Join(t.TempDir(), "venv")
	if out, err := exec.Command(py, "-m", "venv", "--without-pip", venv).CombinedOutput(); err != nil {
		t.Fatalf("venv: %v: %s", err, out)
	}
	bare := filepath.Join(venv, "bin", "python")
	script := "import sys\nprint('running')\nimport jax\n"
	dir := t.TempDir()
	want := run(t, bare, dir, script, nil, "")
	h := install(t)
	got := run(t, bare, dir, script, h, "nojax")
	if want.code == 0 || got != want {
		t.Fatalf("with the hook: %+v\nwithout: %+v", got, want)
	}
	if s := collect(t, h, "nojax"); s.Processes != 0 {
		t.Fatalf("events without JAX: %+v", s)
	}
}

func TestChainsToTheShadowedSitecustomize(t *testing.T) {
	py := needs.Tool(t, "python3")
	other := t.TempDir()
	// A hook that, like depmap's, chains to any other sitecustomize on the
	// path, ours included: each must still run exactly once.
	chain := `import os, sys, importlib.machinery, importlib.util
print("other hook")
here = os.path.dirname(os.path.realpath(__file__))
spec = importlib.machinery.PathFinder.find_spec("sitecustomize", [p for p in sys.path if os.path.realpath(p or ".") != here])
if spec:
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
`
	if err := os.WriteFile(filepath.Join(other, "sitecustomize.py"), []byte(chain), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := compiles.Install(t.TempDir(), other)
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, py, t.TempDir(), "import sys\nprint(sys.path[1] != '')\n", h, "chain")
	if r.code != 0 || r.stdout != "other hook\nTrue\n" {
		t.Fatalf("got %+v; want the other hook run once, then the script", r)
	}
}

func TestCollectSkipsTornLines(t *testing.T) {
	dir := t.TempDir()
	lines := `{"kind":"compile","case":"a","pid":1,"fn":"jit(f)","start":10,"dur":2,"cache":"hit"}
{"kind":"mark","case":"a","pid":2,"mark":"measure_start","ts":11}
{"kind":"compile","case":"a","pid":1,"fn":"jit(g)","start":12,"dur":1,"cache":"miss_written","shapes":"(f32[2],)"}
{"kind":"compile","case":"a","pid":1,"fn":"jit(h)","sta`
	if err := os.WriteFile(filepath.Join(dir, "1.jsonl"), []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := compiles.Collect(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := got["a"]
	if s.Compiles != 2 || s.CacheHits != 1 || s.CacheMisses != 1 || s.CacheWrites != 1 || s.CompileSeconds != 3 || s.Processes != 1 {
		t.Fatalf("summary %+v", s)
	}
	if len(s.AfterWarmup) != 1 || s.AfterWarmup[0].String() != "jit(g) (f32[2],)" {
		t.Fatalf("after warm-up: %+v", s.AfterWarmup)
	}
	if got, err := compiles.Collect(filepath.Join(dir, "absent")); err != nil || len(got) != 0 {
		t.Fatalf("absent dir: %v, %v", got, err)
	}
}

func TestGoMarkCountsForTheCase(t *testing.T) {
	h := install(t)
	dir := h.CaseDir("srv")
	line := `{"kind":"compile","case":"srv","pid":5,"fn":"jit(step)","start":2000000000,"dur":1}` + "\n"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "5.jsonl"), []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := compiles.Mark(dir, "srv", "measure_start", time.Unix(1999999999, 0)); err != nil {
		t.Fatal(err)
	}
	s := collect(t, h, "srv")
	if len(s.AfterWarmup) != 1 || s.Processes != 1 {
		t.Fatalf("summary %+v", s)
	}
}

func TestCheckWarmNamesFunctionAndShapes(t *testing.T) {
	if err := (compiles.Summary{Compiles: 4}).CheckWarm(); err != nil {
		t.Fatal(err)
	}
	s := compiles.Summary{AfterWarmup: []compiles.Compile{{Fn: "jit(decode)", Shapes: "(int32[16],)"}, {Fn: "jit(extend)"}}}
	err := s.CheckWarm()
	if err == nil || err.Error() != "compiled 2 time(s) after warm-up: jit(decode) (int32[16],); jit(extend)" {
		t.Fatalf("got %v", err)
	}
	s.AfterWarmup = append(s.AfterWarmup, compiles.Compile{Fn: "jit(extend)"}, compiles.Compile{Fn: "a"},
		compiles.Compile{Fn: "b"}, compiles.Compile{Fn: "c"}, compiles.Compile{Fn: "d"})
	err = s.CheckWarm()
	if err == nil || err.Error() != "compiled 7 time(s) after warm-up: jit(decode) (int32[16],); 2× jit(extend); a; b; and 2 more" {
		t.Fatalf("got %v", err)
	}
}
