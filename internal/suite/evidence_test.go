package suite

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/durations"
	"github.com/sgl-project/tpuci/internal/ghactions"
	"github.com/sgl-project/tpuci/internal/report"
)

// A file that crashes once on an infrastructure failure keeps its first
// attempt's log, shows as a flaky pass in JUnit and the summary; a
// timed-out file is not retried and records its timeout as a lower bound;
// only completed attempts give durations.
func TestRerunEvidenceAndDurations(t *testing.T) {
	py := python(t)
	root := t.TempDir()
	marker := filepath.Join(root, "crashed-once")
	write(t, root, "t/test_crash.py", "import os, signal\nm = "+strconv.Quote(marker)+"\nif not os.path.exists(m):\n    open(m, 'w').close()\n    print('first attempt output: Failed to open libtpu', flush=True)\n    os.kill(os.getpid(), signal.SIGKILL)\nprint('second run passes')\n")
	write(t, root, "t/test_hang.py", "import time\ntime.sleep(60)\n")
	write(t, root, "t/test_ok.py", "print('ok')\n")
	// The timeout leaves a busy host's Python room to start.
	s := &config.Suite{Name: "s", Reruns: 1, TimeoutPerFile: config.Duration{Duration: 5 * time.Second}, Files: []config.File{
		{Path: "t/test_crash.py", Minutes: 3, Runner: "python"},
		{Path: "t/test_hang.py", Minutes: 2, Runner: "python"},
		{Path: "t/test_ok.py", Minutes: 1, Runner: "python"},
	}}
	plan, err := PlanSuites([]*config.Suite{s}, Options{Repo: root, Python: py, LogDir: filepath.Join(root, "logs")})
	if err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	r := &Runner{Repo: root, Out: &out, Log: &log, Grace: 200 * time.Millisecond, ShmRoot: t.TempDir()}
	res, err := r.Run(context.Background(), plan)
	if err != nil {
		t.Fatal(err)
	}
	kept := filepath.Join(root, "logs", "s", "t__test_crash.attempt1.log")
	if data, err := os.ReadFile(kept); err != nil || !strings.Contains(string(data), "first attempt output") {
		t.Fatalf("first attempt's log not kept: %v %q", err, data)
	}
	if data, _ := os.ReadFile(filepath.Join(root, "logs", "s", "t__test_crash.log")); !strings.Contains(string(data), "second run passes") {
		t.Errorf("last attempt's log: %q", data)
	}
	st := &report.TargetResult{Target: "unitTest1", Cases: res.Cases}
	if md := report.Markdown("x", []*report.TargetResult{st}); st.FlakyCount() != 1 || !strings.Contains(md, "(1 flaky: passed on a rerun)") ||
		!strings.Contains(md, "; 1 retried") {
		t.Errorf("flaky pass not counted: %+v\n%s", res.Cases, md)
	}
	x, err := report.JUnit(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<flakyError message=\"t/test_crash.py: killed by signal: killed", kept, "retried: infra (device-busy)"} {
		if !strings.Contains(string(x), want) {
			t.Errorf("JUnit lacks %q:\n%s", want, x)
		}
	}
	if strings.Contains(string(x), "<rerunError") {
		t.Errorf("the timed-out file was retried:\n%s", x)
	}
	if m := res.Durations["t/test_hang.py"]; !m.LowerBound || m.Minutes != 5.0/60 {
		t.Errorf("timed-out file: %+v, want its 5s timeout as a lower bound", m)
	}
	if m := res.Durations["t/test_crash.py"]; m.LowerBound || m.Minutes <= 0 {
		t.Errorf("crash then pass: %+v", m)
	}
	path := filepath.Join(root, "durations.json")
	if err := report.WriteJSON(path, durations.MergeMeasures(nil, res.Durations)); err != nil {
		t.Fatal(err)
	}
	back, err := durations.LoadMeasures(path)
	if err != nil || back["t/test_hang.py"] != res.Durations["t/test_hang.py"] || back["t/test_ok.py"] != res.Durations["t/test_ok.py"] {
		t.Fatalf("round trip: %v %+v", err, back)
	}
}

