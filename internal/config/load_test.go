package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A config file that sets nothing fails at load, in one line that says
// so and what to do, instead of every target skipping and the run passing.
func TestEmptyFileDefinesNothing(t *testing.T) {
	for _, doc := range []string{"", "\n\n", "# only a comment\n# and another\n", "[lint]\n\n[release] # empty tables\n"} {
		path := filepath.Join(t.TempDir(), "tpuci.toml")
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil || !strings.HasPrefix(err.Error(), path+": defines nothing") || !strings.Contains(err.Error(), "suite:import") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: got %v", doc, err)
		}
	}
	for _, doc := range []string{"[release]\nimage = \"r/x\"\n", "[[suite]]\n"} {
		path := filepath.Join(t.TempDir(), "tpuci.toml")
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(path); err != nil && strings.Contains(err.Error(), "defines nothing") {
			t.Errorf("%q sets something: %v", doc, err)
		}
	}
}
