// Package ci is tpuci's CI coordinator: from the event (labels, draft,
// changed files) and the configuration it decides which PR targets run
// and, through the Python import graph, which test files of each suite;
// it renders the decision as GitHub outputs and job matrices, judges the
// jobs' results at the end (the finish gate) and replays the decision over
// a repository's history.
//
// Plans are data: Make is a pure function of the config, the input and
// the graph, so plans are golden-tested.
package ci

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/depmap"
	"github.com/sgl-project/tpuci/internal/impact"
)

// Events a plan distinguishes.
const (
	EventPR       = "pull_request"
	EventPush     = "push"
	EventLocal    = "local" // a developer's branch against a base
	EventSchedule = "schedule"
	EventDispatch = "workflow_dispatch"
)

// Input is everything a plan depends on besides the config and the graph.
type Input struct {
	Event      string   `json:"event"`
	Repository string   `json:"repository,omitempty"`
	Ref        string   `json:"ref,omitempty"`
	Number     int      `json:"number,omitempty"` // pull request number
	Base       string   `json:"base,omitempty"`
	Head       string   `json:"head,omitempty"`
	Draft      bool     `json:"draft,omitempty"`
	Labels     []string `json:"labels,omitempty"`
	// Action and Label are the pull request's activity ("labeled") and
	// the label it added.
	Action string `json:"action,omitempty"`
	Label  string `json:"label,omitempty"`
	// Only narrows a dispatched run to one PR target or suite.
	Only    string   `json:"only,omitempty"`
	Changed []Change `json:"-"`
	// Unknown says why the changed files are not known (no history, a
	// shallow clone, the bundled example): everything then runs.
	Unknown string `json:"unknown_changes,omitempty"`
}

// Change is one changed file.
type Change struct {
	Path   string `json:"path"`
	Status string `json:"status"` // A, M or D
}

// Plan is the coordinator's decision.
type Plan struct {
	Input
	// Error is set when the event must not run CI at all and the
	// coordinator fails (a draft pull request).
	Error string `json:"error,omitempty"`
	// Blocked says why no target runs although changes may need them
	// (the required label is missing); the finish gate fails on it.
	Blocked string `json:"blocked,omitempty"`
	// Idle says why this event runs nothing and needs nothing (a label
	// that does not concern CI was added): the finish gate passes.
	Idle string `json:"idle,omitempty"`
	// Full says why every target runs in full (push to main, test:full).
	Full    string   `json:"full,omitempty"`
	Files   []File   `json:"files"`
	Targets []Target `json:"targets"`
	// Totals over the targets that run.
	Minutes    float64 `json:"minutes"`
	TPUMinutes float64 `json:"tpu_minutes"`
	// Verdict is the time to this run's verdict; FullVerdict that of a
	// run of every target in full, for comparison.
	Verdict     Verdict `json:"verdict"`
	FullVerdict Verdict `json:"full_verdict"`
	// Quarantine lists the tests that run without gating ([[quarantine]]).
	Quarantine []Quarantined `json:"quarantine,omitempty"`
}

// File is a changed file and how the plan reads it.
type File struct {
	Path    string   `json:"path"`
	Status  string   `json:"status"`
	Filters []string `json:"filters,omitempty"` // filters it matches
	Kind    string   `json:"kind"`              // see the Kind constants
	Note    string   `json:"note,omitempty"`
}

// Kinds of changed files.
const (
	KindIgnored     = "ignored"     // matches [gating].ignore: selects no test
	KindRunAll      = "run-all"     // matches [gating].run_all: whole suites
	KindPython      = "python"      // narrowed through the import graph
	KindDeleted     = "deleted"     // deleted Python file: its former importers
	KindUnparseable = "unparseable" // Python the scanner cannot read: whole suites
	KindData        = "data"        // any other file: tests may read it, whole suites
)

