package lint

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/ghactions"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/proc"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Body runs pylint over what a change touched, at HEAD and at its base,
// and fails only on findings the change introduced (see Judge).
// TPUCI_LINT_BASE names the base ref (TPUCI_LINT_CHANGED is the older
// name; on GitHub, origin/$GITHUB_BASE_REF); TPUCI_LINT_BASELINE names a
// previous run's lint-findings.json to compare a full lint with.
func Body(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage) error {
	if err := pipeline.RequirePython(ws); err != nil {
		return err
	}
	if len(ws.Config.Lint.Paths) == 0 {
		return pipeline.Skip("no lint paths configured ([lint].paths)")
	}
	if err := Available(ctx, ws.Python); err != nil {
		return &pipeline.MissingTool{Tool: "pylint for " + ws.Python, Install: pipeline.InstallHint(ws.Python, "pylint", "pylint")}
	}
	scratch, err := os.MkdirTemp("", "tpuci-lint-")
	if err != nil {
		return fmt.Errorf("lint: scratch dir: %w", err)
	}
	defer os.RemoveAll(scratch)
	var log bytes.Buffer
	res, err := Judge(ctx, Setup{
		Cfg: ws.Config.Lint, Repo: ws.Repo, Python: ws.Python, Library: ws.Config.Repo.PackageDir,
		Env: ws.Env(), BaseRef: lintBaseRef(ws), Baseline: ws.Settings.Lint.Baseline, Scratch: scratch, Log: &log,
	})
	logFile := filepath.Join(st.LogDir, "pylint.log")
	_ = report.WriteFile(logFile, log.Bytes())
	if err != nil {
		return fmt.Errorf("%w (log: %s)", err, logFile)
	}
	for _, n := range res.Notes {
		fmt.Fprintln(st.Log, report.Fit("    "+n))
	}
	fmt.Fprintf(st.Log, "    pylint over %d file(s) at HEAD, %d at the base: %d new, %d existing, %d fixed\n",
		res.Files, res.BaseFiles, len(res.Verdict.New), len(res.Verdict.Existing), res.Verdict.Fixed)
	if err := WriteFindings(filepath.Join(ws.Out, "lint-findings.json"), res.Head); err != nil {
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
	set := ws.Settings
	for _, v := range []string{set.Lint.Base, set.Lint.Changed} {
		if v != "" {
			return v
		}
	}
	if b := set.GitHub.BaseRef; b != "" {
		return "origin/" + b
	}
	return ""
}

// interpreterCase turns syntax errors of an interpreter older than the
// checkout requires into one line: a warning locally, a failure in CI.
func interpreterCase(ws *workspace.Workspace, st *pipeline.Stage, res *Result) {
	if len(res.Unparsable) == 0 {
		if res.Interp.Mismatch {
			fmt.Fprintln(st.Log, report.Fit(fmt.Sprintf("    warning: Python %s does not satisfy requires-python %s (%s): files with newer syntax cannot be linted; set TPUCI_PYTHON to an interpreter that does",
				res.Interp.Version, res.Interp.Requires, res.Interp.From)))
		}
		return
	}
	line := res.Interp.UnparsableLine(len(res.Unparsable))
	c := report.Case{Name: "interpreter " + res.Interp.Version.String(), Class: "pylint", Message: line + ": " + strings.Join(res.Unparsable, ", ")}
	if ws.CI {
		c.Status = report.Failed
		st.Failures = append(st.Failures, line)
		fmt.Fprintln(st.Log, report.Fit("    error: "+line))
	} else {
		c.Status = report.Skipped
		fmt.Fprintln(st.Log, report.Fit("    warning: "+line))
	}
	st.Cases = append(st.Cases, c)
}

// preCommitCase runs the checkout's pre-commit hooks over the change, or
// records why they were not run.
func preCommitCase(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage, base *Base) {
	pc := PlanPreCommit(ws.Repo, base)
	c := report.Case{Name: "pre-commit", Class: "pre-commit"}
	if pc.Cmd == nil {
		c.Status, c.Message = report.Skipped, "not run: "+pc.Reason
		fmt.Fprintln(st.Log, report.Fit("    pre-commit not run: "+pc.Reason))
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
		c.Status, c.Message = report.Failed, fmt.Sprintf("pre-commit %s (log: %s)", o.Describe(), c.Log)
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
