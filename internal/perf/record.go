package perf

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/gate"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// sglangJAXBaselines are the perf baselines of the embedded default
// configuration, derived from SGLang-JAX's hard-coded test thresholds.
//
//go:embed sglang-jax-perf.toml
var sglangJAXBaselines []byte

// LoadBaselines reads the configured perf baselines. With the embedded
// default configuration and no file in the checkout yet, it falls back to
// tpuci's built-in SGLang-JAX baselines and says so in note.
func LoadBaselines(ws *workspace.Workspace) (f *gate.File, note string, err error) {
	path := gate.Resolve(ws.Repo, ws.Config.Perf.Baselines)
	f, err = gate.Load(path)
	if err != nil || f.Exists || ws.Config.Source != config.DefaultSource {
		return f, "", err
	}
	f, err = gate.Parse("tpuci's built-in SGLang-JAX baselines", sglangJAXBaselines)
	if err != nil {
		return nil, "", err
	}
	f.Path, f.Exists = path, true
	return f, fmt.Sprintf("%s does not exist: using tpuci's built-in SGLang-JAX baselines (limits equal to its hard-coded test thresholds); %s writes the file", path, RecordCommand), nil
}

// Measurements picks the figures of perf cases that ran cleanly (every
// request completed, no recompilation); notes say which were left out.
func Measurements(r *gate.Results) (ms []gate.Measurement, notes []string) {
	for _, c := range r.Cases {
		if len(c.Extra) == 0 { // skipped cases with figures were measured on a device without baselines

			continue
		}
		var ex Extra
		if err := json.Unmarshal(c.Extra, &ex); err != nil {
			notes = append(notes, fmt.Sprintf("%s: unreadable results: %v", c.Name, err))
			continue
		}
		switch {
		case ex.Recompilations > 0:
			notes = append(notes, fmt.Sprintf("%s: left out: %d recompilations while measuring", c.Name, ex.Recompilations))
			continue
		case ex.Completed != ex.NumPrompts || len(ex.Metrics) == 0:
			notes = append(notes, fmt.Sprintf("%s: left out: no clean measurement (%d of %d requests completed)", c.Name, ex.Completed, ex.NumPrompts))
			continue
		}
		for _, v := range ex.Verdicts { // config order of the metrics
			if val, ok := ex.Metrics[v.Metric]; ok {
				ms = append(ms, gate.Measurement{Device: ex.Device, Case: c.Name, Metric: v.Metric, Value: val})
			}
		}
	}
	return ms, notes
}

// BaselineBody is the body of perf:baseline: it records the clean
// measurements of a perf results file (from; default $TPUCI_OUT/perf.json)
// into the configured baselines file and prints the changes for review.
// TPUCI_DRY_RUN=1 prints them without writing.
func BaselineBody(from string) pipeline.Body {
	return func(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage) error {
		if from == "" {
			from = filepath.Join(ws.Out, "perf.json")
		}
		return record(ws, st, from)
	}
}

// record writes the clean measurements of a perf results file into the
// configured baselines file and prints the changes.
func record(ws *workspace.Workspace, st *pipeline.Stage, from string) error {
	w := st.Out
	if ws.Config.Perf.Baselines == "" {
		return errors.New("perf:baseline: no baselines file configured: set [perf].baselines (e.g. \"tpuci/baselines/perf.toml\")")
	}
	r, err := gate.ReadResults(from, "perf")
	if err != nil {
		return err
	}
	ms, notes := Measurements(r)
	for _, n := range notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if len(ms) == 0 {
		return fmt.Errorf("perf:baseline: %s has no clean measurement to record", from)
	}
	f, note, err := LoadBaselines(ws)
	if err != nil {
		return err
	}
	if note != "" {
		fmt.Fprintf(w, "note: %s\n", note)
	}
	tols := ws.Config.Perf.Tolerances
	changes, err := f.Update(ms, func(m string) (float64, bool) { t, ok := tols[m]; return t, ok })
	if err != nil {
		return err
	}
	return gate.Save(w, st.TargetResult, f, changes, ws.Settings.DryRun)
}
