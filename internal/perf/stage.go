package perf

import (
	"context"
	"fmt"

	"github.com/sgl-project/tpuci/internal/casestage"
	"github.com/sgl-project/tpuci/internal/compare"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/gate"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Body is the body of the perf target: the case-stage skeleton with
// perf's plan and run.
func Body(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage) error {
	t := casestage.Target[Planned]{
		Name:   "perf",
		Plan:   planJob,
		Server: func(p Planned) *config.Server { return p.Server },
		Run:    run,
	}
	if len(ws.Config.Perf.Cases) == 0 {
		t.Unconfigured = "no perf cases configured (add [[perf.case]] blocks)"
	}
	return casestage.Run(ctx, ws, st, t)
}

// planJob is Plan for this job, its skipped cases as report cases.
func planJob(ws *workspace.Workspace, part partition.Spec) (casestage.Plan[Planned], error) {
	run, skipped, err := Plan(ws.Config, ws.Chips, ws.Settings.Cases, part)
	p := casestage.Plan[Planned]{Run: run}
	for _, s := range skipped {
		p.Skipped = append(p.Skipped, report.Case{Name: s.Case.Name, Class: "perf." + s.Case.Server, Status: report.Skipped, Message: s.Reason})
	}
	return p, err
}

// run measures the planned cases and judges them against this device's
// baselines, or compares them with a base revision (TPUCI_COMPARE).
func run(ctx context.Context, j *casestage.Job[Planned]) error {
	ws, st, cfg := j.WS, j.St, j.WS.Config
	ref, rounds, err := compare.Settings(ws.Settings.Compare, ws.Settings.CompareRounds, cfg.Perf.Compare, cfg.Perf.Rounds, "[perf]")
	if err != nil {
		return fmt.Errorf("perf: %w", err)
	}
	if ref != "" {
		return compareStage(ctx, j, ref, rounds)
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
	r := &Runner{Servers: j.Servers, Baselines: bl, LogDir: st.LogDir, Log: st.Log}
	out := r.Run(ctx, j.Cases)
	j.Add(out.Cases, out.Failures, gate.Table(fmt.Sprintf("perf verdicts (baselines %s)", cfg.Perf.Baselines), out.Verdicts))
	if ctx.Err() == nil && len(out.Failures) == 0 && gate.AllOtherDevice(out.Verdicts) {
		return pipeline.Skip("no baseline for this device in %s: the cases ran and their figures are in the report; record them with %s, or compare with a base revision (TPUCI_COMPARE=HEAD~1)",
			cfg.Perf.Baselines, RecordCommand)
	}
	return nil
}

// Check plans this job's cases without running anything, so that an
// unknown name in the settings or too many partitions fail before any
// target runs.
func Check(ws *workspace.Workspace, part partition.Spec) error {
	_, err := planJob(ws, part)
	return err
}
