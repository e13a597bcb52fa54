package impact

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// skipDirs are directories that hold no source of the repository.
var skipDirs = map[string]bool{
	"__pycache__": true, "node_modules": true, "venv": true, "site-packages": true,
	"build": true, "dist": true, "tpuci-out": true,
}

// SkipDir reports whether a directory name holds no repository source:
// hidden directories (.git, .venv), caches, virtualenvs and build output.
func SkipDir(name string) bool {
	return strings.HasPrefix(name, ".") || skipDirs[name] || strings.HasSuffix(name, ".egg-info")
}

// ReadTree reads every Python file under root, keyed by slash path
// relative to root.
func ReadTree(root string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && SkipDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".py") || !d.Type().IsRegular() {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = src
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("impact: read python files under %s: %w", root, err)
	}
	return files, nil
}
