package impact

import (
	"path"
	"slices"
	"sort"
	"strings"
)

// Parsed is the scan of one file: its imports, or why it could not be read.
type Parsed struct {
	Src *Source
	Err error
}

// ParseAll scans every file; files maps repo-relative slash paths to source.
func ParseAll(files map[string][]byte) map[string]Parsed {
	out := make(map[string]Parsed, len(files))
	for p, src := range files {
		s, err := Scan(src)
		out[p] = Parsed{Src: s, Err: err}
	}
	return out
}

// Edge is one dependency: From runs To when it is imported or run.
type Edge struct {
	From string `json:"from"`
	To   string `json:"to"`
	Line int    `json:"line,omitempty"`
	Kind string `json:"kind"`          // import, string, path, dynamic, registry, shallow, names
	Via  string `json:"via,omitempty"` // names: the module whose names need To
}

// Graph is the static import graph of a repository's Python files.
type Graph struct {
	roots   []string
	files   map[string]bool
	dirs    map[string]bool
	deps    map[string][]Edge
	rdeps   map[string][]Edge
	errs    map[string]error
	missing map[string][]string // path stem of an import that resolved to nothing -> importers
	src     map[string]*Source
	arch    map[string]string // architecture -> the model file that registers it
	// imported: per file, the module files of its imports and the names
	// each import takes from them ("*" for a star, nil for "import m").
	imported map[string][]importedNames
	refs     map[string][]string // memo of ModelRefs
	table    map[string][]string // model name -> architectures
	// registries are the files with registry edges (on first use).
	registries []string
	// importFiles: per file and import statement, the files it loads.
	importFiles map[string][][]string
	modFile     map[string][]string // per file and import statement, the module file
	// literal: per file and top-level def, the files its string
	// literals name.
	literal map[string]map[string][]string
	taken   map[string]*taken // memo of take: module and name -> needs
}

type importedNames struct {
	file  string
	names []string
}

// Build resolves the imports of every parsed file. roots are the
// repo-relative directories absolute imports resolve against ("" or "."
// is the repository root); a file's own directory is always tried first,
// as Python does for a script.
func Build(parsed map[string]Parsed, roots []string) *Graph {
	g := &Graph{
		files: map[string]bool{}, dirs: map[string]bool{}, deps: map[string][]Edge{},
		rdeps: map[string][]Edge{}, errs: map[string]error{}, missing: map[string][]string{},
		src: map[string]*Source{}, arch: map[string]string{}, imported: map[string][]importedNames{}, refs: map[string][]string{},
		importFiles: map[string][][]string{}, modFile: map[string][]string{}, literal: map[string]map[string][]string{}, taken: map[string]*taken{},
	}
	for _, r := range roots {
		g.roots = append(g.roots, clean(r))
	}
	for p := range parsed {
		g.files[p] = true
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			g.dirs[d] = true
		}
	}
	names := make([]string, 0, len(parsed))
	for p := range parsed {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		if src := parsed[p].Src; parsed[p].Err == nil && src != nil {
			g.src[p] = src
			for _, a := range src.Entries {
				g.arch[a] = p
			}
		}
	}
	for _, p := range names {
		pr := parsed[p]
		if pr.Err != nil {
			g.errs[p] = pr.Err
			continue
		}
		g.resolveFile(p, pr.Src)
	}
	for _, p := range names {
		g.byNames(p)
	}
	for _, p := range names {
		for _, e := range g.deps[p] {
			g.rdeps[e.To] = append(g.rdeps[e.To], e)
		}
	}
	return g
}

func clean(p string) string {
	p = path.Clean(strings.TrimPrefix(p, "./"))
	if p == "." || p == "/" {
		return ""
	}
	return p
}

func join(base string, parts ...string) string {
	if base == "" {
		return path.Join(parts...)
	}
	return path.Join(append([]string{base}, parts...)...)
}

