package ci

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/depmap"
	"github.com/sgl-project/tpuci/internal/impact"
	"github.com/sgl-project/tpuci/internal/report"
)

// SGLangJAXFilters are the two path filters of SGLang-JAX's coordinator
// today (dorny/paths-filter in coordinator.yml), mapped onto tpuci's
// targets: main_package gates every test job, pallas_kernel the kernel
// benchmarks. The replay compares tpuci's plan with them.
var SGLangJAXFilters = []config.Filter{
	{Name: "main_package", Paths: []string{
		"python/sgl_jax/**", "python/*.toml", "scripts/**", "test/**",
		".github/workflows/pr-test.yml", ".github/workflows/coordinator.yml", ".github/actions/**",
	}, Targets: []string{"lint", "unitTest1", "unitTest4", "e2e", "perf", "accuracy"}},
	{Name: "pallas_kernel", Paths: []string{
		"python/sgl_jax/srt/kernels/**", "benchmark/kernels/**",
		".github/workflows/pr-test.yml", ".github/workflows/coordinator.yml", ".github/actions/**",
	}, Targets: []string{"pallas"}},
}

// ReplayRow is what each rule set would have run for one commit, in
// estimated TPU-minutes.
type ReplayRow struct {
	Commit   string   `json:"commit"`
	Subject  string   `json:"subject"`
	Files    int      `json:"files"`
	Baseline float64  `json:"sglang_jax"`   // SGLang-JAX's two filters, whole targets
	Filters  float64  `json:"tpuci_filter"` // tpuci's filters and labels, whole targets
	Plan     float64  `json:"tpuci_plan"`   // tpuci's filters plus import-graph selection
	Targets  []string `json:"targets"`      // what the plan runs
	// Full is what every PR target costs at this commit, over the suite
	// files that existed then: the whole of each share.
	Full float64 `json:"full_pr"`
	// Time to verdict (critical path, minutes) of SGLang-JAX's filters
	// and of tpuci's plan.
	BaselineVerdict float64 `json:"sglang_jax_verdict"`
	Verdict         float64 `json:"tpuci_plan_verdict"`
	Note            string  `json:"note,omitempty"`
	// Dropped: files tpuci's filters would run that the plan does not.
	Dropped []Dropped `json:"dropped,omitempty"`
}

// ReplayTotals sums a replay.
type ReplayTotals struct {
	Commits      int     `json:"commits"`
	Baseline     float64 `json:"sglang_jax"`
	Filters      float64 `json:"tpuci_filter"`
	Plan         float64 `json:"tpuci_plan"`
	ZeroBaseline int     `json:"zero_sglang_jax"`
	ZeroFilters  int     `json:"zero_tpuci_filter"`
	ZeroPlan     int     `json:"zero_tpuci_plan"`
	FullMinutes  float64 `json:"full_minutes"` // every PR target in full, once
	Seconds      float64 `json:"seconds"`
}

// Replay is a whole replay.
type Replay struct {
	Repo   string       `json:"repo"`
	Rows   []ReplayRow  `json:"rows"`
	Totals ReplayTotals `json:"totals"`
	// Figures are shares of full-PR minutes, verdict times and SZZ recall.
	Figures *Figures `json:"figures,omitempty"`
}

// replayer parses each blob once across commits.
type replayer struct {
	git    Git
	cfg    *config.Config
	parsed map[string]impact.Parsed // blob hash -> scan
	opts   Options
}

func (r *replayer) graph(ctx context.Context, commit string) (*impact.Graph, error) {
	blobs, err := r.git.PythonBlobs(ctx, commit)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, sha := range blobs {
		if _, ok := r.parsed[sha]; !ok {
			missing = append(missing, sha)
		}
	}
	if len(missing) > 0 {
		data, err := r.git.ReadBlobs(ctx, missing)
		if err != nil {
			return nil, err
		}
		for sha, src := range data {
			s, err := impact.Scan(src)
			r.parsed[sha] = impact.Parsed{Src: s, Err: err}
		}
	}
	files := map[string]impact.Parsed{}
	for p, sha := range blobs {
		if pr, ok := r.parsed[sha]; ok {
			files[p] = pr
		}
	}
	return impact.Build(files, r.cfg.Gating.Roots(r.cfg.Repo.PackageDir)), nil
}

