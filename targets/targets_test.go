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

	"golang.org/x/sys/unix"

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
	if r.code == 0 || !strings.Contains(flat(r.stdout+r.stderr), cfg+":3:1: lint.timeuot: unknown key") {
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
		if r.code == 0 || !strings.Contains(flat(r.stdout+r.stderr), c.want) {
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
// alone or to its whole process group, and the exit code it expects.
type stop struct {
	sigs     []syscall.Signal
	group    bool
	wantCode int
}

// interrupt starts cmd in a process group of its own, waits for the
// hanging test's grandchild, sends the signals, and checks the exit code,
// that nothing survives (the grandchild, the group), that the partial
// reports are kept and that the summary says "partial" in words. It
// returns tpuci's stderr.
func interrupt(t *testing.T, cmd *exec.Cmd, pidFile, out string, how stop) string {
	t.Helper()
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
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
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
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
	case <-time.After(60 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Fatalf("tpuci did not exit after %v", how.sigs)
	}
	if code := cmd.ProcessState.ExitCode(); code != how.wantCode {
		t.Fatalf("exit code %d, want %d\nstderr:\n%s", code, how.wantCode, se.String())
	}
	for end := time.Now().Add(10 * time.Second); alive(pid); {
		if time.Now().After(end) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("grandchild %d outlived tpuci", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	checkGroupGone(t, cmd.Process.Pid)
	checkPartialReports(t, out, &se)
	if words := strings.Join(strings.Fields(so.String()), " "); !strings.Contains(words, "failed, partial") || !strings.Contains(words, "Partial run: interrupted by SIG") {
		t.Errorf("the summary does not say partial in words:\n%s", so.String())
	}
	return se.String()
}

// groupMembers lists the live processes of process group pgid.
func groupMembers(pgid int) []string {
	var live []string
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		// "pid (comm) state ppid pgrp ...": comm may hold spaces.
		end := bytes.LastIndexByte(data, ')')
		f := strings.Fields(string(data[end+1:]))
		if len(f) > 2 && f[0] != "Z" && f[2] == strconv.Itoa(pgid) {
			live = append(live, string(data[:end+1]))
		}
	}
	return live
}

// checkGroupGone fails when a process of group pgid (go, the mage
// launcher, the compiler, tpuci) outlives the command, and kills them.
func checkGroupGone(t *testing.T, pgid int) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		live := groupMembers(pgid)
		if len(live) == 0 {
			return
		}
		if time.Now().After(end) {
			syscall.Kill(-pgid, syscall.SIGKILL)
			t.Fatalf("processes outlived the command: %v", live)
		}
	}
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
	if md, _ := os.ReadFile(filepath.Join(out, "summary.md")); !strings.Contains(string(md), "**Partial run**: ") || !strings.Contains(string(md), "failed, partial") {
		t.Errorf("summary.md does not say partial in words:\n%s", md)
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
// command forwards it to tpuci's mage launcher (cmd/mage), which relays it
// to tpuci and exits with tpuci's 143 instead of dying of it (of which the
// go command would make exit status 0).
func TestSIGTERMToGoToolMage(t *testing.T) {
	repo, pidFile := hangingRepo(t)
	out := filepath.Join(t.TempDir(), "out")
	stderr := interrupt(t, goToolMage(t, repo, out, "pr"), pidFile, out, stop{sigs: []syscall.Signal{syscall.SIGTERM}, wantCode: 143})
	if strings.Contains(stderr, "again") {
		t.Errorf("one SIGTERM counted twice:\n%s", stderr)
	}
}

// A signal to the whole group of "go tool mage" (a Ctrl-C, a supervisor's
// SIGTERM to the group) reaches tpuci directly, and a SIGTERM also through
// the launcher's relay: one event, not two, and the exit code is tpuci's.
func TestSignalToGoToolMageGroup(t *testing.T) {
	for _, c := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGTERM, 143}, {syscall.SIGINT, 130}} {
		repo, pidFile := hangingRepo(t)
		out := filepath.Join(t.TempDir(), "out")
		stderr := interrupt(t, goToolMage(t, repo, out, "unitTest1"), pidFile, out, stop{sigs: []syscall.Signal{c.sig}, group: true, wantCode: c.want})
		if strings.Contains(stderr, "again") {
			t.Errorf("one %v counted twice:\n%s", c.sig, stderr)
		}
	}
}

// A signal during mage's compile step (the magefile compiled afresh into
// an empty mage cache) ends `go tool mage pr` with 128+signal before any
// target runs, and leaves no process: a Ctrl-C to the group; the same
// when the shell started it with SIGINT ignored (a background job of a
// script: the go command starts its tool before it handles signals, so
// mage's own launcher, the compiler and the targets kept SIGINT ignored and
// the run went on to pass); and a SIGTERM to the go command alone, also
// under -compile, whose 0 let `-compile x && x pr` run an old binary.
func TestSignalDuringMageCompile(t *testing.T) {
	for _, c := range []struct {
		name      string
		sig       syscall.Signal
		group     bool
		ignoreInt bool
		want      int
		args      []string
	}{
		{"SIGINT to the group", syscall.SIGINT, true, false, 130, []string{"pr"}},
		{"SIGINT to the group, ignored by the shell", syscall.SIGINT, true, true, 130, []string{"pr"}},
		{"SIGTERM to go", syscall.SIGTERM, false, false, 143, []string{"pr"}},
		{"SIGTERM to go during -compile", syscall.SIGTERM, false, false, 143, []string{"-compile", filepath.Join(t.TempDir(), "tpuci")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			repo, _ := hangingRepo(t)
			out := filepath.Join(t.TempDir(), "out")
			cmd := goToolMage(t, repo, out, append([]string{"-debug"}, c.args...)...)
			cmd.Env = append(cmd.Env, "MAGEFILE_CACHE="+t.TempDir())
			if c.ignoreInt {
				cmd.Args = append([]string{"sh", "-c", `trap "" INT; exec "$@"`, "sh"}, cmd.Args...)
				cmd.Path = needs.FirstTool(t, "/bin/sh", "sh")
			}
			stderr := signalAtLine(t, cmd, "running go build", c.sig, c.group, c.want)
			if !strings.Contains(stderr, unix.SignalName(c.sig)+" during mage's compile step") {
				t.Errorf("no line saying that no target ran:\n%s", stderr)
			}
			if entries, _ := os.ReadDir(out); len(entries) > 0 {
				t.Errorf("a target ran: %s holds %v", out, entries)
			}
		})
	}
}

// lineWatch collects output and closes seen once it holds marker.
type lineWatch struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	seen   chan struct{}
}

