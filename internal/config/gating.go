package config

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/sgl-project/tpuci/internal/stages"
)

// PRTargets are the targets of the PR pipeline, in the order pr runs them
// (the stage registry's order).
var PRTargets = stages.PR()

// DefaultFullLabel runs every PR target in full.
const DefaultFullLabel = "test:full"

// DefaultRunAll are the files whose change runs whole suites when
// [gating].run_all is not set: configuration, build and CI files, and
// the helpers every test loads.
var DefaultRunAll = []string{
	"tpuci.toml", "go.mod", "go.sum", "magefiles/**",
	"**/pyproject.toml", "**/setup.py", "**/setup.cfg", "**/requirements*.txt", "**/pytest.ini", "**/tox.ini",
	"Makefile", "**/Dockerfile*", ".github/workflows/pr-test.yml", ".github/actions/**",
	"**/conftest.py", "**/test_utils.py",
}

// DefaultIgnore are the files whose change selects no test when
// [gating].ignore is not set.
var DefaultIgnore = []string{"**/*.md", "**/*.rst", "docs/**", "LICENSE*", "**/*.png", "**/*.jpg", "**/*.svg"}

// DefaultRunner is the runner label when [gating.runners] is empty.
const DefaultRunner = "ubuntu-latest"

// DefaultUngated are the targets that run without the required label.
var DefaultUngated = []string{"lint"}

// UngatedTargets returns [gating].ungated or its default.
func (g *Gating) UngatedTargets() []string {
	if g.Ungated == nil {
		return DefaultUngated
	}
	return g.Ungated
}

// Concerns reports whether adding label changes what CI runs: the
// required label, the full label, or a label that adds targets.
func (g *Gating) Concerns(label string) bool {
	_, adds := g.Labels[label]
	return label == g.RequiredLabel || label == g.Full() || adds
}

// Full is the label that runs every PR target in full.
func (g *Gating) Full() string {
	if g.FullLabel == "" {
		return DefaultFullLabel
	}
	return g.FullLabel
}

// RunAllGlobs returns [gating].run_all or its default.
func (g *Gating) RunAllGlobs() []string {
	if g.RunAll == nil {
		return DefaultRunAll
	}
	return g.RunAll
}

// IgnoreGlobs returns [gating].ignore or its default.
func (g *Gating) IgnoreGlobs() []string {
	if g.Ignore == nil {
		return DefaultIgnore
	}
	return g.Ignore
}

// Roots returns the import roots, defaulting to the package directory and
// the repository root ("").
func (g *Gating) Roots(packageDir string) []string {
	if len(g.ImportRoots) == 0 {
		return []string{packageDir, ""}
	}
	out := make([]string, len(g.ImportRoots))
	for i, r := range g.ImportRoots {
		if r != "." {
			out[i] = r
		}
	}
	return out
}

// Narrow reports whether suites are narrowed to the affected test files.
func (g *Gating) Narrow() bool { return g.Impact == nil || *g.Impact }

// Runner returns the label of the smallest runner with at least chips
// chips.
func (g *Gating) Runner(chips int) (string, error) {
	if len(g.Runners) == 0 {
		return DefaultRunner, nil
	}
	bySize := map[int]string{}
	var sizes []int
	for k, label := range g.Runners {
		if n, err := strconv.Atoi(k); err == nil {
			bySize[n] = label
			sizes = append(sizes, n)
		}
	}
	sort.Ints(sizes)
	for _, n := range sizes {
		if n >= chips {
			return bySize[n], nil
		}
	}
	return "", fmt.Errorf("config: no runner in [gating.runners] has %d chips (sizes %v): add one", chips, sizes)
}
