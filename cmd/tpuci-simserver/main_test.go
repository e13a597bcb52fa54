package main

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildBinary compiles the command once per test binary run.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "simserver-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "tpuci-simserver")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, err := groupCommand(ctx, "go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v", buildErr)
	}
	return binPath
}

// groupCommand runs in its own process group, killed as a whole when ctx ends.
func groupCommand(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

type proc struct {
	cmd    *exec.Cmd
	url    string
	mu     sync.Mutex
	stderr strings.Builder
	done   chan struct{}
	err    error
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

var listening = regexp.MustCompile(`listening on (127\.0\.0\.1:\d+)`)

// start runs the server in its own process group and waits until it is ready.
func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	cmd := groupCommand(context.Background(), binary(t), append([]string{"--host", "127.0.0.1", "--port", "0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.stderr.WriteString(line + "\n")
			p.mu.Unlock()
			if m := listening.FindStringSubmatch(line); m != nil {
				p.url = "http://" + m[1]
			}
			if strings.Contains(line, "ready:") {
				ready <- p.url
			}
		}
		p.err = cmd.Wait()
		close(p.done)
	}()
	select {
	case <-ready:
	case <-p.done:
		t.Fatalf("server exited before ready: %v\n%s", p.err, p.log())
	case <-time.After(20 * time.Second):
		t.Fatalf("server not ready after 20s:\n%s", p.log())
	}
	return p
}

// exitCode waits for the process and returns its exit code.
func (p *proc) exitCode(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("server still running after %v:\n%s", timeout, p.log())
	}
	var exit *exec.ExitError
	if errors.As(p.err, &exit) {
		return exit.ExitCode()
	}
	if p.err != nil {
		t.Fatalf("wait: %v", p.err)
	}
	return 0
}

func postGenerate(url string) (int, error) {
	resp, err := http.Post(url+"/generate", "application/json",
		strings.NewReader(`{"text":"hi","sampling_params":{"max_new_tokens":3,"ignore_eos":true}}`))
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func TestServesAndExitsCleanlyOnSIGTERM(t *testing.T) {
	p := start(t, nil, "--trust-remote-code", "--dtype", "bfloat16", "--skip-server-warmup",
		"--sim-decode-step-ms", "1", "--sim-prefill-base-ms", "1")
	resp, err := http.Get(p.url + "/health")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /health: %v %v", resp, err)
	}
	resp.Body.Close()
	if code, err := postGenerate(p.url); err != nil || code != http.StatusOK {
		t.Fatalf("POST /generate: %d %v", code, err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.exitCode(t, 15*time.Second); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0\n%s", code, p.log())
	}
	log := p.log()
	for _, want := range []string{"ignoring --trust-remote-code", "ignoring --dtype", "listening on 127.0.0.1:", "ready:", "stopped"} {
		if !strings.Contains(log, want) {
			t.Errorf("stderr lacks %q:\n%s", want, log)
		}
	}
}

func TestCrashAfterExitsNonZero(t *testing.T) {
	p := start(t, nil, "--sim-crash-after", "1", "--sim-decode-step-ms", "1")
	if code, err := postGenerate(p.url); err != nil || code != http.StatusOK {
		t.Fatalf("POST /generate: %d %v", code, err)
	}
	if code := p.exitCode(t, 10*time.Second); code != 1 {
		t.Errorf("exit code = %d, want 1", code)
	}
	if !strings.Contains(p.log(), "simulated crash") {
		t.Errorf("stderr lacks the crash message:\n%s", p.log())
	}
}

func TestCacheMissCheckExitsNonZero(t *testing.T) {
	p := start(t, []string{"SGLANG_JAX_ENABLE_CACHE_MISS_CHECK=1"}, "--sim-recompile-every", "1", "--sim-recompile-delay", "10ms")
	if code, err := postGenerate(p.url); err == nil && code == http.StatusOK {
		t.Errorf("request that triggered the recompilation succeeded")
	}
	if code := p.exitCode(t, 10*time.Second); code != 1 {
		t.Errorf("exit code = %d, want 1", code)
	}
	if !strings.Contains(p.log(), "cache miss occurred 1 times") {
		t.Errorf("stderr lacks the cache miss message:\n%s", p.log())
	}
}

func TestBadFlagExitsWithUsageError(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := groupCommand(ctx, binary(t), "--port", "nope").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("exit = %v, want code 2", err)
	}
	if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "--port") {
		t.Errorf("output = %q, want one line naming --port", out)
	}
}
