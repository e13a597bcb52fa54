// Package jaxenvtest pins the example's JAX venv to this machine's cache
// for a test binary, before tests point XDG_CACHE_HOME at temporary
// directories: JAX is then downloaded at most once per machine.
package jaxenvtest

import (
	"os"
	"path/filepath"
	"testing"
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
