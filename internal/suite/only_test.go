package suite

import (
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/rerun"
)

// Picks narrow a plan after the partition: a pytest test becomes a node
// id, a unittest test one of the file's methods, a script's test runs
// through unittest; a file no pick names does not run.
func TestPicksNarrowThePlan(t *testing.T) {
	s := &config.Suite{Name: "s", Partitions: 1, TimeoutPerFile: config.Duration{Duration: time.Minute}, Files: []config.File{
		{Path: "a/test_a.py", Minutes: 5, Runner: "python"},
		{Path: "a/test_b.py", Minutes: 3, Runner: "pytest"},
		{Path: "a/test_c.py", Minutes: 2, Runner: "unittest", Methods: []string{"C.test_1", "C.test_2"}},
		{Path: "a/test_d.py", Minutes: 1, Runner: "python"},
	}}
	picks, err := rerun.ParseOnly([]string{"a/test_a.py::A.test_x", "a/test_b.py::K::test_y", "a/test_b.py::test_z",
		"a/test_c.py::C::test_2"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := PlanSuites([]*config.Suite{s}, Options{Repo: "/r", Python: "py", LogDir: "/o", Picks: picks, PicksFrom: "TPUCI_ONLY=x"})
	if err != nil {
		t.Fatal(err)
	}
	var argv []string
	for _, j := range p.Jobs {
		argv = append(argv, strings.Join(j.Cmd.Argv, " ")+" @"+j.Cmd.Dir)
	}
	want := []string{
		"py -m unittest -v test_a.A.test_x @/r/a",
		"py -m pytest -q -p no:cacheprovider -o junit_family=xunit1 --junitxml=/o/s/a__test_b.junit.xml /r/a/test_b.py::K::test_y /r/a/test_b.py::test_z @/r",
		"py -m unittest -v test_c.C.test_2 @/r/a",
	}
	if strings.Join(argv, "\n") != strings.Join(want, "\n") {
		t.Fatalf("argv:\n%s\nwant:\n%s", strings.Join(argv, "\n"), strings.Join(want, "\n"))
	}
	if m := Missing(p, append(picks, rerun.Pick{Path: "a/test_e.py"})); len(m) != 1 || m[0].Path != "a/test_e.py" {
		t.Errorf("missing: %v", m)
	}
	for _, c := range []struct{ only, want string }{
		{"a/test_c.py::C.test_3", "not one of the methods the suite runs of it (C.test_1, C.test_2)"},
		{"a/test_a.py::test_x", "runs under unittest, which names a test TestClass.test_name"},
	} {
		picks, _ := rerun.ParseOnly([]string{c.only})
		if _, err := PlanSuites([]*config.Suite{s}, Options{Repo: "/r", Python: "py", Picks: picks, PicksFrom: "TPUCI_ONLY"}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.only, err, c.want)
		}
	}
	// A partition applies first: the pick of a file of another share
	// names no job.
	picks, _ = rerun.ParseOnly([]string{"a/test_a.py"})
	p, err = PlanSuites([]*config.Suite{s}, Options{Repo: "/r", Python: "py", Picks: picks, Partition: partition.Spec{ID: 1, Count: 2}})
	if err != nil || len(p.Jobs) != 0 || len(Missing(p, picks)) != 1 {
		t.Errorf("partition then picks: %v %+v", err, p)
	}
}

// TPUCI_ONLY's entries: a path alone wins over its tests; paths outside
// the checkout and tests that look like options are refused.
func TestParseOnly(t *testing.T) {
	picks, err := rerun.ParseOnly([]string{"a/t.py::x", "a/t.py", "a/t.py::y", "b/t.py::C::z", "b/t.py::C::z"})
	if err != nil || len(picks) != 2 || picks[0].Tests != nil || strings.Join(picks[1].Tests, ",") != "C::z" {
		t.Fatalf("%v %+v", err, picks)
	}
	for _, bad := range []string{"/etc/passwd", "../x.py", "a/../../x.py", "-x.py", "a/t.py::-k", "a/t.py::x y", "::x", "a/t.py::"} {
		if _, err := rerun.ParseOnly([]string{bad}); err == nil || !strings.HasPrefix(err.Error(), "TPUCI_ONLY="+bad+": ") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
