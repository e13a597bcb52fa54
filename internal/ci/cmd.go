package ci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/datastore"
	"github.com/sgl-project/tpuci/internal/depmap"
	"github.com/sgl-project/tpuci/internal/durations"
	"github.com/sgl-project/tpuci/internal/ghactions"
	"github.com/sgl-project/tpuci/internal/impact"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/settings"
	"github.com/sgl-project/tpuci/internal/suite"
	"github.com/sgl-project/tpuci/internal/triage"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Env is what the ci: commands read and write.
type Env struct {
	Repo     string
	Example  bool // Repo is the bundled example
	Config   *config.Config
	Out      string // TPUCI_OUT
	Settings *settings.Settings
	GH       *ghactions.Provider
	Stdout   io.Writer // results
	Log      io.Writer // progress
	// WS is the workspace the Env came from; with it, files are weighed
	// by their duration history.
	WS *workspace.Workspace
}

// EnvOf builds an Env from a resolved workspace.
func EnvOf(ws *workspace.Workspace, gh *ghactions.Provider, stdout, log io.Writer) Env {
	return Env{Repo: ws.Repo, Example: ws.Example, Config: ws.Config, Out: ws.Out, Settings: ws.Settings, GH: gh, Stdout: stdout, Log: log, WS: ws}
}

// File names under TPUCI_OUT.
const (
	PlanFile   = "plan.json"
	SelectFile = "select.txt"
	FinishFile = "finish.json"
	ReplayFile = "replay.json"
	// WeightsFile holds the minutes per file the plan weighed by, for the
	// jobs' TPUCI_DURATIONS.
	WeightsFile = "weights.json"
)

// Inputs resolves the event and its changed files: from GitHub Actions
// when GITHUB_EVENT_NAME is set, otherwise the current branch against
// TPUCI_BASE (default origin/main, then main) with labels from
// TPUCI_LABELS.
func Inputs(ctx context.Context, e Env) (Input, error) {
	git := Git{Dir: e.Repo}
	var in Input
	if e.Settings.GitHub.EventName != "" {
		var err error
		if in, err = FromGitHub(e.Settings.GitHub); err != nil {
			return in, err
		}
	} else {
		in.Event = EventLocal
		in.Labels = e.Settings.Plan.Labels
		in.Base = e.Settings.Plan.Base
		if in.Base == "" {
			for _, cand := range []string{"origin/main", "main"} {
				if _, err := git.Rev(ctx, cand); err == nil {
					in.Base = cand
					break
				}
			}
		}
	}
	if in.Event == EventLocal && e.Settings.Plan.Base != "" {
		if _, err := git.Rev(ctx, in.Base); err != nil {
			return in, fmt.Errorf("ci:plan: TPUCI_BASE=%q is not a commit of %s: fetch it (git fetch origin main) or name an existing branch, tag or SHA", in.Base, e.Repo)
		}
	}
	switch in.Event {
	case EventPR:
		in.Changed, in.Unknown = prChanges(ctx, git, in.Base, in.Head)
	case EventDispatch:
		return dispatchChanges(ctx, git, in)
	case EventLocal:
		in.Changed, in.Base, in.Unknown = localChanges(ctx, git, in.Base, e.Example)
	}
	return in, nil
}

// localChanges lists the working tree's changes against base and names the
// base with its merge base, or says in one line why they are unknown.
func localChanges(ctx context.Context, git Git, base string, example bool) (changes []Change, named, unknown string) {
	switch {
	case base == "" && example:
		return nil, base, "the bundled example has no history: git is not installed"
	case base == "":
		return nil, base, "no base: set TPUCI_BASE (origin/main and main do not exist)"
	}
	changes, mb, err := git.Local(ctx, base)
	if err != nil {
		unknown = err.Error()
	}
	if mb != "" {
		base += "@" + short(mb)
	}
	return changes, base, unknown
}

// prChanges lists a pull request's changed files, or says in one line why
// they are unknown (a shallow clone lacks the base or the head).
func prChanges(ctx context.Context, git Git, base, head string) ([]Change, string) {
	for _, c := range []struct{ side, sha string }{{"base", base}, {"head", head}} {
		if _, err := git.Rev(ctx, c.sha); err != nil {
			return nil, fmt.Sprintf("the %s commit %s is not in this clone: check out with fetch-depth: 0", c.side, short(c.sha))
		}
	}
	changes, err := git.Diff(ctx, base, head)
	if err != nil {
		return nil, fmt.Sprintf("%v; check out with fetch-depth: 0", err)
	}
	return changes, ""
}

