package lint

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sgl-project/tpuci/internal/proc"
)

// Base is the commit a change is judged against.
type Base struct {
	Ref     string            // the ref it was found from
	Commit  string            // the merge base of Ref and HEAD (or HEAD's parent on the base branch)
	Note    string            // how it was chosen, for the log
	Changed []string          // files changed since Commit, including local and untracked ones
	Renamed map[string]string // base path -> path at HEAD
}

// DefaultBaseRefs are tried in order when no base is named.
var DefaultBaseRefs = []string{"origin/main", "main", "origin/master", "master"}

// ResolveBase finds the base: ref when given, else the first of
// DefaultBaseRefs that exists. When HEAD is on the base branch, its last
// commit is the change judged. It returns nil (and why) outside git or
// when nothing can serve as a base.
func ResolveBase(ctx context.Context, repo, ref string) (*Base, string, error) {
	git := func(args ...string) (string, error) {
		out, err := proc.Output(ctx, "", append([]string{"git", "-C", repo}, args...)...)
		return strings.TrimSpace(string(out)), err
	}
	if _, err := git("rev-parse", "--verify", "--quiet", "HEAD^{commit}"); err != nil {
		return nil, fmt.Sprintf("%s is not a git checkout with commits", repo), nil
	}
	refs := DefaultBaseRefs
	if ref != "" {
		refs = []string{ref}
	}
	b := &Base{}
	for _, r := range refs {
		if _, err := git("rev-parse", "--verify", "--quiet", r+"^{commit}"); err == nil {
			b.Ref = r
			break
		}
	}
	if b.Ref == "" {
		if ref != "" {
			return nil, "", fmt.Errorf("lint: base %q is not a commit in %s (try `git fetch origin`, or unset it)", ref, repo)
		}
		return nil, fmt.Sprintf("none of %s exists in %s", strings.Join(DefaultBaseRefs, ", "), repo), nil
	}
	mb, err := git("merge-base", b.Ref, "HEAD")
	if err != nil {
		return nil, "", fmt.Errorf("lint: git merge-base %s HEAD: %w", b.Ref, err)
	}
	head, _ := git("rev-parse", "HEAD")
	b.Commit, b.Note = mb, fmt.Sprintf("judging the change against %s (merge base of %s and HEAD)", short(mb), b.Ref)
	if mb == head {
		parent, err := git("rev-parse", "--verify", "--quiet", "HEAD~1^{commit}")
		if err != nil {
			return nil, fmt.Sprintf("HEAD is %s and has no parent", b.Ref), nil
		}
		b.Commit, b.Note = parent, fmt.Sprintf("HEAD is on %s: judging its last commit against %s", b.Ref, short(parent))
	}
	if err := b.listChanges(git); err != nil {
		return nil, "", err
	}
	return b, "", nil
}

func (b *Base) listChanges(git func(...string) (string, error)) error {
	diff, err := git("diff", "--name-status", "-M", "--diff-filter=ACMR", b.Commit)
	if err != nil {
		return fmt.Errorf("lint: git diff %s: %w", short(b.Commit), err)
	}
	b.Renamed = map[string]string{}
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			b.Changed = append(b.Changed, p)
		}
	}
	for _, line := range strings.Split(diff, "\n") {
		f := strings.Split(line, "\t")
		switch {
		case len(f) == 3 && strings.HasPrefix(f[0], "R"):
			b.Renamed[f[1]] = f[2]
			add(f[2])
		case len(f) == 2:
			add(f[1])
		}
	}
	untracked, err := git("ls-files", "--others", "--exclude-standard")
	if err != nil {
		return fmt.Errorf("lint: git ls-files: %w", err)
	}
	for _, p := range strings.Fields(untracked) {
		add(p)
	}
	return nil
}

// Extract writes the base commit's tree into dir (read-only for the
// checkout: git archive touches neither its index nor its worktrees).
func (b *Base) Extract(ctx context.Context, repo, dir string) error {
	tarball := filepath.Join(dir, "base.tar")
	tree := filepath.Join(dir, "tree")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		return fmt.Errorf("lint: extract base: %w", err)
	}
	if _, err := proc.Output(ctx, "", "git", "-C", repo, "archive", "--format=tar", "-o", tarball, b.Commit); err != nil {
		return fmt.Errorf("lint: git archive %s: %w", short(b.Commit), err)
	}
	if _, err := proc.Output(ctx, "", "tar", "-xf", tarball, "-C", tree); err != nil {
		return fmt.Errorf("lint: unpack base tree: %w", err)
	}
	return os.Remove(tarball)
}

// BasePath maps a file at HEAD to its path at the base.
func (b *Base) BasePath(headPath string) string {
	for old, now := range b.Renamed {
		if now == headPath {
			return old
		}
	}
	return headPath
}

func short(sha string) string {
	if len(sha) > 10 {
		return sha[:10]
	}
	return sha
}
