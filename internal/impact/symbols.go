package impact

import (
	"path"
	"slices"
)

// Symbol-level edges. A file that takes names from a package
// __init__.py or a test helper ("from pkg import a, b") depends on the
// helper's own text and on what those names need: the definitions they
// refer to inside it, the modules those bind (followed through further
// re-exports), and what its module-level code refers to; not on every
// other import of it. So a test that imports CustomTestCase from a hub
// test_utils.py, or a name a package re-exports, does not depend on the
// whole hub or package. The edge to the helper is "shallow": only a change
// to the helper itself crosses it. Anything the scan cannot follow (star
// imports, a module __getattr__, globals(), computed imports, a name
// defined inside a block, a cycle) keeps the whole module.

// nameNeeds is what taking some names from a module requires.
type nameNeeds struct {
	full    map[string]bool   // files whose imports count too
	shallow map[string]bool   // files whose text alone counts
	via     map[string]string // file -> the module whose names need it
}

// byNames turns p's imports of names into symbol-level edges.
func (g *Graph) byNames(p string) {
	src := g.src[p]
	if src == nil {
		return
	}
	n := nameNeeds{full: map[string]bool{}, shallow: map[string]bool{}, via: map[string]string{}}
	keep := map[string]bool{} // files some import of p needs whole
	for i, imp := range src.Imports {
		mf := g.modFile[p][i]
		ok := mf != "" && len(imp.Names) > 0 && !imp.TypeOnly && byName(mf)
		var taken []string
		for _, name := range imp.Names {
			if !ok {
				break
			}
			if g.submodule(mf, name) != "" {
				continue // a submodule: its import edge stays
			}
			taken = append(taken, name)
		}
		if ok && len(taken) > 0 {
			ok = g.need(mf, taken, 0, n)
			for _, set := range []map[string]bool{n.full, n.shallow} {
				for f := range set {
					if _, seen := n.via[f]; !seen {
						n.via[f] = mf
					}
				}
			}
		}
		if !ok || len(taken) == 0 {
			if mf != "" && len(taken) == 0 && len(imp.Names) > 0 && ok {
				continue // only submodules: mf's own text is what runs
			}
			if mf != "" {
				keep[mf] = true
			}
			continue
		}
		n.shallow[mf] = true
	}
	for i, e := range g.deps[p] {
		if n.shallow[e.To] && !keep[e.To] && !n.full[e.To] && e.Kind == "import" {
			g.deps[p][i].Kind = "shallow"
		}
	}
	for _, f := range slices.Sorted(mapKeys(n.full)) {
		g.edgeVia(p, f, "names", n.via[f])
	}
	for _, f := range slices.Sorted(mapKeys(n.shallow)) {
		if !n.full[f] && !keep[f] {
			g.edgeVia(p, f, "shallow", n.via[f])
		}
	}
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// byName reports whether names taken from module m are followed one by
// one: for a package __init__.py, which re-exports, and for test helpers
// (a test_utils.py hub). A name taken from any other module takes the
// module whole: its definitions work together, and a fix to one of them
// is often checked by a test of another.
func byName(m string) bool {
	return path.Base(m) == "__init__.py" || isHelper(m)
}

// submodule returns the file of module mf's submodule name, if any.
func (g *Graph) submodule(mf, name string) string {
	if path.Base(mf) != "__init__.py" {
		return ""
	}
	dir := path.Dir(mf)
	for _, f := range []string{dir + "/" + name + ".py", dir + "/" + name + "/__init__.py"} {
		if g.files[f] {
			return f
		}
	}
	return ""
}

// need adds what taking names from module m requires; false when a name
// cannot be followed.
func (g *Graph) need(m string, names []string, depth int, n nameNeeds) bool {
	src := g.src[m]
	if src == nil || src.Opaque || len(src.Dynamic) > 0 || len(src.PathLoads) > 0 {
		return false
	}
	var all []*taken
	for _, name := range append([]string{""}, names...) {
		res := g.take(m, name)
		if name == "*" || !res.ok {
			return false
		}
		all = append(all, res)
	}
	for _, res := range all {
		for f := range res.full {
			n.full[f] = true
		}
		for f := range res.shallow {
			n.shallow[f] = true
		}
	}
	return true
}

// taken is what taking one name (or, for "", importing at all) from a
// module requires.
type taken struct {
	full, shallow map[string]bool
	ok            bool
}

// take computes, once per module and name, what taking the name needs:
// the definitions it reaches inside the module (module-level code for
// ""), their function-local imports and literals, and, through the
// module-level imports those use, what the bound names need in turn.
// A cycle through another module's names, or more than maxNameDepth
// modules, keeps that import whole.
func (g *Graph) take(m, name string) *taken {
	key := m + "\x00" + name
	if t, ok := g.taken[key]; ok {
		if t == nil {
			return &taken{} // in progress: a cycle
		}
		return t
	}
	g.taken[key] = nil
	t := g.takeOnce(m, name)
	g.taken[key] = t
	return t
}

func (g *Graph) takeOnce(m, name string) *taken {
	t := &taken{full: map[string]bool{}, shallow: map[string]bool{}}
	src := g.src[m]
	if src == nil || src.Opaque || len(src.Dynamic) > 0 || len(src.PathLoads) > 0 {
		return t
	}
	bound := map[string]int{} // module-level bound name -> import index
	for i, imp := range src.Imports {
		if imp.Scope == "" && !imp.TypeOnly {
			for _, b := range imp.Bound {
				bound[b] = i
			}
		}
	}
	queue := src.Roots
	if name != "" {
		_, def := src.Defs[name]
		_, bnd := bound[name]
		if !def && !bnd {
			return t // defined where the scan cannot see
		}
		queue = []string{name}
	} else {
		for _, f := range g.literal[m][""] {
			t.full[f] = true
		}
	}
	seen := map[string]bool{}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		if seen[x] {
			continue
		}
		seen[x] = true
		for _, f := range g.literal[m][x] {
			t.full[f] = true // a module or script the definition names
		}
		if refs, ok := src.Defs[x]; ok {
			queue = append(queue, refs...)
			for j, imp := range src.Imports {
				if imp.Scope == x && !imp.TypeOnly {
					for _, f := range g.importFiles[m][j] {
						t.full[f] = true
					}
				}
			}
		}
		if j, ok := bound[x]; ok {
			g.takeBinding(m, j, x, t)
		}
	}
	t.ok = true
	return t
}

// takeBinding adds what the name x bound by import j of m requires.
func (g *Graph) takeBinding(m string, j int, x string, t *taken) {
	imp := g.src[m].Imports[j]
	files := g.importFiles[m][j]
	xf := g.modFile[m][j]
	orig := ""
	for k, b := range imp.Bound {
		if b == x && k < len(imp.Names) {
			orig = imp.Names[k]
		}
	}
	whole := func() {
		for _, f := range files {
			t.full[f] = true
		}
	}
	switch {
	case orig == "" || xf == "":
		whole() // "import a.b": the whole module
		return
	case g.submodule(xf, orig) != "":
		t.full[g.submodule(xf, orig)] = true
		t.shallow[xf] = true
		return
	}
	if !byName(xf) {
		whole()
		return
	}
	inner := g.take(xf, orig)
	roots := g.take(xf, "")
	if !inner.ok || !roots.ok {
		whole()
		return
	}
	for _, r := range []*taken{inner, roots} {
		for f := range r.full {
			t.full[f] = true
		}
		for f := range r.shallow {
			t.shallow[f] = true
		}
	}
	for _, f := range files {
		if f != xf {
			t.full[f] = true // the packages on the way run as a whole
		}
	}
	t.shallow[xf] = true
}
