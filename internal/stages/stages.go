// Package stages holds the bodies of tpuci's targets: each wires the
// workspace to the package that does the work and fills in the result.
package stages

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/ghactions"
	"github.com/sgl-project/tpuci/internal/lint"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/proc"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/suite"
	"github.com/sgl-project/tpuci/internal/textline"
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

// Lint runs pylint on the configured paths, or on changed files when
// TPUCI_LINT_CHANGED names a base ref.
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
	var changed []string
	if base := ws.Getenv("TPUCI_LINT_CHANGED"); base != "" {
		var err error
		if changed, err = lint.Changed(ctx, ws.Repo, base); err != nil {
			return err
		}
		if changed == nil {
			changed = []string{}
		}
	}
	plan, err := lint.PlanLint(ws.Config.Lint, lint.Options{Repo: ws.Repo, Python: ws.Python, Changed: changed})
	if err != nil {
		return err
	}
	if plan.Note != "" {
		fmt.Fprintf(st.Log, "    %s\n", plan.Note)
	}
	if len(plan.Files) == 0 {
		return pipeline.Skip("no Python files to lint")
	}
	fmt.Fprintf(st.Log, "    pylint over %d files\n", len(plan.Files))
	var stdout, stderr bytes.Buffer
	c := plan.Cmd
	c.Stdout, c.Stderr = &stdout, &stderr
	c.Env = ws.Env()
	o, runErr := proc.Run(ctx, c)
	logFile := filepath.Join(st.LogDir, "pylint.log")
	_ = report.WriteFile(logFile, append(append([]byte("$ "+c.String()+"\n"), stdout.Bytes()...), stderr.Bytes()...))
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	// pylint's exit code is a bit mask; 32 is a usage error, 1 a fatal message.
	if o.TimedOut || o.Crashed() || o.ExitCode&32 != 0 {
		return fmt.Errorf("lint: pylint %s: %s", describeExit(o), textline.Last(stderr.String()))
	}
	findings, err := lint.Parse(stdout.Bytes())
	if err != nil {
		return fmt.Errorf("%w (log: %s)", err, logFile)
	}
	st.Cases = lint.Cases(plan.Files, findings)
	for _, f := range findings {
		st.Failures = append(st.Failures, fmt.Sprintf("%s:%d:%d: %s (%s)", f.Path, f.Line, f.Column, f.Message, f.Symbol))
		st.GH.Annotate(ghactions.Annotation{File: f.Path, Line: f.Line, Col: f.Column + 1, Title: "pylint " + f.Symbol, Msg: f.Message})
	}
	if runErr != nil && len(findings) == 0 {
		return fmt.Errorf("lint: pylint %s with no findings: %s", describeExit(o), textline.Last(stderr.String()))
	}
	return nil
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
		measured, err := suite.LoadMeasured(ws.Getenv("TPUCI_DURATIONS"))
		if err != nil {
			return err
		}
		var only []string
		if v := ws.Getenv("TPUCI_SUITE"); v != "" {
			only = strings.Split(v, ",")
		}
		var sel []string
		if v := ws.Getenv("TPUCI_SELECT"); v != "" {
			if sel, err = suite.LoadSelect(v); err != nil {
				return err
			}
		}
		plan, err := suite.PlanSuites(runnable, suite.Options{
			Repo: ws.Repo, Python: ws.Python, LogDir: st.LogDir, Partition: st.Partition, Only: only, Measured: measured, Select: sel,
			Env: func(chips int) []string { return append(ws.Env(), ws.Chips.Env(chips)...) },
		})
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
		if st.Partition != "" {
			part = " (partition " + st.Partition + ")"
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
		return runErr
	}
}

func verbose(ws *workspace.Workspace) bool {
	return ws.Getenv("TPUCI_VERBOSE") != "" || ws.Getenv("MAGEFILE_VERBOSE") == "1" || ws.Getenv("MAGEFILE_VERBOSE") == "true"
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
