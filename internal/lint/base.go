package lint

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sgl-project/tpuci/internal/gitcmd"
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
	g := gitcmd.Repo{Dir: repo}
	git := func(args ...string) (string, error) {
		out, err := g.Output(ctx, args...)
		return strings.TrimSpace(string(out)), err
	}
	if _, err := g.Resolve(ctx, "HEAD"); err != nil {
		return nil, fmt.Sprintf("%s is not a git checkout with commits", repo), nil
	}
	refs := DefaultBaseRefs
	if ref != "" {
		if err := gitcmd.CheckRevision("lint: TPUCI_LINT_BASE", ref); err != nil {
			return nil, "", err
		}
		refs = []string{ref}
	}
	b := &Base{}
	for _, r := range refs {
		if _, err := g.Resolve(ctx, r); err == nil {
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
	mb, err := git("merge-base", "--end-of-options", b.Ref, "HEAD")
	if err != nil {
		return nil, "", fmt.Errorf("lint: git merge-base %s HEAD: %w", b.Ref, err)
	}
	head, _ := git("rev-parse", "HEAD")
	b.Commit, b.Note = mb, fmt.Sprintf("judging the change against %s (merge base of %s and HEAD)", short(mb), b.Ref)
	if mb == head {
		parent, err := g.Resolve(ctx, "HEAD~1")
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
	diff, err := git("diff", "--name-status", "-z", "-M", "--diff-filter=ACMR", "--end-of-options", b.Commit)
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
	// -z: one field per NUL, a status then one path (two for a rename),
	// so that no file name is quoted or split.
	f := strings.Split(diff, "\x00")
	for i := 0; i+1 < len(f); i += 2 {
		if strings.HasPrefix(f[i], "R") && i+2 < len(f) {
			b.Renamed[f[i+1]] = f[i+2]
			add(f[i+2])
			i++
			continue
		}
		add(f[i+1])
	}
	untracked, err := git("ls-files", "-z", "--others", "--exclude-standard")
	if err != nil {
		return fmt.Errorf("lint: git ls-files: %w", err)
	}
	for _, p := range strings.Split(untracked, "\x00") {
		if p != "" {
			add(p)
		}
	}
	return nil
}

// Extract writes the base commit's Python files and the configuration
// files pylint reads into dir/tree, from git's object store: neither the
// checkout's index nor its worktrees are touched, and blobs a partial
// clone lacks elsewhere in the tree do not matter.
func (b *Base) Extract(ctx context.Context, repo, dir string) error {
	tree := filepath.Join(dir, "tree")
	listing, err := gitcmd.Repo{Dir: repo}.Output(ctx, "ls-tree", "-r", "-z", "--end-of-options", b.Commit)
	if err != nil {
		return fmt.Errorf("lint: git ls-tree %s: %w", short(b.Commit), err)
	}
	var paths, shas []string
	for _, entry := range strings.Split(string(listing), "\x00") {
		meta, p, ok := strings.Cut(entry, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 || f[1] != "blob" || !lintInput(p) || !filepath.IsLocal(filepath.FromSlash(p)) {
			continue
		}
		paths, shas = append(paths, p), append(shas, f[2])
	}
	out, err := gitcmd.Repo{Dir: repo}.Run(ctx, strings.NewReader(strings.Join(shas, "\n")+"\n"), "cat-file", "--batch")
	if err != nil {
		return fmt.Errorf("lint: git cat-file at %s: %w", short(b.Commit), err)
	}
	data := out
	for _, p := range paths {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			return fmt.Errorf("lint: git cat-file at %s: output ends early at %s", short(b.Commit), p)
		}
		f := strings.Fields(string(data[:nl]))
		size := 0
		if len(f) == 3 {
			size, _ = strconv.Atoi(f[2])
		}
		data = data[nl+1:]
		if len(f) != 3 || size > len(data) {
			return fmt.Errorf("lint: git cat-file at %s: cannot read %s (%s)", short(b.Commit), p, strings.Join(f, " "))
		}
		dst := filepath.Join(tree, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("lint: extract base: %w", err)
		}
		if err := os.WriteFile(dst, data[:size], 0o644); err != nil {
			return fmt.Errorf("lint: extract base: %w", err)
		}
		data = data[min(size+1, len(data)):]
	}
	return nil
}

// lintInput is a file pylint reads: Python sources and configuration.
func lintInput(p string) bool {
	base := path.Base(p)
	return strings.HasSuffix(p, ".py") || strings.HasSuffix(p, ".pyi") || base == "pyproject.toml" ||
		base == "setup.cfg" || base == ".pylintrc" || base == "pylintrc" || base == "tox.ini"
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
