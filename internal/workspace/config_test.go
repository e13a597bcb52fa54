package workspace

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkoutWithConfig is an SGLang-JAX-shaped tree whose tpuci.toml is doc.
func checkoutWithConfig(t *testing.T, doc string) (repo, cfg string) {
	t.Helper()
	repo = t.TempDir()
	if err := os.MkdirAll(filepath.Join(repo, "python", "sgl_jax"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg = filepath.Join(repo, "tpuci.toml")
	if err := os.WriteFile(cfg, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return repo, cfg
}

// config:show prints the values in force, not the zeros the file leaves.
func TestShowConfigPrintsTheDefaultsInForce(t *testing.T) {
	repo, _ := checkoutWithConfig(t, "[lint]\npaths = [\"python\"]\n")
	w, err := Resolve(getenv(map[string]string{"TPUCI_REPO": repo}), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := w.ShowConfig(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"history = 5\n", "depmap_max_age = '168h0m0s'\n", "lint_minutes = 5.0\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("config:show lacks %q:\n%s", want, out.String())
		}
	}
}

// An empty TPUCI_CONFIG stops the run at load, in one line.
func TestEmptyConfigFailsAtLoad(t *testing.T) {
	repo, _ := checkoutWithConfig(t, "[lint]\npaths = [\"python\"]\n")
	empty := filepath.Join(t.TempDir(), "empty.toml")
	if err := os.WriteFile(empty, []byte("# nothing yet\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Resolve(getenv(map[string]string{"TPUCI_REPO": repo, "TPUCI_CONFIG": empty}), t.TempDir())
	if err == nil || !strings.HasPrefix(err.Error(), empty+": defines nothing") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("got %v", err)
	}
}

// A config path that leaves the checkout stops the run before any work,
// naming its place in the file.
func TestConfigPathOutsideTheCheckoutFailsBeforeWork(t *testing.T) {
	repo, cfg := checkoutWithConfig(t, "[[suite]]\nname = \"s\"\ntarget = \"unitTest1\"\nfiles = [{ path = \"../../../../etc/passwd\", minutes = 1 }]\n")
	_, err := Resolve(getenv(map[string]string{"TPUCI_REPO": repo}), t.TempDir())
	if err == nil || !strings.HasPrefix(err.Error(), cfg+":4:12: suite[0].files[0].path: \"../../../../etc/passwd\" leads outside the checkout") {
		t.Fatalf("got %v", err)
	}
}
