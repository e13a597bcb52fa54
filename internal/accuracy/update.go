package accuracy

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/sgl-project/tpuci/internal/gate"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Change is one baseline that an update adds or moves.
type Change struct {
	Key  Key
	Old  *Baseline // nil for a new entry
	New  Baseline
	Case string
}

func (c Change) String() string {
	if c.Old == nil {
		return fmt.Sprintf("%s: new %s (±%s, case %s)", c.Key, f4(c.New.Score), f4(c.New.Stderr), c.Case)
	}
	return fmt.Sprintf("%s: %s -> %s (%s, case %s)", c.Key, f4(c.Old.Score), f4(c.New.Score), signed(c.New.Score-c.Old.Score), c.Case)
}

// Update records the scores of complete results as baselines. Results
// that were interrupted, errored or had failed requests are not baselines;
// they are listed in skipped with the reason. Existing entries keep their
// allowed drop. A result equal to its baseline is not a change.
func (b *Baselines) Update(results []*CaseResult, now time.Time) (changes []Change, skipped []string) {
	latest := map[Key]*CaseResult{}
	var order []Key
	for _, r := range results {
		switch {
		case r.Partial || r.Verdict.Status == Error || r.Error != "":
			skipped = append(skipped, fmt.Sprintf("%s: did not finish (%s)", r.Case, r.Error))
			continue
		case r.Answered == 0:
			skipped = append(skipped, fmt.Sprintf("%s: no answers", r.Case))
			continue
		case r.Errors > 0:
			skipped = append(skipped, fmt.Sprintf("%s: %d requests failed; rerun before recording a baseline", r.Case, r.Errors))
			continue
		}
		k := r.Key()
		if old, ok := latest[k]; ok {
			skipped = append(skipped, fmt.Sprintf("%s: same baseline as case %s; keeping %s", old.Case, r.Case, r.Case))
		} else {
			order = append(order, k)
		}
		latest[k] = r
	}
	for _, k := range order {
		r := latest[k]
		e := Baseline{
			Model: r.Model, Device: r.Device, Dataset: r.Dataset, Samples: r.Samples, Shots: r.Shots,
			Score: round4(r.Score), Stderr: round4(r.Stderr), N: r.Answered, Seed: r.Seed,
			Commit: shortCommit(r.Commit), Updated: now.UTC().Format("2006-01-02"), Note: "measured by case " + r.Case,
		}
		old, had := b.Find(k)
		if had {
			if old.Score == e.Score && old.N == e.N {
				continue
			}
			e.AllowedDrop = old.AllowedDrop
		}
		b.Set(e)
		c := Change{Key: k, New: e, Case: r.Case}
		if had {
			c.Old = &old
		}
		changes = append(changes, c)
	}
	return changes, skipped
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

// PrintChanges writes the review diff: one line per change.
func PrintChanges(w io.Writer, path string, cs []Change, skipped []string) {
	for _, s := range skipped {
		fmt.Fprintf(w, "  skipped %s\n", s)
	}
	gate.PrintChanges(w, path, cs)
}

// BaselineBody is accuracy:baseline: record the results in from (a
// result file or directory; empty: $TPUCI_OUT/accuracy) as baselines,
// print old -> new, and write the file unless TPUCI_DRY_RUN is set.
func BaselineBody(from string) pipeline.Body {
	return func(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage) error {
		if from == "" {
			from = ResultDir(ws.Out)
		}
		results, err := ReadResults(from)
		if err != nil {
			return err
		}
		b, err := LoadBaselines(BaselinesPath(ws), true)
		if err != nil {
			return err
		}
		changes, skipped := b.Update(results, time.Now())
		PrintChanges(st.Out, b.Path, changes, skipped)
		t := report.Table{Title: "baseline changes", Header: []string{"model", "device", "dataset", "samples", "old", "new", "change", "case"}}
		for _, c := range changes {
			old, delta := "new", "–"
			if c.Old != nil {
				old, delta = f4(c.Old.Score), signed(c.New.Score-c.Old.Score)
			}
			t.Rows = append(t.Rows, []string{c.Key.Model, c.Key.Device, c.Key.Dataset, fmt.Sprint(c.Key.Samples), old, f4(c.New.Score), delta, c.Case})
			st.Cases = append(st.Cases, report.Case{Name: c.Case, Class: "accuracy.baseline", Status: report.Passed, Message: c.String()})
		}
		if len(t.Rows) > 0 {
			st.Tables = append(st.Tables, t)
		}
		if len(changes) == 0 {
			return nil
		}
		if ws.Settings.DryRun {
			fmt.Fprintf(st.Out, "TPUCI_DRY_RUN is set: %s not written\n", b.Path)
			return nil
		}
		if err := b.Write(); err != nil {
			return err
		}
		fmt.Fprintf(st.Out, "wrote %s; review with git diff -- %s and commit it\n", b.Path, b.Path)
		return nil
	}
}
