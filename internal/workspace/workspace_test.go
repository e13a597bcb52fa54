package workspace

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
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
