package ci

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/report"
)

func suiteTarget(name string, parts int, minutes ...float64) Target {
	t := Target{Name: name, Run: true}
	s := Suite{Name: name + "-suite"}
	for i, m := range minutes {
		s.Selected = append(s.Selected, Pick{Path: name + string(rune('a'+i)), Minutes: m})
	}
	t.Suites = []Suite{s}
	t.Matrix = partsOf(s.Name, s.Name, parts, 1, "r")
	return t
}

func pathOf(v Verdict) []string {
	var out []string
	for _, s := range v.Path {
		out = append(out, s.Target)
	}
	return out
}

func TestCriticalPathFollowsNeeds(t *testing.T) {
	cfg := testConfig(t)
	lint := Target{Name: "lint", Run: true}
	targets := []Target{lint, suiteTarget("unitTest1", 2, 4, 3, 3), suiteTarget("e2e", 1, 10),
		suiteTarget("pallas", 1, 2), suiteTarget("perf", 1, 3), suiteTarget("unitTest4", 2, 6, 6), suiteTarget("accuracy", 1, 5)}
	v := Critical(cfg, targets)
	// lint 5, unitTest1 6 (4+... split 4 | 3+3), e2e 10, perf 3, unitTest4 6
	if v.Minutes != 30 || !slices.Equal(pathOf(v), []string{"lint", "unitTest1", "e2e", "perf", "unitTest4"}) {
		t.Errorf("verdict %v", v)
	}
	if v.Bound != 28 { // unitTest1's largest file is 4
		t.Errorf("bound %v, want 28", v.Bound)
	}
	// Pallas runs beside the tests after lint and nothing waits for it:
	// a long one is the critical path on its own.
	targets[3] = suiteTarget("pallas", 1, 40)
	v = Critical(cfg, targets)
	if v.Minutes != 45 || !slices.Equal(pathOf(v), []string{"lint", "pallas"}) {
		t.Errorf("long pallas: %v", v)
	}
	targets[3] = suiteTarget("pallas", 1, 20)
	if v = Critical(cfg, targets); v.Minutes != 30 || !slices.Equal(pathOf(v), []string{"lint", "unitTest1", "e2e", "perf", "unitTest4"}) {
		t.Errorf("pallas longer than unitTest1 and e2e, shorter than the tests: %v", v)
	}
	// A target that does not run takes no time, but what follows it still
	// waits for what it needs.
	targets[2].Run = false
	targets[3] = suiteTarget("pallas", 1, 1)
	v = Critical(cfg, targets)
	if v.Minutes != 20 || !slices.Equal(pathOf(v), []string{"lint", "unitTest1", "perf", "unitTest4"}) {
		t.Errorf("e2e skipped: %v", v)
	}
}

