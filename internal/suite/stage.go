package suite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/compiles"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/depmap"
	"github.com/sgl-project/tpuci/internal/durations"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/proc"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/rerun"
	"github.com/sgl-project/tpuci/internal/triage"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Suites runs every suite whose target is name.
func Suites(target string) pipeline.Body {
	return func(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage) error {
		suites := ws.Config.SuitesFor(target)
		if len(suites) == 0 {
			return pipeline.Skip("no suites configured for %s (add [[suite]] with target = %q)", target, target)
		}
		if err := pipeline.RequirePython(ws); err != nil {
			return err
		}
		var runnable []*config.Suite
		for _, s := range suites {
			if ok, why := ws.Chips.Enough(s.Chips); !ok {
				st.Cases = append(st.Cases, report.Case{Name: s.Name, Class: s.Name, Status: report.Skipped, Message: why})
				fmt.Fprintln(st.Log, report.Fit(fmt.Sprintf("    skip suite %s: %s", s.Name, why)))
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
			if sel, err = LoadSelect(v); err != nil {
				return err
			}
		}
		opts := Options{
			Repo: ws.Repo, Python: ws.Python, LogDir: st.LogDir, Partition: st.Partition, Only: only, Measured: measured, Select: sel,
			Env: func(chips int) []string { return append(ws.Env(), ws.Chips.Env(chips)...) },
		}
		switch {
		case st.Rerun != nil && !st.Rerun.Whole:
			if len(st.Rerun.Files) == 0 {
				fmt.Fprintln(st.Log, report.Fit("    no suite file failed in "+st.Rerun.From+": none runs again"))
				return nil
			}
			// The earlier record names each file with its suite: the
			// share and the selection that chose them do not apply again.
			opts.Picks, opts.PicksFrom = st.Rerun.Files, "the record in "+st.Rerun.From
			opts.Partition, opts.Only, opts.Select = partition.Spec{}, nil, nil
		case len(ws.Settings.Only) > 0 && !pipeline.IsDependency(ctx):
			if opts.Picks, err = rerun.ParseOnly(ws.Settings.Only); err != nil {
				return err
			}
			opts.PicksFrom = "TPUCI_ONLY=" + onlyValue(ws)
			st.Only = strings.Join(ws.Settings.Only, ",")
		}
		depDir, err := recordDeps(ws, target, &opts)
		if err != nil {
			return err
		}
		if opts.Compiles, err = installCompiles(ws, target); err != nil {
			return err
		}
		plan, err := PlanSuites(runnable, opts)
		if err != nil {
			return err
		}
		if missing := Missing(plan, opts.Picks); len(missing) > 0 {
			return fmt.Errorf("suite: %s names %s, which %s does not run here (changed config, or a suite this host cannot run): unset it to run every file",
				opts.PicksFrom, missing[0], target)
		}
		for _, why := range plan.Skipped {
			fmt.Fprintln(st.Log, report.Fit("    skip suite "+why))
		}
		if err := dropPytestFiles(ctx, ws, st, plan); err != nil {
			return err
		}
		part := ""
		if !st.Partition.Whole() {
			part = " (partition " + st.Partition.String() + ")"
		}
		switch {
		case st.Rerun != nil && opts.Picks != nil:
			part += ", only what failed in " + st.Rerun.From
		case opts.Picks != nil:
			part += ", only what TPUCI_ONLY names"
		}
		fmt.Fprintln(st.Log, report.Fit(fmt.Sprintf("    %d files%s, estimated %.1f min", len(plan.Jobs), part, plan.Minutes)))
		if !ws.Chips.CPU { // one TPU user at a time; CPU hosts need no queue
			lock, err := st.LockChips(ctx, ws)
			if err != nil {
				return err
			}
			defer lock.Release()
		}
		r := &Runner{Repo: ws.Repo, GH: st.GH, Out: st.Out, Log: st.Log, Verbose: verbose(ws), ShmClean: ws.Config.Cache.ShmClean}
		r.Retries, r.KnownFlaky = retryPolicy(ctx, ws, st)
		res, runErr := r.Run(ctx, plan)
		st.Cases = append(st.Cases, res.Cases...)
		if ran := (report.TargetResult{Cases: res.Cases}); ran.RetriedCount() > 0 {
			fmt.Fprintf(st.Log, "    %d retried, %d of them flaky passes\n", ran.RetriedCount(), ran.FlakyCount())
		}
		st.Failures = append(st.Failures, res.Failures...)
		if t, ok := CompileTable(res.Compiles); ok {
			st.Tables = append(st.Tables, t)
			fmt.Fprint(st.Log, report.Text(t))
		}
		if err := mergeDurations(filepath.Join(ws.Out, "durations.json"), res.Durations); err != nil {
			fmt.Fprintln(st.Log, report.Fit(fmt.Sprintf("    warning: %v", err)))
		}
		recordDurations(ctx, ws, st, target, completed(res.Durations))
		if depDir != "" {
			saveDeps(ctx, ws, st, depDir)
		}
		return runErr
	}
}

// retryPolicy reads the failure record once per stage: the policy's
// retries and which tests flake on main. A record that cannot be read
// only warns, and then no test counts as known flaky.
func retryPolicy(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage) (int, func(string) bool) {
	h, p, err := triage.Load(ctx, ws, st.Log)
	if err != nil {
		fmt.Fprintln(st.Log, report.Fit(fmt.Sprintf("    warning: no test counts as known flaky: %v", err)))
		return triage.PolicyOf(ws.Config).Retries, nil
	}
	return p.Retries, func(test string) bool { return h.KnownFlaky(test, p) }
}

func verbose(ws *workspace.Workspace) bool {
	return ws.Settings.Verbose || ws.Settings.MageVerbose
}

// dropPytestFiles leaves out the files that need pytest when the
// interpreter has none: each is skipped by name with the install command
// and the standard-library files still run. With only pytest files left,
// or under CI, the missing tool is the stage's outcome.
func dropPytestFiles(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage, plan *Plan) error {
	var keep []Job
	var pytest []Job
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
	missing := &pipeline.MissingTool{Tool: "pytest for " + ws.Python, Install: pipeline.InstallHint(ws.Python, "pytest", "python3-pytest")}
	if len(keep) == 0 || ws.CI {
		return missing
	}
	// The reason is long and the same for every file: said once.
	fmt.Fprintln(st.Log, report.Fit("    "+missing.Error()))
	for _, j := range pytest {
		st.Cases = append(st.Cases, report.Case{Name: j.File.Path, Class: j.Suite, File: j.File.Path, Status: report.Skipped, Message: missing.Error()})
		fmt.Fprintf(st.Log, "    skip %s (needs pytest)\n", j.File.Path)
	}
	plan.Jobs = keep
	return nil
}

// completed keeps the durations of files that ran to the end: a timeout's
// lower bound is no measurement for the history.
func completed(d map[string]durations.Measure) map[string]float64 {
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
	event, ok := durations.Recording(ws.Settings)
	if !ok || len(d) == 0 {
		return
	}
	run := durations.Run{Commit: ws.Commit, Date: time.Now().UTC(), Event: event, Target: target, Minutes: d}
	if err := durations.Open(ws, st.Log).Record(ctx, run); err != nil {
		fmt.Fprintln(st.Log, report.Fit(fmt.Sprintf("    warning: durations not recorded: %v", err)))
		return
	}
	fmt.Fprintf(st.Log, "    recorded the durations of %d files (%s run)\n", len(d), event)
}

// recordDeps installs the dependency recorder for runs that record
// (on main, on a schedule, or TPUCI_RECORD_DURATIONS=1) and returns its
// directory, or "" when this run does not record.
func recordDeps(ws *workspace.Workspace, target string, o *Options) (string, error) {
	if _, ok := durations.Recording(ws.Settings); !ok {
		return "", nil
	}
	dir := filepath.Join(ws.Out, "depmap", target)
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("depmap: clear %s: %w", dir, err)
	}
	pythonPath := ws.Config.Env["PYTHONPATH"]
	if pythonPath == "" {
		pythonPath = ws.Getenv("PYTHONPATH") // not tpuci's: the tests inherit it, and the tracer goes in front
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

// installCompiles writes the compile-accounting hook for a target's run,
// clearing the records of an earlier run.
func installCompiles(ws *workspace.Workspace, target string) (*compiles.Hook, error) {
	dir := filepath.Join(ws.Out, "compiles", target)
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("compiles: clear %s: %w", dir, err)
	}
	return compiles.Install(dir, ws.Getenv("PYTHONPATH"))
}

// CompileTable lists the JAX compiles of each test file that compiled.
func CompileTable(files []FileCompiles) (report.Table, bool) {
	t := report.Table{Title: "JAX compiles per test file",
		Header: []string{"FILE", "COMPILES", "SECONDS", "CACHE HITS", "CACHE MISSES", "AFTER WARM-UP"}}
	for _, f := range files {
		s := f.Summary
		if s.Compiles == 0 {
			continue
		}
		hits, misses := fmt.Sprint(s.CacheHits), fmt.Sprint(s.CacheMisses)
		if s.CacheOff == s.Compiles { // no persistent cache: neither hit nor miss
			hits, misses = "off", "off"
		}
		t.Rows = append(t.Rows, []string{f.File, fmt.Sprint(s.Compiles), report.Number(s.CompileSeconds),
			hits, misses, fmt.Sprint(len(s.AfterWarmup))})
	}
	return t, len(t.Rows) > 0
}

// saveDeps adds what the recorder saw to the history; failures warn.
func saveDeps(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage, dir string) {
	tests, err := depmap.Collect(dir)
	if err == nil && len(tests) > 0 {
		err = depmap.Save(ctx, ws, st.Log, depmap.Record{Commit: ws.Commit, Date: time.Now().UTC(), Tests: tests})
	}
	if err != nil {
		fmt.Fprintln(st.Log, report.Fit(fmt.Sprintf("    warning: dependency map not recorded: %v", err)))
		return
	}
	fmt.Fprintf(st.Log, "    recorded the modules %d test files loaded\n", len(tests))
}

// mergeDurations adds measured minutes per file to the durations record
// that TPUCI_DURATIONS can point later runs at.
func mergeDurations(path string, d map[string]durations.Measure) error {
	if len(d) == 0 {
		return nil
	}
	old, err := durations.LoadMeasures(path)
	if err != nil {
		old = nil
	}
	return report.WriteJSON(path, durations.MergeMeasures(old, d))
}
