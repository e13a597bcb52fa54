// Package jaxenvtest pins the example's JAX venv to this machine's cache
// for a test binary, before tests point XDG_CACHE_HOME at temporary
// directories: JAX is then downloaded at most once per machine.
package jaxenvtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/sgl-project/tpuci/internal/jaxenv"
	"github.com/sgl-project/tpuci/internal/needs"
)

// Main sets TPUCI_JAX_CACHE (unless set) and runs the tests.
func Main(m *testing.M) {
	if os.Getenv("TPUCI_JAX_CACHE") == "" {
		if dir, err := os.UserCacheDir(); err == nil && dir != "" {
			_ = os.Setenv("TPUCI_JAX_CACHE", filepath.Join(dir, "tpuci"))
		}
	}
	os.Exit(m.Run())
}

// Python returns an interpreter with JAX made from base: base itself when
// it has JAX, else its venv with repo's (the example's) cpu extra. A
// failed install skips the test, or fails it under CI=true.
func Python(t testing.TB, base, repo string) string {
	t.Helper()
	if jaxenv.Has(context.Background(), base) {
		return base
	}
	pin, ok := jaxenv.ExamplePin(repo)
	if !ok {
		t.Fatalf("%s is not the bundled example: no cpu extra to install", repo)
	}
	py, _, err := jaxenv.Ensure(context.Background(), os.Getenv("TPUCI_JAX_CACHE"), base, pin)
	if err != nil {
		needs.Missing(t, fmt.Sprintf("JAX for %s: %v", base, err))
	}
	return py
}

// AnyPython returns an interpreter with JAX for tests that need one but no
// particular repository: TPUCI_PYTHON when it has JAX, else the example's
// JAX venv made from Debian's python3 (which has pytest), as .ci/run
// provides it.
func AnyPython(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("TPUCI_PYTHON"); p != "" && jaxenv.Has(context.Background(), p) {
		return p
	}
	const base = "/usr/bin/python3"
	needs.Tool(t, base)
	pin, ok := jaxenv.ExamplePin(exampleSource(t))
	if !ok {
		t.Fatal("the bundled example's pyproject.toml has no cpu extra")
	}
	py, _, err := jaxenv.Ensure(context.Background(), os.Getenv("TPUCI_JAX_CACHE"), base, pin)
	if err != nil {
		needs.Missing(t, fmt.Sprintf("JAX for %s: %v", base, err))
	}
	return py
}

// exampleSource is the bundled example's source tree in this module
// (internal/example/repo), found from the test's directory; importing the
// example package would be a cycle for its own tests.
func exampleSource(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "internal", "example", "repo")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}