func TestJobMinutesSizesUnpinnedSuites(t *testing.T) {
	cfg := testConfig(t)
	cfg.CI.JobMinutes = 4
	p, err := Make(cfg, Input{Event: EventPush}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	jobs := map[string]int{}
	for _, tg := range p.Targets {
		for _, e := range tg.Matrix {
			jobs[e.Suite]++
		}
	}
	// unit-1 pins 3 partitions; e2e-1 (10 and 5 minutes) cannot go below
	// its largest file, so it takes 2 jobs of 10 and 5 rather than 1 of 15.
	if jobs["unit-1"] != 3 || jobs["e2e-1"] != 2 || jobs["unit-cpu"] != 1 {
		t.Errorf("jobs per suite %v", jobs)
	}
	e2e := p.Verdict.Path[slices.IndexFunc(p.Verdict.Path, func(s Step) bool { return s.Target == "e2e" })]
	if e2e.Minutes != 10 || e2e.Jobs != 2 {
		t.Errorf("e2e on the critical path: %+v", e2e)
	}
	// The same suites measured: the median durations size the jobs.
	p, err = Make(cfg, Input{Event: EventPush}, nil, Options{Measured: map[string]float64{"test/srt/test_server.py": 2, "test/srt/test_eval.py": 2}})
	if err != nil {
		t.Fatal(err)
	}
	// 2+2 minutes fit one 4-minute job, but the stage's longest file is 2
	// minutes: one job would double the stage, two keep it at its file.
	if e, _ := p.Target("e2e"); len(e.Matrix) != 2 {
		t.Errorf("measured 2+2 minutes under a 4-minute budget: %d jobs, want 2 of 2 minutes", len(e.Matrix))
	}
}

// TestJobMinutesFollowTheStage shows the stage rule on a full run: under a
// 12-minute budget unit-4 (6 and 3 minutes) fits one job of 9, which would
// hold unitTest4 half again past its 6-minute file; it takes two jobs, and
// the time to verdict stays within StageSlack of the largest-file bound.
func TestJobMinutesFollowTheStage(t *testing.T) {
	cfg := testConfig(t)
	cfg.CI.JobMinutes = 12
	for i := range cfg.Suites {
		cfg.Suites[i].Pinned = false
	}
	p, err := Make(cfg, Input{Event: EventPush}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	u4, _ := p.Target("unitTest4")
	if len(u4.Matrix) != 2 {
		t.Errorf("unitTest4: %d jobs, want 2", len(u4.Matrix))
	}
	if st := longest(cfg, *u4); st.Minutes != 6 {
		t.Errorf("unitTest4's longest job %.1f minutes, want 6", st.Minutes)
	}
	if v := p.Verdict; v.Minutes > v.Bound*1.1 {
		t.Errorf("time to verdict %.1f more than 10%% past its bound %.1f", v.Minutes, v.Bound)
	}
	var text bytes.Buffer
	Explain(&text, p, true)
	golden(t, "push_job_minutes.txt", text.Bytes())
}

// TestSGLangJAXVerdictWithJobMinutes sizes SGLang-JAX's suites (the
// embedded default, its run_suite.py estimates) with job_minutes = 15 and
// no pinned partitions: a full run's time to verdict stays within 10% of
// its largest-file bound.
func TestSGLangJAXVerdictWithJobMinutes(t *testing.T) {
	cfg, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg.CI.JobMinutes = 15
	for i := range cfg.Suites {
		cfg.Suites[i].Pinned = false
	}
	p, err := Make(cfg, Input{Event: EventPush}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := p.Verdict
	t.Logf("job_minutes 15: %s", v)
	for _, tg := range p.Targets {
		for _, s := range tg.Suites {
			t.Logf("  %s: %d jobs", s.Name, jobsOf(tg.Matrix, s.Name))
		}
	}
	if v.Minutes > v.Bound*(1+partition.StageSlack) {
		t.Errorf("time to verdict %.1f min is more than %.0f%% past its largest-file bound %.1f", v.Minutes, 100*partition.StageSlack, v.Bound)
	}
}

// The critical path goes on lines of its own under the figures, broken
// only before an arrow, so that no step is cut and every line fits.
func TestVerdictTextBreaksBetweenSteps(t *testing.T) {
	v := Verdict{Minutes: 90, Bound: 80, TPUMinutes: 200, Jobs: 20}
	for _, n := range []string{"lint", "unitTest1", "e2e", "perf", "accuracy", "unitTest4", "pallas"} {
		v.Path = append(v.Path, Step{Target: n, Job: n + "-suite", Jobs: 2, Minutes: 10})
	}
	lines := strings.Split(v.text("time to verdict: "), "\n")
	if len(lines) < 3 || lines[0] != "time to verdict: 90.0 min (largest-file bound 80.0), 200.0 TPU-minutes, 20 jobs:" {
		t.Fatalf("got:\n%s", strings.Join(lines, "\n"))
	}
	var path []string
	for i, l := range lines[1:] {
		if !strings.HasPrefix(l, "  ") || (i > 0) != strings.HasPrefix(l, "  → ") || !report.Fits(l) {
			t.Errorf("line %d: %q", i+2, l)
		}
		path = append(path, strings.TrimSpace(l))
	}
	if strings.Join(path, " ") != v.pathText() {
		t.Errorf("path %q, want %q", strings.Join(path, " "), v.pathText())
	}
	if got := (Verdict{}).text("a full run:      "); !strings.HasSuffix(got, " 0 jobs:\n  nothing runs") {
		t.Errorf("empty path: %q", got)
	}
}