// Target is the decision for one PR target.
type Target struct {
	Name        string   `json:"name"`
	Run         bool     `json:"run"`
	Why         string   `json:"why"`
	Whole       bool     `json:"whole,omitempty"` // every configured item runs
	Suites      []Suite  `json:"suites,omitempty"`
	Cases       []Pick   `json:"cases,omitempty"` // perf/accuracy cases, pallas kernels
	Matrix      []Entry  `json:"matrix"`
	Minutes     float64  `json:"minutes"`      // estimate of what runs
	TPUMinutes  float64  `json:"tpu_minutes"`  // the part on TPU runners
	FullMinutes float64  `json:"full_minutes"` // estimate of the whole target
	Labels      []string `json:"labels,omitempty"`
}

// Suite is the selection inside one suite.
type Suite struct {
	Name     string `json:"name"`
	Chips    int    `json:"chips"`
	Selected []Pick `json:"selected,omitempty"`
	Skipped  []Pick `json:"skipped,omitempty"`
}

// Pick is one file or case, selected or skipped, with the reason.
type Pick struct {
	Path    string  `json:"path"`
	Minutes float64 `json:"minutes"`
	Why     string  `json:"why,omitempty"`
}

// Required lists the targets that run.
func (p *Plan) Required() []string {
	var out []string
	for _, t := range p.Targets {
		if t.Run {
			out = append(out, t.Name)
		}
	}
	return out
}

// Target returns the decision for a target.
func (p *Plan) Target(name string) (*Target, bool) {
	for i := range p.Targets {
		if p.Targets[i].Name == name {
			return &p.Targets[i], true
		}
	}
	return nil, false
}

