// Package gitcmd runs git commands through proc (own process group, killed
// with its tree on timeout or cancellation) and returns their output.
// It is the only way tpuci calls git.
package gitcmd

import (
	"bytes"
	"context"
	"io"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/proc"
	"github.com/sgl-project/tpuci/internal/textline"
)

// DefaultTimeout bounds one git command when Repo.Timeout is zero.
const DefaultTimeout = 2 * time.Minute

// Repo is a git working copy (or bare repository) to run commands in.
type Repo struct {
	Dir     string        // passed as git -C; empty means the current directory
	Env     []string      // added to the inherited environment
	Timeout time.Duration // per command; DefaultTimeout when zero
}

// Error is a git command that failed; Stderr holds what git printed.
type Error struct {
	Args   []string
	Err    error
	Stderr string
}

func (e *Error) Error() string {
	msg := "git " + strings.Join(e.Args, " ") + ": " + e.Err.Error()
	if line := textline.Last(e.Stderr); line != "" {
		msg += ": " + line
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Run runs git with args, stdin (may be nil) on its standard input, and
// returns its standard output.
func (r Repo) Run(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	argv := []string{"git"}
	if r.Dir != "" {
		argv = append(argv, "-C", r.Dir)
	}
	c := proc.Cmd{Argv: append(argv, args...), Env: r.Env, Timeout: timeout, Stdin: stdin, Stdout: &stdout, Stderr: &stderr}
	if _, err := proc.Run(ctx, c); err != nil {
		return stdout.Bytes(), &Error{Args: args, Err: err, Stderr: strings.TrimSpace(stderr.String())}
	}
	return stdout.Bytes(), nil
}

// Output runs git with args and returns its standard output.
func (r Repo) Output(ctx context.Context, args ...string) ([]byte, error) {
	return r.Run(ctx, nil, args...)
}

// Lines runs git with args and returns the non-blank lines of its output,
// trimmed.
func (r Repo) Lines(ctx context.Context, args ...string) ([]string, error) {
	out, err := r.Output(ctx, args...)
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines, nil
}
