package lint

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sgl-project/tpuci/internal/config"
)

// Setup is what Judge needs to lint a change.
type Setup struct {
	Cfg      config.Lint
	Repo     string
	Python   string
	Library  string   // package directory (files there are never scripts)
	Env      []string // added to pylint's environment
	BaseRef  string   // ref to compare with; "" tries DefaultBaseRefs
	Baseline string   // recorded findings file; when set, every file is linted and compared with it
	Scratch  string   // empty directory for the base commit's tree
	Log      io.Writer
}

// Result is the verdict and how it was reached.
type Result struct {
	Notes      []string  // how the comparison was made, for the log
	Files      int       // files linted at HEAD
	BaseFiles  int       // files linted at the base
	Head       []Finding // every finding at HEAD (syntax errors of an old interpreter removed)
	Verdict    Verdict
	Unparsable []string // files the interpreter could not parse (only on a mismatch)
	Interp     Interpreter
	Base       *Base // nil when every file was linted
}

// Judge lints what a change touched, at HEAD and at its base, and keeps
// as failures only the findings the change introduced. With a baseline
// file it lints every file and compares with the recorded findings;
// without git history it lints every file and every finding counts.
func Judge(ctx context.Context, s Setup) (*Result, error) {
	r := &Result{}
	var err error
	if r.Interp, err = CheckInterpreter(ctx, s.Repo, s.Python); err != nil {
		return nil, err
	}
	var base *Base
	if s.Baseline == "" {
		b, why, err := ResolveBase(ctx, s.Repo, s.BaseRef)
		if err != nil {
			return nil, err
		}
		if b == nil {
			r.Notes = append(r.Notes, "no base to compare with ("+why+"): linting every file, every finding counts")
		} else {
			base, r.Base = b, b
			r.Notes = append(r.Notes, b.Note)
		}
	}
	opts := Options{Repo: s.Repo, Python: s.Python, Library: s.Library, Env: s.Env}
	if base != nil {
		opts.Changed = base.Changed
		if opts.Changed == nil {
			opts.Changed = []string{}
		}
	}
	plan, err := PlanLint(s.Cfg, opts)
	if err != nil {
		return nil, err
	}
	r.Files = len(plan.Files)
	head, err := Execute(ctx, plan, s.Log)
	if err != nil {
		return nil, err
	}
	old, err := r.baseFindings(ctx, s, base, plan.Files)
	if err != nil {
		return nil, err
	}
	if r.Interp.Mismatch {
		head, r.Unparsable = SplitUnparsable(head)
		old, _ = SplitUnparsable(old)
	}
	r.Head = head
	var renamed map[string]string
	if base != nil {
		renamed = base.Renamed
	}
	r.Verdict = Compare(head, old, renamed)
	return r, nil
}

// baseFindings lints the base side: the recorded baseline, or the
// changed files that existed at the base commit, in that commit's tree.
func (r *Result) baseFindings(ctx context.Context, s Setup, base *Base, files []string) ([]Finding, error) {
	if s.Baseline != "" {
		r.Notes = append(r.Notes, "comparing with the findings recorded in "+s.Baseline)
		return ReadBaseline(s.Baseline)
	}
	if base == nil || len(files) == 0 {
		return nil, nil
	}
	if err := base.Extract(ctx, s.Repo, s.Scratch); err != nil {
		return nil, err
	}
	tree := filepath.Join(s.Scratch, "tree")
	var existed []string
	for _, f := range files {
		if p := base.BasePath(f); exists(filepath.Join(tree, p)) {
			existed = append(existed, p)
		}
	}
	r.BaseFiles = len(existed)
	if len(existed) == 0 {
		return nil, nil
	}
	plan, err := PlanLint(s.Cfg, Options{Repo: tree, Python: s.Python, Library: s.Library, Env: s.Env, Changed: existed})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(s.Log, "# base %s\n", base.Commit)
	fs, err := Execute(ctx, plan, s.Log)
	if err != nil {
		return nil, fmt.Errorf("lint: at base %s: %w", short(base.Commit), err)
	}
	_ = os.RemoveAll(tree)
	return fs, nil
}
