package triage

import (
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/failclass"
)

func TestDecide(t *testing.T) {
	now := day(0)
	h := History{
		Latest: map[string]Verdict{
			"t/main_red.py": {Test: "t/main_red.py", Commit: "0123456789abcdef", Outcome: Failed, Fingerprint: "fpM", RunID: "77"},
			"t/other.py":    {Test: "t/other.py", Commit: "c2", Outcome: Failed, Fingerprint: "fpOther"},
			"t/green.py":    {Test: "t/green.py", Commit: "c2", Outcome: Passed},
			"t/slow.py":     {Test: "t/slow.py", Commit: "c2", Outcome: Failed, Fingerprint: "fpSlow"},
		},
		Flakes: map[string]FlakeStat{"t/flaky.py::T.test_x": {Flaky: 3, Verdicts: 30}, "t/green.py": {0, 30}},
	}
	q := []Quarantine{
		{Test: "t/muted.py", Reason: "hangs", Owner: "@o", Issue: "#1", Expires: day(2).Truncate(24 * time.Hour)},
		{Test: "t/old.py", Reason: "r", Owner: "@o", Issue: "#2", Expires: day(-1).Truncate(24 * time.Hour)},
	}
	f := func(test string, class failclass.Class, fp string) Failure {
		file, _, _ := strings.Cut(test, "::")
		return Failure{Target: "unitTest1", Test: test, File: file, Class: class, Fingerprint: fp, Message: "boom"}
	}
	passed := func(x Failure) Failure { x.Passed, x.Retries = true, 1; return x }
	blocks := policy
	blocks.MainRedBlocks = true
	for _, tc := range []struct {
		name    string
		f       Failure
		changed []string
		p       Policy
		want    failclass.Class
		gates   bool
		why     string
	}{
		{"quarantined file", f("t/muted.py", failclass.CaseCrash, "x"), nil, policy, failclass.Quarantined, false,
			"quarantined until 2030-03-03 (@o, #1): hangs"},
		{"quarantined file covers its case", f("t/muted.py::T.test_a", failclass.CaseCrash, "x"), nil, policy,
			failclass.Quarantined, false, "quarantined"},
		{"quarantined but the change touches it", f("t/muted.py", failclass.CaseCrash, "x"), []string{"t/muted.py"},
			policy, failclass.NewFailure, true, "new: no result on main"},
		{"expired quarantine", f("t/old.py", failclass.CaseCrash, "x"), nil, policy, failclass.NewFailure, true, "new"},
		{"quarantine beats infrastructure", f("t/muted.py", failclass.Infra, "x"), nil, policy, failclass.Quarantined,
			false, "quarantined"},
		{"infrastructure", f("t/green.py", failclass.Infra, "x"), nil, policy, failclass.Infra, true,
			"infrastructure, not the code: rerun (boom)"},
		{"pods never ready is infrastructure", f("multiHost:mh", failclass.Readiness, "x"), nil, policy, failclass.Infra,
			true, "infrastructure"},
		{"infrastructure beats main's failure", f("t/main_red.py", failclass.Infra, "fpM"), nil, policy,
			failclass.Infra, true, "infrastructure"},
		{"already failing on main", f("t/main_red.py", failclass.CaseCrash, "fpM"), nil, policy,
			failclass.MainFailing, false, "main fails the same at 0123456789 (run 77)"},
		{"main's failure, change touches the test", f("t/main_red.py", failclass.CaseCrash, "fpM"),
			[]string{"t/main_red.py"}, policy, failclass.MainFailing, true, "the change touches t/main_red.py"},
		{"main's failure under main_red_blocks", f("t/main_red.py", failclass.CaseCrash, "fpM"), nil, blocks,
			failclass.MainFailing, true, "main_red_blocks"},
		{"main fails differently: new", f("t/other.py", failclass.CaseCrash, "fpMine"), nil, policy,
			failclass.NewFailure, true, "new: main fails differently at c2"},
		{"a timeout main has too", f("t/slow.py", failclass.Timeout, "fpSlow"), nil, policy, failclass.MainFailing,
			false, "main fails the same"},
		{"a timeout keeps its class", f("t/green.py", failclass.Timeout, "fpT"), nil, policy, failclass.Timeout, true,
			"timeout: main passed at c2"},
		{"a threshold keeps its class, even when known flaky", f("t/flaky.py::T.test_x", failclass.Threshold, "fp"),
			nil, policy, failclass.Threshold, true, "threshold"},
		{"known flaky case", f("t/flaky.py::T.test_x", failclass.CaseCrash, "fp"), nil, policy, failclass.Flaky, false,
			"known flaky on main: 3 of 30 verdicts"},
		{"known flaky file by its case", f("t/flaky.py", failclass.CaseCrash, "fp"), nil, policy, failclass.Flaky, false,
			"3 of 30 verdicts of t/flaky.py::T.test_x"},
		{"known flaky, change touches it", f("t/flaky.py::T.test_x", failclass.CaseCrash, "fp"), []string{"t/flaky.py"},
			policy, failclass.Flaky, true, "the change touches t/flaky.py"},
		{"new", f("t/green.py", failclass.CaseCrash, "fpNew"), nil, policy, failclass.NewFailure, true,
			"new: main passed at c2"},
		{"a flaky pass never gates", passed(f("t/green.py", failclass.CaseCrash, "fpNew")), nil, policy,
			failclass.NewFailure, false, "passed on retry 1; new"},
		{"a flaky pass of infrastructure", passed(f("t/green.py", failclass.Infra, "x")), nil, policy, failclass.Infra,
			false, "passed on retry 1; infrastructure"},
	} {
		d := Decide(tc.f, h, q, tc.changed, tc.p, now)
		if d.Triage != tc.want || d.Gates != tc.gates || !strings.Contains(d.Why, tc.why) {
			t.Errorf("%s: got %s gates=%v %q, want %s gates=%v %q", tc.name, d.Triage, d.Gates, d.Why, tc.want, tc.gates, tc.why)
		}
		if d.Triage == failclass.MainFailing && (d.Main == nil || d.Main.Commit == "") {
			t.Errorf("%s: main's verdict missing", tc.name)
		}
	}
}

