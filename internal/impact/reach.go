package impact

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// Reach is the set of files that can run a changed file: the changed files
// themselves and, transitively, every file that imports one of them.
type Reach struct {
	next map[string]string // file -> its dependency one step closer to a change
	kind map[string]string // file -> the kind of its edge to next
	why  map[string]string // start of a walk -> why it is affected
}

// Reach walks the reverse import graph from the changed Python files
// (repo-relative paths). A changed file missing from the graph was
// deleted: the files that imported it start the walk. When anything
// changed, files that could not be parsed count as affected too, since
// their imports are unknown.
func (g *Graph) Reach(changed []string) *Reach {
	r := &Reach{next: map[string]string{}, kind: map[string]string{}, why: map[string]string{}}
	var queue []string
	start := func(f, why string) {
		if _, ok := r.next[f]; ok {
			return
		}
		r.next[f] = ""
		r.why[f] = why
		queue = append(queue, f)
	}
	sorted := append([]string(nil), changed...)
	sort.Strings(sorted)
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
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		importers := g.rdeps[f]
		for _, e := range importers {
			if _, ok := r.next[e.From]; ok {
				continue
			}
			r.next[e.From], r.kind[e.From] = f, e.Kind
			queue = append(queue, e.From)
		}
	}
	return r
}

// Has reports whether f is affected.
func (r *Reach) Has(f string) bool { _, ok := r.next[f]; return ok }

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
		if verb == "" {
			verb = r.kind[p[i-1]]
		}
		b.WriteString(" " + verb + " " + p[i])
	}
	return b.String() + " (" + r.why[p[len(p)-1]] + ")"
}

// Test reports whether a test file is affected, counting what a test
// runner loads besides the file's imports: the __init__.py and conftest.py
// files of its directory and the directories above. It returns the
// explanation.
func (r *Reach) Test(test string) (string, bool) {
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
