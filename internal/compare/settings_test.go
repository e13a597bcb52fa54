package compare

import (
	"context"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/compare/comparetest"
	"github.com/sgl-project/tpuci/internal/settings"
)

func TestSettings(t *testing.T) {
	ref, n, err := Settings("", 0, "merge-base", 0, "[perf]")
	if err != nil || ref != "merge-base" || n != DefaultRounds {
		t.Fatalf("config: %q %d %v", ref, n, err)
	}
	env := map[string]string{"TPUCI_COMPARE": "HEAD~1", "TPUCI_COMPARE_ROUNDS": "7"}
	s, err := settings.Parse(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ref, n, _ = Settings(s.Compare, s.CompareRounds, "merge-base", 5, "[perf]")
	if ref != "HEAD~1" || n != 7 {
		t.Fatalf("the environment over the config: %q %d", ref, n)
	}
	// Too few rounds fail before any work, naming the variable.
	if _, err := settings.Parse(func(k string) string { return map[string]string{"TPUCI_COMPARE_ROUNDS": "3"}[k] }); err == nil || !strings.Contains(err.Error(), "TPUCI_COMPARE_ROUNDS") {
		t.Fatalf("3 rounds: %v", err)
	}
	if _, _, err := Settings("", 0, "x", 2, "[pallas]"); err == nil || !strings.Contains(err.Error(), "[pallas] rounds = 2") {
		t.Fatalf("config rounds: %v", err)
	}
}

func TestCheckoutErrorsNameTheNextStep(t *testing.T) {
	ctx := context.Background()
	get := func(string) string { return "" }
	if _, err := Checkout(ctx, t.TempDir(), "HEAD~1", t.TempDir()+"/b", get); err == nil || !strings.Contains(err.Error(), "not a git checkout") {
		t.Fatalf("not git: %v", err)
	}
	repo := comparetest.Repo(t)
	if _, err := Checkout(ctx, repo, "HEAD~1", t.TempDir()+"/b", get); err == nil || !strings.Contains(err.Error(), `"HEAD~1" is not a commit`) {
		t.Fatalf("no parent: %v", err)
	}
	if _, err := Checkout(ctx, repo, MergeBase, t.TempDir()+"/b", func(k string) string { return map[string]string{"GITHUB_BASE_REF": "release"}[k] }); err == nil ||
		!strings.Contains(err.Error(), "origin/release or release") {
		t.Fatalf("merge base: %v", err)
	}
	b, err := Checkout(ctx, repo, MergeBase, t.TempDir()+"/b", get)
	if err != nil {
		t.Fatal(err)
	}
	if head := comparetest.Git(t, repo, "rev-parse", "HEAD"); b.Commit != head {
		t.Fatalf("merge base with main on main: %s, want %s", b.Commit, head)
	}
	b.Close()
	if strings.Contains(comparetest.Git(t, repo, "worktree", "list"), b.dir) {
		t.Fatal("worktree left behind")
	}
}
