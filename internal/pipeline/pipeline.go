// Package pipeline runs tpuci's stages: it frames each one, keeps its
// result, writes the reports after every stage (so nothing is lost when a
// run fails or is interrupted) and prints the closing summary.
package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sgl-project/tpuci/internal/ghactions"
	"github.com/sgl-project/tpuci/internal/hostlock"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/rerun"
	"github.com/sgl-project/tpuci/internal/stages"
	"github.com/sgl-project/tpuci/internal/textline"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Body does a stage's work, filling in st. Returning a *SkipError marks the
// stage skipped; any other error fails it.
type Body func(ctx context.Context, ws *workspace.Workspace, st *Stage) error

// Stage is what a Body sees and fills in.
type Stage struct {
	*report.TargetResult
	GH        *ghactions.Provider
	Out       io.Writer      // results and tool output
	Log       io.Writer      // tpuci's own progress lines
	Partition partition.Spec // TPUCI_PARTITION for the requested target only; the whole as a dependency
	// Rerun, when set, is what the stage runs again of an earlier
	// attempt (TPUCI_RERUN_FROM, go tool mage rerun); the pipeline carries
	// over the rest.
	Rerun *rerun.Selection
}

// Session is one tpuci process: its workspace and the stages it ran.
type Session struct {
	WS     *workspace.Workspace
	GH     *ghactions.Provider
	Out    io.Writer
	Log    io.Writer
	stages []*report.TargetResult
	mu     sync.Mutex

	sig       context.Context
	sigCh     chan os.Signal
	interrupt error

	keepOnce sync.Once // the earlier attempt a rerun keeps (TPUCI_RERUN_FROM)
	kept     string
	keepErr  error
}

var (
	current    *Session
	currentErr error
	once       sync.Once
)

// Current returns the process-wide session, resolving the workspace once.
func Current() (*Session, error) {
	once.Do(func() {
		cwd, err := os.Getwd()
		if err != nil {
			currentErr = fmt.Errorf("tpuci: working directory: %w", err)
			return
		}
		current, currentErr = NewSession(os.Getenv, cwd, os.Stdout, os.Stderr)
		if current != nil {
			current.watchSignals()
		}
	})
	return current, currentErr
}

// NewSession resolves a workspace and announces it.
func NewSession(getenv func(string) string, cwd string, out, log io.Writer) (*Session, error) {
	ws, err := workspace.Resolve(getenv, cwd)
	if err != nil {
		return nil, err
	}
	// Only GH writes workflow commands; everything else tpuci prints may
	// carry text from a payload, a config or a child, so it is guarded.
	s := &Session{WS: ws, GH: ghactions.FromSettings(ws.Settings.GitHub, out), Out: ghactions.NewGuard(out), Log: ghactions.NewGuard(log), sig: context.Background()}
	lines := append(slices.Clone(ws.Notes), "repo "+ws.Repo, "config "+inRepo(ws.Repo, ws.Config.Source), "out "+ws.Out, ws.Chips.Describe())
	if ws.Python != "" {
		lines = append(lines, fmt.Sprintf("python %s (%s)", ws.Python, ws.PythonFrom))
	} else {
		lines = append(lines, "python: "+ws.PythonFrom)
	}
	for _, l := range lines {
		fmt.Fprintln(log, report.Fit("tpuci: "+l))
	}
	return s, nil
}

// inRepo names a path inside the repo relative to it: the line before
// names the repo.
func inRepo(repo, path string) string {
	if r, err := filepath.Rel(repo, path); err == nil && filepath.IsAbs(path) && !strings.HasPrefix(r, "..") {
		return r + " in the repo"
	}
	return path
}

// Interrupted returns why the session was interrupted, or nil.
func (s *Session) Interrupted() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.interrupt
}

// Stages returns the results so far.
func (s *Session) Stages() []*report.TargetResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*report.TargetResult(nil), s.stages...)
}

// SkipError marks a stage as skipped, with the reason.
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return "skipped: " + e.Reason }

