package example

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/proc"
)

// scripts/bootstrap.sh lives two levels above this package.
var bootstrapScript = filepath.Join("..", "..", "scripts", "bootstrap.sh")

type bootstrapEnv struct {
	repo, xla, models, out, venv string
}

func newBootstrapEnv(t *testing.T) bootstrapEnv {
	t.Helper()
	needs.Tool(t, "bash")
	root, err := Extract(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	return bootstrapEnv{
		repo:   root,
		xla:    filepath.Join(tmp, "xla-cache"),
		models: filepath.Join(tmp, "models", "model_scope"),
		out:    filepath.Join(tmp, "out"),
		venv:   filepath.Join(tmp, "venv"),
	}
}

func (b bootstrapEnv) run(t *testing.T, extra []string, args ...string) (string, error) {
	t.Helper()
	src, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(bootstrapScript)
	if err != nil {
		t.Fatal(err)
	}
	env := []string{
		"TPUCI_SRC=" + src,
		"TPUCI_REPO=" + b.repo,
		"TPUCI_XLA_CACHE_DIR=" + b.xla,
		"TPUCI_MODEL_CACHE_DIR=" + b.models,
		"TPUCI_OUT=" + b.out,
		"TPUCI_VENV=" + b.venv,
		"TPUCI_GO_VERSION=", "TPUCI_GO_ROOT=" + filepath.Join(filepath.Dir(b.out), "goroot"),
		"TPUCI_PYTHON_BIN=", "TPUCI_PY_EXTRAS=", "TPUCI_PIP_ARGS=", "TPUCI_EXTRA_PACKAGES=",
		"TPUCI_VENV_SYSTEM_SITE=", "TPUCI_CACHE_MODE=", "TPUCI_PYTHON_DEBIAN=", "TPUCI_DEBIAN_MIRROR=",
		"TPUCI_SKIP_GO=", "TPUCI_SKIP_VENV=", "TPUCI_SKIP_CACHES=",
		"GITHUB_PATH=", "PYTHONDONTWRITEBYTECODE=1",
	}
	var buf bytes.Buffer
	_, err = proc.Run(context.Background(), proc.Cmd{
		Argv:    append([]string{"bash", script}, args...),
		Dir:     b.repo,
		Env:     append(env, extra...),
		Timeout: 3 * time.Minute,
		Stdout:  &buf,
	})
	return buf.String(), err
}

func TestBootstrapSyntax(t *testing.T) {
	needs.Tool(t, "bash")
	if out, err := exec.Command("bash", "-n", bootstrapScript).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
	if st, err := os.Stat(bootstrapScript); err != nil || st.Mode().Perm()&0o111 == 0 {
		t.Errorf("%s is not executable (%v)", bootstrapScript, err)
	}
}

// Every shell script of the project is shellcheck-clean; under CI=true
// (where .ci/run installs it) a missing shellcheck fails.
func TestScriptsShellcheckClean(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("shellcheck is not installed (.ci/run installs it)")
		}
		t.Skip("shellcheck not installed")
	}
	scripts, _ := filepath.Glob(filepath.Join(filepath.Dir(bootstrapScript), "*.sh"))
	scripts = append(scripts, filepath.Join(filepath.Dir(bootstrapScript), "..", ".ci", "run"))
	if len(scripts) < 3 {
		t.Fatalf("scripts: %v", scripts)
	}
	for _, s := range scripts {
		if out, err := exec.Command(sc, s).CombinedOutput(); err != nil {
			t.Errorf("shellcheck %s: %v\n%s", s, err, out)
		}
	}
}

func TestBootstrapDryRunChangesNothingAndRepeats(t *testing.T) {
	b := newBootstrapEnv(t)
	first, err := b.run(t, nil, "--dry-run")
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, first)
	}
	second, err := b.run(t, nil, "--dry-run")
	if err != nil || second != first {
		t.Errorf("second dry run differs or fails (%v):\n%s\n--- first:\n%s", err, second, first)
	}
	for _, want := range []string{
		"would run: mkdir -p " + b.xla,
		"would run: chmod 1777 " + b.xla,
		"would run: mkdir -p " + b.out,
		"-m venv " + b.venv,
		"-m pip install -e " + filepath.Join(b.repo, "python") + "[all]",
		"bootstrap: done",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, first)
		}
	}
	for _, p := range []string{b.xla, b.models, b.out, b.venv} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("dry run created %s", p)
		}
	}
}

