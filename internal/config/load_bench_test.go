package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkLoadSuites loads and validates a generated, valid config of
// many [[suite]] entries against a checkout holding their files: loading
// must stay linear in the file's size (100,000 suites, about 8 MB).
func BenchmarkLoadSuites(b *testing.B) {
	for _, n := range []int{4_000, 16_000, 100_000} {
		b.Run(fmt.Sprintf("suites=%d", n), func(b *testing.B) {
			root, path := manySuites(b, n)
			b.ResetTimer()
			for range b.N {
				c, err := Load(path)
				if err != nil {
					b.Fatal(err)
				}
				if err := c.Validate(root); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// manySuites writes a checkout with one test file and a tpuci.toml of n
// suites naming it.
func manySuites(b *testing.B, n int) (root, path string) {
	b.Helper()
	root = b.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "test"), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "test", "t.py"), nil, 0o644); err != nil {
		b.Fatal(err)
	}
	var doc strings.Builder
	for i := range n {
		fmt.Fprintf(&doc, "[[suite]]\nname = \"suite-%06d\"\ntarget = \"unitTest1\"\nfiles = [{ path = \"test/t.py\", minutes = 1 }]\n\n", i)
	}
	path = filepath.Join(root, "tpuci.toml")
	if err := os.WriteFile(path, []byte(doc.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return root, path
}