// Skip returns a SkipError.
func Skip(format string, args ...any) error { return &SkipError{Reason: fmt.Sprintf(format, args...)} }

// MissingTool is returned when a tool a stage needs is absent. Locally the
// stage is skipped with the install command; with CI=true it fails.
type MissingTool struct{ Tool, Install string }

func (e *MissingTool) Error() string {
	return fmt.Sprintf("%s is not available: install it with `%s`", e.Tool, e.Install)
}

type ctxKey int

const (
	depKey ctxKey = iota
	topKey
)

// AsDependency marks ctx as running a target because another needs it.
func AsDependency(ctx context.Context) context.Context { return context.WithValue(ctx, depKey, true) }

// IsDependency reports whether ctx runs a target as a dependency.
func IsDependency(ctx context.Context) bool { v, _ := ctx.Value(depKey).(bool); return v }

// Run runs one stage, unless it already passed for this commit and
// configuration and is only needed as a dependency.
func (s *Session) Run(ctx context.Context, name string, body Body) (err error) {
	ws := s.WS
	st := &Stage{
		TargetResult: &report.TargetResult{Target: name, Started: time.Now(), Commit: ws.Commit, Config: ws.Config.Hash, Inputs: inputsHash(ws), LogDir: ws.LogDir(name)},
		GH:           s.GH, Out: s.Out, Log: s.Log,
	}
	dep := IsDependency(ctx)
	if !dep {
		st.Partition = ws.Settings.Partition
		st.TargetResult.Partition = st.Partition.String()
	}
	if dep && !ws.Settings.Force {
		if rec, ok := s.passedRecord(name); ok {
			st.Status = report.Skipped
			st.Reason = fmt.Sprintf("already passed for this commit and config at %s", rec.Started.Format(time.TimeOnly))
			fmt.Fprintf(s.Log, "==> %s: %s\n", name, st.Reason)
			s.add(st.TargetResult)
			return nil
		}
	}
	if err := s.nothingToRun(name); err != nil {
		return s.Refuse(name, err)
	}
	if why := s.Interrupted(); why != nil {
		st.Status, st.Reason = report.Skipped, "not run: "+why.Error()
		s.add(st.TargetResult)
		return errors.New(name + ": " + st.Reason)
	}
	sel, err := s.earlier(name)
	if err != nil {
		return s.Refuse(name, err)
	}
	if sel != nil && sel.Nothing() {
		return s.carryOver(st, *sel)
	}
	s.ownSignals()
	ctx, cancel := s.stageContext(ctx)
	defer cancel(nil)

	fmt.Fprintf(s.Log, "==> %s\n", name)
	if sel != nil {
		st.Rerun = sel
		if !sel.Whole { // the record names what to run: no share of it
			st.Partition = partition.Spec{}
		}
		fmt.Fprintln(s.Log, report.Fit("    running again what failed in "+sel.From+": "+sel.Describe()))
	}
	s.add(st.TargetResult)
	restore := narrow(ws.Settings, sel)
	err = runBody(ctx, ws, st, body)
	restore()
	carried := 0
	if sel != nil {
		carried = rerun.Merge(st.TargetResult, *sel, sel.From)
	}
	st.Duration = time.Since(st.Started)
	err = s.settle(ctx, st, err)
	err = s.excuse(ctx, st, err)
	if sel != nil {
		st.Reason = strings.TrimPrefix(st.Reason+"; "+rerunNote(sel, carried), "; ")
	}
	if werr := s.write(st.TargetResult); werr != nil {
		fmt.Fprintf(s.Log, "tpuci: %v\n", werr)
	}
	s.record(ctx, st.TargetResult)
	fmt.Fprintln(s.Log, endLine(fmt.Sprintf("<== %s %s %s", name, st.Status, report.Round(st.Duration)), st.Reason))
	return err
}

// testStages are the targets that run what the configuration describes.
var testStages = stages.All()

