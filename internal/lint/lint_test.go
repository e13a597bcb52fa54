package lint

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/gitcmd"
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

// Changed lists what a branch committed since its base plus local edits,
// once each, sorted; deleted and untouched files are left out.
func TestChangedListsCommittedAndLocalEdits(t *testing.T) {
	needs.Tool(t, "git")
	ctx := context.Background()
	repo := t.TempDir()
	g := gitcmd.Repo{Dir: repo, Env: []string{"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t"}}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(repo, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	commit := func(msg string) {
		for _, args := range [][]string{{"add", "-A"}, {"-c", "commit.gpgsign=false", "commit", "-qm", msg}} {
			if _, err := g.Output(ctx, args...); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := g.Output(ctx, "init", "-q", "-b", "main"); err != nil {
		t.Fatal(err)
	}
	write("a.py", "A = 1\n")
	write("b.py", "B = 1\n")
	write("gone.py", "G = 1\n")
	write("same.py", "S = 1\n")
	commit("base")
	if _, err := g.Output(ctx, "checkout", "-q", "-b", "feature"); err != nil {
		t.Fatal(err)
	}
	write("a.py", "A = 2\n")
	write("b.py", "B = 2\n")
	if err := os.Remove(filepath.Join(repo, "gone.py")); err != nil {
		t.Fatal(err)
	}
	commit("feature")
	write("b.py", "B = 3\n") // committed and edited again: listed once
	got, err := Changed(ctx, repo, "main")
	if err != nil || !slices.Equal(got, []string{"a.py", "b.py"}) {
		t.Fatalf("Changed = %q, %v; want [a.py b.py]", got, err)
	}
}
