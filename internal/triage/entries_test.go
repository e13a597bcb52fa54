package triage

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/failclass"
	"github.com/sgl-project/tpuci/internal/report"
)

// suiteStage is a suite stage's record as the runner writes it.
func suiteStage() *report.TargetResult {
	return &report.TargetResult{Target: "unitTest1", Status: report.Failed, Cases: []report.Case{
		// A python file that passed: its own case only.
		{Name: "t/a.py", Class: "unit", File: "t/a.py", Status: report.Passed},
		// A pytest file: its tests, no file case.
		{Name: "t.test_b.T::test_ok", Class: "unit", File: "t/test_b.py", Status: report.Passed},
		{Name: "t.test_b.T::test_bad", Class: "unit", File: "t/test_b.py", Line: 9, Status: report.Failed,
			Message: "AssertionError: assert 1 == 2\nmore", Output: "trace"},
		// Rerun after a tagged infrastructure exit, then passed: flaky.
		{Name: "t/c.py", Class: "unit", File: "t/c.py", Status: report.Passed, Reruns: 1,
			Attempts: []report.Attempt{{Status: report.Errored, Message: "t/c.py: exit code 10"}}},
		{Name: "t/d.py", Class: "unit", File: "t/d.py", Status: report.Errored,
			Message: "t/d.py: timed out after 1m0s (after 1 rerun(s); earlier logs: x)"},
		{Name: "t/e.py", Class: "unit", File: "t/e.py", Status: report.Failed, Message: "t/e.py: exit code 1",
			Output: "jax: ABORTED: The TPU is already in use by process 4242"},
		// unittest methods.
		{Name: "test_f.F.test_x", Class: "unit", File: "t/test_f.py", Status: report.Failed, Message: "FAIL"},
		{Name: "t/g.py", Class: "unit", File: "t/g.py", Status: report.Skipped, Message: "other partition"},
		// A pytest file whose process timed out after a test failed.
		{Name: "t.test_h.H::test_1", Class: "unit", File: "t/test_h.py", Status: report.Failed, Message: "E1"},
		{Name: "t/test_h.py", Class: "unit", File: "t/test_h.py", Status: report.Errored,
			Message: "t/test_h.py: timed out after 2m0s"},
		// A placeholder of suites that did not run.
		{Name: "unitTest1 suites", Class: "unitTest1", Status: report.Skipped},
	}}
}

func gateStage() *report.TargetResult {
	return &report.TargetResult{Target: "perf", Status: report.Failed, Cases: []report.Case{
		{Name: "p1", Class: "perf.sim", Status: report.Failed, Message: "median_ttft_ms 120.5 > limit 110.0"},
		{Name: "p2", Class: "perf.sim", Status: report.Failed,
			Message: "server sim: exited before it was ready: exit code 1"},
		{Name: "gmm/m128", Class: "pallas.gmm", File: "bench/gmm.py", Status: report.Failed, Message: "time_ms 2.1 > 1.9"},
		{Name: "gmm/m256", Class: "pallas.gmm", File: "bench/gmm.py", Status: report.Passed},
		{Name: "fa", Class: "pallas.fa", File: "bench/fa.py", Status: report.Failed, Message: "exit code 1"},
		{Name: "mh", Class: "multiHost", Status: report.Failed, Message: "threshold (retry: no): rank 2 exited 20"},
		{Name: "mh/rank-2", Class: "multiHost.mh", Status: report.Failed, Message: "exit 20"},
		{Name: "gsm", Class: "accuracy.gsm8k", File: "b/acc.toml", Status: report.Errored,
			Message: "case timed out after 10m0s (raise timeout in its [[accuracy.case]])"},
		// A suite file of a case stage.
		{Name: "t/s.py", Class: "perf-suite", File: "t/s.py", Status: report.Passed},
	}}
}

func entryText(e Entry) string {
	s := fmt.Sprintf("%s %s file=%s", e.Test, e.Outcome, e.File)
	if e.Class != "" {
		s += " " + string(e.Class)
	}
	if e.Attempts > 1 {
		s += fmt.Sprintf(" attempts=%d", e.Attempts)
	}
	return s
}

