// Package lint runs pylint over a checkout, or over the Python files a
// branch changed, and turns its findings into report cases.
package lint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/proc"
	"github.com/sgl-project/tpuci/internal/report"
)

// Plan is what lint will run: one pylint command per batch of files
// whose imports resolve alike (see Batches).
type Plan struct {
	Files []string   `json:"files"` // relative to the repo
	Cmds  []proc.Cmd `json:"cmds"`
	Note  string     `json:"note,omitempty"`
}

// Finding is one pylint message.
type Finding struct {
	Type    string `json:"type"`
	Path    string `json:"path"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Symbol  string `json:"symbol"`
	Message string `json:"message"`
	ID      string `json:"message-id"`
}

// Options for planning.
type Options struct {
	Repo    string   // the tree pylint runs in (the checkout, or a base commit's tree)
	Python  string   // interpreter with pylint
	Changed []string // when set, only these files (relative) are linted
	Jobs    int
	Library string   // package directory whose files are never scripts (e.g. "python")
	Env     []string // added to each command's environment
}

// PlanLint lists the files and builds the pylint commands.
func PlanLint(cfg config.Lint, o Options) (*Plan, error) {
	files, err := pythonFiles(o.Repo, cfg.Paths)
	if err != nil {
		return nil, err
	}
	p := &Plan{}
	if o.Changed != nil {
		keep := map[string]bool{}
		for _, c := range o.Changed {
			keep[filepath.ToSlash(c)] = true
		}
		files = slices.DeleteFunc(files, func(f string) bool { return !keep[f] })
		p.Note = fmt.Sprintf("%d changed Python file(s) in the lint paths", len(files))
	}
	p.Files = files
	jobs := cfg.Jobs
	if o.Jobs > 0 {
		jobs = o.Jobs
	}
	if jobs == 0 {
		jobs = runtime.NumCPU()
	}
	argv := []string{o.Python, "-m", "pylint", "--output-format=json", "--jobs=" + strconv.Itoa(jobs)}
	if rc := rcfile(o.Repo); rc != "" {
		argv = append(argv, "--rcfile="+rc)
	}
	argv = append(argv, cfg.Args...)
	for _, b := range Batches(o.Repo, o.Library, files) {
		c := proc.Cmd{Argv: append(slices.Clone(argv), b.Files...), Dir: o.Repo, Timeout: cfg.Timeout.Duration, Env: slices.Clone(o.Env)}
		if len(b.ScriptDirs) > 0 {
			c.Env = append(c.Env, "PYTHONPATH="+pythonPath(o.Repo, b.ScriptDirs))
		}
		p.Cmds = append(p.Cmds, c)
	}
	return p, nil
}

// pythonPath puts the script directories before any PYTHONPATH inherited.
func pythonPath(repo string, dirs []string) string {
	parts := make([]string, 0, len(dirs)+1)
	for _, d := range dirs {
		parts = append(parts, filepath.Join(repo, d))
	}
	if inherited := os.Getenv("PYTHONPATH"); inherited != "" {
		parts = append(parts, inherited)
	}
	return strings.Join(parts, string(os.PathListSeparator))
}

// rcfile finds the repository's own pylint configuration; pylint finds
// one at the root by itself, so only python/'s needs naming.
func rcfile(repo string) string {
	for _, name := range []string{".pylintrc", "pylintrc"} {
		if _, err := os.Stat(filepath.Join(repo, name)); err == nil {
			return ""
		}
	}
	for _, rel := range []string{"python/.pylintrc", "python/pylintrc"} {
		if _, err := os.Stat(filepath.Join(repo, rel)); err == nil {
			return rel
		}
	}
	if data, err := os.ReadFile(filepath.Join(repo, "python", "pyproject.toml")); err == nil && bytes.Contains(data, []byte("[tool.pylint")) {
		if _, err := os.Stat(filepath.Join(repo, "pyproject.toml")); err != nil {
			return "python/pyproject.toml"
		}
	}
	return ""
}

func pythonFiles(repo string, paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		root := filepath.Join(repo, p)
		if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
			continue // config validation names missing paths; a base commit may predate one
		}
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if d.IsDir() && path != root && (strings.HasPrefix(name, ".") || name == "__pycache__" || name == "node_modules" || name == "build" || name == "dist") {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(name, ".py") {
				rel, _ := filepath.Rel(repo, path)
				files = append(files, filepath.ToSlash(rel))
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("lint: list %s: %w", p, err)
		}
	}
	sort.Strings(files)
	return slices.Compact(files), nil
}

// Available checks that pylint runs under python.
func Available(ctx context.Context, python string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	_, err := proc.Run(ctx, proc.Cmd{Argv: []string{python, "-m", "pylint", "--version"}})
	return err
}

// Parse reads pylint's JSON output into findings.
func Parse(stdout []byte) ([]Finding, error) {
	stdout = bytes.TrimSpace(stdout)
	if len(stdout) == 0 {
		return nil, nil
	}
	var fs []Finding
	if err := json.Unmarshal(stdout, &fs); err != nil {
		return nil, fmt.Errorf("lint: read pylint output: %w", err)
	}
	return fs, nil
}

// Cases turns the verdict into report cases: one failed case per new
// finding, one passed case counting the existing ones (or saying the
// files are clean).
func (r *Result) Cases() []report.Case {
	v := r.Verdict
	cases := make([]report.Case, 0, len(v.New)+1)
	for _, f := range v.New {
		cases = append(cases, report.Case{
			Name:    fmt.Sprintf("%s:%d %s", f.Path, f.Line, f.Symbol),
			Class:   "pylint",
			File:    f.Path,
			Line:    f.Line,
			Status:  report.Failed,
			Message: fmt.Sprintf("new: %s (%s, %s)", f.Message, f.ID, f.Symbol),
		})
	}
	summary := fmt.Sprintf("pylint (%d files): %d new, %d existing, %d fixed", r.Files, len(v.New), len(v.Existing), v.Fixed)
	if r.Base == nil && len(v.Existing) == 0 && len(v.New) == 0 {
		summary = fmt.Sprintf("pylint (%d files): clean", r.Files)
	}
	cases = append(cases, report.Case{Name: summary, Class: "pylint", Status: report.Passed, Message: strings.Join(r.Notes, "; ")})
	return cases
}

// ExistingTable lists the findings that were there before the change.
func (r *Result) ExistingTable() *report.Table {
	if len(r.Verdict.Existing) == 0 {
		return nil
	}
	t := &report.Table{Title: fmt.Sprintf("Existing lint findings (%d, not introduced by this change)", len(r.Verdict.Existing)), Header: []string{"file:line", "check", "message"}}
	for _, f := range r.Verdict.Existing {
		t.Rows = append(t.Rows, []string{fmt.Sprintf("%s:%d", f.Path, f.Line), f.Symbol, f.Message})
	}
	return t
}
