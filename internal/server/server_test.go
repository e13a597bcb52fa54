package server

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/proc"
	"github.com/sgl-project/tpuci/internal/tinymodel"
)

// binDir holds the simulator built once for all tests of the package.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tpuci-server-test-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func simProfile(name string, timeout time.Duration, args ...string) *config.Server {
	return &config.Server{Name: name, Model: "Qwen/Qwen3-8B", TP: 1, Command: []string{SimCommand},
		Args: args, ReadyTimeout: config.Duration{Duration: timeout}}
}

func newManager(t *testing.T) (*Manager, *bytes.Buffer) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and launches the simulator")
	}
	var log bytes.Buffer
	m := NewManager(Options{Repo: t.TempDir(), LogDir: t.TempDir(), BinDir: binDir, Log: &log})
	t.Cleanup(m.Close)
	return m, &log
}

// gone reports whether a process (or its group leader) has exited.
func gone(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	f := strings.Fields(string(data))
	return len(f) > 2 && f[2] == "Z"
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !gone(pid); {
		if time.Now().After(deadline) {
			t.Fatalf("server process %d still alive", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := syscall.Kill(-pid, 0); err == nil {
		t.Fatalf("process group %d still has members", pid)
	}
}

func TestSimulatorStartsOnceAndIsReused(t *testing.T) {
	m, _ := newManager(t)
	p := simProfile("sim", 30*time.Second, "--sim-ready-delay", "300ms")
	ctx := context.Background()
	in, err := m.Get(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if in.Ready < 300*time.Millisecond {
		t.Fatalf("ready after %s, before the simulated 300ms startup", in.Ready)
	}
	if !strings.HasPrefix(in.BaseURL, "http://127.0.0.1:") || filepath.Base(in.LogFile) != "server-sim.log" {
		t.Fatalf("instance %+v", in)
	}
	resp, err := http.Get(in.BaseURL + "/health_generate")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("health: %v %v", resp, err)
	}
	resp.Body.Close()
	again, err := m.Get(ctx, p)
	if err != nil || again != in {
		t.Fatalf("second Get started another server: %v", err)
	}
	if !slices.Contains(in.Argv, "--port") || !slices.Contains(in.Argv, "--device") {
		t.Fatalf("argv %v", in.Argv)
	}
	pid := in.Pid()
	m.Close()
	waitGone(t, pid)
}

func TestNeverReadyFailsWithinTimeoutWithTailAndNoProcess(t *testing.T) {
	m, _ := newManager(t)
	// Build first, so the timing below covers only the wait.
	if _, err := BuildSimulator(context.Background(), binDir, "", nil); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	in, err := m.start(context.Background(), simProfile("stuck", time.Second), mustCommand(t, m, simProfile("stuck", time.Second, "--sim-never-ready")))
	took := time.Since(start)
	var se *Error
	if !errors.As(err, &se) || !strings.Contains(se.Reason, "not ready within 1s") {
		t.Fatalf("want a readiness error, got %v", err)
	}
	if took > 30*time.Second { // 1s timeout plus the kill grace; a missed timeout never ends
		t.Fatalf("failing took %s", took)
	}
	if len(se.Tail) == 0 || !strings.Contains(err.Error(), "last ") || !strings.Contains(err.Error(), "server-stuck.log") {
		t.Fatalf("no log tail in %q", err)
	}
	if first, _, _ := strings.Cut(err.Error(), "\n"); !strings.Contains(first, "server stuck: not ready") {
		t.Fatalf("first line %q", first)
	}
	waitGone(t, in.p.Pid())
	if proc.Running() != 0 {
		t.Fatalf("%d children still registered", proc.Running())
	}
}

func mustCommand(t *testing.T, m *Manager, p *config.Server) []string {
	t.Helper()
	argv, err := m.command(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return argv
}

func TestExitBeforeReadyShowsWhy(t *testing.T) {
	m, _ := newManager(t)
	_, err := m.Get(context.Background(), simProfile("bad", 30*time.Second, "--sim-slowdown", "nope"))
	var se *Error
	if !errors.As(err, &se) || !strings.Contains(se.Reason, "exited before it was ready (exit code 2)") {
		t.Fatalf("want exit before ready, got %v", err)
	}
	if !strings.Contains(err.Error(), "sim-slowdown") {
		t.Fatalf("tail does not show the simulator's complaint: %v", err)
	}
}

func TestDeathIsReportedAndGetRestarts(t *testing.T) {
	m, log := newManager(t)
	p := simProfile("crashy", 30*time.Second, "--sim-crash-after", "1")
	in, err := m.Get(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(in.BaseURL+"/generate", "application/json", strings.NewReader(`{"text":"hi","sampling_params":{"max_new_tokens":2}}`))
	if err == nil {
		resp.Body.Close()
	}
	select {
	case <-in.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("simulator did not crash")
	}
	err = in.Alive()
	var se *Error
	if !errors.As(err, &se) || !strings.Contains(se.Reason, "died (exit code 1)") || !strings.Contains(err.Error(), "simulated crash") {
		t.Fatalf("Alive: %v", err)
	}
	next, err := m.Get(context.Background(), p)
	if err != nil || next == in || next.Alive() != nil {
		t.Fatalf("restart: %v", err)
	}
	if !strings.Contains(log.String(), "died; starting it again") {
		t.Fatalf("restart not logged: %s", log)
	}
	if tail := next.Tail(100); len(tail) == 0 || strings.Contains(strings.Join(tail, "\n"), "simulated crash") {
		t.Fatalf("tail of the new start shows the old one: %q", tail)
	}
}

func TestCacheMissesAreCountedFromTheLog(t *testing.T) {
	m, _ := newManager(t)
	p := simProfile("recompile", 30*time.Second, "--sim-recompile-every", "1", "--sim-recompile-delay", "10ms")
	in, err := m.Get(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(in.BaseURL+"/generate", "application/json", strings.NewReader(`{"text":"hi","sampling_params":{"max_new_tokens":2}}`))
	if err == nil {
		resp.Body.Close()
	}
	select {
	case <-in.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("a recompilation with the check on did not stop the simulator")
	}
	if n := in.CacheMisses(); n < 1 {
		t.Fatalf("cache misses %d; log:\n%s", n, in.Log())
	}
}

func TestOneProfileAtATime(t *testing.T) {
	m, _ := newManager(t)
	a, err := m.Get(context.Background(), simProfile("a", 30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get(context.Background(), simProfile("b", 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	waitGone(t, a.Pid())
}

func TestEnvAndDefaultCommand(t *testing.T) {
	off := false
	m := NewManager(Options{Python: "/venv/bin/python", Env: []string{"A=1"}, ChipEnv: func(n int) []string { return []string{"CHIPS=" + strconv.Itoa(n)} }})
	p := &config.Server{Name: "moe", Model: "Qwen/Qwen3-30B-A3B", Chips: 4, TP: 4, EP: 4, Args: []string{"--page-size", "256"},
		Env: map[string]string{"Z": "2"}}
	env := m.Env(p)
	if want := []string{"A=1", "CHIPS=4", CacheMissEnv + "=1", "Z=2"}; !slices.Equal(env, want) {
		t.Fatalf("env %v, want %v", env, want)
	}
	p.CacheMiss = &off
	if slices.Contains(m.Env(p), CacheMissEnv+"=1") {
		t.Fatal("cache_miss_check = false still sets the check")
	}
	argv, err := m.command(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	want := "/venv/bin/python -m sgl_jax.launch_server --model-path Qwen/Qwen3-30B-A3B --host 127.0.0.1 --port PORT --tp-size 4 --ep-size 4 --device tpu --page-size 256"
	if got := strings.Join(argv, " "); got != want {
		t.Fatalf("argv\n got %s\nwant %s", got, want)
	}
	p.Args = []string{"--device", "cpu"}
	argv, _ = m.command(context.Background(), p)
	if strings.Contains(strings.Join(argv, " "), "--device tpu") {
		t.Fatalf("profile's --device not respected: %v", argv)
	}
	if _, err := NewManager(Options{}).command(context.Background(), p); err == nil || !strings.Contains(err.Error(), "TPUCI_PYTHON") {
		t.Fatalf("missing python: %v", err)
	}
}

func TestBuildFailureIsClear(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	dir := t.TempDir() // not a Go module
	_, err := BuildSimulator(context.Background(), t.TempDir(), dir, nil)
	if err == nil || !strings.Contains(err.Error(), "go.mod requires tpuci") {
		t.Fatalf("want a clear build error, got %v", err)
	}
}

// A generated model is made with the profile's python under ModelDir and
// given as --model-path; the config keeps naming it tpuci:<name>.
func TestGeneratedModelIsBuiltAndPassedAsPath(t *testing.T) {
	python := filepath.Join(t.TempDir(), "python")
	// Stands in for python running the tokenizer script: python SCRIPT SPEC OUT.
	if err := os.WriteFile(python, []byte("#!/bin/sh\necho '{}' > \"$3/tokenizer.json\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	m := NewManager(Options{Python: python, ModelDir: t.TempDir(), Log: &log})
	p := &config.Server{Name: "cpu", Model: "tpuci:tiny-qwen3", TP: 1, Args: []string{"--device", "cpu", "--load-format", "dummy"}}
	argv, err := m.command(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	tm, _ := tinymodel.Lookup(p.Model)
	want := python + " -m sgl_jax.launch_server --model-path " + tm.Dir(m.o.ModelDir) +
		" --host 127.0.0.1 --port PORT --tp-size 1 --device cpu --load-format dummy"
	if got := strings.Join(argv, " "); got != want {
		t.Fatalf("argv\n got %s\nwant %s", got, want)
	}
	if !strings.Contains(log.String(), "generated tpuci:tiny-qwen3") {
		t.Errorf("no line saying the model was generated:\n%s", log.String())
	}
	if _, err := os.Stat(filepath.Join(tm.Dir(m.o.ModelDir), "config.json")); err != nil {
		t.Error(err)
	}
	if _, err := NewManager(Options{}).command(context.Background(), p); err == nil || !strings.Contains(err.Error(), "TPUCI_PYTHON") {
		t.Fatalf("missing python: %v", err)
	}
}
