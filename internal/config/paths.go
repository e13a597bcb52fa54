package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// checkoutPath is a config value that names a file or directory of the
// checkout, relative to its root.
type checkoutPath struct {
	at        string // key path, e.g. "suite[2].files[0].path"
	rel       string
	mustExist bool // read as given; the others may be written or have fallbacks
}

// checkoutPaths lists every value read as a path inside the checkout.
// Host paths are not among them, since they name places outside it by
// design: [repo].python, the [cache] directories, [accuracy].cache_dir,
// [nightly].history, [nightly.git] (a data repository), server commands
// and [release].nightly_status.
func (c *Config) checkoutPaths() []checkoutPath {
	ps := []checkoutPath{
		{at: "repo.package_dir", rel: c.Repo.PackageDir},
		{at: "repo.version_file", rel: c.Repo.VersionFile},
		{at: "perf.baselines", rel: c.Perf.Baselines},
		{at: "accuracy.baselines", rel: c.Accuracy.Baselines},
		{at: "accuracy.data_dir", rel: c.Accuracy.DataDir, mustExist: true},
		{at: "pallas.baselines", rel: c.Pallas.Baselines},
		{at: "release.dockerfile", rel: c.Release.Dockerfile, mustExist: true},
		{at: "release.context", rel: c.Release.Context, mustExist: true},
	}
	for i, p := range c.Lint.Paths {
		ps = append(ps, checkoutPath{at: fmt.Sprintf("lint.paths[%d]", i), rel: p, mustExist: true})
	}
	for i, s := range c.Suites {
		for j, f := range s.Files {
			ps = append(ps, checkoutPath{at: fmt.Sprintf("suite[%d].files[%d].path", i, j), rel: f.Path, mustExist: true})
		}
	}
	for i, k := range c.Pallas.Kernels {
		ps = append(ps, checkoutPath{at: fmt.Sprintf("pallas.kernel[%d].file", i), rel: k.File, mustExist: true})
	}
	for i, r := range c.Gating.ImportRoots {
		ps = append(ps, checkoutPath{at: fmt.Sprintf("gating.import_roots[%d]", i), rel: r, mustExist: true})
	}
	return ps
}

// CheckPaths checks that every path the config names stays inside the
// checkout at root, through symbolic links too (with root empty, only
// the written form), for a config that is not otherwise validated: the
// base revision's own, in a comparison. Validate checks this and that
// the files read as given exist.
func (c *Config) CheckPaths(root string) error {
	v := validator{c: c, root: root}
	v.paths(false)
	return v.joined()
}

// paths checks every checkout path of the config; withExistence also
// requires those read as given to exist.
func (v *validator) paths(withExistence bool) {
	ck, err := openCheckout(v.root)
	if err != nil {
		v.errs = append(v.errs, fmt.Errorf("%s: check paths: %w", v.c.Source, err))
		return
	}
	for _, p := range v.c.checkoutPaths() {
		if p.rel == "" {
			continue
		}
		if msg := ck.problem(p, withExistence); msg != "" {
			v.add(p.at, "%s", msg)
		}
	}
}

// checkout is the tree config paths must stay in.
type checkout struct {
	root string // as given; "" checks the written form only
	real string // absolute, symbolic links resolved
	// dirs memoizes real directories: suites share a few directories, and
	// resolving each file's whole path again costs a system call per part.
	dirs map[string]string
}

func openCheckout(root string) (*checkout, error) {
	if root == "" {
		return &checkout{}, nil
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("locate %s: %w", root, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", root, err)
	}
	return &checkout{root: root, real: real, dirs: map[string]string{}}, nil
}

// problem says what is wrong with one path, or "" when it is fine.
func (ck *checkout) problem(p checkoutPath, withExistence bool) string {
	switch {
	case filepath.IsAbs(p.rel):
		return fmt.Sprintf("%q is absolute: write it relative to the repository root", p.rel)
	case !filepath.IsLocal(p.rel):
		return fmt.Sprintf("%q leads outside the checkout: name a path inside it, relative to the repository root", p.rel)
	case ck.root == "":
		return ""
	}
	real, exists, err := ck.resolve(filepath.Join(ck.real, p.rel))
	switch {
	case err != nil:
		return fmt.Sprintf("%q cannot be resolved in %s (%v): fix the path or the links on it", p.rel, ck.root, err)
	case !within(ck.real, real):
		return fmt.Sprintf("%q leads outside the checkout through a symbolic link (to %s): name a path inside the checkout, or make the link point inside it", p.rel, real)
	case withExistence && p.mustExist && !exists:
		return fmt.Sprintf("%s does not exist in %s (fix the path or remove the entry)", p.rel, ck.root)
	}
	return ""
}

// resolve is where path leads once symbolic links are followed, and
// whether it exists.
func (ck *checkout) resolve(path string) (real string, exists bool, err error) {
	st, err := os.Lstat(path)
	if err == nil && st.Mode()&fs.ModeSymlink != 0 {
		real, err = realPath(path, maxLinks)
		_, serr := os.Stat(path)
		return real, serr == nil, err
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", false, err
	}
	dir, derr := ck.realDir(filepath.Dir(path))
	return filepath.Join(dir, filepath.Base(path)), err == nil, derr
}

// realDir is realPath of a directory, memoized.
func (ck *checkout) realDir(dir string) (string, error) {
	if real, ok := ck.dirs[dir]; ok {
		return real, nil
	}
	real, err := realPath(dir, maxLinks)
	if err == nil {
		ck.dirs[dir] = real
	}
	return real, err
}

// maxLinks bounds the dangling links followed for one path, as the
// kernel bounds a lookup (ELOOP).
const maxLinks = 40

// realPath is where path leads once every symbolic link is followed,
// for paths that do not exist yet too: the real path of the longest
// existing prefix joined with the rest. A dangling link is followed to
// its target, since writing through it would create that target.
func realPath(path string, links int) (string, error) {
	real, err := filepath.EvalSymlinks(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return real, err
	}
	if st, lerr := os.Lstat(path); lerr == nil && st.Mode()&fs.ModeSymlink != 0 {
		return followDangling(path, links)
	}
	parent := filepath.Dir(path)
	if parent == path {
		return "", err
	}
	realParent, err := realPath(parent, links)
	if err != nil {
		return "", err
	}
	return filepath.Join(realParent, filepath.Base(path)), nil
}

// followDangling resolves a symbolic link whose target does not exist.
func followDangling(link string, links int) (string, error) {
	if links == 0 {
		return "", fmt.Errorf("too many symbolic links at %s", link)
	}
	target, err := os.Readlink(link)
	if err != nil {
		return "", err
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(filepath.Dir(link), target)
	}
	return realPath(target, links-1)
}

// within reports whether path is root or lies under it.
func within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && filepath.IsLocal(rel)
}