// An interrupted file records no duration: its cut-short time would skew
// later partition balancing.
func TestInterruptedFileRecordsNoDuration(t *testing.T) {
	py := python(t)
	root := t.TempDir()
	write(t, root, "t/test_ok.py", "print('ok')\n")
	write(t, root, "t/test_hang.py", "import time\nprint('started', flush=True)\ntime.sleep(60)\n")
	s := &config.Suite{Name: "s", TimeoutPerFile: config.Duration{Duration: time.Minute}, Files: []config.File{
		{Path: "t/test_ok.py", Minutes: 2, Runner: "python"},
		{Path: "t/test_hang.py", Minutes: 1, Runner: "python"},
	}}
	plan, err := PlanSuites([]*config.Suite{s}, Options{Repo: root, Python: py, LogDir: filepath.Join(root, "logs")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for {
			data, _ := os.ReadFile(filepath.Join(root, "logs", "s", "t__test_hang.log"))
			if strings.Contains(string(data), "started") {
				cancel()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	var out, log bytes.Buffer
	r := &Runner{Repo: root, Out: &out, Log: &log, Grace: 200 * time.Millisecond, ShmRoot: t.TempDir()}
	res, _ := r.Run(ctx, plan)
	if _, ok := res.Durations["t/test_hang.py"]; ok {
		t.Errorf("interrupted file measured: %+v", res.Durations)
	}
	if _, ok := res.Durations["t/test_ok.py"]; !ok {
		t.Errorf("completed file not measured: %+v", res.Durations)
	}
}

// Failures name the failing line and the first line of the error: the
// assert line for pytest (not the def line), the traceback's line for
// unittest, the exception of a crashing script.
func TestFailuresNameLineAndReason(t *testing.T) {
	py := python(t)
	if _, err := runPy(py, "-c", "import pytest"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pytest missing under CI: %v", err)
		}
		t.Skip("pytest not installed")
	}
	root := t.TempDir()
	write(t, root, "t/test_p.py", "def helper():\n    return 1\n\n\ndef test_x():\n    a = helper()\n    assert a == 2, 'helper gave the wrong value'\n")
	write(t, root, "t/test_u.py", "import unittest\n\n\nclass C(unittest.TestCase):\n    def test_1(self):\n        x = 1\n        self.assertEqual(x, 2)\n")
	write(t, root, "t/test_import.py", "import os\nimport no_such_module_here\n")
	s := &config.Suite{Name: "s", TimeoutPerFile: config.Duration{Duration: time.Minute}, Files: []config.File{
		{Path: "t/test_p.py", Minutes: 3, Runner: "pytest"},
		{Path: "t/test_u.py", Minutes: 2, Runner: "unittest", Methods: []string{"C.test_1"}},
		{Path: "t/test_import.py", Minutes: 1, Runner: "python"},
	}}
	plan, err := PlanSuites([]*config.Suite{s}, Options{Repo: root, Python: py, LogDir: filepath.Join(root, "logs")})
	if err != nil {
		t.Fatal(err)
	}
	var out, log, gh bytes.Buffer
	r := &Runner{Repo: root, Out: &out, Log: &log, GH: ghactions.FromEnv(func(k string) string {
		if k == "GITHUB_ACTIONS" {
			return "true"
		}
		return ""
	}, &gh), ShmRoot: t.TempDir()}
	res, err := r.Run(context.Background(), plan)
	if err != nil {
		t.Fatal(err)
	}
	fails := strings.Join(res.Failures, "\n")
	for _, want := range []string{
		"t/test_p.py:7: test_x: AssertionError: helper gave the wrong value",
		"t/test_u.py:7: C.test_1: AssertionError: 1 != 2",
		"t/test_import.py: exit code 1: ModuleNotFoundError: No module named 'no_such_module_here'",
	} {
		if !strings.Contains(fails, want) {
			t.Errorf("failures lack %q:\n%s", want, fails)
		}
	}
	for _, want := range []string{"file=t/test_p.py,line=7", "file=t/test_u.py,line=7", "file=t/test_import.py,line=2"} {
		if !strings.Contains(gh.String(), want) {
			t.Errorf("annotations lack %q:\n%s", want, gh.String())
		}
	}
}

func runPy(py string, args ...string) ([]byte, error) {
	return exec.Command(py, args...).CombinedOutput()
}

// A failure names its file once: the module path a case name repeats is
// dropped.
func TestInFile(t *testing.T) {
	for _, c := range []struct{ name, file, want string }{
		{"python.sgl_jax.test.test_x::test_b", "python/sgl_jax/test/test_x.py", "test_b"},
		{"python.sgl_jax.test.test_x.C::test_b", "python/sgl_jax/test/test_x.py", "C::test_b"},
		{"test_u.C.test_1", "t/test_u.py", "C.test_1"},
		{"__main__.C.test_1", "t/test_u.py", "__main__.C.test_1"},
		{"test_u", "t/test_u.py", "test_u"},
		{"other.C::test_b", "t/test_u.py", "other.C::test_b"},
	} {
		if got := report.TestInFile(c.name, c.file); got != c.want {
			t.Errorf("report.TestInFile(%q, %q) = %q, want %q", c.name, c.file, got, c.want)
		}
	}
}
