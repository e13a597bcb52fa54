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
	"unicode/utf8"

	"github.com/sgl-project/tpuci/internal/compare/comparetest"
	"github.com/sgl-project/tpuci/internal/needs"
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
	return needs.FirstTool(t, "/usr/bin/python3", "python3")
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

// A bad setting stops the run before any work: one line naming the
// variable and the form it wants, no stage record, no stack trace.
func TestBadSettingFailsBeforeAnyWork(t *testing.T) {
	for _, c := range []struct{ target, setting, want, record string }{
		{"lint", "TPUCI_PARTITION=3/2", "TPUCI_PARTITION=3/2: ID must be below COUNT (ID from 0, e.g. 0/2, the last 1/2)", "lint.json"},
		{"release:version", "TPUCI_RELEASE_CHANNEL=weekly", "TPUCI_RELEASE_CHANNEL=weekly: unknown value (want one of release, nightly)", "release"},
		{"release:docker", "TPUCI_RELEASE_DATE=2026-12-01", "TPUCI_RELEASE_DATE=2026-12-01: not a date (want a date as YYYYMMDD)", "release"},
		{"bench:client", "TPUCI_BENCH_DURATION=0s", "TPUCI_BENCH_DURATION=0s: not positive (want a positive duration such as 10s)", "logs"},
	} {
		dir := t.TempDir()
		out := filepath.Join(dir, "out")
		r := run(t, dir, []string{c.setting, "TPUCI_OUT=" + out}, c.target)
		if r.code == 0 || !strings.Contains(r.stdout+r.stderr, c.want) {
			t.Fatalf("%s: exit %d, want %q\nstdout:\n%s\nstderr:\n%s", c.target, r.code, c.want, r.stdout, r.stderr)
		}
		if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
			t.Fatalf("%s: stack trace in output:\n%s", c.target, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(out, c.record)); err == nil {
			t.Errorf("%s ran despite the bad setting", c.target)
		}
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
	return hangingRepoWith(t, "")
}

// hangingRepoWith puts prelude at the top of the hanging test.
func hangingRepoWith(t *testing.T, prelude string) (repo, pidFile string) {
	py := pythonPath(t)
	repo = t.TempDir()
	pidFile = filepath.Join(repo, "grandchild.pid")
	writeFile(t, filepath.Join(repo, "python/sgl_jax/__init__.py"), "")
	writeFile(t, filepath.Join(repo, "test/test_fast.py"), "print('fast')\n")
	writeFile(t, filepath.Join(repo, "test/test_hang.py"), prelude+"import subprocess, time\np = subprocess.Popen(['sleep', '120'])\nopen("+strconv.Quote(pidFile)+", 'w').write(str(p.pid))\ntime.sleep(120)\n")
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

// stop says how a test interrupts tpuci: which signals, to the process
// alone or to its whole process group, and the exit code it expects
// (-1: not checked).
type stop struct {
	sigs     []syscall.Signal
	group    bool
	wantCode int
}

// interrupt starts cmd, waits for the hanging test's grandchild, sends the
// signals, and checks the exit code, that nothing survives and that the
// partial reports are kept. It returns tpuci's stderr.
func interrupt(t *testing.T, cmd *exec.Cmd, pidFile, out string, how stop) string {
	t.Helper()
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if how.group {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}
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
	target := cmd.Process.Pid
	if how.group {
		target = -target
	}
	for i, sig := range how.sigs {
		if i > 0 {
			time.Sleep(300 * time.Millisecond)
		}
		syscall.Kill(target, sig)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("tpuci did not exit after %v", how.sigs)
	}
	if code := cmd.ProcessState.ExitCode(); how.wantCode >= 0 && code != how.wantCode {
		t.Fatalf("exit code %d, want %d\nstderr:\n%s", code, how.wantCode, se.String())
	}
	for end := time.Now().Add(10 * time.Second); alive(pid); {
		if time.Now().After(end) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("grandchild %d outlived tpuci", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	checkPartialReports(t, out, &se)
	return se.String()
}

// checkPartialReports waits for the interrupted unitTest1's results JSON,
// JUnit and summary, with the finished file kept.
func checkPartialReports(t *testing.T, out string, se *bytes.Buffer) {
	t.Helper()
	var data []byte
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var err error
		if data, err = os.ReadFile(filepath.Join(out, "unitTest1.json")); err == nil || time.Now().After(end) {
			if err != nil {
				t.Fatalf("partial results missing: %v\nstderr:\n%s", err, se.String())
			}
			break
		}
	}
	var st report.TargetResult
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
	for _, f := range []string{"summary.md", "junit/unitTest1.xml", "durations.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s missing: %v", f, err)
		}
	}
	var durations map[string]any
	raw, _ := os.ReadFile(filepath.Join(out, "durations.json"))
	json.Unmarshal(raw, &durations)
	if _, ok := durations["test/test_hang.py"]; ok {
		t.Errorf("the interrupted file's cut-short time was recorded: %s", raw)
	}
}

func binaryCmd(t *testing.T, repo, out string, args ...string) *exec.Cmd {
	cmd := exec.Command(tpuci(t), args...)
	cmd.Dir = repo
	cmd.Env = append(cleanEnv(), "TPUCI_OUT="+out)
	return cmd
}

// SIGINT during pr stops every child tree, keeps the partial reports and exits 130.
func TestInterruptKeepsReportsAndKillsChildren(t *testing.T) {
	repo, pidFile := hangingRepo(t)
	out := filepath.Join(t.TempDir(), "out")
	interrupt(t, binaryCmd(t, repo, out, "pr"), pidFile, out, stop{sigs: []syscall.Signal{syscall.SIGINT}, wantCode: 130})
}

// A supervisor's SIGTERM to the binary alone ends the run with every
// report and exit code 143, also when it is sent twice.
func TestSIGTERMToBinaryExits143(t *testing.T) {
	for _, n := range []int{1, 2} {
		// The second time, the test ignores SIGTERM, so the second signal
		// surely arrives while tpuci is still stopping it.
		prelude := ""
		if n == 2 {
			prelude = "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
		}
		repo, pidFile := hangingRepoWith(t, prelude)
		out := filepath.Join(t.TempDir(), "out")
		sigs := []syscall.Signal{syscall.SIGTERM, syscall.SIGTERM}[:n]
		stderr := interrupt(t, binaryCmd(t, repo, out, "unitTest1"), pidFile, out, stop{sigs: sigs, wantCode: 143})
		if again := strings.Contains(stderr, "again"); again != (n == 2) {
			t.Errorf("%d SIGTERM(s): \"again\" logged: %v\n%s", n, again, stderr)
		}
	}
}

// Two SIGINTs (an impatient Ctrl-C) still write every report and exit 130.
func TestSIGINTTwiceToGroup(t *testing.T) {
	repo, pidFile := hangingRepo(t)
	out := filepath.Join(t.TempDir(), "out")
	interrupt(t, binaryCmd(t, repo, out, "pr"), pidFile, out, stop{sigs: []syscall.Signal{syscall.SIGINT, syscall.SIGINT}, group: true, wantCode: 130})
}

func goToolMage(t *testing.T, repo, out string, args ...string) *exec.Cmd {
	tpuci(t) // skip under -short
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", append([]string{"-C", root, "tool", "mage", "-w", repo}, args...)...)
	cmd.Env = append(cleanEnv(), "TPUCI_OUT="+out)
	return cmd
}

// SIGTERM to "go tool mage" alone (what a supervisor sends): the go
// command forwards it to mage's launcher, which dies of it without
// forwarding; tpuci learns of it from its parent's exit, ends every child
// and writes every report. The go command exits 0 when its child dies of
// a signal, so the exit code is not checked here (README: run the
// compiled binary where it matters, as the workflows do).
func TestSIGTERMToGoToolMage(t *testing.T) {
	repo, pidFile := hangingRepo(t)
	out := filepath.Join(t.TempDir(), "out")
	stderr := interrupt(t, goToolMage(t, repo, out, "pr"), pidFile, out, stop{sigs: []syscall.Signal{syscall.SIGTERM}, wantCode: -1})
	if strings.Contains(stderr, "again") {
		t.Errorf("one SIGTERM counted twice:\n%s", stderr)
	}
}

// SIGTERM to the whole group of "go tool mage" reaches tpuci directly and
// through its parent's exit: one event, not two.
func TestSIGTERMToGoToolMageGroup(t *testing.T) {
	repo, pidFile := hangingRepo(t)
	out := filepath.Join(t.TempDir(), "out")
	stderr := interrupt(t, goToolMage(t, repo, out, "unitTest1"), pidFile, out, stop{sigs: []syscall.Signal{syscall.SIGTERM}, group: true, wantCode: -1})
	if strings.Contains(stderr, "again") {
		t.Errorf("one SIGTERM counted twice:\n%s", stderr)
	}
}

// The whole job's timeout (mage -t) stops the stages early enough to end
// the children and write every report; the run fails with exit code 1.
func TestJobTimeoutWritesReports(t *testing.T) {
	repo, pidFile := hangingRepo(t)
	out := filepath.Join(t.TempDir(), "out")
	cmd := binaryCmd(t, repo, out, "-t", "15s", "unitTest1")
	var se bytes.Buffer
	cmd.Stderr = &se
	err := cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("exit %d (%v), want 1\nstderr:\n%s", code, err, se.String())
	}
	checkPartialReports(t, out, &se)
	if data, err := os.ReadFile(pidFile); err == nil {
		pid, _ := strconv.Atoi(string(data))
		for end := time.Now().Add(10 * time.Second); alive(pid); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(end) {
				syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("grandchild %d outlived tpuci", pid)
			}
		}
	}
	if !strings.Contains(se.String(), "timeout (mage -t)") {
		t.Errorf("no reason given:\n%s", se.String())
	}
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
		var st report.TargetResult
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
	fitsTerminal(t, "pr", r.stdout+r.stderr)
}

