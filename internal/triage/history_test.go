package triage

import (
	"fmt"
	"testing"
	"time"
)

// t0 is an arbitrary instant the tests count from.
var t0 = time.Date(2030, 3, 1, 12, 0, 0, 0, time.UTC)

func day(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }

func ent(test, outcome, fp string) Entry {
	return Entry{Test: test, File: test, Outcome: outcome, Fingerprint: fp}
}

func mainRun(commit string, at time.Time, es ...Entry) Run {
	return Run{Commit: commit, Ref: "main", Event: "push", RunID: "r-" + commit, Target: "unitTest1", Date: at, Entries: es}
}

var policy = Policy{FlakyWindow: 14 * 24 * time.Hour, FlakyVerdicts: 100, FlakyMin: 2, FlakyRate: 0.01, Retries: 2,
	UnquarantineRun: 30}

func TestBuildCommitVerdicts(t *testing.T) {
	for _, tc := range []struct {
		name    string
		runs    []Run
		test    string
		latest  string // outcome of main's latest verdict
		commit  string
		fp, run string
		flaky   FlakeStat
	}{
		{"failed then passed on one commit is flaky",
			[]Run{mainRun("c1", day(0), ent("a.py", Failed, "f1")), mainRun("c1", day(0).Add(time.Hour), ent("a.py", Passed, ""))},
			"a.py", Flaky, "c1", "f1", "r-c1", FlakeStat{Flaky: 1, Verdicts: 1}},
		{"a flaky entry is a flaky verdict",
			[]Run{mainRun("c1", day(0), ent("a.py", Flaky, "f1"))}, "a.py", Flaky, "c1", "f1", "r-c1", FlakeStat{1, 1}},
		{"latest verdict is the last commit's, failed with its fingerprint and run",
			[]Run{mainRun("c1", day(0), ent("a.py", Passed, "")), mainRun("c2", day(1), ent("a.py", Failed, "f2"))},
			"a.py", Failed, "c2", "f2", "r-c2", FlakeStat{0, 2}},
		{"a failed commit names the failing run, not a later failing one",
			[]Run{mainRun("c1", day(0), ent("a.py", Failed, "f1")),
				{Commit: "c1", Ref: "nightly", RunID: "n1", Target: "unitTest1", Date: day(0).Add(time.Hour),
					Entries: []Entry{ent("a.py", Failed, "f1")}}},
			"a.py", Failed, "c1", "f1", "n1", FlakeStat{0, 1}},
		{"pull requests and manual runs do not count",
			[]Run{mainRun("c1", day(0), ent("a.py", Passed, "")),
				{Commit: "c9", Ref: "pr/7", Target: "unitTest1", Date: day(1), Entries: []Entry{ent("a.py", Failed, "x")}},
				{Commit: "c8", Ref: "manual", Target: "unitTest1", Date: day(2), Entries: []Entry{ent("a.py", Failed, "x")}}},
			"a.py", Passed, "c1", "", "r-c1", FlakeStat{0, 1}},
		{"skipped entries are no verdict",
			[]Run{mainRun("c1", day(0), ent("a.py", Passed, "")), mainRun("c2", day(1), ent("a.py", Skipped, ""))},
			"a.py", Passed, "c1", "", "r-c1", FlakeStat{0, 1}},
		{"out-of-order runs are ordered by date",
			[]Run{mainRun("c2", day(1), ent("a.py", Failed, "f2")), mainRun("c1", day(0), ent("a.py", Passed, ""))},
			"a.py", Failed, "c2", "f2", "r-c2", FlakeStat{0, 2}},
	} {
		h := Build(tc.runs, day(3), policy)
		got := h.Latest[tc.test]
		if got.Outcome != tc.latest || got.Commit != tc.commit || got.Fingerprint != tc.fp || got.RunID != tc.run {
			t.Errorf("%s: latest %+v, want %s at %s fp %q run %s", tc.name, got, tc.latest, tc.commit, tc.fp, tc.run)
		}
		if h.Flakes[tc.test] != tc.flaky {
			t.Errorf("%s: flakes %+v, want %+v", tc.name, h.Flakes[tc.test], tc.flaky)
		}
	}
}

