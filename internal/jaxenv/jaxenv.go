// Package jaxenv gives the bundled example an interpreter with JAX. When
// the interpreter tpuci resolved lacks it, a venv is made once per machine
// from that interpreter (--system-site-packages, so Debian's pytest and
// pylint stay importable) and the example's cpu extra is pip-installed
// into it from PyPI. The venv is keyed on the interpreter and the pin, and
// built under a file lock: parallel runs wait for one install.
package jaxenv

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// ExampleProject is the [project] name of the bundled example's pyproject.
const ExampleProject = "sgl-jax-example"

// Has reports whether python can import jax (found, not imported: fast).
func Has(ctx context.Context, python string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	probe := "import importlib.util, sys; sys.exit(importlib.util.find_spec('jax') is None)"
	return exec.CommandContext(ctx, python, "-c", probe).Run() == nil
}

var (
	nameRe = regexp.MustCompile(`(?m)^name\s*=\s*"([^"]+)"`)
	cpuRe  = regexp.MustCompile(`(?m)^cpu\s*=\s*\[\s*"([^"]+)"\s*\]`)
)

// ExamplePin returns the cpu extra ("jax[cpu]==0.10.2") of repo's
// python/pyproject.toml when repo is the bundled example or a copy of it;
// ok is false for any other repository.
func ExamplePin(repo string) (pin string, ok bool) {
	data, err := os.ReadFile(filepath.Join(repo, "python", "pyproject.toml"))
	if err != nil {
		return "", false
	}
	name := nameRe.FindSubmatch(data)
	cpu := cpuRe.FindSubmatch(data)
	if name == nil || string(name[1]) != ExampleProject || cpu == nil {
		return "", false
	}
	return string(cpu[1]), true
}

// Dir is the venv Ensure makes for python and pin under cache.
func Dir(cache, python, pin string) string {
	if real, err := filepath.EvalSymlinks(python); err == nil {
		python = real
	}
	sum := sha256.Sum256([]byte(python + "\x00" + pin))
	return filepath.Join(cache, "jax-venv-"+hex.EncodeToString(sum[:])[:12])
}

// complete marks a venv whose install finished.
const complete = ".tpuci-complete"

// Ensure returns the interpreter of the venv for python and pin under
// cache, making it first when needed; installed reports that this call
// made it.
func Ensure(ctx context.Context, cache, python, pin string) (venvPython string, installed bool, err error) {
	dir := Dir(cache, python, pin)
	venvPython = filepath.Join(dir, "bin", "python")
	if fileExists(filepath.Join(dir, complete)) {
		return venvPython, false, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", false, fmt.Errorf("jaxenv: create %s: %w", cache, err)
	}
	lock, err := os.OpenFile(dir+".lock", os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return "", false, fmt.Errorf("jaxenv: open the lock: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", false, fmt.Errorf("jaxenv: lock %s: %w", lock.Name(), err)
	}
	defer func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) }()
	if fileExists(filepath.Join(dir, complete)) { // another process made it meanwhile
		return venvPython, false, nil
	}
	// A venv without the marker is a failed or interrupted install.
	if err := os.RemoveAll(dir); err != nil {
		return "", false, fmt.Errorf("jaxenv: remove the unfinished %s: %w", dir, err)
	}
	steps := [][]string{
		{python, "-m", "venv", "--system-site-packages", dir},
		{venvPython, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", pin},
	}
	for _, argv := range steps {
		if err := run(ctx, argv); err != nil {
			return "", false, err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, complete), []byte(pin+"\n"), 0o644); err != nil {
		return "", false, fmt.Errorf("jaxenv: mark %s complete: %w", dir, err)
	}
	return venvPython, true, nil
}

func run(ctx context.Context, argv []string) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("jaxenv: %s: %w: %s", strings.Join(argv, " "), err, lastLines(out.String(), 3))
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
