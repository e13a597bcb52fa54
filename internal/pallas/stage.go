package pallas

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sgl-project/tpuci/internal/casestage"
	"github.com/sgl-project/tpuci/internal/compare"
	"github.com/sgl-project/tpuci/internal/compiles"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/gate"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Body is the body of the pallas target: the case-stage skeleton with
// the kernel benchmarks as cases. They start no server, so they need the
// interpreter and, on a TPU host, the chip lock.
func Body(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage) error {
	t := casestage.Target[config.Kernel]{Name: "pallas", Plan: planJob, Run: run}
	if len(ws.Config.Pallas.Kernels) == 0 {
		t.Unconfigured = "no kernel benchmarks configured (add [[pallas.kernel]] blocks)"
	}
	return casestage.Run(ctx, ws, st, t)
}

// planJob is Plan for this job, its skipped kernels as report cases.
func planJob(ws *workspace.Workspace, part partition.Spec) (casestage.Plan[config.Kernel], error) {
	kernels, skipped, err := Plan(ws.Config.Pallas.Kernels, ws.Settings.Kernels, part)
	p := casestage.Plan[config.Kernel]{Run: kernels}
	for _, k := range skipped {
		p.Skipped = append(p.Skipped, report.Case{Name: k.Name, Class: "pallas." + k.Name, Status: report.Skipped, Message: partition.OtherPartition(part)})
	}
	return p, err
}

// run times the kernels and judges them against this device's baselines,
// or compares them with a base revision (TPUCI_COMPARE).
func run(ctx context.Context, j *casestage.Job[config.Kernel]) error {
	ws, st, cfg, kernels := j.WS, j.St, j.WS.Config, j.Cases
	ref, rounds, err := compare.Settings(ws.Settings.Compare, ws.Settings.CompareRounds, cfg.Pallas.Compare, cfg.Pallas.Rounds, "[pallas]")
	if err != nil {
		return fmt.Errorf("pallas: %w", err)
	}
	if ref != "" && needsBaselines(kernels) {
		return compareStage(ctx, j, jsonKernels(kernels), ref, rounds)
	}
	bl := &gate.File{}
	if needsBaselines(kernels) {
		if cfg.Pallas.Baselines == "" {
			return fmt.Errorf("pallas: no baselines file configured: set [pallas].baselines (e.g. \"tpuci/baselines/pallas.toml\") and record it with %s", RecordCommand)
		}
		if bl, err = gate.Load(gate.Resolve(ws.Repo, cfg.Pallas.Baselines)); err != nil {
			return fmt.Errorf("pallas: %w", err)
		}
	}
	device := Device(cfg, ws.Chips)
	fmt.Fprintln(st.Log, report.Fit(fmt.Sprintf("    %d kernel benchmarks; device: %s", len(kernels), device)))
	hook, err := installHook(ws, "pallas")
	if err != nil {
		return err
	}
	r := &Runner{Repo: ws.Repo, Python: ws.Python, Env: append(ws.Env(), ws.Chips.Env(1)...), LogDir: st.LogDir,
		Device: device, Baselines: bl, Log: st.Log, Hook: hook}
	out := r.Run(ctx, kernels)
	table := gate.Table(fmt.Sprintf("pallas verdicts (device %s, baselines %s)", device, cfg.Pallas.Baselines), out.Verdicts)
	j.Add(out.Cases, out.Failures, CompilesColumn(table, out.Compiles))
	if ctx.Err() == nil && len(out.Failures) == 0 && gate.AllOtherDevice(out.Verdicts) {
		return pipeline.Skip("no baseline for this device (%s) in %s: the kernels ran and their timings are in the report; record them with %s, or compare with a base revision (TPUCI_COMPARE=HEAD~1)",
			device, cfg.Pallas.Baselines, RecordCommand)
	}
	return nil
}

// installHook writes the compile-accounting hook for one side of a run
// under $TPUCI_OUT/compiles, clearing an earlier run's records.
func installHook(ws *workspace.Workspace, name string) (*compiles.Hook, error) {
	dir := filepath.Join(ws.Out, "compiles", name)
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("pallas: clear %s: %w", dir, err)
	}
	h, err := compiles.Install(dir, ws.Getenv("PYTHONPATH"))
	if err != nil {
		return nil, fmt.Errorf("pallas: %w", err)
	}
	return h, nil
}

// CompilesColumn adds a "compiles" column before the verdict: each
// kernel's compile accounting on its first row (one benchmark process
// runs all of a kernel's cases). Without accounting the table is kept.
func CompilesColumn(t report.Table, per map[string]compiles.Summary) report.Table {
	if len(per) == 0 || len(t.Header) == 0 {
		return t
	}
	at := len(t.Header) - 1
	t.Header = slices.Insert(slices.Clone(t.Header), at, "compiles")
	seen := map[string]bool{}
	rows := make([][]string, len(t.Rows))
	for i, row := range t.Rows {
		kernel, _, _ := strings.Cut(row[0], "/")
		cell := ""
		if s, ok := per[kernel]; ok && !seen[kernel] {
			seen[kernel] = true
			cell = report.CompilesText(&s)
		}
		rows[i] = slices.Insert(slices.Clone(row), min(at, len(row)), cell)
	}
	t.Rows = rows
	return t
}

func needsBaselines(ks []config.Kernel) bool {
	for _, k := range ks {
		if k.Format != config.KernelExitCode {
			return true
		}
	}
	return false
}

// jsonKernels are the kernels that print timings (exit-code kernels
// judge themselves and have nothing to compare).
func jsonKernels(ks []config.Kernel) []config.Kernel {
	var out []config.Kernel
	for _, k := range ks {
		if k.Format != config.KernelExitCode {
			out = append(out, k)
		}
	}
	return out
}

// Check plans this job's cases without running anything, so that an
// unknown name in the settings or too many partitions fail before any
// target runs.
func Check(ws *workspace.Workspace, part partition.Spec) error {
	_, err := planJob(ws, part)
	return err
}
