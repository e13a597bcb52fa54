package triage

import (
	"fmt"
	"sort"
	"time"

	"github.com/sgl-project/tpuci/internal/datastore"
	"github.com/sgl-project/tpuci/internal/failclass"
)

// Subdir is the failure record's directory inside a history store.
const Subdir = "failures"

// Outcomes of a test in one run.
const (
	Passed  = "passed"
	Failed  = "failed"
	Flaky   = "flaky" // failed, then passed on a retry within the run
	Skipped = "skipped"
)

// Entry is one test file, or one test of a file where JUnit or unittest
// names it, in one run.
type Entry struct {
	Test        string          `json:"test"` // the file, or file::case
	File        string          `json:"file"`
	Outcome     string          `json:"outcome"`
	Class       failclass.Class `json:"class,omitempty"` // of a failure: infra, timeout, threshold, case-crash
	Fingerprint string          `json:"fingerprint,omitempty"`
	Message     string          `json:"message,omitempty"` // the first error line, normalised
	Attempts    int             `json:"attempts,omitempty"`
}

// Run is what one job of one run adds to the record.
type Run struct {
	Commit    string    `json:"commit"`
	Ref       string    `json:"ref"`   // main, nightly, pr/N or manual
	Event     string    `json:"event"` // the GitHub event, or local
	RunID     string    `json:"run_id,omitempty"`
	Attempt   int       `json:"attempt,omitempty"`
	RunURL    string    `json:"run_url,omitempty"`
	Runner    string    `json:"runner,omitempty"`
	Target    string    `json:"target"`
	Partition string    `json:"partition,omitempty"`
	Date      time.Time `json:"date"`
	Entries   []Entry   `json:"entries"`
}

// Dir is a record store (datastore.Records).
type Dir struct{ Root string }

func (d Dir) records() datastore.Records[Run] {
	return datastore.Records[Run]{Root: d.Root, Kind: "triage"}
}

// Add writes a run.
func (d Dir) Add(r Run) error {
	if r.Date.IsZero() || r.Target == "" {
		return fmt.Errorf("triage: record of %q: no date or target", r.Target)
	}
	return d.records().Add(datastore.Key{Date: r.Date, Commit: r.Commit, Target: r.Target}, r)
}

// Runs reads every record, oldest first. A missing store is empty; an
// unreadable record is an error naming the file.
func (d Dir) Runs() ([]Run, error) {
	runs, err := d.records().All(nil)
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].Date.Before(runs[j].Date) })
	return runs, err
}