func TestJudge(t *testing.T) {
	d := func(c failclass.Class, gates, passed bool) Decision {
		return Decision{Failure: Failure{Passed: passed}, Triage: c, Gates: gates}
	}
	blocks := policy
	blocks.MainRedBlocks = true
	for _, tc := range []struct {
		name string
		ds   []Decision
		p    Policy
		want Outcome
		code int
	}{
		{"nothing failed", nil, policy, Green, 0},
		{"only flaky passes and quarantined", []Decision{d(failclass.NewFailure, false, true),
			d(failclass.Quarantined, false, false)}, policy, Green, 0},
		{"a new failure", []Decision{d(failclass.MainFailing, false, false), d(failclass.NewFailure, true, false)},
			policy, ChangeFailing, 1},
		{"a timeout", []Decision{d(failclass.Timeout, true, false)}, policy, ChangeFailing, 1},
		{"change failing beats infrastructure", []Decision{d(failclass.Infra, true, false),
			d(failclass.Threshold, true, false)}, policy, ChangeFailing, 1},
		{"infrastructure", []Decision{d(failclass.Infra, true, false), d(failclass.MainFailing, false, false)},
			policy, InfraRerun, 1},
		{"only main's reds", []Decision{d(failclass.MainFailing, false, false), d(failclass.Flaky, false, false)},
			policy, OnlyMainReds, 0},
		{"only main's reds, main_red_blocks", []Decision{d(failclass.MainFailing, true, false)}, blocks,
			OnlyMainReds, 1},
		{"main's red on a touched test", []Decision{d(failclass.MainFailing, true, false)}, policy, ChangeFailing, 1},
		{"a touched known flaky test", []Decision{d(failclass.Flaky, true, false)}, policy, ChangeFailing, 1},
	} {
		o, code := Judge(tc.ds, tc.p)
		if o != tc.want || code != tc.code {
			t.Errorf("%s: %q %d, want %q %d", tc.name, o, code, tc.want, tc.code)
		}
	}
}

func TestPolicyAndQuarantineOfConfig(t *testing.T) {
	if p := PolicyOf(nil); p.FlakyWindow != 14*24*time.Hour || p.FlakyVerdicts != 100 || p.FlakyMin != 2 ||
		p.FlakyRate != 0.01 || p.Retries != 2 || p.MainRedBlocks || p.UnquarantineRun != 30 {
		t.Errorf("defaults: %+v", p)
	}
	c, err := config.Parse("tpuci.toml", []byte(`[triage]
flaky_days = 7
retries = 0
main_red_blocks = true

[[suite]]
name = "u"
target = "unitTest1"
files = [ { path = "t/a.py", minutes = 1 } ]

[[quarantine]]
test = "t/a.py"
reason = "r"
owner = "@o"
issue = "#3"
expires = 2030-03-02
`))
	if err != nil {
		t.Fatal(err)
	}
	p := PolicyOf(c)
	if p.FlakyWindow != 7*24*time.Hour || p.Retries != 0 || !p.MainRedBlocks || p.FlakyMin != 2 {
		t.Errorf("policy %+v", p)
	}
	q := QuarantineOf(c)
	if len(q) != 1 || q[0].Line != 11 || q[0].Expires.Format(time.DateOnly) != "2030-03-02" {
		t.Fatalf("quarantine %+v", q)
	}
	// It holds through its last day, UTC.
	last := time.Date(2030, 3, 2, 23, 59, 0, 0, time.UTC)
	if !q[0].Holds(last) || q[0].Holds(last.Add(time.Minute)) {
		t.Error("expiry is not the end of the last day")
	}
}