func TestBootstrapDryRunPlansGoDownloadWhenTooOld(t *testing.T) {
	b := newBootstrapEnv(t)
	out, err := b.run(t, []string{"TPUCI_GO_VERSION=99.1", "TPUCI_SKIP_VENV=1"}, "--dry-run")
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if !strings.Contains(out, "would download https://go.dev/dl/go99.1.0.linux-") {
		t.Errorf("no download planned for go 99.1:\n%s", out)
	}
	out, err = b.run(t, []string{"TPUCI_GO_VERSION=latest"}, "--dry-run")
	if err == nil || !strings.Contains(out, "is not of the form 1.N or 1.N.P") {
		t.Errorf("bad TPUCI_GO_VERSION accepted (%v):\n%s", err, out)
	}
	out, err = b.run(t, nil, "--bogus")
	var exit *proc.ExitError
	if !errors.As(err, &exit) || exit.Outcome.ExitCode != 2 || !strings.Contains(out, "unknown argument --bogus") {
		t.Errorf("unknown argument: %v\n%s", err, out)
	}
}

func TestBootstrapCreatesDirectoriesIdempotently(t *testing.T) {
	b := newBootstrapEnv(t)
	// Go is either present (and skipped) or would need the network: leave it out here.
	extra := []string{"TPUCI_SKIP_GO=1", "TPUCI_SKIP_VENV=1"}
	out, err := b.run(t, extra)
	if err != nil {
		t.Fatalf("bootstrap: %v\n%s", err, out)
	}
	for _, c := range []struct {
		dir  string
		mode os.FileMode
	}{{b.xla, 0o777 | os.ModeSticky}, {b.models, 0o777 | os.ModeSticky}, {b.out, 0o755}} {
		st, err := os.Stat(c.dir)
		if err != nil {
			t.Errorf("%s not created: %v", c.dir, err)
			continue
		}
		if got := st.Mode() & (os.ModePerm | os.ModeSticky); got != c.mode {
			t.Errorf("%s mode %v, want %v", c.dir, got, c.mode)
		}
	}
	again, err := b.run(t, extra)
	if err != nil {
		t.Fatalf("second bootstrap: %v\n%s", err, again)
	}
	if strings.Contains(again, "bootstrap: + ") || strings.Count(again, "exists and is writable") != 3 {
		t.Errorf("second run changed something:\n%s", again)
	}
}

// A Debian suite or mirror that is not a plain name or URL stops the script
// before anything is made: they reach mmdebstrap's argv.
func TestBootstrapRefusesHostileDebianKnobs(t *testing.T) {
	b := newBootstrapEnv(t)
	for _, bad := range [][]string{
		{"TPUCI_PYTHON_DEBIAN=--hook-dir=/tmp/x"},
		{"TPUCI_PYTHON_DEBIAN=trixie", "TPUCI_DEBIAN_MIRROR=http://x/ --setup-hook=touch /tmp/pwned"},
	} {
		out, err := b.run(t, append([]string{"TPUCI_SKIP_GO=1", "TPUCI_SKIP_CACHES=1"}, bad...))
		if err == nil || !strings.Contains(out, "bootstrap: error: venv: TPUCI_") || strings.Contains(out, "bootstrap: + ") {
			t.Errorf("%v accepted (%v):\n%s", bad, err, out)
		}
		if _, err := os.Stat(b.venv); err == nil {
			t.Errorf("%v: the venv was created", bad)
		}
	}
}

