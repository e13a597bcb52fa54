package suite

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/report"
)

func python(t *testing.T) string {
	t.Helper()
	return needs.FirstTool(t, "/usr/bin/python3", "python3")
}

func write(t *testing.T, root, rel, body string) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(data))
	return len(f) > 2 && f[2] != "Z"
}

// A failing, a hanging (with a grandchild) and a file whose first attempt
// fails to initialise the TPU are each reported correctly: only the last
// is retried (an infrastructure rule matched), every file runs, and
// nothing is left behind.
func TestRunnerFailHangCrash(t *testing.T) {
	py := python(t)
	root := t.TempDir()
	marker := filepath.Join(root, "crashed-once")
	pidFile := filepath.Join(root, "grandchild.pid")
	write(t, root, "t/test_fail.py", "import unittest\nclass T(unittest.TestCase):\n    def test_x(self):\n        self.assertEqual(1, 2)\nunittest.main()\n")
	write(t, root, "t/test_hang.py", "import subprocess, time\np = subprocess.Popen(['sleep', '60'])\nopen("+strconv.Quote(pidFile)+", 'w').write(str(p.pid))\ntime.sleep(60)\n")
	write(t, root, "t/test_crash.py", "import os, signal\nm = "+strconv.Quote(marker)+"\nif not os.path.exists(m):\n    open(m, 'w').close()\n    print('RuntimeError: TPU initialization failed', flush=True)\n    os.kill(os.getpid(), signal.SIGKILL)\nprint('second run passes')\n")
	write(t, root, "t/test_ok.py", "print('ok')\n")
	// The timeout leaves a busy host's Python room to start.
	s := &config.Suite{Name: "s", Reruns: 1, TimeoutPerFile: config.Duration{Duration: 4 * time.Second}, Partitions: 1, Files: []config.File{
		{Path: "t/test_fail.py", Minutes: 4, Runner: "python"},
		{Path: "t/test_hang.py", Minutes: 3, Runner: "python"},
		{Path: "t/test_crash.py", Minutes: 2, Runner: "python"},
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
	byFile := map[string]report.Case{}
	for _, c := range res.Cases {
		byFile[c.File] = c
	}
	if c := byFile["t/test_fail.py"]; c.Status != report.Failed || c.Reruns != 0 || c.Line != 4 {
		t.Errorf("fail: %+v", c)
	}
	if c := byFile["t/test_hang.py"]; c.Status != report.Errored || c.Reruns != 0 || !strings.Contains(c.Message, "timed out") {
		t.Errorf("hang: %+v", c)
	}
	if c := byFile["t/test_crash.py"]; c.Status != report.Passed || c.Reruns != 1 {
		t.Errorf("crash then pass: %+v", c)
	}
	if c := byFile["t/test_ok.py"]; c.Status != report.Passed {
		t.Errorf("ok: %+v", c)
	}
	if len(res.Failures) != 2 {
		t.Errorf("failures: %q", res.Failures)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(string(data))
	for deadline := time.Now().Add(3 * time.Second); alive(pid); {
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d of the hanging file outlived its timeout", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(log.String(), "4/4 files, 2 failed") {
		t.Errorf("progress line missing:\n%s", log.String())
	}
}

func TestPlanPartitionAndRunners(t *testing.T) {
	s := &config.Suite{Name: "s", Partitions: 2, TimeoutPerFile: config.Duration{Duration: time.Minute}, Files: []config.File{
		{Path: "a/test_a.py", Minutes: 5, Runner: "python"},
		{Path: "a/test_b.py", Minutes: 3, Runner: "pytest"},
		{Path: "a/test_c.py", Minutes: 2, Runner: "unittest", Methods: []string{"C.test_1", "C.test_2"}},
	}}
	p0, err := PlanSuites([]*config.Suite{s}, Options{Repo: "/r", Python: "py", LogDir: "/o", Partition: partition.Spec{ID: 0, Count: 2}})
	if err != nil {
		t.Fatal(err)
	}
	p1, _ := PlanSuites([]*config.Suite{s}, Options{Repo: "/r", Python: "py", LogDir: "/o", Partition: partition.Spec{ID: 1, Count: 2}})
	if len(p0.Jobs) != 1 || p0.Jobs[0].File.Path != "a/test_a.py" || len(p1.Jobs) != 2 || p1.Jobs[0].File.Path != "a/test_b.py" {
		t.Fatalf("partitions: %+v / %+v", p0.Jobs, p1.Jobs)
	}
	if got := strings.Join(p0.Jobs[0].Cmd.Argv, " "); got != "py /r/a/test_a.py" {
		t.Errorf("python argv: %s", got)
	}
	if got := strings.Join(p1.Jobs[0].Cmd.Argv, " "); !strings.HasPrefix(got, "py -m pytest -q") || !strings.HasSuffix(got, "/r/a/test_b.py") {
		t.Errorf("pytest argv: %s", got)
	}
	c := p1.Jobs[1].Cmd
	if got := strings.Join(c.Argv, " "); got != "py -m unittest -v test_c.C.test_1 test_c.C.test_2" || c.Dir != "/r/a" {
		t.Errorf("unittest argv: %s in %s", got, c.Dir)
	}
	if _, err := PlanSuites([]*config.Suite{s}, Options{Partition: partition.Spec{ID: 3, Count: 5}}); err == nil || !strings.Contains(err.Error(), "TPUCI_PARTITION=3/5 asks for 5 parts of 3 files: use a COUNT of at most 3") {
		t.Errorf("want loud error for too many parts, got %v", err)
	}
}

func TestParseUnittestVerbose(t *testing.T) {
	log := "test_1 (test_c.C.test_1) ... ok\ntest_2 (test_c.C.test_2) ... FAIL\ntest_3 (test_c.C.test_3) ... skipped 'no tpu'\n"
	cases := parseUnittest(log, "s", "a/test_c.py")
	if len(cases) != 3 || cases[0].Status != report.Passed || cases[1].Status != report.Failed || cases[2].Status != report.Skipped || cases[1].Name != "test_c.C.test_2" {
		t.Fatalf("%+v", cases)
	}
}

// Without TPUCI_SUITE, ID/COUNT splits the suites whose matrix has COUNT
// jobs; a count no suite has applies to all of them.
func TestPartitionPicksSuitesOfThatMatrixSize(t *testing.T) {
	files := func(n int) []config.File {
		var fs []config.File
		for i := range n {
			fs = append(fs, config.File{Path: "t/test_" + strconv.Itoa(i) + ".py", Minutes: float64(n - i), Runner: "python"})
		}
		return fs
	}
	five := &config.Suite{Name: "tpu", Partitions: 5, Files: files(10)}
	one := &config.Suite{Name: "cpu", Partitions: 1, Files: files(3)}
	p, err := PlanSuites([]*config.Suite{five, one}, Options{Repo: "/r", Python: "py", Partition: partition.Spec{ID: 2, Count: 5}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Jobs) != 2 || p.Jobs[0].Suite != "tpu" || len(p.Skipped) != 1 || !strings.Contains(p.Skipped[0], "cpu: its matrix has 1 job") {
		t.Fatalf("jobs %+v skipped %v", p.Jobs, p.Skipped)
	}
	if _, err := PlanSuites([]*config.Suite{five, one}, Options{Partition: partition.Spec{ID: 1, Count: 4}}); err == nil || !strings.Contains(err.Error(), "suite cpu") {
		t.Fatalf("a count no suite has applies to all, loudly: %v", err)
	}
	p, _ = PlanSuites([]*config.Suite{five, one}, Options{Repo: "/r", Python: "py", Partition: partition.Spec{ID: 0, Count: 3}, Only: []string{"cpu"}})
	if len(p.Jobs) != 1 || p.Jobs[0].Suite != "cpu" {
		t.Fatalf("TPUCI_SUITE wins: %+v", p.Jobs)
	}
}