// nightly:list on the example: every case key, in lines a terminal holds.
func TestNightlyListFitsTerminal(t *testing.T) {
	dir := t.TempDir()
	r := run(t, dir, []string{"TPUCI_OUT=" + filepath.Join(dir, "out"), "XDG_CACHE_HOME=" + filepath.Join(dir, "cache")}, "nightly:list")
	if r.code != 0 || !strings.Contains(r.stdout, "perf/qwen3-30b-a3b-tp4-ep4/c16-i256-o32") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	fitsTerminal(t, "nightly:list", r.stdout+r.stderr)
}

// -l fits a terminal, and each target's -h names the command that runs
// it, with the target's real name, in lines a terminal holds.
func TestHelpFitsAndNamesTheCommand(t *testing.T) {
	dir := t.TempDir()
	l := run(t, dir, nil, "-l")
	fitsTerminal(t, "-l", l.stdout)
	for _, line := range strings.Split(l.stdout, "\n") {
		if !strings.HasPrefix(line, "  ") {
			continue
		}
		name := strings.Fields(line)[0]
		h := run(t, dir, nil, "-h", name)
		usage := "\n\tgo tool mage " + name
		if h.code != 0 || !(strings.Contains(h.stdout, usage+"\n") || strings.Contains(h.stdout, usage+" ")) {
			t.Errorf("-h %s does not show go tool mage %s:\n%s", name, name, h.stdout)
		}
		fitsTerminal(t, "-h "+name, strings.ReplaceAll(h.stdout, "\t", "        "))
	}
}

