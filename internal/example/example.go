// Package example bundles a miniature repository shaped like SGLang-JAX
// (python/sgl_jax, test/srt, benchmark/kernels, eval_data, Dockerfile and
// its own tpuci.toml). tpuci tests it when no SGLang-JAX checkout is given.
// Its kernels are Pallas kernels and its unit tests use JAX (internal/jaxenv
// provides it); its server and e2e tests are standard-library Python. It
// is extracted as a git repository with a fixed two-commit history.
package example

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

//go:embed all:repo
var embedded embed.FS

// FS is the bundled repository; paths are relative to its root
// ("tpuci.toml", "python/sgl_jax/version.py", ...).
func FS() fs.FS {
	sub, err := fs.Sub(embedded, "repo")
	if err != nil { // impossible: "repo" is a valid, embedded directory
		panic(err)
	}
	return sub
}

// Hash identifies the bundled tree's content (hex sha256 over paths and bytes).
func Hash() string { return treeHash() }

var treeHash = sync.OnceValue(func() string {
	h := sha256.New()
	fsys := FS()
	var paths []string
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			paths = append(paths, p)
		}
		return err
	})
	sort.Strings(paths)
	for _, p := range paths {
		data, _ := fs.ReadFile(fsys, p)
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))
})

// DirName is the name of the directory Extract creates with git history:
// example-<first 12 hex of a hash over Hash and the history's recipe>.
// An older tpuci's copy, without history, has another name (plainDirName),
// so it is never taken for this one.
func DirName() string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%+v", Hash(), history))
	return "example-" + hex.EncodeToString(sum[:])[:12]
}

// plainDirName names the copy without history, written when git is missing.
func plainDirName() string { return "example-" + Hash()[:12] }

// Extract writes the bundled repository to dir/DirName(), a git
// repository with the commits of history, and returns that absolute path;
// without git, it writes the tree alone to dir/example-<hash12>
// (HasHistory tells which). The tree is assembled in a temporary sibling
// and renamed into place, so a reader never sees a half-written copy; when
// the directory already exists (an earlier call, or a concurrent one that
// won the rename) it is reused as is.
func Extract(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("example: resolve %s: %w", dir, err)
	}
	withGit := HasGit()
	name := DirName()
	if !withGit {
		name = plainDirName()
	}
	root := filepath.Join(dir, name)
	if st, err := os.Stat(root); err == nil && st.IsDir() {
		if !withGit || HasHistory(root) {
			return root, nil
		}
		// A copy whose history was lost: replace it whole.
		if err := discard(dir, root); err != nil {
			return "", err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("example: create %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(dir, ".example-tmp-")
	if err != nil {
		return "", fmt.Errorf("example: create temporary directory in %s: %w", dir, err)
	}
	if err := build(tmp, withGit); err != nil {
		_ = os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Rename(tmp, root); err != nil {
		_ = os.RemoveAll(tmp)
		if st, statErr := os.Stat(root); statErr == nil && st.IsDir() {
			return root, nil // another process finished first
		}
		return "", fmt.Errorf("example: move the tree to %s: %w", root, err)
	}
	return root, nil
}

func build(tmp string, withGit bool) error {
	if err := writeTree(tmp); err != nil {
		return err
	}
	if !withGit {
		return nil
	}
	return commitHistory(tmp)
}

// discard moves root out of the way (a rename, so that no reader sees it
// half deleted) and deletes it.
func discard(dir, root string) error {
	trash, err := os.MkdirTemp(dir, ".example-old-")
	if err != nil {
		return fmt.Errorf("example: create temporary directory in %s: %w", dir, err)
	}
	if err := os.Rename(root, filepath.Join(trash, "old")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		_ = os.RemoveAll(trash)
		return fmt.Errorf("example: move %s aside: %w", root, err)
	}
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("example: delete %s: %w", trash, err)
	}
	return nil
}

func writeTree(dst string) error {
	if err := os.Chmod(dst, 0o755); err != nil { // MkdirTemp makes it 0700
		return fmt.Errorf("example: chmod %s: %w", dst, err)
	}
	fsys := FS()
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == "." {
			return err
		}
		target := filepath.Join(dst, filepath.FromSlash(p))
		if d.IsDir() {
			return os.Mkdir(target, 0o755)
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if executable(p) {
			mode = 0o755
		}
		return os.WriteFile(target, data, mode)
	})
	if err != nil {
		return fmt.Errorf("example: write the tree to %s: %w", dst, err)
	}
	return nil
}