// needsGraph reports whether the plan narrows through the import graph.
func needsGraph(cfg *config.Config, in Input) bool {
	if !cfg.Gating.Narrow() || in.Unknown != "" || (in.Event != EventPR && in.Event != EventLocal) {
		return false
	}
	for _, c := range in.Changed {
		if strings.HasSuffix(c.Path, ".py") {
			return true
		}
	}
	return false
}

// measured weighs suite files: TPUCI_DURATIONS, else the medians of the
// duration history, else (nil) the estimates.
func measured(ctx context.Context, e Env) (map[string]float64, error) {
	if e.WS == nil {
		return durations.LoadMeasured(e.Settings.Durations)
	}
	w, err := durations.Load(ctx, e.WS, e.Log)
	if err != nil {
		return nil, err
	}
	if w.Source != "" {
		fmt.Fprintf(e.Log, "ci: weights: %s\n", w.Source)
	}
	return w.Minutes(), nil
}

// RunPlan is ci:plan: decide, write the outputs, the plan and the
// selection, and explain. A draft pull request fails after the outputs
// are written.
func RunPlan(ctx context.Context, e Env, explain bool) error {
	in, err := Inputs(ctx, e)
	if err != nil {
		return err
	}
	var g *impact.Graph
	if needsGraph(e.Config, in) {
		files, err := impact.ReadTree(e.Repo)
		if err != nil {
			return fmt.Errorf("ci:plan: %w", err)
		}
		g = impact.Build(impact.ParseAll(files), e.Config.Gating.Roots(e.Config.Repo.PackageDir))
		for _, f := range g.Unparseable() {
			e.GH.Annotate(ghactions.Annotation{Level: "warning", File: f, Title: "tpuci import scan",
				Msg: fmt.Sprintf("cannot scan imports (%v): every test that imports it runs", g.Err(f))})
		}
	}
	meas, err := measured(ctx, e)
	if err != nil {
		return err
	}
	opts := Options{Measured: meas, Now: time.Now()}
	if e.WS != nil && g != nil {
		if opts.Deps, err = depmap.Load(ctx, e.WS, e.Log); err != nil {
			return fmt.Errorf("ci:plan: %w", err)
		}
		if len(opts.Deps) > 0 {
			fmt.Fprintf(e.Log, "ci:plan: recorded dependency maps of %d test files\n", len(opts.Deps))
		}
	}
	p, err := Make(e.Config, in, g, opts)
	if err != nil {
		return err
	}
	if err := WriteOutputs(e.GH, p); err != nil {
		return err
	}
	if err := report.WriteJSON(filepath.Join(e.Out, PlanFile), p); err != nil {
		return fmt.Errorf("ci:plan: %w", err)
	}
	// The jobs weigh files as the plan did (TPUCI_DURATIONS), so that
	// their partitions split the same way even when the history moves on.
	if meas == nil {
		meas = map[string]float64{}
	}
	if err := report.WriteJSON(filepath.Join(e.Out, WeightsFile), meas); err != nil {
		return fmt.Errorf("ci:plan: %w", err)
	}
	sel := "# files ci:plan selected; TPUCI_SELECT=<this file> makes the suite targets run only these\n"
	for _, f := range p.Selection() {
		sel += f + "\n"
	}
	if err := report.WriteFile(filepath.Join(e.Out, SelectFile), []byte(sel)); err != nil {
		return fmt.Errorf("ci:plan: %w", err)
	}
	if err := e.GH.AppendSummary(Markdown(p)); err != nil {
		fmt.Fprintf(e.Log, "ci:plan: %v\n", err)
	}
	Explain(e.Stdout, p, explain)
	fmt.Fprintf(e.Log, "ci:plan: wrote %s and %s\n", filepath.Join(e.Out, PlanFile), filepath.Join(e.Out, SelectFile))
	switch {
	case p.Error != "":
		e.GH.Annotate(ghactions.Annotation{Level: "error", Title: "tpuci plan", Msg: p.Error})
		return errors.New("ci:plan: " + p.Error)
	case p.Blocked != "":
		e.GH.Annotate(ghactions.Annotation{Level: "warning", Title: "tpuci plan", Msg: p.Blocked})
	}
	return nil
}

