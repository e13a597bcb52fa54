package ci

import (
	"slices"
	"testing"
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
	// Pallas runs beside the tests after lint: when it is longer than
	// unitTest1 and e2e together, perf waits for it.
	targets[3] = suiteTarget("pallas", 1, 40)
	v = Critical(cfg, targets)
	if v.Minutes != 54 || !slices.Equal(pathOf(v), []string{"lint", "pallas", "perf", "unitTest4"}) {
		t.Errorf("long pallas: %v", v)
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
	if e, _ := p.Target("e2e"); len(e.Matrix) != 1 {
		t.Errorf("measured 2+2 minutes under a 4-minute budget: %d jobs", len(e.Matrix))
	}
}
