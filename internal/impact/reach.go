package impact

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
)

// Reach is the set of files that can run a changed file: the changed files
// themselves and, transitively, every file that imports one of them.
type Reach struct {
	g    *Graph
	via  map[string]string // file -> the module whose names need its next step
	next map[string]string // file -> its dependency one step closer to a change
	kind map[string]string // file -> the kind of its edge to next
	why  map[string]string // start of a walk -> why it is affected
	// archs maps each affected architecture to its model file: the walk
	// does not cross the registry's scan, routing decides instead.
	archs map[string]string
	// behind is the set of files that reach a model registry (computed
	// on first use).
	behind map[string]bool
	// changed are the changed files, sorted.
	changed []string
}

// Reach walks the reverse import graph from the changed Python files
// (repo-relative paths). A changed file missing from the graph was
// deleted: the files that imported it start the walk. When anything
// changed, files that could not be parsed count as affected too, since
// their imports are unknown.
func (g *Graph) Reach(changed []string) *Reach { return g.reach(changed, nil) }

// ReachOutside is Reach for changes outside a recorded set of loaded
// files: the walk does not pass through a loaded file, since the process
// that loaded it (a recorded server) did not load the changed files.
func (g *Graph) ReachOutside(changed []string, loaded map[string]bool) *Reach {
	return g.reach(changed, loaded)
}

func (g *Graph) reach(changed []string, loaded map[string]bool) *Reach {
	r := &Reach{g: g, via: map[string]string{}, next: map[string]string{}, kind: map[string]string{}, why: map[string]string{}, archs: map[string]string{}}
	var queue []string
	start := func(f, why string) {
		if _, ok := r.next[f]; ok || loaded[f] {
			return
		}
		r.next[f] = ""
		r.why[f] = why
		queue = append(queue, f)
	}
	sorted := append([]string(nil), changed...)
	sort.Strings(sorted)
	r.changed = sorted
	for _, f := range sorted {
		if g.files[f] {
			start(f, "changed")
			continue
		}
		for _, imp := range g.ImportersOfMissing(f) {
			start(imp, "imports "+f+", which is deleted")
		}
	}
	if len(sorted) > 0 {
		for _, f := range g.Unparseable() {
			start(f, fmt.Sprintf("cannot be parsed (%v), so it may import anything", g.errs[f]))
		}
	}
	defer r.routeArchs()
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		importers := g.rdeps[f]
		for _, e := range importers {
			if _, ok := r.next[e.From]; ok || e.Kind == "registry" || loaded[e.From] {
				continue
			}
			// A shallow edge carries only a change to the module itself.
			if _, changed := r.why[f]; e.Kind == "shallow" && !changed {
				continue
			}
			r.next[e.From], r.kind[e.From], r.via[e.From] = f, e.Kind, e.Via
			queue = append(queue, e.From)
		}
	}
	return r
}

// routeArchs records the architectures of the affected model files.
func (r *Reach) routeArchs() {
	for f := range r.next {
		if src := r.g.src[f]; src != nil {
			for _, a := range src.Entries {
				r.archs[a] = f
			}
		}
	}
}

// Has reports whether f is affected.
func (r *Reach) Has(f string) bool { _, ok := r.next[f]; return ok }

// ReachesModel reports whether a changed model file, or one a changed
// file leads to, registers an architecture.
func (r *Reach) ReachesModel() bool { return len(r.archs) > 0 }

// Len is the number of affected files.
func (r *Reach) Len() int { return len(r.next) }

// Path returns f, the files it imports on the way to a change, and that
// change; nil when f is not affected.
func (r *Reach) Path(f string) []string {
	if !r.Has(f) {
		return nil
	}
	var out []string
	for cur := f; cur != ""; cur = r.next[cur] {
		out = append(out, cur)
		if len(out) > len(r.next) {
			break // cannot happen: the walk is a tree
		}
	}
	return out
}

// verbs say what an edge of each kind means.
var verbs = map[string]string{
	"import":  "imports",
	"shallow": "takes names from",
	"string":  "names the module",
	"path":    "reads",
	"dynamic": "may load",
}