// variants returns the three rule sets: SGLang-JAX's filters, tpuci's
// filters without narrowing, and tpuci's plan.
func variants(cfg *config.Config) [3]*config.Config {
	off := false
	base := *cfg
	base.Gating.Filters = SGLangJAXFilters
	base.Gating.Impact = &off
	base.Gating.Ignore = []string{}
	filt := *cfg
	filt.Gating.Impact = &off
	return [3]*config.Config{&base, &filt, cfg}
}

// RunReplay is ci:replay: over the last n first-parent commits of the
// repository, what each rule set would have run, in estimated TPU-minutes.
func RunReplay(ctx context.Context, e Env, n int) (*Replay, error) {
	if n < 1 {
		return nil, fmt.Errorf("ci:replay: want a positive number of commits, not %d", n)
	}
	start := time.Now()
	r := &replayer{git: Git{Dir: e.Repo}, cfg: e.Config, parsed: map[string]impact.Parsed{}}
	meas, err := measured(ctx, e)
	if err != nil {
		return nil, err
	}
	r.opts.Measured = meas
	if err := r.serverMaps(ctx, e); err != nil {
		return nil, err
	}
	commits, err := r.git.FirstParents(ctx, "HEAD", n)
	if err != nil {
		return nil, fmt.Errorf("ci:replay: %w (TPUCI_REPO must be a git checkout with history)", err)
	}
	out := &Replay{Repo: e.Repo}
	changed := map[string][]Change{}
	for i, c := range commits {
		if err := ctx.Err(); err != nil {
			return out, context.Cause(ctx)
		}
		row, changes, err := r.replayCommit(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("ci:replay: %s: %w", short(c.SHA), err)
		}
		changed[c.SHA] = changes
		out.Rows = append(out.Rows, row)
		if (i+1)%25 == 0 || i+1 == len(commits) {
			fmt.Fprintf(e.Log, "ci:replay: %d/%d commits\n", i+1, len(commits))
		}
	}
	out.Totals = sumRows(out.Rows)
	full, err := Make(e.Config, Input{Event: EventPush}, nil, r.opts)
	if err != nil {
		return nil, err
	}
	out.Totals.FullMinutes = full.TPUMinutes
	fixes, err := r.szz(ctx, commits, changed, e.Log)
	if err != nil {
		return nil, fmt.Errorf("ci:replay: %w", err)
	}
	out.Figures = summarize(out.Rows, full.Verdict.Minutes, full.TPUMinutes, fixes)
	out.Totals.Seconds = round(time.Since(start).Seconds())
	if err := report.WriteJSON(filepath.Join(e.Out, ReplayFile), out); err != nil {
		return out, fmt.Errorf("ci:replay: %w", err)
	}
	return out, nil
}

// replayCommit reads one commit's changes, graph and rules from git and
// plans it under each rule set.
func (r *replayer) replayCommit(ctx context.Context, c Commit) (ReplayRow, []Change, error) {
	changes, err := r.git.DiffCommits(ctx, c.Parent, c.SHA)
	if err != nil {
		return ReplayRow{}, nil, err
	}
	in := Input{Event: EventPR, Base: c.Parent, Head: c.SHA, Labels: []string{r.cfg.Gating.RequiredLabel}, Changed: changes}
	var g *impact.Graph
	if needsGraph(r.cfg, in) {
		if g, err = r.graph(ctx, c.SHA); err != nil {
			return ReplayRow{}, nil, err
		}
	}
	rules, err := r.rulesAt(ctx, c.SHA)
	if err != nil {
		return ReplayRow{}, nil, err
	}
	row, err := replayRow(c, in, g, rules, r.opts)
	return row, changes, err
}

