// Package stages holds the bodies of tpuci's targets: each wires the
// workspace to the package that does the work and fills in the result.
package stages

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/depmap"
	"github.com/sgl-project/tpuci/internal/durations"
	"github.com/sgl-project/tpuci/internal/ghactions"
	"github.com/sgl-project/tpuci/internal/lint"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/proc"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/suite"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// requirePython fails (or skips, locally) when no interpreter was resolved.
func requirePython(ws *workspace.Workspace) error {
	if ws.Python == "" {
		return &pipeline.MissingTool{Tool: "python", Install: "export TPUCI_PYTHON=/path/to/python (or run scripts/bootstrap.sh to create .venv)"}
	}
	return nil
}

func installHint(python, module, debian string) string {
	if strings.HasPrefix(python, "/usr/bin/") {
		return "apt-get install " + debian
	}
	return python + " -m pip install " + module
}

// Lint runs pylint over what a change touched, at HEAD and at its base,
// and fails only on findings the change introduced (see lint.Judge).
// TPUCI_LINT_BASE names the base ref (TPUCI_LINT_CHANGED is the older
// name; on GitHub, origin/$GITHUB_BASE_REF); TPUCI_LINT_BASELINE names a
// previous run's lint-findings.json to compare a full lint with.
func Lint(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage) error {
	if err := requirePython(ws); err != nil {
		return err
	}
	if len(ws.Config.Lint.Paths) == 0 {
		return pipeline.Skip("no lint paths configured ([lint].paths)")
	}
	if err := lint.Available(ctx, ws.Python); err != nil {
		return &pipeline.MissingTool{Tool: "pylint for " + ws.Python, Install: installHint(ws.Python, "pylint", "pylint")}
	}
	scratch, err := os.MkdirTemp("", "tpuci-lint-")
	if err != nil {
		return fmt.Errorf("lint: scratch dir: %w", err)
	}
	defer os.RemoveAll(scratch)
	var log bytes.Buffer
	res, err := lint.Judge(ctx, lint.Setup{
		Cfg: ws.Config.Lint, Repo: ws.Repo, Python: ws.Python, Library: ws.Config.Repo.PackageDir,
		Env: ws.Env(), BaseRef: lintBaseRef(ws), Baseline: ws.Getenv("TPUCI_LINT_BASELINE"), Scratch: scratch, Log: &log,
	})
	logFile := filepath.Join(st.LogDir, "pylint.log")
	_ = report.WriteFile(logFile, log.Bytes())
	if err != nil {
		return fmt.Errorf("%w (log: %s)", err, logFile)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(st.Log, "    %s\n", n)
	}
	fmt.Fprintf(st.Log, "    pylint over %d file(s) at HEAD, %d at the base: %d new, %d existing, %d fixed\n",
		res.Files, res.BaseFiles, len(res.Verdict.New), len(res.Verdict.Existing), res.Verdict.Fixed)
	if err := lint.WriteFindings(filepath.Join(ws.Out, "lint-findings.json"), res.Head); err != nil {
		return err
	}
	st.Cases = res.Cases()
	if t := res.ExistingTable(); t != nil {
		st.Tables = append(st.Tables, *t)
	}
	for _, f := range res.Verdict.New {
		st.Failures = append(st.Failures, fmt.Sprintf("%s:%d:%d: new finding: %s (%s)", f.Path, f.Line, f.Column, f.Message, f.Symbol))
		st.GH.Annotate(ghactions.Annotation{File: f.Path, Line: f.Line, Col: f.Column + 1, Title: "pylint " + f.Symbol, Msg: f.Message})
	}
	interpreterCase(ws, st, res)
	preCommitCase(ctx, ws, st, res.Base)
	return nil
}

// lintBaseRef is the ref the change is judged against, when one is named.
func lintBaseRef(ws *workspace.Workspace) string {
	for _, k := range []string{"TPUCI_LINT_BASE", "TPUCI_LINT_CHANGED"} {
		if v := ws.Getenv(k); v != "" {
			return v
		}
	}
	if b := ws.Getenv("GITHUB_BASE_REF"); b != "" {
		return "origin/" + b
	}
	return ""
}

// interpreterCase turns syntax errors of an interpreter older than the
// checkout requires into one line: a warning locally, a failure in CI.
func interpreterCase(ws *workspace.Workspace, st *pipeline.Stage, res *lint.Result) {
	if len(res.Unparsable) == 0 {
		if res.Interp.Mismatch {
			fmt.Fprintf(st.Log, "    warning: Python %s does not satisfy requires-python %s (%s): files with newer syntax cannot be linted; set TPUCI_PYTHON to an interpreter that does\n",
				res.Interp.Version, res.Interp.Requires, res.Interp.From)
		}
		return
	}
	line := res.Interp.UnparsableLine(len(res.Unparsable))
	c := report.Case{Name: "interpreter " + res.Interp.Version.String(), Class: "pylint", Message: line + ": " + strings.Join(res.Unparsable, ", ")}
	if ws.CI {
		c.Status = report.Failed
		st.Failures = append(st.Failures, line)
		fmt.Fprintf(st.Log, "    error: %s\n", line)
	} else {
		c.Status = report.Skipped
		fmt.Fprintf(st.Log, "    warning: %s\n", line)
	}
	st.Cases = append(st.Cases, c)
}

