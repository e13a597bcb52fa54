package rerun

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/report"
)

func cfg() *config.Config {
	return &config.Config{Suites: []config.Suite{{Name: "u", Target: "unitTest1", Files: []config.File{
		{Path: "t/test_a.py"}, {Path: "t/test_b.py", Runner: "pytest"}, {Path: "t/test_c.py"},
	}}, {Name: "p", Target: "perf", Files: []config.File{{Path: "t/test_p.py"}}}}}
}

// What an earlier record makes a stage run again: the failed files, or
// only the failed tests of a file whose own case did not fail; what a
// partial record did not run; case names and kernels of case stages; the
// whole stage when the record cannot say, or for lint.
func TestSelect(t *testing.T) {
	u := &report.TargetResult{Target: "unitTest1", Status: report.Failed, Cases: []report.Case{
		{Name: "t/test_a.py", Class: "u", File: "t/test_a.py", Status: report.Errored},
		{Name: "t.test_b::test_x", Class: "u", File: "t/test_b.py", Status: report.Failed},
		{Name: "t.test_b::test_y", Class: "u", File: "t/test_b.py", Status: report.Passed},
		{Name: "t/test_c.py", Class: "u", File: "t/test_c.py", Status: report.Passed},
	}}
	sel := Select("attempts/1", u, cfg())
	if sel.Whole || sel.Describe() != "2 file(s): t/test_a.py, t/test_b.py::test_x" {
		t.Fatalf("%+v: %s", sel, sel.Describe())
	}
	for i, want := range []bool{true, true, false, false} {
		if got := sel.Covers(u.Cases[i]); got != want {
			t.Errorf("covers %s: %v", u.Cases[i].Name, got)
		}
	}
	odd := *u
	odd.Cases = append([]report.Case{{Name: "t.test_b::test_p[a b]", Class: "u", File: "t/test_b.py", Status: report.Failed}}, u.Cases...)
	if sel := Select("", &odd, cfg()); sel.Describe() != "2 file(s): t/test_b.py, t/test_a.py" {
		t.Errorf("a test name with a space: %s", sel.Describe())
	}
	u.Partial = true
	u.Cases[3].Status, u.Cases[3].Message = report.Skipped, "not run: interrupted"
	if sel := Select("", u, cfg()); len(sel.Files) != 3 {
		t.Errorf("partial: %s", sel.Describe())
	}
	for _, c := range []struct {
		rec  report.TargetResult
		want string
	}{
		{report.TargetResult{Target: "unitTest1", Status: report.Passed}, ""},
		{report.TargetResult{Target: "unitTest1", Status: report.Skipped, Reason: "no suite fits this host"}, ""},
		{report.TargetResult{Target: "unitTest1", Status: report.Skipped, Reason: "not run: lint did not pass"}, "the whole stage"},
		{report.TargetResult{Target: "unitTest1", Status: report.Errored, Reason: "bad setting"}, "the whole stage"},
		{report.TargetResult{Target: "lint", Status: report.Failed, Cases: []report.Case{{Name: "x.py:1", Status: report.Failed}}}, "the whole stage"},
		{report.TargetResult{Target: "pallas", Status: report.Failed, Cases: []report.Case{{Name: "gmm/small", Class: "pallas.gmm", Status: report.Failed}}}, "1 kernel(s): gmm"},
		{report.TargetResult{Target: "perf", Status: report.Failed, Cases: []report.Case{{Name: "c1", Class: "perf.s", Status: report.Failed},
			{Name: "t/test_p.py", Class: "p", File: "t/test_p.py", Status: report.Failed}}}, "1 file(s): t/test_p.py; 1 case(s): c1"},
	} {
		sel := Select("", &c.rec, cfg())
		if got := sel.Describe(); (c.want == "") != sel.Nothing() || !strings.HasPrefix(got, c.want) {
			t.Errorf("%s %s %q: %q, nothing %v", c.rec.Target, c.rec.Status, c.rec.Reason, got, sel.Nothing())
		}
	}
}

