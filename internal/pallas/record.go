package pallas

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/sgl-project/tpuci/internal/gate"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Measurements picks the kernel timings of a pallas results file.
func Measurements(r *gate.Results) (ms []gate.Measurement, notes []string) {
	for _, c := range r.Cases {
		if len(c.Extra) == 0 { // skipped cases with timings were measured on a device without baselines

			continue
		}
		var ex Extra
		if err := json.Unmarshal(c.Extra, &ex); err != nil {
			notes = append(notes, fmt.Sprintf("%s: unreadable results: %v", c.Name, err))
			continue
		}
		if ex.Case == "" || !(ex.TimeMs > 0) {
			continue // an exit-code kernel or a failed run: nothing measured
		}
		ms = append(ms, gate.Measurement{Device: ex.Device, Case: ex.Kernel + "/" + ex.Case, Metric: Metric, Value: ex.TimeMs})
	}
	return ms, notes
}

// BaselineBody is the body of pallas:baseline: it records the kernel
// timings of a pallas results file (from; default $TPUCI_OUT/pallas.json)
// into the configured baselines file and prints the changes for review.
// TPUCI_DRY_RUN=1 prints them without writing.
func BaselineBody(from string) pipeline.Body {
	return func(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage) error {
		if from == "" {
			from = filepath.Join(ws.Out, "pallas.json")
		}
		return record(ws, st, from)
	}
}

// record writes the timings of a pallas results file into the configured
// baselines file and prints the changes. New entries get no tolerance of
// their own: their kernel's tolerance applies.
func record(ws *workspace.Workspace, st *pipeline.Stage, from string) error {
	w := st.Out
	if ws.Config.Pallas.Baselines == "" {
		return errors.New("pallas:baseline: no baselines file configured: set [pallas].baselines (e.g. \"tpuci/baselines/pallas.toml\")")
	}
	r, err := gate.ReadResults(from, "pallas")
	if err != nil {
		return err
	}
	ms, notes := Measurements(r)
	for _, n := range notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if len(ms) == 0 {
		return fmt.Errorf("pallas:baseline: %s has no kernel timing to record", from)
	}
	f, err := gate.Load(gate.Resolve(ws.Repo, ws.Config.Pallas.Baselines))
	if err != nil {
		return err
	}
	changes, err := f.Update(ms, func(string) (float64, bool) { return 0, true })
	if err != nil {
		return err
	}
	return gate.Save(w, st.TargetResult, f, changes, ws.Settings.DryRun)
}