// replayRow plans one commit under SGLang-JAX's filters, tpuci's filters
// and tpuci's plan (rules in that order).
func replayRow(c Commit, in Input, g *impact.Graph, rules [3]*config.Config, opts Options) (ReplayRow, error) {
	row := ReplayRow{Commit: short(c.SHA), Subject: c.Subject, Files: len(in.Changed)}
	var plans [3]*Plan
	for k, cfg := range rules {
		p, err := Make(cfg, in, g, opts)
		if err != nil {
			return row, err
		}
		plans[k] = p
	}
	row.Baseline, row.BaselineVerdict = plans[0].TPUMinutes, plans[0].Verdict.Minutes
	row.Filters = plans[1].TPUMinutes
	row.Plan, row.Verdict = plans[2].TPUMinutes, plans[2].Verdict.Minutes
	row.Targets = plans[2].Required()
	full, err := Make(rules[2], Input{Event: EventPush}, nil, opts)
	if err != nil {
		return row, err
	}
	row.Full = full.TPUMinutes
	row.Dropped = droppedFiles(plans[1], plans[2])
	if g != nil && len(g.Unparseable()) > 0 {
		row.Note = fmt.Sprintf("%d unparseable files", len(g.Unparseable()))
	}
	return row, nil
}

// sumRows adds up a replay's rows.
func sumRows(rows []ReplayRow) ReplayTotals {
	t := ReplayTotals{Commits: len(rows)}
	for _, row := range rows {
		t.Baseline += row.Baseline
		t.Filters += row.Filters
		t.Plan += row.Plan
		if row.Baseline == 0 {
			t.ZeroBaseline++
		}
		if row.Filters == 0 {
			t.ZeroFilters++
		}
		if row.Plan == 0 {
			t.ZeroPlan++
		}
	}
	t.Baseline, t.Filters, t.Plan = round(t.Baseline), round(t.Filters), round(t.Plan)
	return t
}

func pct(part, whole float64) string {
	if whole == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", 100*part/whole)
}

// PrintReplay writes the per-commit table and the totals.
func PrintReplay(w io.Writer, rp *Replay) {
	tab := report.Table{Header: []string{"commit", "files", "sglang-jax", "tpuci-filter", "tpuci-plan", "plan runs", "subject"}}
	for _, r := range rp.Rows {
		subj := r.Subject
		if len(subj) > 60 {
			subj = subj[:57] + "..."
		}
		targets := strings.Join(r.Targets, ",")
		if targets == "" {
			targets = "-"
		}
		tab.Rows = append(tab.Rows, []string{r.Commit, strconv.Itoa(r.Files), minutes(r.Baseline), minutes(r.Filters), minutes(r.Plan), targets, subj})
	}
	fmt.Fprint(w, report.Text(tab))
	t := rp.Totals
	fmt.Fprintf(w, "\nTPU-minutes over %d commits (estimates; every PR target in full costs %.1f per commit):\n", t.Commits, t.FullMinutes)
	fmt.Fprintf(w, "  SGLang-JAX filters (main_package, pallas_kernel): %10.1f  (%d commits at 0)\n", t.Baseline, t.ZeroBaseline)
	fmt.Fprintf(w, "  tpuci filters and labels, whole targets:          %10.1f  %s of SGLang-JAX (%d at 0)\n", t.Filters, pct(t.Filters, t.Baseline), t.ZeroFilters)
	fmt.Fprintf(w, "  tpuci plan, import-graph selection:               %10.1f  %s of SGLang-JAX (%d at 0)\n", t.Plan, pct(t.Plan, t.Baseline), t.ZeroPlan)
	printDropped(w, rp)
	if rp.Figures != nil {
		printFigures(w, rp.Figures)
	}
	fmt.Fprintf(w, "replayed in %.1fs\n", t.Seconds)
}

// serverMaps loads the recorded server maps of the history store, if any.
// Records cannot be made at past commits, so the latest of each
// architecture stands for every replayed commit, counted fresh.
func (r *replayer) serverMaps(ctx context.Context, e Env) error {
	if e.WS == nil {
		return nil
	}
	m, err := depmap.Load(ctx, e.WS, e.Log)
	if err != nil {
		return fmt.Errorf("ci:replay: %w", err)
	}
	r.opts.Deps = m.Servers()
	for k, en := range r.opts.Deps {
		fmt.Fprintf(e.Log, "ci:replay: recorded %s at %s: %d files, used at every commit\n", k, short(en.Commit), len(en.Modules))
		if en.Date.After(r.opts.Now) {
			r.opts.Now = en.Date
		}
	}
	return nil
}
