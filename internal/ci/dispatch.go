package ci

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/gitcmd"
)

// A workflow_dispatch of the PR workflow runs a pull request's change on
// request (the /rerun and /run-ci commands dispatch it): inputs.sha is the
// PR's head commit, which every job checks out; inputs.base its base
// commit (else the merge base with the dispatched branch); inputs.pr its
// number; inputs.only a PR target or suite to narrow the run to.

var (
	dispatchSHA  = regexp.MustCompile(`^[0-9a-f]{40}$`)
	dispatchPR   = regexp.MustCompile(`^[1-9][0-9]{0,9}$`)
	dispatchName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`)
)

// dispatch reads a workflow_dispatch payload: ref and inputs.
func (p payload) dispatch(obj map[string]any, in Input) (Input, error) {
	ref, _, err := p.stringAt(obj, "ref")
	if err != nil {
		return in, err
	}
	if ref != "" {
		if err := gitcmd.CheckBranch("ref", ref); err != nil {
			return in, fmt.Errorf("ci:plan: %s: %w", p.file, err)
		}
		in.Ref = ref
	}
	inputs, _, err := p.objectAt(obj, "inputs")
	if err != nil {
		return in, err
	}
	get := func(name string) (string, error) {
		v, _, err := p.stringAt(inputs, "inputs."+name)
		return v, err
	}
	bad := func(name, v, want string) error {
		if len(v) > 60 {
			v = v[:60] + "..."
		}
		return fmt.Errorf("ci:plan: %s: inputs.%s=%q: want %s", p.file, name, v, want)
	}
	sha, err := get("sha")
	if err != nil {
		return in, err
	}
	if !dispatchSHA.MatchString(sha) {
		return in, bad("sha", sha, "the 40 lower-case hex digits of the pull request's head commit (/rerun and /run-ci pass it)")
	}
	in.Head = sha
	base, err := get("base")
	if err != nil {
		return in, err
	}
	if base != "" && !dispatchSHA.MatchString(base) {
		return in, bad("base", base, "empty or the 40 hex digits of the base commit")
	}
	in.Base = base
	pr, err := get("pr")
	if err != nil {
		return in, err
	}
	if pr != "" {
		if !dispatchPR.MatchString(pr) {
			return in, bad("pr", pr, "empty or a pull request number")
		}
		in.Number, _ = strconv.Atoi(pr)
	}
	only, err := get("only")
	if err != nil {
		return in, err
	}
	if only != "" && !dispatchName.MatchString(only) {
		return in, bad("only", only, "empty, a PR target or a suite name")
	}
	in.Only = only
	return in, nil
}

// dispatchChanges checks that the checkout is inputs.sha and lists the
// change from the base (inputs.base, else the dispatched branch, as
// origin/<branch> or <branch>) to it.
func dispatchChanges(ctx context.Context, git Git, in Input) (Input, error) {
	head, err := git.Rev(ctx, "HEAD")
	if err != nil {
		return in, fmt.Errorf("ci:plan: a dispatch of %s needs its checkout: %w", short(in.Head), err)
	}
	if head != in.Head {
		return in, fmt.Errorf("ci:plan: the checkout is %s, not inputs.sha %s: check out with ref: ${{ inputs.sha }}", short(head), short(in.Head))
	}
	base := in.Base
	if base == "" {
		branch := strings.TrimPrefix(in.Ref, "refs/heads/")
		if branch == "" || strings.HasPrefix(branch, "refs/") {
			branch = "main"
		}
		for _, cand := range []string{"origin/" + branch, branch} {
			if _, err := git.Rev(ctx, cand); err == nil {
				base = cand
				break
			}
		}
	}
	if base == "" {
		in.Unknown = "no base: inputs.base is empty and the dispatched branch is not in this clone (check out with fetch-depth: 0)"
		return in, nil
	}
	in.Base = base
	in.Changed, in.Unknown = prChanges(ctx, git, base, in.Head)
	return in, nil
}

// checkOnly refuses an inputs.only that names no PR target or suite of a
// PR target, or one with nothing configured.
func checkOnly(cfg *config.Config, only string) error {
	if slices.Contains(config.PRTargets, only) {
		if newWork(cfg, only, nil).empty() {
			return fmt.Errorf("ci:plan: inputs.only=%s: nothing is configured for %s", only, only)
		}
		return nil
	}
	if s, ok := cfg.Suite(only); ok && s.Exclude == "" && slices.Contains(config.PRTargets, s.Target) {
		if !slices.ContainsFunc(newWork(cfg, s.Target, nil).suites, func(w *config.Suite) bool { return w.Name == only }) {
			return fmt.Errorf("ci:plan: inputs.only=%s: the suite has no file its target runs (cases cover them all)", only)
		}
		return nil
	}
	var suites []string
	for _, s := range cfg.Suites {
		if s.Exclude == "" && slices.Contains(config.PRTargets, s.Target) {
			suites = append(suites, s.Name)
		}
	}
	return fmt.Errorf("ci:plan: inputs.only=%s: not a PR target (%s) or a suite of one (%s)", only,
		strings.Join(config.PRTargets, ", "), strings.Join(suites, ", "))
}

// narrowToOnly keeps, of a dispatched plan, the target inputs.only names
// or the one that runs the suite it names: the rest does not run. What
// the change selects of it runs; when the change selects nothing of it,
// all of it runs, since it was asked for by name.
func narrowToOnly(cfg *config.Config, only string, t Target, o Options) (Target, error) {
	isTarget := slices.Contains(config.PRTargets, only)
	suite, _ := cfg.Suite(only)
	if isTarget && t.Name != only || !isTarget && (suite == nil || suite.Target != t.Name) {
		return Target{Name: t.Name, Matrix: []Entry{}, FullMinutes: t.FullMinutes, Labels: t.Labels,
			Why: fmt.Sprintf("not run: the dispatch asks only for %s", only)}, nil
	}
	w := newWork(cfg, t.Name, o.Measured)
	w.opts = o
	if isTarget {
		if !t.Run {
			t = w.whole(t, fmt.Sprintf("the dispatch asks for %s, of which the change selects nothing (%s): all of it runs",
				only, strings.TrimPrefix(t.Why, "not run: ")))
			return t, w.err
		}
		t.Why = fmt.Sprintf("the dispatch asks for %s: %s", only, t.Why)
		return t, nil
	}
	var kept Suite
	found := false
	for _, s := range t.Suites {
		if s.Name == only && len(s.Selected) > 0 {
			kept, found = s, true
		}
	}
	why := fmt.Sprintf("the dispatch asks for suite %s: %d of its files the change selects", only, len(kept.Selected))
	if !found {
		kept = Suite{Name: only, Chips: suite.Chips}
		for _, s := range w.suites {
			if s.Name != only {
				continue
			}
			for _, f := range s.Files {
				kept.Selected = append(kept.Selected, Pick{Path: f.Path, Minutes: w.fileMinutes(f)})
			}
		}
		why = fmt.Sprintf("the dispatch asks for suite %s, of which the change selects nothing: all %d files run",
			only, len(kept.Selected))
	}
	t = Target{Name: t.Name, Run: true, Why: why, Suites: []Suite{kept}, Matrix: []Entry{}, FullMinutes: t.FullMinutes,
		Labels: t.Labels}
	t = w.finish(t)
	return t, w.err
}