func (w *lineWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	had := strings.Contains(w.buf.String(), w.marker)
	w.buf.Write(p)
	if !had && strings.Contains(w.buf.String(), w.marker) {
		close(w.seen)
	}
	return len(p), nil
}

func (w *lineWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// signalAtLine starts cmd in a process group of its own, sends sig (to
// the group or to the process) once its stderr shows marker, and checks
// the exit code and that no process of the group survives. It returns
// stderr.
func signalAtLine(t *testing.T, cmd *exec.Cmd, marker string, sig syscall.Signal, group bool, want int) string {
	t.Helper()
	se := &lineWatch{marker: marker, seen: make(chan struct{})}
	var so bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, se
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-se.seen:
	case <-done:
		t.Fatalf("ended before %q\nstderr:\n%s", marker, se.String())
	case <-time.After(5 * time.Minute):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Fatalf("no %q\nstderr:\n%s", marker, se.String())
	}
	target := cmd.Process.Pid
	if group {
		target = -target
	}
	syscall.Kill(target, sig)
	select {
	case <-done:
	case <-time.After(5 * time.Minute): // a SIGTERM to go alone lets the compile step finish
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Fatalf("did not exit after %v\nstderr:\n%s", sig, se.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != want {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, want, so.String(), se.String())
	}
	checkGroupGone(t, cmd.Process.Pid)
	return se.String()
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

// A tpuci.toml without any stage under CI=true fails: nothing to run is
// not a pass. An empty one fails at load. Impossible values fail with
// their place in the file.
func TestNothingToRunAndImpossibleValuesFail(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "python/sgl_jax/__init__.py"), "")
	writeFile(t, filepath.Join(dir, "tpuci.toml"), "# to do\n")
	out := filepath.Join(dir, "out")
	r := run(t, dir, []string{"TPUCI_OUT=" + out}, "unitTest1")
	if r.code == 0 || !strings.Contains(flat(r.stdout+r.stderr), filepath.Join(dir, "tpuci.toml")+": defines nothing") {
		t.Fatalf("empty config: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	writeFile(t, filepath.Join(dir, "tpuci.toml"), "[lint]\njobs = 1\n")
	r = run(t, dir, []string{"CI=true", "TPUCI_OUT=" + out}, "pr")
	if r.code == 0 || !strings.Contains(flat(r.stdout+r.stderr), "nothing to run is not a pass") {
		t.Fatalf("empty config under CI: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "summary.md")); err != nil {
		t.Errorf("no summary: %v", err)
	}
	cfg := filepath.Join(dir, "tpuci.toml")
	writeFile(t, cfg, "[[suite]]\nname = \"u\"\ntarget = \"unitTest1\"\npartitions = 0\nfiles = [{ path = \"python/sgl_jax/__init__.py\", minutes = 1 }]\n")
	r = run(t, dir, []string{"TPUCI_OUT=" + out}, "unitTest1")
	if r.code == 0 || !strings.Contains(flat(r.stdout+r.stderr), cfg+":4:1: suite[0].partitions: must be at least 1") {
		t.Fatalf("partitions = 0: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// config:show prints the [ci] values in force where the file leaves them out.
func TestConfigShowPrintsTheDefaultsInForce(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "python/sgl_jax/__init__.py"), "")
	writeFile(t, filepath.Join(dir, "tpuci.toml"), "[lint]\npaths = [\"python\"]\n")
	r := run(t, dir, []string{"TPUCI_OUT=" + filepath.Join(dir, "out")}, "config:show")
	if r.code != 0 || !strings.Contains(r.stdout, "history = 5\n") || !strings.Contains(r.stdout, "depmap_max_age = '168h0m0s'\n") {
		t.Fatalf("config:show: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// TPUCI_COMPARE=HEAD~1 pallas on a git copy of the example whose last
// commit makes one kernel do its work twice: the target fails naming
// that kernel, and the summary carries the comparison table.
func TestCompareHeadParentCatchesAKernelSlowdown(t *testing.T) {
	tpuci(t) // skip under -short
	repo := comparetest.Repo(t)
	comparetest.SlowGMM(t, repo)
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
