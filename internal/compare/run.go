package compare

import (
	"fmt"
	"slices"

	"github.com/sgl-project/tpuci/internal/report"
)

// DefaultRounds is how many times each side runs when the config and
// TPUCI_COMPARE_ROUNDS say nothing.
const DefaultRounds = 10

// Settings picks the comparison of a stage: TPUCI_COMPARE over the
// config's compare (field names it in errors, e.g. "[pallas].compare"),
// TPUCI_COMPARE_ROUNDS over its rounds. An empty ref: no comparison.
func Settings(envRef string, envRounds int, ref string, rounds int, field string) (string, int, error) {
	if envRef != "" {
		ref = envRef
	}
	if envRounds != 0 {
		rounds = envRounds
	}
	if rounds == 0 {
		rounds = DefaultRounds
	}
	if rounds < MinRounds {
		return "", 0, fmt.Errorf("%s rounds = %d: at least %d rounds are needed for a %d%% interval", field, rounds, MinRounds, int(Confidence*100))
	}
	return ref, rounds, nil
}

// Samples gathers each side's values per case and metric, in the order
// they first appear.
type Samples struct {
	keys []Key
	vals map[Key]*[2][]float64
}

// Key names one compared series.
type Key struct{ Case, Metric string }

// Side of a comparison.
const (
	BaseSide = 0
	HeadSide = 1
)

// Add records one value of side (BaseSide or HeadSide).
func (s *Samples) Add(side int, name, metric string, v float64) {
	if s.vals == nil {
		s.vals = map[Key]*[2][]float64{}
	}
	k := Key{name, metric}
	p, ok := s.vals[k]
	if !ok {
		p = &[2][]float64{}
		s.vals[k] = p
		s.keys = append(s.keys, k)
	}
	p[side] = append(p[side], v)
}

// Keys lists the series in order.
func (s *Samples) Keys() []Key { return s.keys }

// Get returns the base and head values of a series.
func (s *Samples) Get(k Key) (base, head []float64) {
	if p, ok := s.vals[k]; ok {
		return p[BaseSide], p[HeadSide]
	}
	return nil, nil
}

// Row is one compared series for the verdict table.
type Row struct {
	Case string `json:"case"`
	Result
	Recompilations string `json:"recompilations,omitempty"` // "base/head" totals, perf only
}

// Header of the verdict table. recompiles are "base/head" compiles after
// warm-up.
var Header = []string{"case", "metric", "base", "head", "change", "interval", "tolerance", "recompiles", "verdict"}

// Table renders rows under a title. One metric for every row (kernel
// times) is named in the title instead of a column, so that the table
// fits a terminal.
func Table(title string, rows []Row) report.Table {
	one := len(rows) > 0
	for _, r := range rows {
		one = one && r.Metric == rows[0].Metric
	}
	t := report.Table{Title: title, Header: Header}
	if one {
		t.Title += "; metric " + rows[0].Metric
		t.Header = slices.Delete(slices.Clone(Header), 1, 2)
	}
	for _, r := range rows {
		rc := r.Recompilations
		if rc == "" {
			rc = "-"
		}
		verdict := r.Verdict
		if r.Verdict == Inconclusive {
			verdict += " (" + r.Needed() + ")"
		}
		row := []string{r.Case, r.Metric, report.Number(r.Base), report.Number(r.Head), signed(r.Change), r.Interval(),
			"±" + percent(r.Tolerance), rc, verdict}
		if one {
			row = slices.Delete(row, 1, 2)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}