// nothingToRun fails a test stage under CI=true when the configuration
// has no stage at all: nothing to run is not a pass.
func (s *Session) nothingToRun(name string) error {
	if !s.WS.CI || !slices.Contains(testStages, name) || !s.WS.Config.NothingToRun() {
		return nil
	}
	return fmt.Errorf("%s configures nothing to run (no [lint].paths, [[suite]], [[perf.case]], [[accuracy.case]], [[pallas.kernel]] or [[nightly.model]]); under CI=true nothing to run is not a pass: fix TPUCI_CONFIG or the file", s.WS.Config.Source)
}

// stageContext ends with the session's interruption, and before the
// whole job's deadline (mage -t) by jobTimeoutMargin, so that the stage
// still stops its children and writes its reports before mage exits.
func (s *Session) stageContext(parent context.Context) (context.Context, context.CancelCauseFunc) {
	ctx := parent
	var stopDeadline context.CancelFunc = func() {}
	if dl, ok := parent.Deadline(); ok {
		ctx, stopDeadline = context.WithDeadlineCause(context.WithoutCancel(parent), dl.Add(-jobTimeoutMargin), ErrJobTimeout)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(s.sig, func() { cancel(context.Cause(s.sig)) })
	return ctx, func(err error) {
		stop()
		cancel(err)
		stopDeadline()
	}
}

// endLine is a stage's end line with its reason in brief: the summary's
// notes and the stage's JSON keep the whole text.
func endLine(head, reason string) string {
	if reason == "" {
		return head
	}
	return head + " (" + textline.Brief(reason, report.Width-utf8.RuneCountInString(head)-3) + ")"
}

func runBody(ctx context.Context, ws *workspace.Workspace, st *Stage, body Body) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: internal error: %v", st.Target, r)
			if ws.Settings != nil && ws.Settings.MageVerbose {
				err = fmt.Errorf("%w\n%s", err, debug.Stack())
			}
		}
	}()
	return body(ctx, ws, st)
}

// settle turns the body's error into the stage's status and the target's error.
func (s *Session) settle(ctx context.Context, st *Stage, err error) error {
	var skip *SkipError
	var missing *MissingTool
	switch {
	case ctx.Err() != nil && context.Cause(ctx) != nil && s.Interrupted() != nil:
		st.Status, st.Partial = report.Failed, true
		st.Reason = s.Interrupted().Error()
		return fmt.Errorf("%s: %s", st.Target, st.Reason)
	case errors.Is(context.Cause(ctx), ErrJobTimeout):
		st.Status, st.Partial = report.Failed, true
		st.Reason = ErrJobTimeout.Error()
		return fmt.Errorf("%s: %s", st.Target, st.Reason)
	case errors.As(err, &skip):
		st.Status, st.Reason = report.Skipped, skip.Reason
		return nil
	case errors.As(err, &missing):
		if s.WS.CI {
			st.Status, st.Reason = report.Errored, missing.Error()
			return fmt.Errorf("%s: %w", st.Target, err)
		}
		st.Status, st.Reason = report.Skipped, missing.Error()
		return nil
	case err != nil:
		if st.Status == "" || st.Status == report.Passed {
			st.Status = report.Failed
		}
		if len(st.Failures) == 0 {
			st.Failures = append(st.Failures, err.Error())
		}
		if st.Reason == "" && len(st.Cases) == 0 {
			st.Status, st.Reason = report.Errored, err.Error()
		}
		return fmt.Errorf("%s: %w", st.Target, err)
	}
	for _, c := range st.Cases {
		if c.Status == report.Failed || c.Status == report.Errored {
			st.Status = report.Failed
			return fmt.Errorf("%s: %d failure(s): %s", st.Target, len(st.Failures), firstOf(st.Failures))
		}
	}
	st.Status = report.Passed
	return nil
}

func firstOf(f []string) string {
	if len(f) == 0 {
		return "see the report"
	}
	if len(f) == 1 {
		return f[0]
	}
	return f[0] + fmt.Sprintf(" (and %d more)", len(f)-1)
}

