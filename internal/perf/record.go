package perf

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/gate"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// sglangJAXBaselines are the perf baselines of the embedded default
// configuration, derived from SGLang-JAX's hard-coded test thresholds.
//
//go:embed sglang-jax-perf.toml
var sglangJAXBaselines []byte

// Header is written at the top of every baselines file.
const Header = `tpuci baselines, one [[baseline]] per device kind, case and metric.
Written by go tool mage perf:baseline / pallas:baseline: review the printed diff before committing.
tolerance is a fraction (0.08 = 8%): latencies (*_ms) pass at or below value * (1 + tolerance),
throughputs pass at or above value * (1 - tolerance). Kernel entries without a tolerance use
their [[pallas.kernel]] tolerance.`

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

// Results is the part of a stage's results JSON that recording reads.
type Results struct {
	Target string `json:"target"`
	Cases  []struct {
		Name   string          `json:"name"`
		Status report.Status   `json:"status"`
		Extra  json.RawMessage `json:"extra"`
	} `json:"cases"`
}

// ReadResults reads a stage's results JSON ($TPUCI_OUT/<target>.json).
func ReadResults(path, target string) (*Results, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("baselines: no results at %s: run go tool mage %s first (or pass the results file)", path, target)
	}
	if err != nil {
		return nil, fmt.Errorf("baselines: read results: %w", err)
	}
	var r Results
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("baselines: %s is not a tpuci results file: %v", path, err)
	}
	if r.Target != target {
		return nil, fmt.Errorf("baselines: %s holds results of %q, not %s", path, r.Target, target)
	}
	return &r, nil
}

// Measurements picks the figures of perf cases that ran cleanly (every
// request completed, no recompilation); notes say which were left out.
func Measurements(r *Results) (ms []gate.Measurement, notes []string) {
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
		return Record(st.Out, ws, st, from)
	}
}

// Record writes the clean measurements of a perf results file into the
// configured baselines file and prints the changes.
func Record(w io.Writer, ws *workspace.Workspace, st *pipeline.Stage, from string) error {
	if ws.Config.Perf.Baselines == "" {
		return errors.New("perf:baseline: no baselines file configured: set [perf].baselines (e.g. \"tpuci/baselines/perf.toml\")")
	}
	r, err := ReadResults(from, "perf")
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
	return Save(w, ws, st, f, changes)
}

// Save prints the changes, adds them to the stage's tables and writes the
// file unless TPUCI_DRY_RUN is set.
func Save(w io.Writer, ws *workspace.Workspace, st *pipeline.Stage, f *gate.File, changes []gate.Change) error {
	gate.PrintChanges(w, f.Path, changes)
	if len(changes) == 0 {
		return nil
	}
	if st != nil {
		st.Tables = append(st.Tables, gate.ChangesTable("baseline changes in "+f.Path, changes))
	}
	if ws.Settings.DryRun {
		fmt.Fprintln(w, "TPUCI_DRY_RUN is set: file not written")
		return nil
	}
	if err := f.Save(Header); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s: review it (git diff) and commit it\n", f.Path)
	return nil
}
