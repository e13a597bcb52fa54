package compare

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sgl-project/tpuci/internal/gitcmd"
)

// MergeBase is the ref value that compares with the merge base of HEAD
// and the target branch (GITHUB_BASE_REF on pull requests, else main).
const MergeBase = "merge-base"

// Base is the base revision checked out next to the working tree.
type Base struct {
	Ref    string // as given: "HEAD~1", "merge-base", "origin/main"
	Commit string
	Root   string // the base's counterpart of the repository directory
	dir    string // the worktree
	top    string // the repository's top level
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	out, err := gitcmd.Repo{Dir: dir}.Output(ctx, args...)
	return strings.TrimSpace(string(out)), err
}

// Resolve turns a ref (or "merge-base") into a commit of repo.
func Resolve(ctx context.Context, repo, ref string, getenv func(string) string) (string, error) {
	if ref != MergeBase {
		if err := gitcmd.CheckRevision("compare", ref); err != nil {
			return "", err
		}
		c, err := gitcmd.Repo{Dir: repo}.Resolve(ctx, ref)
		if err != nil {
			return "", fmt.Errorf("compare: %q is not a commit of %s (a branch, tag, sha or HEAD~1)", ref, repo)
		}
		return c, nil
	}
	var tried []string
	for _, b := range mergeBaseCandidates(getenv("GITHUB_BASE_REF")) {
		if gitcmd.CheckRevision("GITHUB_BASE_REF", b) != nil {
			continue
		}
		tried = append(tried, b)
		if c, err := git(ctx, repo, "merge-base", "--end-of-options", "HEAD", b); err == nil && c != "" {
			return c, nil
		}
	}
	return "", fmt.Errorf("compare: no merge base of HEAD with %s in %s: fetch the target branch (git fetch origin main) or name a ref instead of %q",
		strings.Join(tried, " or "), repo, MergeBase)
}

func mergeBaseCandidates(baseRef string) []string {
	if baseRef != "" {
		return []string{"origin/" + baseRef, baseRef}
	}
	return []string{"origin/main", "main", "origin/master", "master"}
}

// Checkout makes a detached git worktree of ref's commit at dir (replacing
// an earlier one) and returns where repo's counterpart is in it. Close
// removes it.
func Checkout(ctx context.Context, repo, ref, dir string, getenv func(string) string) (*Base, error) {
	if _, err := git(ctx, repo, "rev-parse", "--git-dir"); err != nil {
		return nil, fmt.Errorf("compare: %s is not a git checkout, so there is no base revision to compare with: unset TPUCI_COMPARE / compare in the config, or run in a clone", repo)
	}
	commit, err := Resolve(ctx, repo, ref, getenv)
	if err != nil {
		return nil, err
	}
	top, err := git(ctx, repo, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("compare: find the top of %s: %w", repo, err)
	}
	prefix, _ := git(ctx, repo, "rev-parse", "--show-prefix")
	b := &Base{Ref: ref, Commit: commit, dir: dir, top: top, Root: filepath.Join(dir, filepath.FromSlash(prefix))}
	b.remove(ctx)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("compare: create %s: %w", filepath.Dir(dir), err)
	}
	if _, err := git(ctx, top, "worktree", "add", "--detach", "--force", "--", dir, commit); err != nil {
		return nil, fmt.Errorf("compare: check out %s (%s) at %s: %w", ref, short(commit), dir, err)
	}
	if _, err := os.Stat(b.Root); err != nil {
		b.Close()
		return nil, fmt.Errorf("compare: %s (%s) has no %s: the base revision predates this directory", ref, short(commit), prefix)
	}
	return b, nil
}

// Close removes the worktree.
func (b *Base) Close() { b.remove(context.Background()) }

func (b *Base) remove(ctx context.Context) {
	if _, err := os.Stat(b.dir); errors.Is(err, os.ErrNotExist) {
		return
	}
	_, _ = git(ctx, b.top, "worktree", "remove", "--force", b.dir)
	_ = os.RemoveAll(b.dir)
	_, _ = git(ctx, b.top, "worktree", "prune")
}

// Describe names the base for logs and titles: "HEAD~1 (1a2b3c4d5e6f)".
func (b *Base) Describe() string { return fmt.Sprintf("%s (%s)", b.Ref, short(b.Commit)) }

func short(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}
