package lint

import (
	"bufio"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Batch is one pylint run: files whose import roots and script
// directories define no top-level module name twice, so `import utils`
// resolves to the module the script itself would import.
type Batch struct {
	Files      []string // relative to the repo
	ScriptDirs []string // relative directories put on PYTHONPATH for this run
}

// unit is a set of files that need the same directories on the path.
type unit struct {
	key   string
	dirs  []string // root, plus the script directory when the files import siblings
	files []string
}

// Batches splits files into pylint runs. pylint puts the package root of
// every file it is given on one shared sys.path, so two script
// directories that each hold a utils.py would see only one of them; and a
// script that imports a sibling module from a package directory would not
// see it at all. Each file's own directory goes on the path when it
// imports a sibling; directories whose module names clash go to separate
// runs, fewest runs first come first served.
// Files under library (the package directory, e.g. "python") are modules
// of an installed package, never scripts.
func Batches(repo, library string, files []string) []Batch {
	names := map[string]map[string]bool{} // dir -> top-level module names it defines
	namesOf := func(dir string) map[string]bool {
		if n, ok := names[dir]; ok {
			return n
		}
		n := moduleNames(filepath.Join(repo, dir))
		names[dir] = n
		return n
	}
	units := map[string]*unit{}
	var order []string
	for _, f := range files {
		dirs := []string{importRoot(repo, f)}
		if dir := path.Dir(f); dir != dirs[0] && !under(f, library) && importsSibling(filepath.Join(repo, f), namesOf(dir)) {
			dirs = append(dirs, dir)
		}
		key := strings.Join(dirs, "\x00")
		u := units[key]
		if u == nil {
			u = &unit{key: key, dirs: dirs}
			units[key] = u
			order = append(order, key)
		}
		u.files = append(u.files, f)
	}
	type batch struct {
		owner map[string]string // module name -> dir defining it
		b     Batch
	}
	var batches []*batch
	for _, key := range order {
		u := units[key]
		var into *batch
		for _, b := range batches {
			if fits(b.owner, u.dirs, namesOf) {
				into = b
				break
			}
		}
		if into == nil {
			into = &batch{owner: map[string]string{}}
			batches = append(batches, into)
		}
		for _, d := range u.dirs {
			for n := range namesOf(d) {
				into.owner[n] = d
			}
		}
		into.b.Files = append(into.b.Files, u.files...)
		if len(u.dirs) > 1 && !contains(into.b.ScriptDirs, u.dirs[1]) {
			into.b.ScriptDirs = append(into.b.ScriptDirs, u.dirs[1])
		}
	}
	out := make([]Batch, 0, len(batches))
	for _, b := range batches {
		sort.Strings(b.b.Files)
		sort.Strings(b.b.ScriptDirs)
		out = append(out, b.b)
	}
	return out
}

func fits(owner map[string]string, dirs []string, namesOf func(string) map[string]bool) bool {
	for _, d := range dirs {
		for n := range namesOf(d) {
			if o, ok := owner[n]; ok && o != d {
				return false
			}
		}
	}
	return true
}

func under(file, dir string) bool {
	return dir != "" && strings.HasPrefix(file, strings.TrimSuffix(dir, "/")+"/")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// importRoot is the directory pylint puts on sys.path for file: the
// first directory above the file's package chain (without __init__.py).
func importRoot(repo, file string) string {
	dir := path.Dir(file)
	for dir != "." && exists(filepath.Join(repo, dir, "__init__.py")) {
		dir = path.Dir(dir)
	}
	return dir
}

// moduleNames lists the top-level modules a directory defines.
func moduleNames(dir string) map[string]bool {
	n := map[string]bool{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		name := e.Name()
		switch {
		case !e.IsDir() && strings.HasSuffix(name, ".py") && name != "__init__.py":
			n[strings.TrimSuffix(name, ".py")] = true
		case e.IsDir() && hasPython(filepath.Join(dir, name)): // a package, or a namespace one
			n[name] = true
		}
	}
	return n
}

var importRE = regexp.MustCompile(`^\s*(?:from\s+([A-Za-z_]\w*)[\w.]*\s+import\b|import\s+([A-Za-z_]\w*))`)

// importsSibling reports whether the file has an absolute import of a
// module defined next to it, as a script run directly would.
func importsSibling(file string, siblings map[string]bool) bool {
	if len(siblings) == 0 {
		return false
	}
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		m := importRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if siblings[m[1]+m[2]] {
			return true
		}
	}
	return false
}

func hasPython(dir string) bool {
	py, _ := filepath.Glob(filepath.Join(dir, "*.py"))
	return len(py) > 0
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
