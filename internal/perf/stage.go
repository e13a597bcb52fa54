package perf

import (
	"context"
	"fmt"
	"slices"

	"github.com/sgl-project/tpuci/internal/compare"
	"github.com/sgl-project/tpuci/internal/gate"
	"github.com/sgl-project/tpuci/internal/hostlock"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/server"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Body is the body of the perf target.
func Body(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage) error {
	cfg := ws.Config
	if len(cfg.Perf.Cases) == 0 {
		return pipeline.Skip("no perf cases configured (add [[perf.case]] blocks)")
	}
	plan, skipped, err := Plan(cfg, ws.Chips, ws.Settings.Cases, st.Partition)
	if err != nil {
		return err
	}
	for _, s := range skipped {
		st.Cases = append(st.Cases, report.Case{Name: s.Case.Name, Class: "perf." + s.Case.Server, Status: report.Skipped, Message: s.Reason})
		fmt.Fprintf(st.Log, "    skip %s: %s\n", s.Case.Name, s.Reason)
	}
	if len(plan) == 0 {
		return pipeline.Skip("no perf case to run here: %s", ws.Chips.Describe())
	}
	if err := NeedPython(ws, plan); err != nil {
		return err
	}
	ref, rounds, err := compare.Settings(ws.Getenv, cfg.Perf.Compare, cfg.Perf.Rounds, "[perf]")
	if err != nil {
		return fmt.Errorf("perf: %w", err)
	}
	if ref != "" {
		return compareStage(ctx, ws, st, plan, ref, rounds)
	}
	if cfg.Perf.Baselines == "" {
		return fmt.Errorf("perf: no baselines file configured: set [perf].baselines (e.g. \"tpuci/baselines/perf.toml\") and record it with %s", RecordCommand)
	}
	bl, note, err := LoadBaselines(ws)
	if err != nil {
		return fmt.Errorf("perf: %w", err)
	}
	if note != "" {
		fmt.Fprintf(st.Log, "    %s\n", note)
	}
	lock, err := LockChips(ctx, ws, st, plan)
	if err != nil {
		return err
	}
	defer lock.Release()

	mgr := NewServers(ws, st)
	defer mgr.Close()
	r := &Runner{Servers: mgr, Baselines: bl, LogDir: st.LogDir, Log: st.Log}
	out := r.Run(ctx, plan)
	st.Cases = append(st.Cases, out.Cases...)
	st.Failures = append(st.Failures, out.Failures...)
	if len(out.Verdicts) > 0 {
		t := gate.Table(fmt.Sprintf("perf verdicts (baselines %s)", cfg.Perf.Baselines), out.Verdicts)
		st.Tables = append(st.Tables, t)
		fmt.Fprint(st.Out, gate.Text(t))
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if len(out.Failures) == 0 && len(out.Verdicts) > 0 && !slices.ContainsFunc(out.Verdicts, func(v gate.Verdict) bool { return !v.OtherDevice }) {
		return pipeline.Skip("no baseline for this device in %s: the cases ran and their figures are in the report; record them with %s, or compare with a base revision (TPUCI_COMPARE=HEAD~1)",
			cfg.Perf.Baselines, RecordCommand)
	}
	return nil
}

// NewServers is the server manager of a stage: servers log into the
// stage's log dir and see the workspace's environment and chips.
func NewServers(ws *workspace.Workspace, st *pipeline.Stage) *server.Manager {
	return pipeline.Servers(ws, st, ws.Repo, st.LogDir)
}

// NeedPython reports a missing interpreter when a case's server is
// SGLang-JAX's own launch_server.
func NeedPython(ws *workspace.Workspace, plan []Planned) error {
	for _, p := range plan {
		if len(p.Server.Command) == 0 && ws.Python == "" {
			return &pipeline.MissingTool{Tool: "python (for sgl_jax.launch_server of server " + p.Server.Name + ")",
				Install: "export TPUCI_PYTHON=/path/to/python (or run scripts/bootstrap.sh to create .venv)"}
		}
	}
	return nil
}

// LockChips takes the host-wide TPU lock when a case uses real chips:
// TPUCI_LOCK_FILE and TPUCI_LOCK_WAIT as for the suites. Simulated
// servers and CPU hosts need no lock (a nil lock releases as a no-op).
func LockChips(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage, plan []Planned) (*hostlock.Lock, error) {
	if ws.Chips.CPU {
		return nil, nil
	}
	real := false
	for _, p := range plan {
		if len(p.Server.Command) == 0 || p.Server.Command[0] != server.SimCommand {
			real = true
		}
	}
	if !real {
		return nil, nil
	}
	return st.LockChips(ctx, ws)
}
