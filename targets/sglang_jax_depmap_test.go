package targets_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sgl-project/tpuci/internal/depmap"
	"github.com/sgl-project/tpuci/internal/needs"
)

// depmap:server serves the tiny Qwen3 with SGLang-JAX's real server on the
// CPU and records what it loaded: the Qwen3 model file and the scheduler,
// not files only other configurations load. The model registry imports
// every model file at start-up, so other architectures' model files are
// in the record too; ci:plan routes those by architecture.
func TestDepmapServerRecordsQwen3OnSGLangJAX(t *testing.T) {
	src := sglangJAX(t)
	python := os.Getenv("TPUCI_SGLANG_JAX_PYTHON")
	if python == "" {
		t.Skip("TPUCI_SGLANG_JAX_PYTHON unset: point it at a python with SGLang-JAX's python[cpu] dependencies")
	}
	needs.PythonModules(t, python, "scripts/bootstrap.sh with TPUCI_PY_EXTRAS=cpu", "jax", "tokenizers", "transformers")
	// The checkout itself, not a clone: it only writes under out and hist,
	// and the bubblewrap launcher of the CPU venv may not see a temporary clone.
	repo := src
	out, hist := filepath.Join(t.TempDir(), "out"), filepath.Join(t.TempDir(), "history")
	r := run(t, repo, []string{"TPUCI_REPO=" + repo, "TPUCI_OUT=" + out, "TPUCI_PYTHON=" + python,
		"TPUCI_OFFLINE=1", "TPUCI_NIGHTLY_HISTORY=" + hist}, "depmap:server", "-models=tiny-qwen3")
	if r.code != 0 {
		t.Fatalf("depmap:server: exit %d\n%s\n%s", r.code, tail(r.stdout, 4000), tail(r.stderr, 6000))
	}
	noLeftovers(t, "depmap:server", out)
	m, err := depmap.Dir{Root: filepath.Join(hist, depmap.Subdir)}.Load()
	if err != nil {
		t.Fatal(err)
	}
	e, ok := m[depmap.ServerKey("Qwen3ForCausalLM")]
	if !ok || e.Commit == "" {
		t.Fatalf("no Qwen3 server record: %v", m)
	}
	t.Logf("the Qwen3 server loaded %d files at %s", len(e.Modules), e.Commit)
	for _, f := range []string{"python/sgl_jax/srt/models/qwen3.py", "python/sgl_jax/launch_server.py",
		"python/sgl_jax/srt/managers/scheduler.py"} {
		if !slices.Contains(e.Modules, f) {
			t.Errorf("the record lacks %s", f)
		}
	}
	// Speculative decoding's workers load only with --speculative-algorithm.
	if slices.Contains(e.Modules, "python/sgl_jax/srt/speculative/eagle_worker.py") {
		t.Error("the record has the EAGLE worker, which this server does not run")
	}
}