// Merging a rerun into the record: a case that ran again carries its
// earlier failure (a flaky pass), the rest is carried over, and a file
// whose earlier crash has no case of its name now passes with it.
func TestMerge(t *testing.T) {
	earlier := &report.TargetResult{Target: "unitTest1", Status: report.Failed, Cases: []report.Case{
		{Name: "t/test_a.py", Class: "u", File: "t/test_a.py", Status: report.Errored, Message: "t/test_a.py: killed", Log: "a.log"},
		{Name: "t.test_b::test_x", Class: "u", File: "t/test_b.py", Status: report.Failed, Message: "AssertionError"},
		{Name: "t/test_c.py", Class: "u", File: "t/test_c.py", Status: report.Passed},
	}}
	sel := Select("attempts/1", earlier, cfg())
	now := &report.TargetResult{Target: "unitTest1", Cases: []report.Case{
		{Name: "t.test_a.A.test_1", Class: "u", File: "t/test_a.py", Status: report.Passed},
		{Name: "t.test_b::test_x", Class: "u", File: "t/test_b.py", Status: report.Passed},
	}}
	if n := Merge(now, sel, "attempts/1"); n != 1 {
		t.Fatalf("carried %d, want 1", n)
	}
	by := map[string]report.Case{}
	for _, c := range now.Cases {
		by[c.Name] = c
	}
	if c := by["t.test_b::test_x"]; !c.Flaky() || c.Attempts[0].Message != "AssertionError" {
		t.Errorf("test_x: %+v", c)
	}
	if c := by["t/test_a.py"]; !c.Flaky() || c.Attempts[0].Log != "a.log" || c.CarriedOver != "" {
		t.Errorf("test_a's file: %+v", c)
	}
	if c := by["t/test_c.py"]; c.CarriedOver != "attempts/1" || c.Status != report.Passed {
		t.Errorf("test_c: %+v", c)
	}
	if got := now.FlakyCount(); got != 2 {
		t.Errorf("flaky %d, want 2", got)
	}
}

// Keeping a downloaded earlier attempt: the attempts it kept come first,
// each numbered, then its own results, with the record's log paths moved
// to where they are now.
func TestKeepFlattensAndRebases(t *testing.T) {
	from, out := t.TempDir(), t.TempDir()
	old := "/runner/work/tpuci-out"
	rec := `{"target":"unitTest1","status":"failed","log_dir":"` + old + `/logs/unitTest1",` +
		`"cases":[{"name":"t/test_a.py","status":"failed","log":"` + old + `/logs/unitTest1/u/t__test_a.log"}]}`
	write := func(p, body string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(from, "unitTest1.json"), rec)
	write(filepath.Join(from, "logs/unitTest1/u/t__test_a.log"), "log\n")
	write(filepath.Join(from, "attempts/1/unitTest1.json"), rec)
	dir, err := Keep(out, from)
	if err != nil || dir != filepath.Join(out, "attempts", "2") {
		t.Fatalf("%v %s", err, dir)
	}
	if _, err := os.Stat(filepath.Join(out, "attempts/1/unitTest1.json")); err != nil {
		t.Errorf("the older attempt is not kept: %v", err)
	}
	got, err := Load(dir, "unitTest1")
	if err != nil || got.Cases[0].Log != filepath.Join(dir, "logs/unitTest1/u/t__test_a.log") {
		t.Fatalf("%v %+v", err, got)
	}
	if again, err := Keep(out, dir); err != nil || again != dir {
		t.Errorf("an attempt already kept is copied again: %v %s", err, again)
	}
	if _, err := Keep(out, filepath.Join(from, "nosuch")); err == nil || !strings.Contains(err.Error(), "TPUCI_RERUN_FROM=") {
		t.Errorf("a missing directory: %v", err)
	}
}
