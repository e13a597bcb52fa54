package lint

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/proc"
)

// Runs Debian's pylint for real on a file with an error.
func TestPylintFindsErrors(t *testing.T) {
	py := "/usr/bin/python3"
	if err := Available(context.Background(), py); err != nil {
		needs.Missing(t, "pylint not installed for /usr/bin/python3 (apt-get install pylint)")
	}
	repo := t.TempDir()
	os.MkdirAll(filepath.Join(repo, "pkg"), 0o755)
	os.WriteFile(filepath.Join(repo, "pkg", "good.py"), []byte("X = 1\n"), 0o644)
	os.WriteFile(filepath.Join(repo, "pkg", "bad.py"), []byte("def f():\n    return undefined_name\n"), 0o644)
	cfg := config.Lint{Paths: []string{"pkg"}, Args: []string{"--errors-only"}, Jobs: 1, Timeout: config.Duration{Duration: time.Minute}}
	p, err := PlanLint(cfg, Options{Repo: repo, Python: py})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Files) != 2 {
		t.Fatalf("files: %v", p.Files)
	}
	var out bytes.Buffer
	c := p.Cmd
	c.Stdout = &out
	proc.Run(context.Background(), c)
	fs, err := Parse(out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].Path != "pkg/bad.py" || fs[0].Line != 2 || fs[0].Symbol != "undefined-variable" {
		t.Fatalf("findings: %+v", fs)
	}
	// Only changed files are linted when asked.
	p, _ = PlanLint(cfg, Options{Repo: repo, Python: py, Changed: []string{"pkg/good.py", "README.md"}})
	if len(p.Files) != 1 || p.Files[0] != "pkg/good.py" {
		t.Fatalf("changed files: %v", p.Files)
	}
}

func TestChangedNamesBadRef(t *testing.T) {
	needs.Tool(t, "git")
	_, err := Changed(context.Background(), t.TempDir(), "origin/nope")
	if err == nil {
		t.Fatal("no error for a missing ref")
	}
}