func TestEntriesOf(t *testing.T) {
	for _, tc := range []struct {
		tr   *report.TargetResult
		want []string
	}{
		{suiteStage(), []string{
			"t/a.py passed file=t/a.py",
			"t/test_b.py failed file=t/test_b.py case-crash",
			"t/test_b.py::T::test_ok passed file=t/test_b.py",
			"t/test_b.py::T::test_bad failed file=t/test_b.py case-crash",
			"t/c.py flaky file=t/c.py infra attempts=2",
			"t/d.py failed file=t/d.py timeout",
			"t/e.py failed file=t/e.py infra",
			"t/test_f.py failed file=t/test_f.py case-crash",
			"t/test_f.py::F.test_x failed file=t/test_f.py case-crash",
			"t/test_h.py failed file=t/test_h.py timeout",
			"t/test_h.py::H::test_1 failed file=t/test_h.py case-crash",
		}},
		{gateStage(), []string{
			"perf:p1 failed file=perf:p1 threshold",
			"perf:p2 failed file=perf:p2 infra",
			"pallas:gmm failed file=bench/gmm.py threshold",
			"pallas:gmm::gmm/m128 failed file=bench/gmm.py threshold",
			"pallas:gmm::gmm/m256 passed file=bench/gmm.py",
			"pallas:fa failed file=bench/fa.py case-crash",
			"multiHost:mh failed file=multiHost:mh threshold",
			"accuracy:gsm failed file=b/acc.toml timeout",
			"t/s.py passed file=t/s.py",
		}},
	} {
		es := EntriesOf(tc.tr)
		var got []string
		for _, e := range es {
			got = append(got, entryText(e))
			if (e.Outcome == Passed) != (e.Fingerprint == "") {
				t.Errorf("%s: fingerprint %q", e.Test, e.Fingerprint)
			}
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s entries:\n%s\nwant:\n%s", tc.tr.Target, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}

func TestFingerprints(t *testing.T) {
	es := EntriesOf(suiteStage())
	byTest := map[string]Entry{}
	for _, e := range es {
		byTest[e.Test] = e
	}
	bad := byTest["t/test_b.py::T::test_bad"]
	if bad.Fingerprint != Fingerprint("t/test_b.py::T::test_bad", "AssertionError: assert 1 == 2") ||
		bad.Message != "AssertionError: assert <n> == <n>" {
		t.Errorf("case entry %+v", bad)
	}
	// The file failed by its test is fingerprinted by that test's failure,
	// so that the same failure on main matches at the file level too.
	if f := byTest["t/test_b.py"]; f.Fingerprint != Fingerprint("t/test_b.py", "T::test_bad: AssertionError: assert 1 == 2") {
		t.Errorf("file entry %+v", f)
	}
	// The same failure with other numbers, paths and addresses is one
	// fingerprint; another error line is another.
	a := Fingerprint("t/x.py", "ValueError: shape (3, 4) at 0x7f00deadbeef in /tmp/run-1234/a/b.py")
	b := Fingerprint("t/x.py", "ValueError: shape (8, 1) at 0x7f11cafef00d in /tmp/run-9/a/b.py")
	c := Fingerprint("t/x.py", "TypeError: shape (3, 4)")
	if a != b || a == c || len(a) != 16 {
		t.Errorf("fingerprints %s %s %s", a, b, c)
	}
}

func TestFailuresOf(t *testing.T) {
	var got []string
	for _, tr := range []*report.TargetResult{suiteStage(), gateStage()} {
		for _, f := range FailuresOf(tr, "job-1") {
			if f.Job != "job-1" || f.Target != tr.Target || f.Fingerprint == "" {
				t.Errorf("failure %+v", f)
			}
			s := fmt.Sprintf("%s %s", f.Test, f.Class)
			if f.Passed {
				s += fmt.Sprintf(" passed after %d", f.Retries)
			}
			got = append(got, s)
		}
	}
	want := []string{
		"t/test_b.py::T::test_bad case-crash", // the failed test stands for its file
		"t/c.py infra passed after 1",
		"t/d.py timeout",
		"t/e.py infra",
		"t/test_f.py::F.test_x case-crash",
		"t/test_h.py::H::test_1 case-crash", // and a file that crashed after it is listed too
		"t/test_h.py timeout",
		"perf:p1 threshold",
		"perf:p2 infra",
		"pallas:gmm::gmm/m128 threshold",
		"pallas:fa case-crash",
		"multiHost:mh threshold",
		"accuracy:gsm timeout",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("failures:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A stage that failed before any case ran is one failure of the target.
	tr := &report.TargetResult{Target: "e2e", Status: report.Errored,
		Reason: "host lock: the TPUs are in use by tpuci unitTest4 (pid 7)"}
	fs := FailuresOf(tr, "")
	if len(fs) != 1 || fs[0].Test != "e2e" || fs[0].Class != failclass.Infra {
		t.Errorf("stage failure: %+v", fs)
	}
	if len(EntriesOf(tr)) != 0 {
		t.Error("a stage without cases recorded entries")
	}
}

// A rerun's record carries over the results it did not run again; they
// were recorded with their own attempt and are not recorded twice.
func TestEntriesOfSkipsCarriedOver(t *testing.T) {
	tr := &report.TargetResult{Target: "unitTest1", Status: report.Passed, Cases: []report.Case{
		{Name: "t/a.py", Class: "unit", File: "t/a.py", Status: report.Passed, CarriedOver: "attempts/1"},
		{Name: "t/b.py", Class: "unit", File: "t/b.py", Status: report.Passed,
			Attempts: []report.Attempt{{Status: report.Failed, Message: "t/b.py: exit code 1"}}},
	}}
	got := EntriesOf(tr)
	if len(got) != 1 || got[0].Test != "t/b.py" || got[0].Outcome != Flaky {
		t.Fatalf("entries: %+v; want only t/b.py, flaky", got)
	}
}
