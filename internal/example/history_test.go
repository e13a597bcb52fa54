package example

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/gitcmd"
	"github.com/sgl-project/tpuci/internal/needs"
)

// git runs git in an extracted root, whatever GIT_DIR the test set.
func git(t *testing.T, root string, args ...string) string {
	t.Helper()
	out, err := gitcmd.Repo{Dir: root, Env: []string{"GIT_DIR=" + filepath.Join(root, ".git"), "GIT_WORK_TREE=" + root}}.Output(context.Background(), args...)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// The extracted example is a clean git repository whose HEAD (on a branch,
// one commit after main) has the same SHA whatever the directory, the
// user's git configuration, hooks, identity and time zone.
func TestExtractHasDeterministicHistory(t *testing.T) {
	needs.Tool(t, "git")
	plain, err := Extract(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want := git(t, plain, "rev-parse", "HEAD")

	home, foreign := t.TempDir(), t.TempDir()
	hooks := filepath.Join(home, "hooks")
	if err := os.MkdirAll(hooks, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(hooks, "pre-commit"), "#!/bin/sh\nexit 1\n", 0o755)
	writeFile(t, filepath.Join(home, ".gitconfig"), "[user]\n\tname = Someone\n\temail = someone@example.com\n"+
		"[commit]\n\tgpgsign = true\n[core]\n\tautocrlf = true\n\thooksPath = "+hooks+"\n"+
		"[init]\n\tdefaultBranch = trunk\n\ttemplateDir = "+home+"\n", 0o644)
	for k, v := range map[string]string{"HOME": home, "XDG_CONFIG_HOME": home, "TZ": "Asia/Tokyo",
		"GIT_AUTHOR_DATE": "2030-05-05T05:05:05+0500", "GIT_COMMITTER_NAME": "Other", "GIT_DIR": foreign} {
		t.Setenv(k, v)
	}
	hostile, err := Extract(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got := git(t, hostile, "rev-parse", "HEAD"); got != want || !gitcmd.IsSHA(got) {
		t.Fatalf("HEAD %s under a user's configuration, %s without", got, want)
	}
	if entries, _ := os.ReadDir(foreign); len(entries) != 0 {
		t.Errorf("Extract wrote to the inherited GIT_DIR: %v", entries)
	}

	if b := git(t, plain, "symbolic-ref", "--short", "HEAD"); b != history.Branch {
		t.Errorf("HEAD on %q, want %q", b, history.Branch)
	}
	if base, parent := git(t, plain, "rev-parse", history.Base), git(t, plain, "rev-parse", "HEAD~1"); base != parent {
		t.Errorf("%s is %s, HEAD~1 %s", history.Base, base, parent)
	}
	if d := git(t, plain, "diff", "--name-only", "HEAD~1", "HEAD"); d != history.File {
		t.Errorf("HEAD changes %q, want %s", d, history.File)
	}
	if st := git(t, plain, "status", "--porcelain"); st != "" {
		t.Errorf("not clean:\n%s", st)
	}
	ids := git(t, plain, "log", "--format=%an <%ae> %aI %cn <%ce> %cI")
	wantIDs := "tpuci example <example@tpuci.invalid> 2025-01-02T00:00:00Z tpuci example <example@tpuci.invalid> 2025-01-02T00:00:00Z\n" +
		"tpuci example <example@tpuci.invalid> 2025-01-01T00:00:00Z tpuci example <example@tpuci.invalid> 2025-01-01T00:00:00Z"
	if strings.ReplaceAll(ids, "+00:00", "Z") != wantIDs {
		t.Errorf("identities and dates:\n%s\nwant\n%s", ids, wantIDs)
	}
}

// A copy an older tpuci wrote (the tree alone) is not taken for one with
// history, nor is a copy whose .git was lost.
func TestExtractReplacesCopiesWithoutHistory(t *testing.T) {
	needs.Tool(t, "git")
	dir := t.TempDir()
	old := filepath.Join(dir, plainDirName())
	if err := os.Mkdir(old, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeTree(old); err != nil {
		t.Fatal(err)
	}
	root, err := Extract(dir)
	if err != nil || !HasHistory(root) || root == old {
		t.Fatalf("Extract = %s, %v, history %v; want a repository apart from %s", root, err, HasHistory(root), old)
	}
	if err := os.RemoveAll(filepath.Join(root, ".git")); err != nil {
		t.Fatal(err)
	}
	again, err := Extract(dir)
	if err != nil || again != root || !HasHistory(again) {
		t.Fatalf("Extract over a copy without .git = %s, %v, history %v", again, err, HasHistory(again))
	}
}

// Without git the tree alone is written, under the name older versions used.
func TestExtractWithoutGitWritesTheTree(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	dir := t.TempDir()
	root, err := Extract(dir)
	if err != nil || root != filepath.Join(dir, plainDirName()) || HasHistory(root) {
		t.Fatalf("Extract = %s, %v, history %v", root, err, HasHistory(root))
	}
	if _, err := os.Stat(filepath.Join(root, history.File)); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
}
