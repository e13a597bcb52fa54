package ci

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/stages"
)

// Needs is the PR workflow's job graph: each target and the targets whose
// jobs it waits for (the needs: of pr.yml, without the coordinator).
// Targets that do not run take no time; their dependents still wait for
// what they need.
var Needs = needs()

func needs() map[string][]string {
	m := map[string][]string{}
	for _, name := range stages.PR() {
		m[name] = stages.NeedsOf(name)
	}
	return m
}

// Verdict is the estimated time until a run's verdict: the longest path
// through the job graph, each target counted by its longest job.
type Verdict struct {
	Minutes    float64 `json:"minutes"`     // the critical path
	Bound      float64 `json:"bound"`       // the same with every job as short as its largest file
	TPUMinutes float64 `json:"tpu_minutes"` // what the run costs on TPU runners
	Jobs       int     `json:"jobs"`        // matrix jobs of the targets that run
	Path       []Step  `json:"path"`
}

// Step is one target on the critical path.
type Step struct {
	Target  string  `json:"target"`
	Job     string  `json:"job"`  // the suite (or case list) of its longest job
	Jobs    int     `json:"jobs"` // that suite's job count
	Minutes float64 `json:"minutes"`
}

// longest returns a target's longest job: the suite (or case list) it
// belongs to, that suite's job count and the job's estimated minutes.
// Suite jobs split their suite's selected files like the suite body
// (longest-first onto the least loaded job), case jobs their cases.
func longest(cfg *config.Config, t Target) Step {
	st := Step{Target: t.Name}
	if !t.Run {
		return st
	}
	if t.Name == "lint" {
		st.Job, st.Jobs, st.Minutes = "lint", 1, cfg.CI.Lint()
		return st
	}
	consider := func(job string, picks []Pick, parts int) {
		if len(picks) == 0 {
			return
		}
		parts = max(parts, 1)
		if span := partition.Makespan(items(picks), parts); span > st.Minutes || st.Job == "" {
			st.Job, st.Jobs, st.Minutes = job, parts, span
		}
	}
	for _, s := range t.Suites {
		consider(s.Name, s.Selected, jobsOf(t.Matrix, s.Name))
	}
	consider(t.Name, t.Cases, jobsOf(t.Matrix, ""))
	return st
}

func jobsOf(m []Entry, suite string) int {
	n := 0
	for _, e := range m {
		if e.Suite == suite {
			n++
		}
	}
	return n
}

// Critical computes the verdict time of targets (in config.PRTargets
// order, which is a topological order of Needs).
func Critical(cfg *config.Config, targets []Target) Verdict {
	var v Verdict
	steps := map[string]Step{}
	own, floor := map[string]float64{}, map[string]float64{}
	for _, t := range targets {
		st := longest(cfg, t)
		own[t.Name], floor[t.Name] = st.Minutes, largestItem(cfg, t)
		st.Minutes = round(st.Minutes)
		steps[t.Name] = st
		if t.Run {
			v.TPUMinutes += t.TPUMinutes
			v.Jobs += len(t.Matrix)
		}
	}
	var path []string
	v.Minutes, path = longestPath(targets, own)
	v.Bound, _ = longestPath(targets, floor)
	for _, name := range path {
		if s := steps[name]; s.Job != "" {
			v.Path = append(v.Path, s)
		}
	}
	v.Minutes, v.Bound, v.TPUMinutes = round(v.Minutes), round(v.Bound), round(v.TPUMinutes)
	if v.Path == nil {
		v.Path = []Step{}
	}
	return v
}

// longestPath is the longest path through Needs with these durations and
// the targets on it, first to last.
func longestPath(targets []Target, dur map[string]float64) (float64, []string) {
	finish := map[string]float64{}
	prev := map[string]string{}
	end := ""
	for _, t := range targets {
		start := 0.0
		for _, n := range Needs[t.Name] {
			if f, ok := finish[n]; ok && (f > start || prev[t.Name] == "") {
				start, prev[t.Name] = max(start, f), n
			}
		}
		finish[t.Name] = start + dur[t.Name]
		if end == "" || finish[t.Name] > finish[end] {
			end = t.Name
		}
	}
	var path []string
	for cur := end; cur != ""; cur = prev[cur] {
		path = append([]string{cur}, path...)
	}
	return finish[end], path
}

// largestItem is the longest single file or case a target runs: no
// partitioning makes its job shorter.
func largestItem(cfg *config.Config, t Target) float64 {
	if !t.Run {
		return 0
	}
	if t.Name == "lint" {
		return cfg.CI.Lint()
	}
	most := 0.0
	for _, s := range t.Suites {
		for _, f := range s.Selected {
			most = max(most, f.Minutes)
		}
	}
	for _, c := range t.Cases {
		most = max(most, c.Minutes)
	}
	return most
}

// String renders the verdict time, cost and path on one line.
func (v Verdict) String() string {
	return fmt.Sprintf("%.1f min (largest-file bound %.1f), %.1f TPU-minutes, %d jobs: %s", v.Minutes, v.Bound, v.TPUMinutes, v.Jobs, v.pathText())
}

// text renders the verdict for a terminal after label: its time and
// cost, then the critical path on lines of its own, indented. The path
// breaks only between steps, so that no step is cut.
func (v Verdict) text(label string) string {
	lines := []string{fmt.Sprintf("%s%.1f min (largest-file bound %.1f), %.1f TPU-minutes, %d jobs:",
		label, v.Minutes, v.Bound, v.TPUMinutes, v.Jobs)}
	line := " "
	for i, s := range v.steps() {
		next := " " + s
		if i > 0 {
			next = " → " + s
		}
		if i > 0 && utf8.RuneCountInString(line+next) > report.Width {
			lines = append(lines, line)
			line = " "
		}
		line += next
	}
	lines = append(lines, line)
	return strings.Join(lines, "\n")
}

// pathText renders the path: "lint 5.0 (lint, 1 job) → e2e 60.0 (e2e-1, 1 job) → ...".
func (v Verdict) pathText() string { return strings.Join(v.steps(), " → ") }

func (v Verdict) steps() []string {
	var parts []string
	for _, s := range v.Path {
		unit := "jobs"
		if s.Jobs == 1 {
			unit = "job"
		}
		parts = append(parts, fmt.Sprintf("%s %.1f (%s, %d %s)", s.Target, s.Minutes, s.Job, s.Jobs, unit))
	}
	if len(parts) == 0 {
		return []string{"nothing runs"}
	}
	return parts
}
