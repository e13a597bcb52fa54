package proc

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// alive reports whether a process exists (and is not a zombie).
func alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(data))
	return len(f) > 2 && f[2] != "Z"
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still alive", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRunSuccessAndExitCode(t *testing.T) {
	var out bytes.Buffer
	o, err := Run(context.Background(), Cmd{Argv: []string{"sh", "-c", "echo hi; exit 0"}, Stdout: &out})
	if err != nil || o.ExitCode != 0 || out.String() != "hi\n" {
		t.Fatalf("got %v %+v %q", err, o, out.String())
	}
	o, err = Run(context.Background(), Cmd{Argv: []string{"sh", "-c", "exit 3"}})
	var ee *ExitError
	if !errors.As(err, &ee) || o.ExitCode != 3 || o.Crashed() {
		t.Fatalf("want exit 3 error, got %v %+v", err, o)
	}
}

func TestTimeoutKillsGrandchildren(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	// The child starts a grandchild that ignores SIGTERM and would run for a minute.
	script := `sh -c 'trap "" TERM; echo $$ > ` + pidFile + `; sleep 60' & wait`
	start := time.Now()
	o, err := Run(context.Background(), Cmd{Argv: []string{"sh", "-c", script}, Timeout: 500 * time.Millisecond, Grace: 200 * time.Millisecond})
	if err == nil || !o.TimedOut || !o.Crashed() {
		t.Fatalf("want timeout, got %v %+v", err, o)
	}
	if time.Since(start) > 30*time.Second { // far from the grandchild's minute on any host
		t.Fatalf("timeout took %s", time.Since(start))
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	waitGone(t, pid)
	if Running() != 0 {
		t.Fatalf("registry still holds %d processes", Running())
	}
}

func TestCancelStopsGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p, err := Start(Cmd{Argv: []string{"sleep", "30"}, Grace: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(100*time.Millisecond, cancel)
	o, err := p.Wait(ctx)
	if err == nil || !o.Canceled || o.Signal != "terminated" {
		t.Fatalf("want canceled by SIGTERM, got %v %+v", err, o)
	}
	waitGone(t, p.Pid())
}

func TestLeaderExitKillsLeftovers(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	_, err := Run(context.Background(), Cmd{Argv: []string{"sh", "-c", "sleep 60 & echo $! > " + pidFile}})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(pidFile)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	waitGone(t, pid)
}

func TestSignalOutcome(t *testing.T) {
	o, err := Run(context.Background(), Cmd{Argv: []string{"sh", "-c", "kill -SEGV $$"}})
	if err == nil || o.Signal == "" || !o.Crashed() {
		t.Fatalf("want crash by signal, got %v %+v", err, o)
	}
}

func TestStartErrors(t *testing.T) {
	if _, err := Run(context.Background(), Cmd{}); err == nil {
		t.Fatal("empty argv accepted")
	}
	if _, err := Run(context.Background(), Cmd{Argv: []string{"/nonexistent/tool"}}); err == nil || !strings.Contains(err.Error(), "/nonexistent/tool") {
		t.Fatalf("want error naming the tool, got %v", err)
	}
}

func TestQuote(t *testing.T) {
	got := Quote([]string{"python", "-c", "print('a b')", ""})
	want := `python -c 'print('\''a b'\'')' ''`
	if got != want {
		t.Fatalf("got %s want %s", got, want)
	}
}

var _ = syscall.SIGTERM

func TestDescribe(t *testing.T) {
	for want, o := range map[string]Outcome{
		"timed out after 1m0s":                 {ExitCode: -1, Signal: "killed", TimedOut: true, Duration: time.Minute + 2*time.Millisecond},
		"interrupted":                          {ExitCode: -1, Signal: "terminated", Canceled: true},
		"killed by signal: segmentation fault": {ExitCode: -1, Signal: "segmentation fault"},
		"exit code 3":                          {ExitCode: 3},
	} {
		if got := o.Describe(); got != want {
			t.Errorf("%+v: %q, want %q", o, got, want)
		}
	}
	if got := (&ExitError{Cmd: "sh -c 'exit 3'", Outcome: Outcome{ExitCode: 3}}).Error(); got != "sh -c 'exit 3': exit code 3" {
		t.Errorf("exit error %q", got)
	}
}
