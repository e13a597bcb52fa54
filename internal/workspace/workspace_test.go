package workspace

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/gitcmd"
)

func getenv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestBundledExampleWhenNotAnSGLangJAXCheckout(t *testing.T) {
	cwd := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	w, err := Resolve(getenv(map[string]string{"TPUCI_OUT": "o"}), cwd)
	if err != nil {
		t.Fatal(err)
	}
	if !w.Example || !Shaped(w.Repo) || w.Out != filepath.Join(cwd, "o") {
		t.Fatalf("%+v", w)
	}
	if len(w.Notes) == 0 || !strings.Contains(w.Notes[0], "bundled example") {
		t.Fatalf("no note saying the example is used: %v", w.Notes)
	}
	if !strings.Contains(w.Config.Source, "tpuci.toml") {
		t.Fatalf("example config not used: %s", w.Config.Source)
	}
	// A real commit, so that passed stages are reused as in a clone.
	if _, err := exec.LookPath("git"); err == nil && (!gitcmd.IsSHA(w.Commit) || slices.Contains(w.Notes, NoGitNote)) {
		t.Fatalf("commit %q, notes %v; want the example's HEAD", w.Commit, w.Notes)
	}
}

// Without git, one line says what the example lacks.
func TestBundledExampleWithoutGitSaysSo(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("PATH", t.TempDir())
	w, err := Resolve(getenv(map[string]string{"TPUCI_OUT": "o"}), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !w.Example || !slices.Contains(w.Notes, NoGitNote) || !strings.HasPrefix(w.Commit, "nogit-") {
		t.Fatalf("commit %q, notes %v", w.Commit, w.Notes)
	}
}

func TestRepoAndPythonResolution(t *testing.T) {
	repo := t.TempDir()
	os.MkdirAll(filepath.Join(repo, "python", "sgl_jax"), 0o755)
	os.MkdirAll(filepath.Join(repo, ".venv", "bin"), 0o755)
	os.WriteFile(filepath.Join(repo, ".venv", "bin", "python"), []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(filepath.Join(repo, "tpuci.toml"), []byte("[repo]\npython = \".venv/bin/python\"\n"), 0o644)
	w, err := Resolve(getenv(map[string]string{"TPUCI_REPO": repo}), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if w.Example || w.Repo != repo || !strings.HasSuffix(w.Config.Source, "tpuci.toml") {
		t.Fatalf("%+v", w)
	}
	// The config names .venv/bin/python, which exists here.
	if w.Python != filepath.Join(repo, ".venv", "bin", "python") {
		t.Fatalf("python %q from %q", w.Python, w.PythonFrom)
	}
	w, _ = Resolve(getenv(map[string]string{"TPUCI_REPO": repo, "TPUCI_PYTHON": "/nonexistent/python"}), t.TempDir())
	if w.Python != "" || !strings.Contains(w.PythonFrom, "TPUCI_PYTHON") {
		t.Fatalf("bad TPUCI_PYTHON not reported: %q %q", w.Python, w.PythonFrom)
	}
	if _, err := Resolve(getenv(map[string]string{"TPUCI_REPO": filepath.Join(repo, "nope")}), t.TempDir()); err == nil || !strings.Contains(err.Error(), "TPUCI_REPO") {
		t.Fatalf("missing repo: %v", err)
	}
}

// Env lists [env] by name, is the same on every call, and creates no
// directory: the cache dir is made once, by Resolve.
func TestEnvIsDeterministicAndHasNoSideEffects(t *testing.T) {
	repo := t.TempDir()
	os.MkdirAll(filepath.Join(repo, "python", "sgl_jax"), 0o755)
	xla := filepath.Join(t.TempDir(), "xla")
	cfg := "[env]\nZED = \"1\"\nALPHA = \"2\"\nMIDDLE = \"3\"\n[cache]\nxla_dir = \"" + xla + "\"\n"
	os.WriteFile(filepath.Join(repo, "tpuci.toml"), []byte(cfg), 0o644)
	w, err := Resolve(getenv(map[string]string{"TPUCI_REPO": repo}), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if w.XLACache != xla {
		t.Fatalf("XLACache %q, want %q", w.XLACache, xla)
	}
	first := w.Env()
	if strings.Join(first[:3], " ") != "ALPHA=2 MIDDLE=3 ZED=1" {
		t.Errorf("[env] not sorted: %v", first)
	}
	if !slices.Contains(first, "JAX_COMPILATION_CACHE_DIR="+xla) {
		t.Errorf("no XLA cache in %v", first)
	}
	if err := os.Remove(xla); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if got := w.Env(); !slices.Equal(got, first) {
			t.Fatalf("Env changed between calls:\n%v\n%v", first, got)
		}
	}
	if _, err := os.Stat(xla); !os.IsNotExist(err) {
		t.Errorf("Env recreated %s", xla)
	}
}

// fakeCheckout is an SGLang-JAX-shaped tree without tpuci.toml whose
// run_suite.py has a suite the policy knows, a file it lacks and a suite
// the policy does not know.
func fakeCheckout(t *testing.T) string {
	t.Helper()
	repo := t.TempDir()
	files := map[string]string{
		"python/sgl_jax/__init__.py": "",
		"scripts/x.sh":               "",
		"test/srt/test_a.py":         "X = 1\n",
		"test/srt/test_b.py":         "X = 1\n",
		"benchmark/kernels/flash_attention/bench_flashattention.py":  "",
		"benchmark/kernels/megablox_gmm/bench_megablox_gmm.py":       "",
		"benchmark/kernels/update_kv_cache/bench_update_kv_cache.py": "",
		"test/srt/run_suite.py": `suites = {
    "unit-test-tpu-v6e-1": [TestFile("test/srt/test_a.py", 2), TestFile("test/srt/gone.py", 1)],
    "brand-new-suite-tpu-v6e-4": [TestFile("test_b.py", 1)],
}
`,
	}
	for rel, body := range files {
		p := filepath.Join(repo, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return repo
}

func TestSuitesReadLiveFromRunSuite(t *testing.T) {
	repo := fakeCheckout(t)
	w, err := Resolve(getenv(map[string]string{"TPUCI_REPO": repo}), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(w.Config.Source, "with suites from test/srt/run_suite.py") || len(w.Config.Suites) != 2 {
		t.Fatalf("source %s, suites %+v", w.Config.Source, w.Config.Suites)
	}
	unit, _ := w.Config.Suite("unit-test-tpu-v6e-1")
	if unit.Target != "unitTest1" || unit.Partitions != 1 || len(unit.Files) != 1 || unit.Files[0].Path != "test/srt/test_a.py" {
		t.Fatalf("policy not applied by name: %+v", unit)
	}
	other, _ := w.Config.Suite("brand-new-suite-tpu-v6e-4")
	if other.Target != "" || other.Chips != 4 || other.Files[0].Path != "test/srt/test_b.py" {
		t.Fatalf("unknown suite: %+v", other)
	}
	notes := strings.Join(w.Notes, "\n")
	for _, want := range []string{"lists test/srt/gone.py, which this checkout does not have", "unmapped suite brand-new-suite-tpu-v6e-4: add it to [gating] or exclude it with a reason"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	_, err = Resolve(getenv(map[string]string{"TPUCI_REPO": repo, "CI": "true"}), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "unmapped suite brand-new-suite-tpu-v6e-4") {
		t.Fatalf("CI=true with an unmapped suite: %v", err)
	}
}
