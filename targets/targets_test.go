package targets_test

// Integration tests of the mage surface: they compile the targets into a
// binary with `go tool mage -compile` and run it as a user would.

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/compare/comparetest"
	"github.com/sgl-project/tpuci/internal/report"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// tpuci compiles the magefile once per test run.
func tpuci(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("compiles the mage binary")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tpuci-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "tpuci")
		cmd := exec.Command("go", "tool", "mage", "-compile", binary)
		cmd.Dir = ".."
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = err
			binary = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("compile: %v\n%s", buildErr, binary)
	}
	return binary
}

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(tpuci(t), args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), env...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, so.String(), se.String()}
}

// cleanEnv drops tpuci and GitHub variables of the surrounding run.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TPUCI_") || strings.HasPrefix(kv, "GITHUB_") || strings.HasPrefix(kv, "CI=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func TestListShowsAllTargets(t *testing.T) {
	r := run(t, t.TempDir(), nil, "-l")
	for _, name := range []string{"lint", "unitTest1", "unitTest4", "e2e", "perf", "accuracy", "pallas", "nightly", "pr", "release:pypi", "release:docker"} {
		if !strings.Contains(r.stdout, "\n  "+name+" ") {
			t.Errorf("-l lacks %s:\n%s", name, r.stdout)
		}
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func pythonPath(t *testing.T) string {
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if lp, err := exec.LookPath(p); err == nil {
			return lp
		}
	}
	t.Skip("no python3")
	return ""
}

func TestMisspeltConfigKeyNamesLine(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "bad.toml")
	writeFile(t, cfg, "[lint]\npaths = []\ntimeuot = \"1m\"\n")
	r := run(t, dir, []string{"TPUCI_CONFIG=" + cfg, "TPUCI_OUT=" + filepath.Join(dir, "out")}, "lint")
	if r.code == 0 || !strings.Contains(r.stdout+r.stderr, cfg+":3:1: lint.timeuot: unknown key") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
		t.Fatalf("stack trace in output:\n%s", r.stderr)
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

// hangingRepo is a checkout whose only unit test starts a grandchild and hangs.
func hangingRepo(t *testing.T) (repo, pidFile string) {
	py := pythonPath(t)
	repo = t.TempDir()
	pidFile = filepath.Join(repo, "grandchild.pid")
	writeFile(t, filepath.Join(repo, "python/sgl_jax/__init__.py"), "")
	writeFile(t, filepath.Join(repo, "test/test_fast.py"), "print('fast')\n")
	writeFile(t, filepath.Join(repo, "test/test_hang.py"), "import subprocess, time\np = subprocess.Popen(['sleep', '120'])\nopen("+strconv.Quote(pidFile)+", 'w').write(str(p.pid))\ntime.sleep(120)\n")
	writeFile(t, filepath.Join(repo, "tpuci.toml"), `[repo]
python = "`+py+`"
[[suite]]
name = "unit"
target = "unitTest1"
timeout_per_file = "5m"
files = [
  { path = "test/test_fast.py", minutes = 2 },
  { path = "test/test_hang.py", minutes = 1 },
]
`)
	return repo, pidFile
}