// Explain renders Path(f) with the rule of every step: "a imports b,
// which reads c (changed)".
func (r *Reach) Explain(f string) string {
	p := r.Path(f)
	if p == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(p[0])
	for i := 1; i < len(p); i++ {
		if i > 1 {
			b.WriteString(", which")
		}
		verb := verbs[r.kind[p[i-1]]]
		if k, via := r.kind[p[i-1]], r.via[p[i-1]]; (k == "names" || k == "shallow") && via != "" && via != p[i] {
			verb = "takes names from " + via + " that need"
		}
		if verb == "" {
			verb = r.kind[p[i-1]]
		}
		b.WriteString(" " + verb + " " + p[i])
	}
	return b.String() + " (" + r.why[p[len(p)-1]] + ")"
}

// Test reports whether a test file is affected, counting what a test
// runner loads besides the file's imports (the __init__.py and conftest.py
// files of its directory and the directories above), the package its
// directory mirrors, and routing changed model files by architecture. It
// returns the explanation; for a test that routing drops, the reason.
func (r *Reach) Test(test string) (string, bool) {
	if why, ok := r.direct(test); ok {
		return why, true
	}
	if why, ok := r.mirrored(test); ok {
		return why, true
	}
	return r.routed(test, true, func() ([]string, []string) { return r.g.archsOf(test) })
}

// Launches reports whether a server entry point running models is
// affected: through its imports, or because a changed model file
// registers the architecture of one of the models.
func (r *Reach) Launches(entry string, models []string) (string, bool) {
	if r.Has(entry) {
		return r.Explain(entry), true
	}
	return r.routed(entry, false, func() ([]string, []string) { return r.g.Archs(models) })
}

func (r *Reach) direct(test string) (string, bool) {
	if r.Has(test) {
		return r.Explain(test), true
	}
	for dir := path.Dir(test); ; dir = path.Dir(dir) {
		for _, name := range []string{"__init__.py", "conftest.py"} {
			f := name
			if dir != "." {
				f = dir + "/" + name
			}
			if r.Has(f) {
				return test + " loads " + r.Explain(f), true
			}
		}
		if dir == "." || dir == "/" {
			return "", false
		}
	}
}

// routed decides for a file that reaches changed model files only
// through a model registry. A test that imports the registry itself runs
// whatever it registers.
func (r *Reach) routed(f string, test bool, archsOf func() (archs, unknown []string)) (string, bool) {
	if len(r.archs) == 0 || !r.reachesRegistry(f) {
		return "", false
	}
	for _, e := range r.g.deps[f] {
		if test && e.Kind == "import" && slices.Contains(r.g.Registries(), e.To) {
			return fmt.Sprintf("%s imports the model registry %s, which loads every model file", f, e.To), true
		}
	}
	archs, unknown := archsOf()
	if len(unknown) > 0 {
		return fmt.Sprintf("%s names %s, whose architecture [gating.models] does not give, so it may run any changed model", f, strings.Join(unknown, ", ")), true
	}
	for _, a := range archs {
		if m, ok := r.archs[a]; ok {
			return fmt.Sprintf("%s runs a %s model, registered by %s", f, a, r.Explain(m)), true
		}
	}
	changed := make([]string, 0, len(r.archs))
	for a := range r.archs {
		changed = append(changed, a)
	}
	sort.Strings(changed)
	names := "no model"
	if len(archs) > 0 {
		names = "only " + strings.Join(slices.Compact(slices.Sorted(slices.Values(archs))), ", ")
	}
	return fmt.Sprintf("reaches the changed model files (%s) only through the model registry, and runs %s", strings.Join(changed, ", "), names), false
}

// reachesRegistry reports whether f, or a package file or conftest.py a
// test runner loads with it, imports a model registry.
func (r *Reach) reachesRegistry(f string) bool {
	if r.behind == nil {
		r.behind = map[string]bool{}
		queue := r.g.Registries()
		for _, q := range queue {
			r.behind[q] = true
		}
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			for _, e := range r.g.rdeps[cur] {
				if !r.behind[e.From] && e.Kind != "registry" && e.Kind != "shallow" {
					r.behind[e.From] = true
					queue = append(queue, e.From)
				}
			}
		}
	}
	if r.behind[f] {
		return true
	}
	for dir := path.Dir(f); ; dir = path.Dir(dir) {
		for _, name := range []string{"__init__.py", "conftest.py"} {
			p := name
			if dir != "." {
				p = dir + "/" + name
			}
			if r.behind[p] {
				return true
			}
		}
		if dir == "." || dir == "/" {
			return false
		}
	}
}