// fitsTerminal fails for every line of out wider than 100 columns.
func fitsTerminal(t *testing.T, what, out string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(line); n > 100 {
			t.Errorf("%s: %d columns: %s", what, n, line)
		}
	}
}

// An empty tpuci.toml under CI=true fails: nothing to run is not a pass.
// Impossible values fail with their place in the file.
func TestNothingToRunAndImpossibleValuesFail(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "python/sgl_jax/__init__.py"), "")
	writeFile(t, filepath.Join(dir, "tpuci.toml"), "")
	out := filepath.Join(dir, "out")
	r := run(t, dir, []string{"CI=true", "TPUCI_OUT=" + out}, "pr")
	if r.code == 0 || !strings.Contains(r.stdout+r.stderr, "nothing to run is not a pass") {
		t.Fatalf("empty config under CI: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "summary.md")); err != nil {
		t.Errorf("no summary: %v", err)
	}
	cfg := filepath.Join(dir, "tpuci.toml")
	writeFile(t, cfg, "[[suite]]\nname = \"u\"\ntarget = \"unitTest1\"\npartitions = 0\nfiles = [{ path = \"python/sgl_jax/__init__.py\", minutes = 1 }]\n")
	r = run(t, dir, []string{"TPUCI_OUT=" + out}, "unitTest1")
	if r.code == 0 || !strings.Contains(r.stdout+r.stderr, cfg+":4:1: suite[0].partitions: must be at least 1") {
		t.Fatalf("partitions = 0: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
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
	var st report.TargetResult
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
