package ci

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/sgl-project/tpuci/internal/accuracy"
	"github.com/sgl-project/tpuci/internal/chips"
	"github.com/sgl-project/tpuci/internal/config"
	nmatrix "github.com/sgl-project/tpuci/internal/nightly/matrix"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/perf"
	"github.com/sgl-project/tpuci/internal/stages"
)

// Entry is one job of a target's matrix: the values a workflow passes to
// the job as TPUCI_SUITE and TPUCI_PARTITION, and its runner.
type Entry struct {
	Name      string `json:"name"`            // for the job title
	Suite     string `json:"suite,omitempty"` // empty for case targets
	Part      int    `json:"part"`
	Parts     int    `json:"parts"`
	Partition string `json:"partition"` // "ID/COUNT"
	Chips     int    `json:"chips"`
	Runner    string `json:"runner"`
	// Models are the nightly models a job splits with its partition
	// (comma-separated, for TPUCI_NIGHTLY_MODELS); nightly only.
	Models string `json:"models,omitempty"`
}

// MatrixTargets are the targets whose workflow job is a matrix.
var MatrixTargets = stages.Matrix()

// MatrixJSON renders entries as the value of strategy.matrix:
// {"include":[...]}.
func MatrixJSON(entries []Entry) string {
	if entries == nil {
		entries = []Entry{}
	}
	b, _ := json.Marshal(struct {
		Include []Entry `json:"include"`
	}{entries})
	return string(b)
}

// Matrix lists the jobs of a target over its whole configuration, or over
// the selected suite files when selection is not nil.
func Matrix(cfg *config.Config, target string, selection []string) ([]Entry, error) {
	return MatrixMeasured(cfg, target, selection, nil)
}

// MatrixMeasured is Matrix with measured minutes per file, which size
// the suites' jobs under [ci].job_minutes.
func MatrixMeasured(cfg *config.Config, target string, selection []string, measured map[string]float64) ([]Entry, error) {
	if !slices.Contains(MatrixTargets, target) && target != "nightly" {
		return nil, fmt.Errorf("ci:matrix: %q has no matrix (targets with one: %v and nightly)", target, MatrixTargets)
	}
	var suites []Suite
	for _, s := range cfg.SuitesFor(target) {
		ps := Suite{Name: s.Name, Chips: s.Chips}
		for _, f := range s.Files {
			if selection == nil || slices.Contains(selection, f.Path) {
				m := f.Minutes
				if v, ok := measured[f.Path]; ok && v >= 0 {
					m = v
				}
				ps.Selected = append(ps.Selected, Pick{Path: f.Path, Minutes: m})
			}
		}
		suites = append(suites, ps)
	}
	return matrixFor(cfg, target, suites)
}

func minParts(configured, items int) int {
	if configured < 1 {
		configured = 1
	}
	return min(configured, items)
}

// suiteParts is a suite's job count: its pinned partitions, or with
// [ci].job_minutes the fewest jobs whose longest fits the budget sized to
// its stage (see partition.StageBudget); stageLargest is the largest file
// of the target's suites.
func suiteParts(cfg *config.Config, cs *config.Suite, s Suite, stageLargest float64) int {
	if cfg.CI.JobMinutes <= 0 || cs.Pinned {
		return minParts(cs.Partitions, len(s.Selected))
	}
	n, _ := partition.Fewest(items(s.Selected), partition.StageBudget(cfg.CI.JobMinutes, stageLargest), cfg.CI.JobCap(s.Chips))
	return n
}

// largestPick is the longest file of the suites.
func largestPick(suites []Suite) float64 {
	most := 0.0
	for _, s := range suites {
		for _, p := range s.Selected {
			most = max(most, p.Minutes)
		}
	}
	return most
}

func items(picks []Pick) []partition.Item {
	out := make([]partition.Item, len(picks))
	for i, p := range picks {
		out[i] = partition.Item{Name: p.Path, Weight: max(p.Minutes, 0)}
	}
	return out
}

func partsOf(name, suite string, parts, chipsN int, runner string) []Entry {
	var out []Entry
	for i := range parts {
		e := Entry{Name: name, Suite: suite, Part: i, Parts: parts, Partition: partition.Spec{ID: i, Count: parts}.String(), Chips: chipsN, Runner: runner}
		if parts > 1 {
			e.Name = fmt.Sprintf("%s %d/%d", name, i+1, parts)
		}
		out = append(out, e)
	}
	return out
}

