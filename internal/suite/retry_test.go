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
	"github.com/sgl-project/tpuci/internal/report"
)

// counted is Python that appends a line to a file each time the test
// file runs, so a test can count the attempts.
func counted(path string) string {
	return "open(" + strconv.Quote(path) + ", 'a').write('x\\n')\n"
}

func attempts(t *testing.T, path string) int {
	t.Helper()
	data, _ := os.ReadFile(path)
	return strings.Count(string(data), "x\n")
}

// runRetries runs the files under the policy's retries (the suite sets no
// reruns) with the given known-flaky tests, and returns the result and
// tpuci's log.
func runRetries(t *testing.T, root string, timeout time.Duration, flaky []string, files ...config.File) (*Result, string) {
	t.Helper()
	s := &config.Suite{Name: "s", TimeoutPerFile: config.Duration{Duration: timeout}, Partitions: 1, Files: files}
	plan, err := PlanSuites([]*config.Suite{s}, Options{Repo: root, Python: python(t), LogDir: filepath.Join(root, "logs")})
	if err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	r := &Runner{Repo: root, Out: &out, Log: &log, Grace: 200 * time.Millisecond, ShmRoot: t.TempDir(), Retries: 2,
		KnownFlaky: func(test string) bool { return slicesContains(flaky, test) }}
	res, err := r.Run(context.Background(), plan)
	if err != nil {
		t.Fatal(err)
	}
	// Long lines are wrapped to the terminal: the words count.
	return res, strings.Join(strings.Fields(log.String()), " ")
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func junitOf(t *testing.T, res *Result) string {
	t.Helper()
	x, err := report.JUnit(&report.TargetResult{Target: "unitTest1", Cases: res.Cases})
	if err != nil {
		t.Fatal(err)
	}
	return string(x)
}

func caseNamed(res *Result, suffix string) (report.Case, bool) {
	for _, c := range res.Cases {
		if strings.HasSuffix(c.Name, suffix) {
			return c, true
		}
	}
	return report.Case{}, false
}

// A test that cannot initialise the TPU on its first attempt (an
// infrastructure rule) is retried and passes: a flaky pass, written as a
// JUnit flakyFailure with the earlier attempt's message and log tail,
// counted as retried, and the log line names the class and the rule.
func TestInfraFailureIsRetriedAsFlakyPass(t *testing.T) {
	py := python(t)
	needs.PythonModules(t, py, "apt-get install python3-pytest", "pytest")
	root := t.TempDir()
	marker, count := filepath.Join(root, "failed-once"), filepath.Join(root, "count")
	write(t, root, "t/test_tpu.py", counted(count)+"import os\n\ndef test_ok():\n    pass\n\ndef test_tpu():\n"+
		"    if not os.path.exists("+strconv.Quote(marker)+"):\n        open("+strconv.Quote(marker)+", 'w').close()\n"+
		"        raise RuntimeError('TPU initialization failed: no TPU found')\n")
	res, log := runRetries(t, root, 2*time.Minute, nil, config.File{Path: "t/test_tpu.py", Minutes: 1, Runner: "pytest"})
	if n := attempts(t, count); n != 2 {
		t.Fatalf("%d attempts, want 2\n%s", n, log)
	}
	c, ok := caseNamed(res, "::test_tpu")
	if !ok || c.Status != report.Passed || len(c.Attempts) != 1 || c.Attempts[0].Class != "infra" || c.Attempts[0].Rule != "device-busy" {
		t.Fatalf("test_tpu: %+v\n%s", c, log)
	}
	if ok, _ := caseNamed(res, "::test_ok"); ok.Flaky() {
		t.Errorf("test_ok passed both times, yet shows as flaky: %+v", ok)
	}
	if len(res.Failures) != 0 {
		t.Errorf("failures: %q", res.Failures)
	}
	if !strings.Contains(log, "retry 1/2: infra, rule device-busy") || !strings.Contains(log, "1 retried: flaky pass") {
		t.Errorf("the retry is not in the log:\n%s", log)
	}
	x := junitOf(t, res)
	for _, want := range []string{`<flakyFailure message="RuntimeError: TPU initialization failed: no TPU found"`, "retried: infra (device-busy)", "t__test_tpu.attempt1.log"} {
		if !strings.Contains(x, want) {
			t.Errorf("JUnit lacks %q:\n%s", want, x)
		}
	}
	if strings.Count(x, "<flakyFailure") != 2 || strings.Contains(x, "<rerunFailure") {
		t.Errorf("want a flakyFailure on test_tpu and on its file's case:\n%s", x)
	}
	st := &report.TargetResult{Target: "unitTest1", Cases: res.Cases}
	if st.FlakyCount() != 1 || st.RetriedCount() != 1 {
		t.Errorf("flaky %d, retried %d: want 1 and 1", st.FlakyCount(), st.RetriedCount())
	}
}

// An assertion failure is the code's: not retried, whatever the policy's
// retries, and the log says why.
func TestAssertionFailureIsNotRetried(t *testing.T) {
	root := t.TempDir()
	count := filepath.Join(root, "count")
	write(t, root, "t/test_assert.py", counted(count)+"assert 1 == 2, 'wrong sum'\n")
	res, log := runRetries(t, root, 2*time.Minute, nil, config.File{Path: "t/test_assert.py", Minutes: 1, Runner: "python"})
	if n := attempts(t, count); n != 1 {
		t.Fatalf("%d attempts, want 1\n%s", n, log)
	}
	c, _ := caseNamed(res, "t/test_assert.py")
	if c.Status != report.Failed || c.Reruns != 0 || len(c.Attempts) != 0 {
		t.Errorf("case: %+v", c)
	}
	if !strings.Contains(log, "not retried: a test failure (no infrastructure rule matched, not known flaky)") {
		t.Errorf("the log does not say why it was not retried:\n%s", log)
	}
	if x := junitOf(t, res); strings.Contains(x, "rerunFailure") || strings.Contains(x, "flaky") {
		t.Errorf("JUnit shows a rerun:\n%s", x)
	}
}

// A timeout is class timeout and is not retried.
func TestTimeoutIsNotRetried(t *testing.T) {
	root := t.TempDir()
	count := filepath.Join(root, "count")
	write(t, root, "t/test_hang.py", counted(count)+"import time\ntime.sleep(60)\n")
	res, log := runRetries(t, root, 3*time.Second, nil, config.File{Path: "t/test_hang.py", Minutes: 1, Runner: "python"})
	if n := attempts(t, count); n != 1 {
		t.Fatalf("%d attempts, want 1\n%s", n, log)
	}
	if c, _ := caseNamed(res, "t/test_hang.py"); c.Status != report.Errored || c.Reruns != 0 {
		t.Errorf("case: %+v", c)
	}
	if !strings.Contains(log, "timed out after") || !strings.Contains(log, "not retried: timeout") {
		t.Errorf("the log does not say the timeout is not retried:\n%s", log)
	}
}

// A file known to flake on main is retried after a plain assertion
// failure: the first passes on its retry (flaky pass); the second, known
// flaky by one of its cases, fails every attempt and carries a JUnit
// rerunFailure per earlier attempt.
func TestKnownFlakyIsRetried(t *testing.T) {
	py := python(t)
	needs.PythonModules(t, py, "apt-get install python3-pytest", "pytest")
	root := t.TempDir()
	marker, count1, count2 := filepath.Join(root, "failed-once"), filepath.Join(root, "count1"), filepath.Join(root, "count2")
	write(t, root, "t/test_flaky.py", counted(count1)+"import os\n\ndef test_a():\n"+
		"    if not os.path.exists("+strconv.Quote(marker)+"):\n        open("+strconv.Quote(marker)+", 'w').close()\n"+
		"        assert 1 == 2, 'lost the race'\n")
	write(t, root, "t/test_always.py", counted(count2)+"def test_b():\n    assert 1 == 2, 'always wrong'\n")
	flaky := []string{"t/test_flaky.py", "t/test_always.py::test_b"}
	res, log := runRetries(t, root, 2*time.Minute, flaky,
		config.File{Path: "t/test_flaky.py", Minutes: 2, Runner: "pytest"},
		config.File{Path: "t/test_always.py", Minutes: 1, Runner: "pytest"})
	if n1, n2 := attempts(t, count1), attempts(t, count2); n1 != 2 || n2 != 3 {
		t.Fatalf("attempts %d and %d, want 2 and 3 (1 + the policy's 2 retries)\n%s", n1, n2, log)
	}
	a, _ := caseNamed(res, "::test_a")
	if a.Status != report.Passed || len(a.Attempts) != 1 || a.Attempts[0].Class != "flaky" || a.Attempts[0].Rule != "t/test_flaky.py" {
		t.Errorf("test_a: %+v", a)
	}
	b, _ := caseNamed(res, "::test_b")
	if b.Status != report.Failed || len(b.Attempts) != 2 {
		t.Errorf("test_b: %+v", b)
	}
	for _, want := range []string{"retry 1/2: flaky, known flaky on main: t/test_flaky.py",
		"retry 2/2: flaky, known flaky on main: t/test_always.py::test_b", "not retried: 2 of 2 retries used"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	x := junitOf(t, res)
	// test_a and its file's own case each carry the earlier attempt.
	if strings.Count(x, "<rerunFailure") != 2 || strings.Count(x, "<flakyFailure") != 2 {
		t.Errorf("want 2 rerunFailure (test_b) and 2 flakyFailure (test_a, its file):\n%s", x)
	}
	if !strings.Contains(x, `<rerunFailure message="AssertionError: always wrong`) {
		t.Errorf("rerunFailure lacks the earlier message:\n%s", x)
	}
}
