package gate

import (
	"fmt"
	"io"
	"math"

	"github.com/sgl-project/tpuci/internal/report"
)

// Measurement is one value to record as a baseline.
type Measurement struct {
	Device string
	Case   string
	Metric string
	Value  float64
}

// Change is one entry Update added or changed.
type Change struct {
	Entry Entry
	Old   *Entry // nil for a new entry
}

func (c Change) String() string {
	e := c.Entry
	name := fmt.Sprintf("%s %s %s", e.Device, e.Case, e.Metric)
	if c.Old == nil {
		tol := "tolerance from the config"
		if e.Tolerance > 0 {
			tol = "tolerance " + Percent(e.Tolerance)
		}
		return fmt.Sprintf("%s: new %s (%s)", name, Format(e.Value), tol)
	}
	return fmt.Sprintf("%s: %s -> %s (%s)", name, Format(c.Old.Value), Format(e.Value), signedPercent((e.Value-c.Old.Value)/c.Old.Value))
}

// Update records measurements: an existing entry keeps its tolerance and
// takes the new value; a new entry takes tolerance(metric). tolerance
// returns ok false when no tolerance is configured for a metric, which is
// an error naming it. Measurements equal to their entry are not changes.
func (f *File) Update(ms []Measurement, tolerance func(metric string) (float64, bool)) ([]Change, error) {
	var out []Change
	for _, m := range ms {
		if !(m.Value > 0) || math.IsInf(m.Value, 0) {
			return nil, fmt.Errorf("baselines: %s %s %s: measured value %v cannot be a baseline (it must be positive)", m.Device, m.Case, m.Metric, m.Value)
		}
		e := Entry{Device: m.Device, Case: m.Case, Metric: m.Metric, Value: Round(m.Value)}
		old, had := f.Find(m.Device, m.Case, m.Metric)
		if had {
			if old.Value == e.Value {
				continue
			}
			e.Tolerance = old.Tolerance
		} else {
			tol, ok := tolerance(m.Metric)
			if !ok {
				return nil, fmt.Errorf("baselines: %s %s: no tolerance for new metric %s: set one in the config (e.g. [perf.tolerances] %s = 0.08)", m.Device, m.Case, m.Metric, m.Metric)
			}
			e.Tolerance = tol
		}
		f.Set(e)
		c := Change{Entry: e}
		if had {
			c.Old = &old
		}
		out = append(out, c)
	}
	return out, nil
}

// PrintChanges writes the review diff of a baselines file: one line per
// change, or that there is none. Both gates' changes print so.
func PrintChanges[C fmt.Stringer](w io.Writer, path string, cs []C) {
	if len(cs) == 0 {
		fmt.Fprintf(w, "%s: no changes\n", path)
		return
	}
	fmt.Fprintf(w, "%s: %d change(s):\n", path, len(cs))
	for _, c := range cs {
		fmt.Fprintf(w, "  %s\n", c)
	}
}

// ChangesTable renders changes for a summary.
func ChangesTable(title string, cs []Change) report.Table {
	t := report.Table{Title: title, Header: []string{"device", "case", "metric", "old", "new", "change"}}
	for _, c := range cs {
		old, change := "-", "new"
		if c.Old != nil {
			old, change = Format(c.Old.Value), signedPercent((c.Entry.Value-c.Old.Value)/c.Old.Value)
		}
		t.Rows = append(t.Rows, []string{c.Entry.Device, c.Entry.Case, c.Entry.Metric, old, Format(c.Entry.Value), change})
	}
	return t
}

// Round keeps 5 significant digits: more than any benchmark resolves.
func Round(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	scale := math.Pow(10, 4-math.Floor(math.Log10(math.Abs(v))))
	return math.Round(v*scale) / scale
}
