// Package lint runs pylint over a checkout, or over the Python files a
// branch changed, and turns its findings into report cases.
package lint

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bitfield/script"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/gitcmd"
	"github.com/sgl-project/tpuci/internal/proc"
	"github.com/sgl-project/tpuci/internal/report"
)

// Plan is what lint will run.
type Plan struct {
	Files []string `json:"files"` // relative to the repo
	Cmd   proc.Cmd `json:"cmd"`
	Note  string   `json:"note,omitempty"`
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
	Repo    string
	Python  string
	Changed []string // when set, only these files (relative) are linted
	Jobs    int
}

// PlanLint lists the files and builds the pylint command.
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
	argv = append(argv, files...)
	p.Cmd = proc.Cmd{Argv: argv, Dir: o.Repo, Timeout: cfg.Timeout.Duration}
	return p, nil
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

var blank = regexp.MustCompile(`^$`)

// Changed lists files changed since base (committed, staged and unstaged).
func Changed(ctx context.Context, repo, base string) ([]string, error) {
	run := func(args ...string) ([]string, error) {
		out, err := gitcmd.Repo{Dir: repo}.Output(ctx, args...)
		if err != nil {
			return nil, fmt.Errorf("lint: %v (is TPUCI_LINT_CHANGED=%s a ref that exists here? try `git fetch origin`)", err, base)
		}
		return script.Echo(string(out)).FilterLine(strings.TrimSpace).RejectRegexp(blank).Slice()
	}
	committed, err := run("diff", "--name-only", "--diff-filter=ACMR", base+"...HEAD")
	if err != nil {
		return nil, err
	}
	local, err := run("diff", "--name-only", "--diff-filter=ACMR", "HEAD")
	if err != nil {
		return nil, err
	}
	all := slices.Concat(committed, local)
	sort.Strings(all)
	return slices.Compact(all), nil
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

// Cases turns findings into report cases: one per finding, or one passing
// case when the files are clean.
func Cases(files []string, fs []Finding) []report.Case {
	if len(fs) == 0 {
		return []report.Case{{Name: fmt.Sprintf("pylint (%d files)", len(files)), Class: "pylint", Status: report.Passed}}
	}
	cases := make([]report.Case, 0, len(fs))
	for _, f := range fs {
		cases = append(cases, report.Case{
			Name:    fmt.Sprintf("%s:%d %s", f.Path, f.Line, f.Symbol),
			Class:   "pylint",
			File:    f.Path,
			Line:    f.Line,
			Status:  report.Failed,
			Message: fmt.Sprintf("%s (%s, %s)", f.Message, f.ID, f.Symbol),
		})
	}
	return cases
}