// matrixFor builds the jobs: per suite one entry per partition (never more
// partitions than selected files), and for case targets one per partition
// of their case list.
func matrixFor(cfg *config.Config, target string, suites []Suite) ([]Entry, error) {
	out := []Entry{}
	g := &cfg.Gating
	stage := largestPick(suites)
	for _, s := range suites {
		if len(s.Selected) == 0 {
			continue
		}
		cs, ok := cfg.Suite(s.Name)
		if !ok {
			return nil, fmt.Errorf("plan: suite %q is not configured", s.Name)
		}
		runner, err := g.Runner(s.Chips)
		if err != nil {
			return nil, fmt.Errorf("plan: suite %s: %w", s.Name, err)
		}
		out = append(out, partsOf(s.Name, s.Name, suiteParts(cfg, cs, s, stage), s.Chips, runner)...)
	}
	if target == "nightly" {
		return nightlyEntries(cfg)
	}
	cases, err := caseEntries(cfg, target)
	return append(out, cases...), err
}

// caseEntries are the jobs of a case target's case list: its configured
// partitions, each on the runner its own cases need.
func caseEntries(cfg *config.Config, target string) ([]Entry, error) {
	var out []Entry
	g := &cfg.Gating
	var (
		n, configured, maxChips int
		chipsOf                 func(spec partition.Spec) (int, error)
	)
	switch target {
	case "perf":
		// The perf body partitions first, keeping chip counts apart, so
		// each job needs only the chips of its own cases.
		n, configured = len(cfg.Perf.Cases), cfg.Perf.Partitions
		chipsOf = func(spec partition.Spec) (int, error) {
			run, _, err := perf.Plan(cfg, chips.Info{CPU: true}, nil, spec)
			if err != nil {
				return 0, err
			}
			most := 0
			for _, p := range run {
				most = max(most, p.Server.Chips)
			}
			return most, nil
		}
	case "accuracy":
		// The accuracy body partitions first, so each job needs only the
		// chips of its own cases.
		n, configured = len(cfg.Accuracy.Cases), cfg.Accuracy.Partitions
		chipsOf = func(spec partition.Spec) (int, error) {
			p, err := accuracy.PlanCases(cfg, chips.Info{CPU: true}, spec, nil)
			if err != nil {
				return 0, err
			}
			most := 0
			for _, c := range p.Run {
				most = max(most, c.Server.Chips)
			}
			return most, nil
		}
	case "pallas":
		n, configured, maxChips = len(cfg.Pallas.Kernels), cfg.Pallas.Partitions, 1
	default:
		return out, nil
	}
	if n == 0 {
		return out, nil
	}
	parts := minParts(configured, n)
	for _, e := range partsOf(target, "", parts, maxChips, "") {
		if chipsOf != nil {
			c, err := chipsOf(partition.Spec{ID: e.Part, Count: e.Parts})
			if err != nil {
				return nil, fmt.Errorf("plan: %s matrix: %w", target, err)
			}
			e.Chips = c
		}
		runner, err := g.Runner(e.Chips)
		if err != nil {
			return nil, fmt.Errorf("plan: %s: %w", target, err)
		}
		e.Runner = runner
		out = append(out, e)
	}
	return out, nil
}

// nightlyEntries splits the nightly models over runners: models that need
// the same chips share jobs (a 1-chip model never holds a 4-chip runner),
// and [nightly].partitions jobs in all (at least one per chip count, never
// more than a group's models) go to the groups with the most minutes per
// job. Each job runs whole models: TPUCI_NIGHTLY_MODELS names its group,
// TPUCI_PARTITION its share of the group.
func nightlyEntries(cfg *config.Config) ([]Entry, error) {
	all, err := nmatrix.Build(cfg)
	if err != nil {
		return nil, fmt.Errorf("plan: nightly matrix: %w", err)
	}
	type group struct {
		chips   int
		models  []string
		minutes float64
		jobs    int
	}
	var groups []*group
	byChips := map[int]*group{}
	seen := map[string]bool{}
	for _, c := range all {
		g := byChips[c.Server.Chips]
		if g == nil {
			g = &group{chips: c.Server.Chips}
			byChips[c.Server.Chips] = g
			groups = append(groups, g)
		}
		if !seen[c.Model] {
			seen[c.Model] = true
			g.models = append(g.models, c.Model)
		}
		g.minutes += c.Minutes
	}
	slices.SortStableFunc(groups, func(a, b *group) int { return a.chips - b.chips })
	for _, g := range groups {
		g.jobs = 1
	}
	for n := len(groups); n < cfg.Nightly.Partitions; n++ {
		var best *group
		for _, g := range groups {
			if g.jobs < len(g.models) && (best == nil || g.minutes/float64(g.jobs) > best.minutes/float64(best.jobs)) {
				best = g
			}
		}
		if best == nil {
			break
		}
		best.jobs++
	}
	out := []Entry{}
	for _, g := range groups {
		runner, err := cfg.Gating.Runner(g.chips)
		if err != nil {
			return nil, fmt.Errorf("plan: nightly: %w", err)
		}
		for _, e := range partsOf(fmt.Sprintf("nightly %d-chip", g.chips), "", g.jobs, g.chips, runner) {
			e.Models = strings.Join(g.models, ",")
			out = append(out, e)
		}
	}
	return out, nil
}
