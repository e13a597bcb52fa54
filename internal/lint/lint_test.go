package lint

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/needs"
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
	var log bytes.Buffer
	fs, err := Execute(context.Background(), p, &log)
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

func TestResolveBaseNamesBadRef(t *testing.T) {
	needs.Tool(t, "git")
	repo := t.TempDir()
	git(t, repo, "init", "-q", "-b", "main")
	write(t, repo, "a.py", "X = 1\n")
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-q", "-m", "one")
	_, _, err := ResolveBase(context.Background(), repo, "origin/nope")
	if err == nil || !strings.Contains(err.Error(), `base "origin/nope" is not a commit`) {
		t.Fatalf("error: %v", err)
	}
	// Outside git there is no base, and that is said, not an error.
	b, why, err := ResolveBase(context.Background(), t.TempDir(), "")
	if b != nil || err != nil || !strings.Contains(why, "not a git checkout") {
		t.Fatalf("outside git: %v %q %v", b, why, err)
	}
}