func (s *Session) add(st *report.TargetResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, old := range s.stages {
		if old.Target == st.Target {
			s.stages[i] = st
			return
		}
	}
	s.stages = append(s.stages, st)
}

// Fail records a target that did not run because a dependency failed.
func (s *Session) Fail(name string, why error) error {
	st := &report.TargetResult{Target: name, Started: time.Now(), Status: report.Skipped, Reason: "not run: " + why.Error(),
		Commit: s.WS.Commit, Config: s.WS.Config.Hash}
	s.add(st)
	_ = s.writeSummary()
	return fmt.Errorf("%s: not run: %w", name, why)
}

// Check is what a target verifies of its settings and configuration
// before any target runs; part is the share it would run.
type Check func(ws *workspace.Workspace, part partition.Spec) error

// Refuse records a target that a Check stopped before any work: an error
// with the reason, its record and the summary written.
func (s *Session) Refuse(name string, why error) error {
	st := &report.TargetResult{Target: name, Started: time.Now(), Status: report.Errored, Reason: why.Error(),
		Commit: s.WS.Commit, Config: s.WS.Config.Hash}
	s.add(st)
	if werr := s.write(st); werr != nil {
		fmt.Fprintf(s.Log, "tpuci: %v\n", werr)
	}
	fmt.Fprintln(s.Log, endLine(fmt.Sprintf("<== %s %s before any work", name, st.Status), st.Reason))
	return fmt.Errorf("%s: %w", name, why)
}

// resultPath is where a target's results JSON (and stage record) lives.
func (s *Session) resultPath(name string) string {
	return filepath.Join(s.WS.Out, workspace.FileName(name)+".json")
}

// LockChips takes the host-wide TPU lock for this stage, queueing up to
// TPUCI_LOCK_WAIT (default 30m; 0 fails at once) on TPUCI_LOCK_FILE.
func (st *Stage) LockChips(ctx context.Context, ws *workspace.Workspace) (*hostlock.Lock, error) {
	path := ws.Settings.LockFile
	if path == "" {
		path = hostlock.DefaultPath
	}
	wait := ws.Settings.LockWait
	return hostlock.Acquire(ctx, path, fmt.Sprintf("tpuci %s in %s", st.Target, ws.Repo), wait, func(holder string) {
		fmt.Fprintf(st.Log, "    waiting up to %s for the TPUs, held by %s\n", wait, holder)
	})
}

// resultInputs are the variables that change what a stage runs or how it
// is judged; a stage record only stands for the same values.
var resultInputs = []string{"TPUCI_SUITE", "TPUCI_SELECT", "TPUCI_CASES", "TPUCI_NIGHTLY_MODELS", "TPUCI_KERNELS", "TPUCI_SERVER_ARGS",
	"TPUCI_DURATIONS", "TPUCI_LINT_CHANGED", "TPUCI_LINT_BASE", "TPUCI_LINT_BASELINE", "TPUCI_KERNEL_SLOWDOWN"}

// inheritedInputs are variables that are not tpuci's but that the
// children inherit and that change their results, read raw.
var inheritedInputs = []string{"XLA_FLAGS", "JAX_PLATFORMS"}

// inputsHash fingerprints the interpreter, the chips and resultInputs.
func inputsHash(ws *workspace.Workspace) string {
	h := sha256.New()
	fmt.Fprintf(h, "python=%s\nchips=%d/%s\n", ws.Python, ws.Chips.Count, ws.Chips.Kind)
	for _, k := range resultInputs {
		fmt.Fprintf(h, "%s=%s\n", k, ws.Settings.Value(k))
	}
	for _, k := range inheritedInputs {
		fmt.Fprintf(h, "%s=%s\n", k, ws.Getenv(k))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// Context returns ctx, cancelled also when the session is interrupted
// (SIGINT, SIGTERM), for targets that run outside a stage.
func (s *Session) Context(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(s.sig, func() { cancel(context.Cause(s.sig)) })
	return ctx, func() { stop(); cancel(nil) }
}
