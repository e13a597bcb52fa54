package impact

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
)

// Model routing. A model registry imports every model file at start-up
// (and ignores the ones that fail), then runs only the class of the
// architecture a model's config names. So a change that reaches tests
// only through the registry's scan selects the tests that name a model of
// an affected architecture, the tests that use the registry directly,
// and every test naming a model whose architecture is unknown.

// RouteModels sets the model -> architectures table ([gating.models])
// that maps the models tests name to model files.
func (g *Graph) RouteModels(table map[string][]string) { g.table = table }

// isHelper reports whether a file is test code that picks models for
// the tests importing it (a test_utils.py, a conftest.py, a test file).
func isHelper(p string) bool {
	base := path.Base(p)
	return strings.Contains("/"+p, "/test/") || strings.Contains("/"+p, "/tests/") || strings.HasPrefix(base, "test_") || base == "conftest.py"
}

// ModelRefs lists, sorted, the models a file names: its own model
// literals; the model constants it imports by name; every model literal of
// a module it imports whole; and what the test helpers it imports name
// inside their functions.
func (g *Graph) ModelRefs(p string) []string {
	if refs, ok := g.refs[p]; ok {
		return refs
	}
	set := map[string]bool{}
	g.collectRefs(p, true, set, map[string]bool{})
	out := make([]string, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	sort.Strings(out)
	g.refs[p] = out
	return out
}

// collectRefs adds the models p names: all its literals when whole (the
// file itself, or a module imported whole), else only those its own code
// uses (inline literals and constants it refers to).
func (g *Graph) collectRefs(p string, whole bool, set, seen map[string]bool) {
	key := fmt.Sprint(p, whole)
	if seen[key] {
		return
	}
	seen[key] = true
	src := g.src[p]
	if src == nil {
		return
	}
	inConst := map[string]bool{}
	for name, vals := range src.ModelConsts {
		for _, v := range vals {
			inConst[v] = true
		}
		if whole || slices.Contains(src.UsedConsts, name) {
			for _, v := range vals {
				set[v] = true
			}
		}
	}
	for _, l := range src.Models {
		if whole || !inConst[l.Value] {
			set[l.Value] = true
		}
	}
	for _, imp := range g.imported[p] {
		ms := g.src[imp.file]
		if ms == nil {
			continue
		}
		all := imp.names == nil || slices.Contains(imp.names, "*")
		calls := all
		for _, n := range imp.names {
			if vals, ok := ms.ModelConsts[n]; ok {
				for _, v := range vals {
					set[v] = true
				}
			} else {
				calls = true // a function or class: it may pick a model
			}
		}
		switch {
		case all && !isHelper(imp.file):
			for _, l := range ms.Models {
				set[l.Value] = true
			}
		case calls && isHelper(imp.file):
			g.collectRefs(imp.file, all, set, seen)
		}
	}
}

// archsOf maps the models a file names to architectures; unknown lists
// the models the table does not map.
func (g *Graph) archsOf(p string) (archs, unknown []string) {
	return g.Archs(g.ModelRefs(p))
}

// Archs maps model names (or architecture names) to architectures, with
// the names the table does not map.
func (g *Graph) Archs(models []string) (archs, unknown []string) {
	for _, m := range models {
		if a, ok := g.table[strings.TrimSuffix(m, "/")]; ok {
			archs = append(archs, a...)
		} else if a, ok := g.table[m]; ok {
			archs = append(archs, a...)
		} else if g.arch[m] != "" {
			archs = append(archs, m)
		} else {
			unknown = append(unknown, m)
		}
	}
	return archs, unknown
}

// Registries lists the files that load model files by scanning, sorted.
func (g *Graph) Registries() []string {
	if g.registries == nil {
		g.registries = []string{}
		for p, es := range g.deps {
			if slices.ContainsFunc(es, func(e Edge) bool { return e.Kind == "registry" }) {
				g.registries = append(g.registries, p)
			}
		}
		sort.Strings(g.registries)
	}
	return g.registries
}