func TestBootstrapVenvOffline(t *testing.T) {
	interpreters(t)
	needs.PythonModules(t, debianPython, "apt-get install python3-setuptools python3-wheel; an offline editable install needs them", "wheel", "setuptools")
	b := newBootstrapEnv(t)
	extra := []string{
		"TPUCI_SKIP_GO=1", "TPUCI_SKIP_CACHES=1", "TPUCI_PYTHON_BIN=" + debianPython,
		"TPUCI_VENV_SYSTEM_SITE=1", "TPUCI_PIP_ARGS=--no-build-isolation --no-index", "TPUCI_PY_EXTRAS=none",
	}
	out, err := b.run(t, extra)
	if err != nil {
		t.Fatalf("bootstrap: %v\n%s", err, out)
	}
	got, err := exec.Command(filepath.Join(b.venv, "bin", "python"), "-c", "import sgl_jax; print(sgl_jax.__version__)").Output()
	if err != nil || strings.TrimSpace(string(got)) != "0.1.0" {
		t.Errorf("venv python imports sgl_jax %q (%v)", got, err)
	}
	again, err := b.run(t, extra)
	if err != nil || !strings.Contains(again, "already installed") || strings.Contains(again, "pip install") {
		t.Errorf("second run reinstalled (%v):\n%s", err, again)
	}
}

// fakeGoMirror serves, over file://, a Go release whose go binary is a
// script reporting version, with a .sha256 file (wrong when badSum).
func fakeGoMirror(t *testing.T, version string, badSum bool) string {
	t.Helper()
	for _, tool := range []string{"tar", "sha256sum", "curl"} {
		needs.Tool(t, tool)
	}
	stage := t.TempDir()
	bin := filepath.Join(stage, "go", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\n[ \"$1 $2\" = \"env GOVERSION\" ] && echo go" + version + "\n"
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	mirror := t.TempDir()
	arch := map[string]string{"x86_64": "amd64", "aarch64": "arm64"}
	m, _ := exec.Command("uname", "-m").Output()
	tarball := filepath.Join(mirror, "go"+version+".linux-"+arch[strings.TrimSpace(string(m))]+".tar.gz")
	if out, err := exec.Command("tar", "-C", stage, "-czf", tarball, "go").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	sum, err := exec.Command("sha256sum", tarball).Output()
	if err != nil {
		t.Fatal(err)
	}
	hexSum := strings.Fields(string(sum))[0]
	if badSum {
		hexSum = strings.Repeat("0", 64)
	}
	if err := os.WriteFile(tarball+".sha256", []byte(hexSum), 0o644); err != nil {
		t.Fatal(err)
	}
	return "file://" + mirror
}

func TestBootstrapInstallsGoFromMirror(t *testing.T) {
	b := newBootstrapEnv(t)
	goroot := filepath.Join(t.TempDir(), "goroot")
	extra := []string{
		"TPUCI_GO_URL=" + fakeGoMirror(t, "99.1.0", false), "TPUCI_GO_VERSION=99.1",
		"TPUCI_GO_ROOT=" + goroot, "TPUCI_SKIP_VENV=1", "TPUCI_SKIP_CACHES=1",
	}
	out, err := b.run(t, extra)
	if err != nil {
		t.Fatalf("bootstrap: %v\n%s", err, out)
	}
	if !strings.Contains(out, "installed go99.1.0 in "+filepath.Join(goroot, "go")) {
		t.Errorf("no install reported:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(goroot, "go", "bin", "go")); err != nil {
		t.Fatal(err)
	}
	again, err := b.run(t, extra)
	if err != nil || strings.Contains(again, "downloading") || !strings.Contains(again, "nothing to install") {
		t.Errorf("second run downloaded again (%v):\n%s", err, again)
	}

	bad := []string{
		"TPUCI_GO_URL=" + fakeGoMirror(t, "99.2.0", true), "TPUCI_GO_VERSION=99.2.0",
		"TPUCI_GO_ROOT=" + goroot, "TPUCI_SKIP_VENV=1", "TPUCI_SKIP_CACHES=1",
	}
	out, err = b.run(t, bad)
	if err == nil || !strings.Contains(out, "checksum of go99.2.0") {
		t.Errorf("bad checksum accepted (%v):\n%s", err, out)
	}
	if got, _ := exec.Command(filepath.Join(goroot, "go", "bin", "go"), "env", "GOVERSION").Output(); strings.TrimSpace(string(got)) != "go99.1.0" {
		t.Errorf("failed install replaced the previous Go: %q", got)
	}
}