// RunMatrix is ci:matrix: print the strategy.matrix JSON of a target,
// narrowed to the files of TPUCI_SELECT when it is set.
func RunMatrix(e Env, target string) error {
	var sel []string
	if path := e.Settings.Select; path != "" {
		var err error
		if sel, err = suite.LoadSelect(path); err != nil {
			return err
		}
	}
	meas, err := measured(context.Background(), e)
	if err != nil {
		return err
	}
	m, err := MatrixMeasured(e.Config, target, sel, meas)
	if err != nil {
		return err
	}
	js := MatrixJSON(m)
	fmt.Fprintln(e.Stdout, js)
	if e.GH != nil {
		return e.GH.SetOutput("matrix_"+target, js)
	}
	return nil
}

// RunFinish is ci:finish: judge TPUCI_NEEDS against TPUCI_PLAN, triage
// every failure of the jobs' stage records (TPUCI_RESULTS) against main's
// history and the quarantine, and report: the tables, finish.json, the
// step summary, the PR's summary comment, and on main a notification
// when its state changes.
func RunFinish(ctx context.Context, e Env) error {
	needs := e.Settings.Plan.Needs
	if needs == "" {
		return errors.New("ci:finish: TPUCI_NEEDS is not set: pass ${{ toJSON(needs) }} through env")
	}
	rows, gate, err := FinishRows([]byte(needs), []byte(e.Settings.Plan.Plan))
	if err != nil {
		return err
	}
	if pr, _ := prNumber(e); pr > 0 && !gate.PR() {
		// A run dispatched for a pull request tests a change, not main.
		gate.Event = EventPR
		if len(gate.Changed) == 0 && gate.Unknown == "" {
			gate.Unknown = "a dispatched run of a pull request: the plan does not list its changed files"
		}
	}
	var tri *Triage
	if dir := e.Settings.Plan.Results; dir != "" {
		tri = triageResults(ctx, e, dir, rows, gate)
	}
	err = RowsError(rows)
	if err == nil && tri != nil && tri.ExitCode != 0 {
		err = fmt.Errorf("ci:finish: %s", tri.Verdict())
	}
	FinishTable(e.Stdout, rows)
	if tri != nil {
		fmt.Fprintln(e.Stdout)
		TriageTable(e.Stdout, tri)
	}
	for _, r := range rows {
		if !r.OK {
			e.GH.Annotate(ghactions.Annotation{Level: "error", Title: "tpuci finish gate", Msg: fmt.Sprintf("%s: %s", r.Job, r.Why)})
		}
	}
	doc := struct {
		Jobs   []Row   `json:"jobs"`
		Triage *Triage `json:"triage,omitempty"`
	}{rows, tri}
	if werr := report.WriteJSON(filepath.Join(e.Out, FinishFile), doc); werr != nil {
		fmt.Fprintf(e.Log, "ci:finish: %v\n", werr)
	}
	md := FinishMarkdown(rows, err)
	if tri != nil {
		md += TriageMarkdown(tri)
	}
	if serr := e.GH.AppendSummary(md); serr != nil {
		fmt.Fprintf(e.Log, "ci:finish: %v\n", serr)
	}
	if tri != nil {
		comment(ctx, e, gate, tri)
		tell(ctx, e, tri)
	}
	if err == nil {
		fmt.Fprintln(e.Stdout, "every job the plan required passed")
	}
	return err
}

// triageResults reads the jobs' stage records under dir and triages them;
// the rows of failed jobs say what failed.
func triageResults(ctx context.Context, e Env, dir string, rows []Row, gate Gate) *Triage {
	var jobs []string
	for _, r := range rows {
		jobs = append(jobs, r.Job)
	}
	recs, err := JobRecords(dir, jobs)
	if err != nil {
		fmt.Fprintf(e.Log, "%v\n", err)
	}
	in := TriageInput{Now: time.Now(), Source: "none: no workspace"}
	if e.WS != nil {
		in.Quarantine = triage.QuarantineOf(e.Config)
		h, p, lerr := triage.Load(ctx, e.WS, e.Log)
		in.History, in.Policy, in.Source = h, p, "main's failure record in "+datastore.Open(e.WS, io.Discard).Describe()
		if lerr != nil {
			in.Policy = triage.PolicyOf(e.Config)
			in.Source = fmt.Sprintf("not read (%v): every failure counts as new", lerr)
			fmt.Fprintf(e.Log, "ci:finish: warning: main's failure record: %v\n", lerr)
		}
	}
	tri := TriageRows(rows, gate, recs, in)
	failed := JobFailures(recs)
	for i, r := range rows {
		if f := failed[r.Job]; !r.OK && len(f) > 0 {
			rows[i].Why += ": " + strings.Join(f, "; ")
		}
	}
	return tri
}