// preCommitCase runs the checkout's pre-commit hooks over the change, or
// records why they were not run.
func preCommitCase(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage, base *lint.Base) {
	pc := lint.PlanPreCommit(ws.Repo, base)
	c := report.Case{Name: "pre-commit", Class: "pre-commit"}
	if pc.Cmd == nil {
		c.Status, c.Message = report.Skipped, "not run: "+pc.Reason
		fmt.Fprintf(st.Log, "    pre-commit not run: %s\n", pc.Reason)
		st.Cases = append(st.Cases, c)
		return
	}
	var out bytes.Buffer
	cmd := *pc.Cmd
	cmd.Stdout, cmd.Env, cmd.Timeout = &out, ws.Env(), ws.Config.Lint.Timeout.Duration
	start := time.Now()
	o, err := proc.Run(ctx, cmd)
	c.Duration, c.Log = time.Since(start), filepath.Join(st.LogDir, "pre-commit.log")
	_ = report.WriteFile(c.Log, append([]byte("$ "+cmd.String()+"\n"), out.Bytes()...))
	c.Status = report.Passed
	if err != nil {
		c.Status, c.Message = report.Failed, fmt.Sprintf("pre-commit %s (log: %s)", describeExit(o), c.Log)
		c.Output = tail(out.String(), 40)
		st.Failures = append(st.Failures, c.Message)
	}
	fmt.Fprintf(st.Log, "    pre-commit: %s\n", c.Status)
	st.Cases = append(st.Cases, c)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func describeExit(o proc.Outcome) string {
	if o.TimedOut {
		return "timed out"
	}
	if o.Signal != "" {
		return "killed by " + o.Signal
	}
	return fmt.Sprintf("exit code %d", o.ExitCode)
}

// Suites runs every suite whose target is name.
func Suites(target string) pipeline.Body {
	return func(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage) error {
		suites := ws.Config.SuitesFor(target)
		if len(suites) == 0 {
			return pipeline.Skip("no suites configured for %s (add [[suite]] with target = %q)", target, target)
		}
		if err := requirePython(ws); err != nil {
			return err
		}
		var runnable []*config.Suite
		for _, s := range suites {
			if ok, why := ws.Chips.Enough(s.Chips); !ok {
				st.Cases = append(st.Cases, report.Case{Name: s.Name, Class: s.Name, Status: report.Skipped, Message: why})
				fmt.Fprintf(st.Log, "    skip suite %s: %s\n", s.Name, why)
				continue
			}
			runnable = append(runnable, s)
		}
		if len(runnable) == 0 {
			return pipeline.Skip("no suite fits this host: %s", ws.Chips.Describe())
		}
		weights, err := durations.Load(ctx, ws, st.Log)
		if err != nil {
			return err
		}
		measured := weights.Minutes()
		if weights.Source != "" {
			fmt.Fprintf(st.Log, "    weights: %s\n", weights.Source)
		}
		only := ws.Settings.Suites
		var sel []string
		if v := ws.Settings.Select; v != "" {
			if sel, err = suite.LoadSelect(v); err != nil {
				return err
			}
		}
		opts := suite.Options{
			Repo: ws.Repo, Python: ws.Python, LogDir: st.LogDir, Partition: st.Partition, Only: only, Measured: measured, Select: sel,
			Env: func(chips int) []string { return append(ws.Env(), ws.Chips.Env(chips)...) },
		}
		depDir, err := recordDeps(ws, target, &opts)
		if err != nil {
			return err
		}
		plan, err := suite.PlanSuites(runnable, opts)
		if err != nil {
			return err
		}
		for _, why := range plan.Skipped {
			fmt.Fprintf(st.Log, "    skip suite %s\n", why)
		}
		if err := dropPytestFiles(ctx, ws, st, plan); err != nil {
			return err
		}
		part := ""
		if !st.Partition.Whole() {
			part = " (partition " + st.Partition.String() + ")"
		}
		fmt.Fprintf(st.Log, "    %d files%s, estimated %.1f min\n", len(plan.Jobs), part, plan.Minutes)
		if !ws.Chips.CPU { // one TPU user at a time; CPU hosts need no queue
			lock, err := st.LockChips(ctx, ws)
			if err != nil {
				return err
			}
			defer lock.Release()
		}
		r := &suite.Runner{Repo: ws.Repo, GH: st.GH, Out: st.Out, Log: st.Log, Verbose: verbose(ws), ShmClean: ws.Config.Cache.ShmClean}
		res, runErr := r.Run(ctx, plan)
		st.Cases = append(st.Cases, res.Cases...)
		st.Failures = append(st.Failures, res.Failures...)
		if err := mergeDurations(filepath.Join(ws.Out, "durations.json"), res.Durations); err != nil {
			fmt.Fprintf(st.Log, "    warning: %v\n", err)
		}
		recordDurations(ctx, ws, st, target, completed(res.Durations))
		if depDir != "" {
			saveDeps(ctx, ws, st, depDir)
		}
		return runErr
	}
}

func verbose(ws *workspace.Workspace) bool {
	return ws.Settings.Verbose || ws.Getenv("MAGEFILE_VERBOSE") == "1" || ws.Getenv("MAGEFILE_VERBOSE") == "true"
}

// dropPytestFiles leaves out the files that need pytest when the
// interpreter has none: each is skipped by name with the install command
// and the standard-library files still run. With only pytest files left,
// or under CI, the missing tool is the stage's outcome.
func dropPytestFiles(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage, plan *suite.Plan) error {
	var keep []suite.Job
	var pytest []suite.Job
	for _, j := range plan.Jobs {
		if j.JUnit == "" {
			keep = append(keep, j)
		} else {
			pytest = append(pytest, j)
		}
	}
	if len(pytest) == 0 {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := proc.Run(cctx, proc.Cmd{Argv: []string{ws.Python, "-c", "import pytest"}}); err == nil {
		return nil
	}
	missing := &pipeline.MissingTool{Tool: "pytest for " + ws.Python, Install: installHint(ws.Python, "pytest", "python3-pytest")}
	if len(keep) == 0 || ws.CI {
		return missing
	}
	for _, j := range pytest {
		st.Cases = append(st.Cases, report.Case{Name: j.File.Path, Class: j.Suite, File: j.File.Path, Status: report.Skipped, Message: missing.Error()})
		fmt.Fprintf(st.Log, "    skip %s: %s\n", j.File.Path, missing.Error())
	}
	plan.Jobs = keep
	return nil
}

// completed keeps the durations of files that ran to the end: a timeout's
// lower bound is no measurement for the history.
func completed(d map[string]suite.Measure) map[string]float64 {
	out := map[string]float64{}
	for f, m := range d {
		if !m.LowerBound {
			out[f] = m.Minutes
		}
	}
	return out
}

// recordDurations adds a run's durations to the history when it runs on
// main or on a schedule; a failure to record only warns.
func recordDurations(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage, target string, d map[string]float64) {
	event, ok := durations.Recording(ws.Getenv)
	if !ok || len(d) == 0 {
		return
	}
	run := durations.Run{Commit: ws.Commit, Date: time.Now().UTC(), Event: event, Target: target, Minutes: d}
	if err := durations.Open(ws, st.Log).Record(ctx, run); err != nil {
		fmt.Fprintf(st.Log, "    warning: durations not recorded: %v\n", err)
		return
	}
	fmt.Fprintf(st.Log, "    recorded the durations of %d files (%s run)\n", len(d), event)
}

// recordDeps installs the dependency recorder for runs that record
// (on main, on a schedule, or TPUCI_RECORD_DURATIONS=1) and returns its
// directory, or "" when this run does not record.
func recordDeps(ws *workspace.Workspace, target string, o *suite.Options) (string, error) {
	if _, ok := durations.Recording(ws.Getenv); !ok {
		return "", nil
	}
	dir := filepath.Join(ws.Out, "depmap", target)
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("depmap: clear %s: %w", dir, err)
	}
	pythonPath := ws.Config.Env["PYTHONPATH"]
	if pythonPath == "" {
		pythonPath = ws.Getenv("PYTHONPATH")
	}
	env, err := depmap.Install(dir, ws.Repo, pythonPath)
	if err != nil {
		return "", err
	}
	base := o.Env
	o.Env = func(chips int) []string { return append(base(chips), env...) }
	o.TestEnv = depmap.TestEnv
	return dir, nil
}

// saveDeps adds what the recorder saw to the history; failures warn.
func saveDeps(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage, dir string) {
	tests, err := depmap.Collect(dir)
	if err == nil && len(tests) > 0 {
		err = depmap.Save(ctx, ws, st.Log, depmap.Record{Commit: ws.Commit, Date: time.Now().UTC(), Tests: tests})
	}
	if err != nil {
		fmt.Fprintf(st.Log, "    warning: dependency map not recorded: %v\n", err)
		return
	}
	fmt.Fprintf(st.Log, "    recorded the modules %d test files loaded\n", len(tests))
}

// mergeDurations adds measured minutes per file to the durations record
// that TPUCI_DURATIONS can point later runs at.
func mergeDurations(path string, d map[string]suite.Measure) error {
	if len(d) == 0 {
		return nil
	}
	old, err := suite.LoadMeasures(path)
	if err != nil {
		old = nil
	}
	return report.WriteJSON(path, suite.MergeMeasures(old, d))
}
