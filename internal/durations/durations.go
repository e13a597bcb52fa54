// Package durations keeps the measured minutes of suite files across
// runs: every run on main and every scheduled run adds one record; plans
// and partitions weigh a file by the median of its last N measurements,
// and by its configured estimate when it has none.
package durations

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

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

// Dir is a store: one JSON file per run, so that concurrent jobs (and
// pushes to a git data repository) never edit the same file.
type Dir struct{ Root string }

// Add writes a run.
func (d Dir) Add(r Run) error {
	if err := r.Check(); err != nil {
		return fmt.Errorf("durations: record of %s: %w", r.Target, err)
	}
	var nonce [4]byte
	_, _ = rand.Read(nonce[:])
	commit := r.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	name := fmt.Sprintf("%s-%s-%s-%s.json", r.Date.UTC().Format("20060102T150405Z"), safe(commit), safe(r.Target), hex.EncodeToString(nonce[:]))
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(d.Root, 0o755); err != nil {
		return fmt.Errorf("durations: create %s: %w", d.Root, err)
	}
	tmp := filepath.Join(d.Root, "."+name)
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("durations: write %s: %w", tmp, err)
	}
	return os.Rename(tmp, filepath.Join(d.Root, name))
}

func safe(s string) string {
	if s == "" {
		return "none"
	}
	return strings.Map(func(r rune) rune {
		if r == '/' || r == ':' || r == ' ' || r == '\\' {
			return '_'
		}
		return r
	}, s)
}

// Runs reads every record, oldest first. A missing store is empty; an
// unreadable record is an error naming the file.
func (d Dir) Runs() ([]Run, error) {
	entries, err := os.ReadDir(d.Root)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("durations: read %s: %w", d.Root, err)
	}
	var runs []Run
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(d.Root, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("durations: %w", err)
		}
		var r Run
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("durations: %s: %w (delete the file to drop the record)", path, err)
		}
		if err := r.Check(); err != nil {
			return nil, fmt.Errorf("durations: %s: %w (delete the file to drop the record)", path, err)
		}
		runs = append(runs, r)
	}
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].Date.Before(runs[j].Date) })
	return runs, nil
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
