package settings

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the README's environment table from Table")

// The README's environment table is Table, rendered; -update rewrites it.
func TestReadmeTableIsGenerated(t *testing.T) {
	if err := Docs.Check(filepath.Join("..", "..", "README.md"), Markdown(), *update); err != nil {
		t.Error(err)
	}
}

var varRE = regexp.MustCompile(`\b(?:TPUCI|GITHUB)_[A-Z0-9_]*[A-Z0-9]\b`)

// Every variable the targets' help (their doc comments, shown by
// mage -h) or the README names is in Table. TPUCI_RELEASE_* stands for
// the release group.
func TestDocumentedVariablesAreInTable(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "targets", "*", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	top, _ := filepath.Glob(filepath.Join("..", "..", "targets", "*.go"))
	files = append(append(files, top...), filepath.Join("..", "..", "README.md"))
	bootstrap := bootstrapKnobs(t)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if !strings.HasSuffix(f, ".md") && !strings.HasPrefix(strings.TrimSpace(line), "//") {
				continue
			}
			for _, name := range varRE.FindAllString(line, -1) {
				if _, ok := Lookup(name); !ok && !(strings.HasSuffix(f, ".md") && bootstrap[name]) {
					t.Errorf("%s:%d names %s, which internal/settings.Table does not list", f, i+1, name)
				}
			}
		}
	}
}

// bootstrapKnobs are the variables scripts/bootstrap.sh documents in its
// header: they configure the script, which runs before tpuci exists, and
// the README may name them.
func bootstrapKnobs(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "scripts", "bootstrap.sh"))
	if err != nil {
		t.Fatal(err)
	}
	knobs := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(strings.TrimPrefix(line, "#")); strings.HasPrefix(line, "#   TPUCI_") && len(f) > 0 {
			knobs[f[0]] = true
		}
		if strings.HasPrefix(line, "set -euo") {
			break
		}
	}
	return knobs
}
