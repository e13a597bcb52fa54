package targets_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/example"
	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/proc"
)

// debianVenvDir is where this machine keeps the example's Debian 13 venv
// between test runs: made once from the registries, then reused.
func debianVenvDir(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatalf("no cache directory for the Debian venv: %v", err)
	}
	return filepath.Join(cache, "tpuci-test", "debian-trixie")
}

// bootstrap runs scripts/bootstrap.sh for repo with TPUCI_PYTHON_DEBIAN
// set, returning its output.
func bootstrapDebian(t *testing.T, repo, venv string) string {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("..", "scripts", "bootstrap.sh"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	_, err = proc.Run(context.Background(), proc.Cmd{
		Argv: []string{"bash", script},
		Dir:  repo,
		Env: []string{
			"TPUCI_REPO=" + repo, "TPUCI_VENV=" + venv, "TPUCI_PYTHON_DEBIAN=trixie",
			"TPUCI_PY_EXTRAS=cpu,test", "TPUCI_SKIP_GO=1", "TPUCI_SKIP_CACHES=1",
			"TPUCI_PIP_ARGS=", "TPUCI_EXTRA_PACKAGES=", "TPUCI_VENV_SYSTEM_SITE=", "GITHUB_PATH=",
		},
		Timeout: 15 * time.Minute,
		Stdout:  &out,
	})
	if err != nil {
		t.Fatalf("bootstrap: %v\n%s", err, out.String())
	}
	return out.String()
}

// A checkout's venv on Debian 13's Python, made from Debian's packages and
// PyPI by scripts/bootstrap.sh, runs the example's unit tests (real JAX)
// under tpuci; a second bootstrap changes nothing.
func TestBootstrapDebianPythonRunsTheExample(t *testing.T) {
	needs.Tool(t, "mmdebstrap")
	needs.Tool(t, "bwrap")
	venv := debianVenvDir(t)
	// A stable extraction: the venv's editable install points at it.
	repo, err := example.Extract(filepath.Join(filepath.Dir(venv), "example"))
	if err != nil {
		t.Fatal(err)
	}
	first := bootstrapDebian(t, repo, venv)
	again := bootstrapDebian(t, repo, venv)
	if strings.Contains(again, "bootstrap: + ") || !strings.Contains(again, "is up to date") ||
		!strings.Contains(again, "already installed") {
		t.Errorf("second bootstrap changed something:\n%s\nfirst:\n%s", again, first)
	}
	python := filepath.Join(venv, "bin", "python")
	ver, err := proc.Output(context.Background(), repo, python, "-c",
		"import sys, jax; print('%d.%d' % sys.version_info[:2], jax.__version__)")
	if err != nil || strings.TrimSpace(string(ver)) != "3.13 0.10.2" {
		t.Fatalf("venv python: %q (%v), want Python 3.13 with jax 0.10.2", ver, err)
	}

	dir := t.TempDir()
	env := append(exampleEnv(dir), "TPUCI_REPO="+repo, "TPUCI_PYTHON="+python, "TPUCI_DEPS=workflow")
	r := run(t, dir, env, "unitTest1")
	if r.code != 0 {
		t.Fatalf("unitTest1 on Debian 13's Python: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	st := stageResult(t, filepath.Join(dir, "out"), "unitTest1")
	if len(st.Cases) == 0 {
		t.Fatalf("unitTest1 reported no cases:\n%s", r.stdout)
	}
}