// flakyHistory makes n commits of main, one a day ending at day(0), each
// with test a.py flaky when flaky(i).
func flakyHistory(n int, flaky func(i int) bool) []Run {
	var runs []Run
	for i := range n {
		c := fmt.Sprintf("c%03d", i)
		at := day(-n + 1 + i)
		runs = append(runs, mainRun(c, at, ent("a.py", Failed, "f")))
		if flaky(i) {
			runs = append(runs, mainRun(c, at.Add(time.Minute), ent("a.py", Passed, "")))
		} else {
			runs[len(runs)-1].Entries[0] = ent("a.py", Passed, "")
		}
	}
	return runs
}

func TestFlakeWindow(t *testing.T) {
	every := func(k int) func(int) bool { return func(i int) bool { return i%k == 0 } }
	for _, tc := range []struct {
		name  string
		runs  []Run
		p     Policy
		want  FlakeStat
		known bool
	}{
		// 20 daily commits, every 5th flaky; the 14-day window keeps the last 14.
		{"window by days", flakyHistory(20, every(5)), policy, FlakeStat{Flaky: 2, Verdicts: 14}, true},
		{"window by last N verdicts", flakyHistory(20, every(5)), Policy{FlakyWindow: 0, FlakyVerdicts: 6, FlakyMin: 2,
			FlakyRate: 0.01}, FlakeStat{Flaky: 1, Verdicts: 6}, false},
		{"one flaky verdict is below flaky_min", flakyHistory(10, func(i int) bool { return i == 9 }), policy,
			FlakeStat{Flaky: 1, Verdicts: 10}, false},
		{"two flaky verdicts below the rate", flakyHistory(10, every(5)), Policy{FlakyWindow: 14 * 24 * time.Hour,
			FlakyVerdicts: 100, FlakyMin: 2, FlakyRate: 0.25}, FlakeStat{Flaky: 2, Verdicts: 10}, false},
		{"two flaky verdicts at the rate", flakyHistory(10, every(5)), Policy{FlakyWindow: 14 * 24 * time.Hour,
			FlakyVerdicts: 100, FlakyMin: 2, FlakyRate: 0.2}, FlakeStat{Flaky: 2, Verdicts: 10}, true},
	} {
		h := Build(tc.runs, day(0).Add(time.Hour), tc.p)
		if h.Flakes["a.py"] != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, h.Flakes["a.py"], tc.want)
		}
		if got := h.KnownFlaky("a.py", tc.p); got != tc.known {
			t.Errorf("%s: KnownFlaky %v, want %v", tc.name, got, tc.known)
		}
	}
}

func TestKnownFlakyFileByItsCase(t *testing.T) {
	h := History{Flakes: map[string]FlakeStat{
		"t/a.py::T.test_x": {Flaky: 3, Verdicts: 40},
		"t/a.py":           {Flaky: 0, Verdicts: 40},
		"t/ab.py":          {Flaky: 0, Verdicts: 40},
	}}
	for test, want := range map[string]bool{"t/a.py": true, "t/a.py::T.test_x": true, "t/a.py::T.test_y": false,
		"t/ab.py": false, "t/a": false} {
		if got := h.KnownFlaky(test, policy); got != want {
			t.Errorf("KnownFlaky(%s) = %v, want %v", test, got, want)
		}
	}
	// A case of a file that flakes as a whole is known flaky in Decide.
	h = History{Flakes: map[string]FlakeStat{"t/a.py": {Flaky: 2, Verdicts: 10}}}
	if _, _, ok := h.flakyFor("t/a.py::T.test_y", policy); !ok {
		t.Error("a case of a flaky file is not known flaky")
	}
}
