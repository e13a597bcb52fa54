// Package proc runs child processes the one way tpuci allows: argv slices,
// explicit directory and environment, each child in its own process group,
// and the whole group killed on timeout or cancellation.
package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/sgl-project/tpuci/internal/report"
)

// DefaultGrace is how long a process group gets between SIGTERM and SIGKILL.
const DefaultGrace = 3 * time.Second

// Cmd describes one child process. It is plain data so plans can be
// golden-tested before anything runs.
type Cmd struct {
	Argv    []string      `json:"argv"`
	Dir     string        `json:"dir,omitempty"`
	Env     []string      `json:"env,omitempty"` // added to the inherited environment
	Timeout time.Duration `json:"timeout,omitempty"`
	Grace   time.Duration `json:"-"`
	Stdin   io.Reader     `json:"-"`
	Stdout  io.Writer     `json:"-"` // nil discards
	Stderr  io.Writer     `json:"-"` // nil means Stdout
}

// String quotes the command line for logs.
func (c Cmd) String() string { return Quote(c.Argv) }

// Quote renders argv the way a shell user would retype it.
func Quote(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\$`|&;<>(){}*?[]#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts[i] = a
	}
	return strings.Join(parts, " ")
}

// Outcome is how a child ended.
type Outcome struct {
	ExitCode int           `json:"exit_code"` // -1 when killed by a signal or never started
	Signal   string        `json:"signal,omitempty"`
	TimedOut bool          `json:"timed_out,omitempty"`
	Canceled bool          `json:"canceled,omitempty"`
	Duration time.Duration `json:"duration"`
}

// Crashed reports an infrastructure-style end: killed by a signal, timed
// out, or a segfault-style exit code, as opposed to a test failure.
func (o Outcome) Crashed() bool {
	return o.TimedOut || o.Signal != "" || o.ExitCode >= 128 || o.ExitCode < 0
}

// Describe says how the child ended, the same words in every log, case
// message and error: "timed out after 1m0s", "interrupted", "killed by
// signal: segmentation fault" or "exit code 1".
func (o Outcome) Describe() string {
	switch {
	case o.TimedOut:
		return "timed out after " + report.Round(o.Duration)
	case o.Canceled:
		return "interrupted"
	case o.Signal != "":
		return "killed by signal: " + o.Signal
	}
	return fmt.Sprintf("exit code %d", o.ExitCode)
}

// ExitError is returned when a child ran and ended unsuccessfully.
type ExitError struct {
	Cmd     string
	Outcome Outcome
}

func (e *ExitError) Error() string { return e.Cmd + ": " + e.Outcome.Describe() }

// Run starts c, waits for it, and kills its whole process group when ctx
// ends or the timeout passes. A nil error means exit code 0.
func Run(ctx context.Context, c Cmd) (Outcome, error) {
	if len(c.Argv) == 0 {
		return Outcome{ExitCode: -1}, errors.New("run: empty command")
	}
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	cmd, err := Start(c)
	if err != nil {
		return Outcome{ExitCode: -1}, err
	}
	return cmd.Wait(ctx)
}

// Process is a started child.
type Process struct {
	cmd   *exec.Cmd
	start time.Time
	grace time.Duration
	name  string
	done  chan struct{}
	err   error
}

// Start launches c in its own process group without waiting.
func Start(c Cmd) (*Process, error) {
	if len(c.Argv) == 0 {
		return nil, errors.New("start: empty command")
	}
	path, err := exec.LookPath(c.Argv[0])
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", c.Argv[0], err)
	}
	cmd := exec.Command(path, c.Argv[1:]...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.Stdin = c.Stdin
	cmd.Stdout = c.Stdout
	cmd.Stderr = c.Stderr
	if cmd.Stdout == nil {
		cmd.Stdout = io.Discard
	}
	if cmd.Stderr == nil {
		cmd.Stderr = cmd.Stdout
	}
	// Pdeathsig ends the group leader with us even if we are SIGKILLed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// Output pipes may be held open by grandchildren; do not wait on them forever.
	cmd.WaitDelay = 2 * time.Second
	grace := c.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	p := &Process{cmd: cmd, grace: grace, name: Quote(c.Argv), done: make(chan struct{})}
	track(p)
	if err := cmd.Start(); err != nil {
		untrack(p)
		return nil, fmt.Errorf("start %s: %w", p.name, err)
	}
	p.start = time.Now()
	go func() {
		p.err = cmd.Wait()
		untrack(p)
		close(p.done)
	}()
	return p, nil
}

// Pid is the child's process id, which is also its process group id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the child has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait waits for the child; when ctx ends first the whole group is stopped.
func (p *Process) Wait(ctx context.Context) (Outcome, error) {
	select {
	case <-p.done:
		// The leader exited; leftovers in its group are ended too.
		killGroup(p.Pid(), syscall.SIGKILL)
	case <-ctx.Done():
		p.Stop()
	}
	o := p.outcome()
	if ctx.Err() != nil {
		// Only a plain deadline is a timeout; a deadline with its own cause
		// (the whole job's) stops the child like a cancellation.
		if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
			o.TimedOut = true
		} else {
			o.Canceled = true
		}
	}
	if o.ExitCode == 0 && !o.TimedOut && !o.Canceled {
		return o, nil
	}
	return o, &ExitError{Cmd: p.name, Outcome: o}
}

// Stop sends SIGTERM to the group, then SIGKILL after the grace period,
// and returns once the leader has exited.
func (p *Process) Stop() {
	select {
	case <-p.done:
		killGroup(p.Pid(), syscall.SIGKILL)
		return
	default:
	}
	killGroup(p.Pid(), syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(p.grace):
	}
	killGroup(p.Pid(), syscall.SIGKILL)
	<-p.done
}

func (p *Process) outcome() Outcome {
	o := Outcome{ExitCode: -1, Duration: time.Since(p.start)}
	if st := p.cmd.ProcessState; st != nil {
		o.ExitCode = st.ExitCode()
		if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			o.Signal = ws.Signal().String()
		}
	}
	return o
}

func killGroup(pgid int, sig syscall.Signal) {
	if pgid > 0 {
		_ = syscall.Kill(-pgid, sig)
	}
}

// Output runs argv in dir and returns its stdout; on failure the error
// carries the last line of stderr.
func Output(ctx context.Context, dir string, argv ...string) ([]byte, error) {
	var stdout, stderr strings.Builder
	_, err := Run(ctx, Cmd{Argv: argv, Dir: dir, Stdout: &stdout, Stderr: &stderr})
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		if msg != "" {
			return []byte(stdout.String()), fmt.Errorf("%w: %s", err, msg)
		}
		return []byte(stdout.String()), err
	}
	return []byte(stdout.String()), nil
}