// Files lists the Python files of the graph, sorted.
func (g *Graph) Files() []string {
	out := make([]string, 0, len(g.files))
	for p := range g.files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Has reports whether path is a Python file of the graph.
func (g *Graph) Has(p string) bool { return g.files[p] }

// Err returns why a file could not be parsed, or nil.
func (g *Graph) Err(p string) error { return g.errs[p] }

// Unparseable lists the files that could not be parsed, sorted.
func (g *Graph) Unparseable() []string {
	var out []string
	for p := range g.errs {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Deps returns the files p depends on.
func (g *Graph) Deps(p string) []Edge { return g.deps[p] }

// Importers returns the files that depend on p.
func (g *Graph) Importers(p string) []Edge { return g.rdeps[p] }

type resolution struct {
	files []string // module file and the __init__.py files of its packages
	dir   string   // the module's directory when it is a package
	found bool     // the whole dotted name resolved
}

// resolve looks up a dotted module under base.
func (g *Graph) resolve(base string, parts []string) resolution {
	var r resolution
	cur := base
	for i, part := range parts {
		dir := join(cur, part)
		last := i == len(parts)-1
		switch {
		case last && g.files[dir+".py"]:
			r.files = append(r.files, dir+".py")
			r.found = true
			return r
		case g.files[dir+"/__init__.py"]:
			r.files = append(r.files, dir+"/__init__.py")
		case g.dirs[dir]:
			// namespace package: nothing runs
		case g.files[dir+".py"]:
			// "import a.b" where a is a module: Python fails; keep the edge.
			r.files = append(r.files, dir+".py")
			return r
		default:
			return r
		}
		cur = dir
	}
	r.dir, r.found = cur, true
	return r
}

func (g *Graph) edge(from, to string, line int, kind string) {
	if from == to {
		return
	}
	for _, e := range g.deps[from] {
		if e.To == to {
			return
		}
	}
	g.deps[from] = append(g.deps[from], Edge{From: from, To: to, Line: line, Kind: kind})
}

// edgeVia adds a dependency on f that names taken from module via need.
func (g *Graph) edgeVia(from, f, kind, via string) {
	for _, e := range g.deps[from] {
		if e.To == f {
			return
		}
	}
	g.deps[from] = append(g.deps[from], Edge{From: from, To: f, Kind: kind, Via: via})
}

func (g *Graph) resolveFile(p string, src *Source) {
	own := clean(path.Dir(p))
	g.importFiles[p] = make([][]string, len(src.Imports))
	g.modFile[p] = make([]string, len(src.Imports))
	for i, imp := range src.Imports {
		if !imp.TypeOnly {
			g.resolveImport(p, own, i, imp)
		}
	}
	named := g.resolveStrings(p, src.Strings)
	loaded := g.resolvePaths(p, own, src.Paths)
	dynamic := src.Dynamic
	if len(src.PathLoads) > 0 && !loaded {
		// Loads a file by a path the scanner cannot see.
		dynamic = append(dynamic, src.PathLoads...)
	}
	if len(dynamic) > 0 {
		g.resolveDynamic(p, dynamic[0], append([]string{own}, named...))
	}
}

// resolveImport adds the edges of import i of file p (in directory own).
func (g *Graph) resolveImport(p, own string, i int, imp Import) {
	add := func(f string) {
		g.edge(p, f, imp.Line, "import")
		if f != p && !slices.Contains(g.importFiles[p][i], f) {
			g.importFiles[p][i] = append(g.importFiles[p][i], f)
		}
	}
	var parts []string
	if imp.Module != "" {
		parts = strings.Split(imp.Module, ".")
	}
	bases := append([]string{own}, g.roots...)
	if imp.Level > 0 {
		base, ok := relativeBase(own, imp.Level)
		if !ok {
			return
		}
		if init := join(base, "__init__.py"); g.files[init] {
			add(init)
		}
		bases = []string{base}
	}
	var pkgDirs []string
	seen := map[string]bool{}
	for _, base := range bases {
		if seen[base] {
			continue
		}
		seen[base] = true
		r := g.resolve(base, parts)
		for _, f := range r.files {
			add(f)
		}
		g.took(p, r, imp.Names)
		g.module(p, i, r)
		switch {
		case r.found && r.dir != "":
			pkgDirs = append(pkgDirs, r.dir)
		case !r.found:
			// Third-party, or a repository module that is gone.
			g.miss(join(base, parts...), p)
		}
	}
	// "from pkg import name" where name is a submodule.
	for _, n := range imp.Names {
		if n == "*" {
			continue
		}
		for _, d := range pkgDirs {
			r := g.resolve(d, []string{n})
			for _, f := range r.files {
				add(f)
			}
			g.took(p, r, nil)
			if !r.found {
				g.miss(join(d, n), p)
			}
		}
	}
}

// relativeBase is the directory a relative import of the given level
// starts from; false when it climbs above the repository.
func relativeBase(own string, level int) (string, bool) {
	base := own
	for range level - 1 {
		if base == "" {
			return "", false
		}
		base = clean(path.Dir(base))
	}
	return base, true
}

// resolveStrings adds the edges of dotted strings that name repository
// modules and returns the packages they name.
func (g *Graph) resolveStrings(p string, lits []Literal) []string {
	var named []string
	for _, s := range lits {
		parts := strings.Split(s.Value, ".")
		for _, base := range g.roots {
			r := g.resolve(base, parts)
			if !r.found {
				continue
			}
			for _, f := range r.files {
				g.edge(p, f, s.Line, "string")
				g.scoped(p, s.Scope, f)
			}
			if r.dir != "" {
				named = append(named, r.dir)
			}
		}
	}
	return named
}

// resolvePaths adds the edges of strings naming Python files and reports
// whether any named a repository file.
func (g *Graph) resolvePaths(p, own string, lits []Literal) bool {
	loaded := false
	for _, l := range lits {
		for _, f := range g.pathTargets(own, l.Value) {
			g.edge(p, f, l.Line, "path")
			g.scoped(p, l.Scope, f)
			loaded = true
		}
	}
	return loaded
}

// resolveDynamic links a computed import to every module under dirs (the
// file's own directory and the packages it names).
func (g *Graph) resolveDynamic(p string, line int, dirs []string) {
	for _, d := range dirs {
		for _, f := range g.under(d) {
			// A scan that loads model files is a model registry: a
			// model file runs only for the architectures it registers.
			kind := "dynamic"
			if s := g.src[f]; s != nil && len(s.Entries) > 0 {
				kind = "registry"
			}
			g.edge(p, f, line, kind)
		}
	}
}

// scoped records that the definition scope of p names file f.
func (g *Graph) scoped(p, scope, f string) {
	if g.literal[p] == nil {
		g.literal[p] = map[string][]string{}
	}
	g.literal[p][scope] = append(g.literal[p][scope], f)
}

// module records the module file import i of p resolved to.
func (g *Graph) module(p string, i int, r resolution) {
	if r.found && len(r.files) > 0 {
		g.modFile[p][i] = r.files[len(r.files)-1]
	}
}

// took records that p imports the module r resolved to, taking names.
func (g *Graph) took(p string, r resolution, names []string) {
	if !r.found || len(r.files) == 0 {
		return
	}
	g.imported[p] = append(g.imported[p], importedNames{file: r.files[len(r.files)-1], names: names})
}

func (g *Graph) miss(stem, importer string) {
	if !slices.Contains(g.missing[stem], importer) {
		g.missing[stem] = append(g.missing[stem], importer)
	}
}

// generic file names say nothing about which file a string means.
var generic = map[string]bool{"__init__.py": true, "__main__.py": true, "setup.py": true, "conftest.py": true}

// pathTargets resolves a string naming a Python file: relative to the
// naming file's directory, to the repository root, and otherwise to every
// file with that name ending ("bench_x.py" names any .../bench_x.py).
func (g *Graph) pathTargets(own, lit string) []string {
	lit = strings.TrimPrefix(lit, "/")
	for _, cand := range []string{path.Join(own, lit), path.Clean(lit)} {
		if g.files[cand] {
			return []string{cand}
		}
	}
	tail := lit
	for strings.HasPrefix(tail, "../") || strings.HasPrefix(tail, "./") {
		tail = tail[strings.Index(tail, "/")+1:]
	}
	if generic[path.Base(tail)] {
		return nil
	}
	var out []string
	for f := range g.files {
		if f == tail || strings.HasSuffix(f, "/"+tail) {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// under lists the Python files below dir ("" is the whole repository).
func (g *Graph) under(dir string) []string {
	var out []string
	prefix := dir + "/"
	for f := range g.files {
		if dir == "" || strings.HasPrefix(f, prefix) {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// ImportersOfMissing returns the files whose imports named path (a Python
// file that is not in the graph, e.g. deleted) and resolved to nothing.
// A deleted __init__.py also affects every importer of its package's
// modules, which no longer run it.
func (g *Graph) ImportersOfMissing(p string) []string {
	stem := strings.TrimSuffix(p, ".py")
	set := map[string]bool{}
	for _, f := range g.missing[stem] {
		set[f] = true
	}
	if dir, ok := strings.CutSuffix(stem, "/__init__"); ok {
		for _, f := range g.missing[dir] {
			set[f] = true
		}
		for _, f := range g.under(dir) {
			for _, e := range g.rdeps[f] {
				set[e.From] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}
