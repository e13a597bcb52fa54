// Package durations keeps the measured minutes of suite files across
// runs: every run on main and every scheduled run adds one record; plans
// and partitions weigh a file by the median of its last N measurements,
// and by its configured estimate when it has none.
package durations

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/sgl-project/tpuci/internal/datastore"
	"github.com/sgl-project/tpuci/internal/settings"
)

// Subdir is the records' directory inside a history store.
const Subdir = "durations"

// Run is one run's measured minutes per suite file.
type Run struct {
	Commit  string             `json:"commit"`
	Date    time.Time          `json:"date"`
	Event   string             `json:"event"` // main, nightly or manual
	Target  string             `json:"target"`
	Minutes map[string]float64 `json:"minutes"`
}

// Check rejects a record no median should use.
func (r *Run) Check() error {
	if r.Date.IsZero() {
		return fmt.Errorf("no date")
	}
	for f, m := range r.Minutes {
		if math.IsNaN(m) || math.IsInf(m, 0) || m < 0 {
			return fmt.Errorf("%s: %v minutes", f, m)
		}
	}
	return nil
}

// Dir is a store of runs (datastore.Records).
type Dir struct{ Root string }

func (d Dir) records() datastore.Records[Run] {
	return datastore.Records[Run]{Root: d.Root, Kind: "durations"}
}

// Add writes a run.
func (d Dir) Add(r Run) error {
	if err := r.Check(); err != nil {
		return fmt.Errorf("durations: record of %s: %w", r.Target, err)
	}
	return d.records().Add(datastore.Key{Date: r.Date, Commit: r.Commit, Target: r.Target}, r)
}

// Runs reads every record, oldest first. A missing store is empty; an
// unreadable record is an error naming the file.
func (d Dir) Runs() ([]Run, error) {
	runs, err := d.records().All((*Run).Check)
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].Date.Before(runs[j].Date) })
	return runs, err
}

// Figure is the weight a file gets from its history.
type Figure struct {
	Minutes float64 `json:"minutes"`
	Runs    int     `json:"runs"` // measurements the median took
}

// Medians returns, per file, the median of its last n measurements
// (runs oldest first).
func Medians(runs []Run, n int) map[string]Figure {
	if n < 1 {
		n = 1
	}
	last := map[string][]float64{}
	for i := len(runs) - 1; i >= 0; i-- {
		for f, m := range runs[i].Minutes {
			if len(last[f]) < n {
				last[f] = append(last[f], m)
			}
		}
	}
	out := make(map[string]Figure, len(last))
	for f, ms := range last {
		sort.Float64s(ms)
		med := ms[len(ms)/2]
		if len(ms)%2 == 0 {
			med = (ms[len(ms)/2-1] + ms[len(ms)/2]) / 2
		}
		out[f] = Figure{Minutes: math.Round(med*1000) / 1000, Runs: len(ms)}
	}
	return out
}

// Minutes flattens figures into the file -> minutes map plans take.
func Minutes(figs map[string]Figure) map[string]float64 {
	if len(figs) == 0 {
		return nil
	}
	out := make(map[string]float64, len(figs))
	for f, fig := range figs {
		out[f] = fig.Minutes
	}
	return out
}

// Recording says whether a run adds its durations to the history, and as
// which event: a push to main, a scheduled (nightly) run, or any run with
// TPUCI_RECORD_DURATIONS=1.
func Recording(s *settings.Settings) (string, bool) {
	switch {
	case s.RecordDurations:
		return "manual", true
	case s.GitHub.EventName == "schedule":
		return "nightly", true
	case s.GitHub.EventName == "push" && s.GitHub.Ref == "refs/heads/main":
		return "main", true
	}
	return "", false
}
