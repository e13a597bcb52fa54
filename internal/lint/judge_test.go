package lint

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
)

const python = "/usr/bin/python3"

func needPylint(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"git", python} {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, tool+" not installed")
		}
	}
	if err := Available(context.Background(), python); err != nil {
		skipOrFail(t, "pylint not installed for /usr/bin/python3 (apt-get install pylint)")
	}
}

func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@t", "-C", dir}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func write(t *testing.T, repo, rel, text string) {
	t.Helper()
	p := filepath.Join(repo, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func judge(t *testing.T, repo, baseline string) *Result {
	t.Helper()
	cfg := config.Lint{Paths: []string{"pkg", "scripts", "tools"}, Args: []string{"--errors-only", "--disable=import-error"}, Jobs: 1, Timeout: config.Duration{Duration: 5 * time.Minute}}
	var log bytes.Buffer
	r, err := Judge(context.Background(), Setup{Cfg: cfg, Repo: repo, Python: python, Baseline: baseline, Scratch: t.TempDir(), Log: &log})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	return r
}

// A branch with an old error commits a change that moves it and adds a
// new one: only the new one fails; the old one is listed as existing.
func TestJudgeFailsOnlyNewFindings(t *testing.T) {
	needPylint(t)
	repo := t.TempDir()
	git(t, repo, "init", "-q", "-b", "main")
	write(t, repo, "pkg/__init__.py", "")
	write(t, repo, "pkg/old.py", "def f():\n    return missing_one\n")
	write(t, repo, "pkg/clean.py", "X = 1\n")
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-q", "-m", "base")
	write(t, repo, "pkg/old.py", "import os\n\n\ndef f():\n    return missing_one\n\n\ndef g():\n    return missing_two\n")
	git(t, repo, "commit", "-q", "-am", "change")

	r := judge(t, repo, "")
	if r.Base == nil || !strings.Contains(r.Notes[0], "HEAD is on main: judging its last commit") {
		t.Fatalf("base: %+v", r.Notes)
	}
	if r.Files != 1 || r.BaseFiles != 1 {
		t.Fatalf("only the changed file is linted on both sides: %d/%d", r.Files, r.BaseFiles)
	}
	if len(r.Verdict.New) != 1 || !strings.Contains(r.Verdict.New[0].Message, "missing_two") || r.Verdict.New[0].Line != 9 {
		t.Fatalf("new: %+v", r.Verdict.New)
	}
	if len(r.Verdict.Existing) != 1 || r.Verdict.Existing[0].Line != 5 {
		t.Fatalf("existing: %+v", r.Verdict.Existing)
	}

	// A branch off main with a new file: merge base is main's tip.
	git(t, repo, "checkout", "-q", "-b", "feature")
	write(t, repo, "pkg/new.py", "def h():\n    return missing_three\n")
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-q", "-m", "feature")
	r = judge(t, repo, "")
	if r.Files != 1 || r.BaseFiles != 0 || len(r.Verdict.New) != 1 || r.Verdict.New[0].Path != "pkg/new.py" {
		t.Fatalf("feature: files %d/%d new %+v", r.Files, r.BaseFiles, r.Verdict.New)
	}

	// A recorded baseline: every file linted, compared with the record.
	record := filepath.Join(t.TempDir(), "lint-findings.json")
	if err := WriteFindings(record, r.Head[:0]); err != nil {
		t.Fatal(err)
	}
	r = judge(t, repo, record)
	if r.Files != 4 || len(r.Verdict.New) != 3 {
		t.Fatalf("baseline: files %d new %+v", r.Files, r.Verdict.New)
	}
}

// An interpreter older than requires-python: its syntax errors become
// the list of files it cannot parse, not findings.
func TestJudgeInterpreterMismatch(t *testing.T) {
	needPylint(t)
	repo := t.TempDir()
	write(t, repo, "pyproject.toml", "[project]\nname = \"x\"\nrequires-python = \">=3.99\"\n")
	write(t, repo, "pkg/new_syntax.py", "type Alias = list[int]\ndef f[T](x: T) -> T:\n    return x\n")
	write(t, repo, "pkg/bad.py", "def f():\n    return missing\n")
	r := judge(t, repo, "")
	if !r.Interp.Mismatch || len(r.Unparsable) != 1 || r.Unparsable[0] != "pkg/new_syntax.py" {
		t.Fatalf("interp %+v unparsable %v", r.Interp, r.Unparsable)
	}
	if len(r.Verdict.New) != 1 || r.Verdict.New[0].Path != "pkg/bad.py" {
		t.Fatalf("new: %+v", r.Verdict.New)
	}
	line := r.Interp.UnparsableLine(len(r.Unparsable))
	if !strings.Contains(line, "1 file(s) use syntax Python 3.11 cannot parse; the repository requires >=3.99") {
		t.Fatalf("line: %s", line)
	}
}

// Two script directories each hold a utils.py that their scripts import
// as a sibling: each resolves to its own, so neither is flagged.
func TestScriptDirectoriesResolveTheirOwnSiblings(t *testing.T) {
	needPylint(t)
	repo := t.TempDir()
	for _, d := range []string{"scripts", "scripts/a", "scripts/b"} {
		write(t, repo, d+"/__init__.py", "")
	}
	write(t, repo, "scripts/a/utils.py", "def make_a():\n    return 1\n")
	write(t, repo, "scripts/b/utils.py", "def make_b():\n    return 2\n")
	write(t, repo, "scripts/a/bench.py", "from utils import make_a\n\nprint(make_a())\n")
	write(t, repo, "scripts/b/bench.py", "from utils import make_b\n\nprint(make_b())\n")
	// A third utils, a package next to a top-level script, wins on a shared path.
	write(t, repo, "tools/utils/__init__.py", "X = 1\n")
	write(t, repo, "tools/run.py", "from utils import X\n\nprint(X)\n")
	batches := Batches(repo, "", []string{"scripts/a/bench.py", "scripts/a/utils.py", "scripts/b/bench.py", "scripts/b/utils.py"})
	if len(batches) != 2 || batches[0].ScriptDirs[0] != "scripts/a" || batches[1].ScriptDirs[0] != "scripts/b" {
		t.Fatalf("batches: %+v", batches)
	}
	r := judge(t, repo, "")
	if r.Files != 9 || len(r.Verdict.New) != 0 {
		t.Fatalf("files %d, findings: %+v", r.Files, r.Verdict.New)
	}
}