// Selection lists every suite file that runs, sorted and unique: the
// content of the TPUCI_SELECT file.
func (p *Plan) Selection() []string {
	set := map[string]bool{}
	for _, t := range p.Targets {
		if !t.Run {
			continue
		}
		for _, s := range t.Suites {
			for _, f := range s.Selected {
				set[f.Path] = true
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

// Options tune a plan beyond the config.
type Options struct {
	// Measured minutes per suite file (durations.json) replace estimates.
	Measured map[string]float64
	// Deps is the recorded dependency map: a test with a record younger
	// than [ci].depmap_max_age at Now runs only when a changed file is in
	// its record or is the test itself.
	Deps depmap.Map
	Now  time.Time
}

// Make decides. g is the import graph of the head tree; it may be nil when
// no changed file is Python or the plan runs everything.
func Make(cfg *config.Config, in Input, g *impact.Graph, o Options) (*Plan, error) {
	p := &Plan{Input: in}
	gate := &cfg.Gating
	if in.Only != "" {
		if err := checkOnly(cfg, in.Only); err != nil {
			return nil, err
		}
	}
	if g != nil {
		g.RouteModels(gate.Models)
	}
	sort.Strings(p.Labels)
	for _, c := range in.Changed {
		p.Files = append(p.Files, classify(cfg, c, g))
	}
	sort.Slice(p.Files, func(i, j int) bool { return p.Files[i].Path < p.Files[j].Path })

	switch in.Event {
	case EventPR:
		switch {
		case in.Draft:
			p.Error = "the pull request is a draft: mark it ready for review to run CI"
		case in.Action == "labeled" && !gate.Concerns(in.Label):
			p.Idle = fmt.Sprintf("label %q does not change what CI runs", in.Label)
		case gate.RequiredLabel != "" && !slices.Contains(in.Labels, gate.RequiredLabel):
			p.Blocked = fmt.Sprintf("the pull request has no %q label: a maintainer adds it to run CI", gate.RequiredLabel)
		}
	case EventLocal:
	case EventDispatch:
		// A PR's change dispatched by a maintainer's command: the
		// request is the approval, so neither label nor draft gates it.
		if in.Head == "" {
			p.Full = fmt.Sprintf("a %s event without a commit runs every target", in.Event)
		}
	default:
		p.Full = fmt.Sprintf("a %s event runs every target", in.Event)
		if in.Event == EventPush && in.Ref != "" {
			p.Full = fmt.Sprintf("a push to %s runs every target", strings.TrimPrefix(in.Ref, "refs/heads/"))
		}
	}
	if p.Full == "" && p.Error == "" && p.Blocked == "" {
		switch {
		case slices.Contains(in.Labels, gate.Full()):
			p.Full = fmt.Sprintf("label %q runs every target", gate.Full())
		case in.Unknown != "":
			p.Full = "the changed files are unknown, so every target runs"
		}
	}
	for _, name := range config.PRTargets {
		t, err := decide(cfg, p, name, g, o)
		if err != nil {
			return nil, err
		}
		if in.Only != "" {
			if t, err = narrowToOnly(cfg, in.Only, t, o); err != nil {
				return nil, err
			}
		}
		if t.Run {
			p.Minutes += t.Minutes
			p.TPUMinutes += t.TPUMinutes
		}
		p.Targets = append(p.Targets, t)
	}
	p.Minutes, p.TPUMinutes = round(p.Minutes), round(p.TPUMinutes)
	p.Verdict = Critical(cfg, p.Targets)
	p.FullVerdict = p.Verdict
	if p.Full == "" {
		full, err := Make(cfg, Input{Event: EventPush}, nil, o)
		if err != nil {
			return nil, err
		}
		p.FullVerdict = full.Verdict
	}
	p.Quarantine = quarantined(cfg)
	return p, nil
}

func round(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }

// classify names what kind of change a file is.
func classify(cfg *config.Config, c Change, g *impact.Graph) File {
	gate := &cfg.Gating
	f := File{Path: c.Path, Status: c.Status}
	for _, flt := range gate.Filters {
		if _, ok := MatchAny(flt.Paths, c.Path); ok {
			f.Filters = append(f.Filters, flt.Name)
		}
	}
	if glob, ok := MatchAny(gate.RunAllGlobs(), c.Path); ok {
		f.Kind, f.Note = KindRunAll, "matches run_all "+glob
		return f
	}
	if glob, ok := MatchAny(gate.IgnoreGlobs(), c.Path); ok {
		f.Kind, f.Note = KindIgnored, "matches ignore "+glob
		return f
	}
	if !strings.HasSuffix(c.Path, ".py") {
		f.Kind, f.Note = KindData, "not Python: tests may read it"
		return f
	}
	switch {
	case g == nil:
		f.Kind = KindPython
	case c.Status == "D" || !g.Has(c.Path):
		f.Kind = KindDeleted
	case g.Err(c.Path) != nil:
		f.Kind, f.Note = KindUnparseable, g.Err(c.Path).Error()
	default:
		f.Kind = KindPython
	}
	return f
}

// decide makes the decision for one target.
func decide(cfg *config.Config, p *Plan, name string, g *impact.Graph, o Options) (Target, error) {
	t := Target{Name: name, Matrix: []Entry{}}
	w := newWork(cfg, name, o.Measured)
	w.opts = o
	t.FullMinutes = round(w.minutes())
	t = w.decide(p, t, g)
	return t, w.err
}

func (w *work) decide(p *Plan, t Target, g *impact.Graph) Target {
	cfg, name := w.cfg, t.Name
	for label, targets := range cfg.Gating.Labels {
		if slices.Contains(p.Labels, label) && slices.Contains(targets, name) {
			t.Labels = append(t.Labels, label)
		}
	}
	sort.Strings(t.Labels)
	if out, done := w.decideWhole(p, t); done {
		return out
	}
	narrowing := name != "lint" && cfg.Gating.Narrow() && g != nil
	relevant, outside, filters := concerning(cfg, p.Files, name, narrowing)
	if len(relevant) == 0 && len(outside) > 0 {
		return w.narrow(t, pathList(outside), g)
	}
	if len(relevant) == 0 {
		switch {
		case len(p.Files) == 0:
			t.Why = "nothing changed"
		case len(filters) == 0:
			t.Why = "no path filter lists " + name
		default:
			t.Why = fmt.Sprintf("no changed file matches its filters (%s)", strings.Join(filters, ", "))
		}
		return t
	}
	var python []string
	for _, f := range relevant {
		switch f.Kind {
		case KindRunAll, KindUnparseable, KindData:
			return w.whole(t, fmt.Sprintf("%s changed (%s: %s)", f.Path, f.Kind, f.Note))
		case KindPython, KindDeleted:
			python = append(python, f.Path)
		}
	}
	if len(python) == 0 && len(outside) == 0 {
		t.Why = "only ignored files changed: " + paths(relevant)
		return t
	}
	python = append(python, pathList(outside)...)
	if !narrowing {
		why := fmt.Sprintf("%s matches its filters", paths(relevant))
		if name != "lint" && cfg.Gating.Narrow() {
			why += " (no import graph)"
		}
		return w.whole(t, why)
	}
	return w.narrow(t, python, g)
}

// decideWhole settles a target the run as a whole decides: not run (an
// error, an idle or blocked run, nothing configured) or run in full (a
// full run, a label); done is false when the changed files decide.
func (w *work) decideWhole(p *Plan, t Target) (out Target, done bool) {
	cfg, name := w.cfg, t.Name
	switch {
	case p.Error != "":
		t.Why = "not run: " + p.Error
	case p.Idle != "":
		t.Why = "not run: " + p.Idle
	case p.Blocked != "" && !slices.Contains(cfg.Gating.UngatedTargets(), name):
		t.Why = "not run: " + p.Blocked
	case w.empty():
		t.Why = "nothing configured for " + name
	case p.Full != "":
		return w.whole(t, p.Full), true
	case len(t.Labels) > 0 && (p.Event == EventPR || p.Event == EventLocal):
		return w.whole(t, fmt.Sprintf("label %s adds it", strings.Join(t.Labels, ", "))), true
	default:
		return t, false
	}
	return t, true
}

// concerning splits the changed files for a target: those matching one of
// its filters (every file when there are no filters), and, when the plan
// narrows, Python files outside them that tests may still import or read
// (a benchmark script a test loads). filters names the target's filters.
func concerning(cfg *config.Config, files []File, name string, narrowing bool) (relevant, outside []File, filters []string) {
	for _, f := range cfg.Gating.Filters {
		if slices.Contains(f.Targets, name) {
			filters = append(filters, f.Name)
		}
	}
	for _, f := range files {
		if len(cfg.Gating.Filters) == 0 || slices.ContainsFunc(f.Filters, func(n string) bool { return slices.Contains(filters, n) }) {
			relevant = append(relevant, f)
		} else if narrowing && (f.Kind == KindPython || f.Kind == KindDeleted) {
			outside = append(outside, f)
		}
	}
	return relevant, outside, filters
}

func paths(fs []File) string {
	ps := pathList(fs)
	if len(ps) > 3 {
		return fmt.Sprintf("%s and %d more", strings.Join(ps[:3], ", "), len(ps)-3)
	}
	return strings.Join(ps, ", ")
}

func pathList(fs []File) []string {
	var ps []string
	for _, f := range fs {
		ps = append(ps, f.Path)
	}
	return ps
}

// work is what one target runs: suites for suite targets, cases (with
// the files that decide whether they are affected) for the others.
type work struct {
	cfg    *config.Config
	target string
	suites []*config.Suite
	cases  []item
	meas   map[string]float64
	opts   Options
	err    error
	// Caches of the recorded-server rule (servermap.go).
	served map[string]*servedBy
	single map[string]*impact.Reach
}

// item is a perf/accuracy case or a pallas kernel.
type item struct {
	name    string
	minutes float64
	chips   int
	entry   string   // the Python file whose import closure affects it
	models  []string // the models its server runs
}

func newWork(cfg *config.Config, target string, measured map[string]float64) *work {
	w := &work{cfg: cfg, target: target, meas: measured}
	for _, s := range cfg.SuitesFor(target) {
		if len(s.Files) > 0 {
			w.suites = append(w.suites, s)
		}
	}
	switch target {
	case "perf":
		for _, c := range cfg.Perf.Cases {
			w.cases = append(w.cases, serverItem(cfg, c.Name, c.Server, c.Minutes))
		}
	case "accuracy":
		for _, c := range cfg.Accuracy.Cases {
			w.cases = append(w.cases, serverItem(cfg, c.Name, c.Server, c.Minutes))
		}
	case "pallas":
		for _, k := range cfg.Pallas.Kernels {
			w.cases = append(w.cases, item{name: k.Name, minutes: k.Minutes, chips: 1, entry: k.File})
		}
	}
	return w
}

// serverItem finds the Python entry point of the server a case launches:
// the module after -m in its command, a .py script in it, or
// <package>/launch_server.py by default.
func serverItem(cfg *config.Config, name, server string, minutes float64) item {
	it := item{name: name, minutes: minutes}
	s, ok := cfg.Server(server)
	if !ok {
		return it
	}
	it.chips = s.Chips
	it.models = []string{s.Model}
	mod := cfg.Repo.Package + ".launch_server"
	if len(s.Command) > 0 {
		mod = ""
		for i, a := range s.Command {
			if a == "-m" && i+1 < len(s.Command) {
				mod = s.Command[i+1]
				break
			}
			if strings.HasSuffix(a, ".py") {
				it.entry = path.Clean(a)
			}
		}
	}
	if mod != "" {
		it.entry = path.Join(cfg.Repo.PackageDir, strings.ReplaceAll(mod, ".", "/")) + ".py"
	}
	return it
}

func (w *work) empty() bool {
	if w.target == "lint" {
		return len(w.cfg.Lint.Paths) == 0
	}
	return len(w.suites) == 0 && len(w.cases) == 0
}

func (w *work) fileMinutes(f config.File) float64 {
	if m, ok := w.meas[f.Path]; ok && m >= 0 {
		return m
	}
	return f.Minutes
}

// minutes is the estimate of the whole target.
func (w *work) minutes() float64 {
	total := 0.0
	for _, s := range w.suites {
		for _, f := range s.Files {
			total += w.fileMinutes(f)
		}
	}
	for _, c := range w.cases {
		total += c.minutes
	}
	return total
}

// whole runs everything configured for the target.
func (w *work) whole(t Target, why string) Target {
	t.Run, t.Whole, t.Why = true, true, why
	for _, s := range w.suites {
		ps := Suite{Name: s.Name, Chips: s.Chips}
		for _, f := range s.Files {
			ps.Selected = append(ps.Selected, Pick{Path: f.Path, Minutes: w.fileMinutes(f)})
		}
		t.Suites = append(t.Suites, ps)
	}
	for _, c := range w.cases {
		t.Cases = append(t.Cases, Pick{Path: c.name, Minutes: c.minutes})
	}
	return w.finish(t)
}

// narrow keeps the suite files and cases the changes reach.
func (w *work) narrow(t Target, changed []string, g *impact.Graph) Target {
	r, seeds := g.Reach(changed), len(changed)
	for _, s := range w.suites {
		ps := Suite{Name: s.Name, Chips: s.Chips}
		for _, f := range s.Files {
			pick := Pick{Path: f.Path, Minutes: w.fileMinutes(f)}
			why, ok := r.Test(f.Path)
			if rwhy, rok, fresh := w.recorded(f.Path, changed); fresh {
				why, ok = rwhy, rok
			} else if swhy, sok, fresh := w.suiteByServer(g, f.Path, changed); fresh {
				why, ok = swhy, sok
			}
			switch {
			case ok:
				pick.Why = why
				ps.Selected = append(ps.Selected, pick)
			case !g.Has(f.Path):
				pick.Why = "not in the tree, so the graph cannot clear it"
				ps.Selected = append(ps.Selected, pick)
			default:
				pick.Why = why
				if why == "" {
					pick.Why = "no import, read or module-name path leads from it to a changed file"
				}
				ps.Skipped = append(ps.Skipped, pick)
			}
		}
		t.Suites = append(t.Suites, ps)
	}
	// Cases run as one list (their bodies take no selection): one
	// affected case, or one whose entry point is unknown, runs them all.
	run := false
	var picks []Pick
	for _, c := range w.cases {
		pick := Pick{Path: c.name, Minutes: c.minutes}
		switch {
		case c.entry == "" || !g.Has(c.entry):
			pick.Why, run = "its entry point is unknown to the import graph", true
		default:
			why, ok := r.Launches(c.entry, c.models)
			archs, unknown := g.Archs(c.models)
			launch := func(r *impact.Reach) (string, bool) { return r.Launches(c.entry, c.models) }
			if len(unknown) == 0 {
				if swhy, sok, fresh := w.byServer(g, c.entry, archs, changed, launch); fresh {
					why, ok = swhy, sok
				}
			}
			if ok {
				pick.Why, run = why, true
			}
		}
		picks = append(picks, pick)
	}
	if run {
		t.Cases = picks
	}
	n, total := 0, 0
	for _, s := range t.Suites {
		n += len(s.Selected)
		total += len(s.Selected) + len(s.Skipped)
	}
	if n == 0 && !run {
		if len(w.cases) > 0 {
			t.Why = fmt.Sprintf("none of the %d changed Python files reaches the server or script of a case", seeds)
		} else {
			t.Why = fmt.Sprintf("no test file imports any of the %d changed Python files", seeds)
		}
		return w.finish(t)
	}
	t.Run = true
	if len(w.suites) > 0 {
		t.Why = fmt.Sprintf("%d of %d test files import a changed file", n, total)
	} else {
		t.Why = fmt.Sprintf("a changed file reaches the %s cases", w.target)
	}
	return w.finish(t)
}

// finish fills in minutes and the matrix.
func (w *work) finish(t Target) Target {
	if !t.Run {
		return t
	}
	for _, s := range t.Suites {
		for _, f := range s.Selected {
			t.Minutes += f.Minutes
			if s.Chips > 0 {
				t.TPUMinutes += f.Minutes
			}
		}
	}
	if len(t.Cases) > 0 {
		for _, c := range w.cases {
			t.Minutes += c.minutes
			if c.chips > 0 {
				t.TPUMinutes += c.minutes
			}
		}
	}
	t.Minutes, t.TPUMinutes = round(t.Minutes), round(t.TPUMinutes)
	m, err := matrixFor(w.cfg, w.target, t.Suites)
	if err != nil {
		w.err = err
		return t
	}
	t.Matrix = m
	return t
}

// recorded decides a test by its recorded dependency map. fresh is false
// when the test has no record or its record is older than the maximum
// age: the import graph decides then.
func (w *work) recorded(test string, changed []string) (why string, ok, fresh bool) {
	e, has := w.opts.Deps[test]
	if !has {
		return "", false, false
	}
	age := w.opts.Now.Sub(e.Date)
	if age > w.cfg.CI.DepMapAge() {
		return "", false, false
	}
	at := fmt.Sprintf("its run at %s (%s ago)", short(e.Commit), age.Round(time.Hour))
	for _, c := range changed {
		if c == test {
			return "the test itself changed", true, true
		}
		if slices.Contains(e.Modules, c) {
			return fmt.Sprintf("%s loaded %s (changed), as recorded by %s", test, c, at), true, true
		}
	}
	return fmt.Sprintf("loaded none of the changed files, as recorded by %s", at), false, true
}
