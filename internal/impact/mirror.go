package impact

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// Mirrored unit tests. Unit tests are kept in a directory named after the
// package they check (python/pkg/test/mem_cache/ for
// python/pkg/srt/mem_cache/), and a fix often lands in a module beside the
// one its test imports: a pool test for a cache change, a layer test for a
// change to another layer. So a change to a module selects, besides its
// importers, the tests of the directory named like the module's own: a
// test in D/NAME/ where some directory above it is named test or tests,
// for a changed non-test file directly in a directory NAME (model files
// excepted: they are routed by architecture). Directories
// that are import roots (test/srt) or named test, tests hold tests of
// everything and mirror nothing.

// testArea is the package name a test file's directory mirrors, or "".
func (g *Graph) testArea(test string) string {
	dir := path.Dir(test)
	name := path.Base(dir)
	if dir == "." || isTestDir(name) || slices.Contains(g.roots, dir) {
		return ""
	}
	for up := path.Dir(dir); up != "."; up = path.Dir(up) {
		if isTestDir(path.Base(up)) {
			return name
		}
	}
	return ""
}

func isTestDir(name string) bool { return name == "test" || name == "tests" }

// sourceArea is the name of the directory holding a changed module, or ""
// for test code and files at the top.
func sourceArea(f string) string {
	if !strings.HasSuffix(f, ".py") || isHelper(f) {
		return ""
	}
	if dir := path.Dir(f); dir != "." {
		return path.Base(dir)
	}
	return ""
}

// mirrored reports whether a changed module sits in the package a test's
// directory is named after.
func (r *Reach) mirrored(test string) (string, bool) {
	area := r.g.testArea(test)
	if area == "" {
		return "", false
	}
	for _, f := range r.changed {
		if src := r.g.src[f]; src != nil && len(src.Entries) > 0 {
			continue // a model file: routed by its architectures
		}
		if sourceArea(f) == area {
			return fmt.Sprintf("%s is a unit test of the %s package, where %s changed", test, area, f), true
		}
	}
	return "", false
}
