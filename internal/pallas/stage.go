package pallas

import (
	"context"
	"fmt"

	"github.com/sgl-project/tpuci/internal/compare"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/gate"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Body is the body of the pallas target.
func Body(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage) error {
	cfg := ws.Config
	if len(cfg.Pallas.Kernels) == 0 {
		return pipeline.Skip("no kernel benchmarks configured (add [[pallas.kernel]] blocks)")
	}
	if ws.Python == "" {
		return &pipeline.MissingTool{Tool: "python", Install: "export TPUCI_PYTHON=/path/to/python (or run scripts/bootstrap.sh to create .venv)"}
	}
	kernels, skipped, err := Plan(cfg.Pallas.Kernels, ws.Settings.Kernels, st.Partition)
	if err != nil {
		return err
	}
	for _, k := range skipped {
		st.Cases = append(st.Cases, report.Case{Name: k.Name, Class: "pallas." + k.Name, Status: report.Skipped, Message: "in another partition than " + st.Partition.String()})
	}
	if len(kernels) == 0 {
		return pipeline.Skip("no kernel in this partition")
	}
	ref, rounds, err := compare.Settings(ws.Getenv, cfg.Pallas.Compare, cfg.Pallas.Rounds, "[pallas]")
	if err != nil {
		return fmt.Errorf("pallas: %w", err)
	}
	if ref != "" && needsBaselines(kernels) {
		return compareStage(ctx, ws, st, jsonKernels(kernels), ref, rounds)
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
	if !ws.Chips.CPU {
		lock, err := st.LockChips(ctx, ws)
		if err != nil {
			return err
		}
		defer lock.Release()
	}
	device := Device(cfg, ws.Chips)
	fmt.Fprintf(st.Log, "    %d kernel benchmarks, baselines of device %s\n", len(kernels), device)
	r := &Runner{Repo: ws.Repo, Python: ws.Python, Env: append(ws.Env(), ws.Chips.Env(1)...), LogDir: st.LogDir,
		Device: device, Baselines: bl, Log: st.Log}
	out := r.Run(ctx, kernels)
	st.Cases = append(st.Cases, out.Cases...)
	st.Failures = append(st.Failures, out.Failures...)
	if len(out.Verdicts) > 0 {
		t := gate.Table(fmt.Sprintf("pallas verdicts (device %s, baselines %s)", device, cfg.Pallas.Baselines), out.Verdicts)
		st.Tables = append(st.Tables, t)
		fmt.Fprint(st.Out, gate.Text(t))
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if len(out.Failures) == 0 && allOtherDevice(out.Verdicts) {
		return pipeline.Skip("no baseline for this device (%s) in %s: the kernels ran and their timings are in the report; record them with %s, or compare with a base revision (TPUCI_COMPARE=HEAD~1)",
			device, cfg.Pallas.Baselines, RecordCommand)
	}
	return nil
}

// allOtherDevice: every verdict found only other devices' baselines.
func allOtherDevice(vs []gate.Verdict) bool {
	for _, v := range vs {
		if !v.OtherDevice {
			return false
		}
	}
	return len(vs) > 0
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