// interrupt starts cmd, waits for the hanging test's grandchild, sends sig
// to the process, and checks that nothing survives and the partial
// reports are kept.
func interrupt(t *testing.T, cmd *exec.Cmd, pidFile, out string, sig syscall.Signal, exitCodeKept bool) {
	t.Helper()
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(120 * time.Second)
	var pid int
	for {
		if data, err := os.ReadFile(pidFile); err == nil && len(data) > 0 {
			pid, _ = strconv.Atoi(string(data))
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("hanging test never started\nstdout:\n%s\nstderr:\n%s", so.String(), se.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(sig)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("tpuci did not exit after %s", sig)
	}
	if exitCodeKept && cmd.ProcessState.ExitCode() == 0 {
		t.Fatalf("interrupted run exited 0")
	}
	for end := time.Now().Add(10 * time.Second); alive(pid); {
		if time.Now().After(end) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("grandchild %d outlived tpuci", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var data []byte
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var err error
		if data, err = os.ReadFile(filepath.Join(out, "unitTest1.json")); err == nil || time.Now().After(end) {
			if err != nil {
				t.Fatalf("partial results missing: %v\nstderr:\n%s", err, se.String())
			}
			break
		}
	}
	var st report.Stage
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	if !st.Partial || st.Status != report.Failed {
		t.Fatalf("want partial failed stage, got %+v", st)
	}
	byName := map[string]report.Status{}
	for _, c := range st.Cases {
		byName[c.Name] = c.Status
	}
	if byName["test/test_fast.py"] != report.Passed {
		t.Errorf("finished file lost: %+v", st.Cases)
	}
	if _, err := os.Stat(filepath.Join(out, "summary.md")); err != nil {
		t.Errorf("summary.md missing: %v", err)
	}
}

// SIGINT during pr stops every child tree and keeps the partial reports.
func TestInterruptKeepsReportsAndKillsChildren(t *testing.T) {
	repo, pidFile := hangingRepo(t)
	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(tpuci(t), "pr")
	cmd.Dir = repo
	cmd.Env = append(cleanEnv(), "TPUCI_OUT="+out)
	interrupt(t, cmd, pidFile, out, syscall.SIGINT, true)
}

// SIGTERM to "go tool mage" (which mage's launcher does not forward)
// still ends every child and keeps the reports. The go command itself
// exits 0 after a signal, so the exit code is not checked here; workflows
// run the compiled binary, which keeps it.
func TestSIGTERMToGoToolMage(t *testing.T) {
	tpuci(t) // skip under -short
	repo, pidFile := hangingRepo(t)
	out := filepath.Join(t.TempDir(), "out")
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "-C", root, "tool", "mage", "-w", repo, "pr")
	cmd.Env = append(cleanEnv(), "TPUCI_OUT="+out)
	interrupt(t, cmd, pidFile, out, syscall.SIGTERM, false)
}

// The main job: pr on the bundled example passes with a green summary.
func TestPROnExampleIsGreen(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	r := run(t, dir, []string{"TPUCI_OUT=" + out, "XDG_CACHE_HOME=" + filepath.Join(dir, "cache"), "TPUCI_LOCK_FILE=" + filepath.Join(dir, "lock")}, "pr")
	if r.code != 0 {
		t.Fatalf("pr failed (exit %d)\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "bundled example") {
		t.Errorf("no line saying the bundled example is used:\n%s", r.stderr)
	}
	for _, target := range []string{"lint", "unitTest1", "e2e", "unitTest4", "pallas", "perf"} {
		data, err := os.ReadFile(filepath.Join(out, target+".json"))
		if err != nil {
			t.Fatalf("%s results missing: %v", target, err)
		}
		var st report.Stage
		json.Unmarshal(data, &st)
		// Kernel and serving figures hold only on the host that measured
		// them: the example has none for this one, so they run unjudged.
		if st.Status != report.Passed && !(st.Status == report.Skipped && strings.Contains(st.Reason, "no baseline for this device")) {
			t.Errorf("%s: %s %s", target, st.Status, st.Reason)
		}
	}
	if !strings.Contains(r.stdout, "TARGET") || !strings.Contains(r.stdout, "unitTest4") {
		t.Errorf("no summary table:\n%s", r.stdout)
	}
}

// TPUCI_COMPARE=HEAD~1 pallas on a git copy of the example whose last
// commit makes one kernel do its work twice: the target fails naming
// that kernel, and the summary carries the comparison table.
func TestCompareHeadParentCatchesAKernelSlowdown(t *testing.T) {
	tpuci(t) // skip under -short
	repo := comparetest.Repo(t)
	comparetest.Edit(t, repo, "python/sgl_jax/srt/kernels/gmm/megablox_gmm.py",
		"            out.extend(matmul(lhs[start : start + size], weights))",
		"            matmul(lhs[start : start + size], weights)  # computed twice\n            out.extend(matmul(lhs[start : start + size], weights))",
		"gmm: compute each group twice")
	out := filepath.Join(t.TempDir(), "out")
	r := run(t, repo, []string{"TPUCI_OUT=" + out, "TPUCI_COMPARE=HEAD~1", "TPUCI_COMPARE_ROUNDS=6", "TPUCI_KERNELS=megablox_gmm,update_kv_cache"}, "pallas")
	data, err := os.ReadFile(filepath.Join(out, "pallas.json"))
	var st report.Stage
	if err != nil || json.Unmarshal(data, &st) != nil || r.code == 0 || st.Status != report.Failed {
		t.Fatalf("exit %d (%v)\nstdout:\n%s\nstderr:\n%s", r.code, err, r.stdout, r.stderr)
	}
	for _, c := range st.Cases {
		if c.Status == report.Failed && !strings.HasPrefix(c.Name, "megablox_gmm/") {
			t.Errorf("unchanged kernel failed: %s %s", c.Name, c.Message)
		}
	}
	if !strings.Contains(r.stdout, "megablox_gmm/") || len(st.Failures) == 0 {
		t.Fatalf("no failure names the kernel:\n%s", r.stdout)
	}
	summary, err := os.ReadFile(filepath.Join(out, "summary.md"))
	if err != nil || !strings.Contains(string(summary), "interval") || !strings.Contains(string(summary), "slower") {
		t.Fatalf("summary (%v):\n%s", err, summary)
	}
}
