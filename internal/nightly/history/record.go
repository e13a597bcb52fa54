// Package history keeps nightly results: one record per case and night,
// written as JSON lines under a directory (nights/<YYYY-MM-DD>/<model>.jsonl),
// plus the nightly status record. The same layout serves the local store
// and the checkout of the shared git data repository.
package history

import (
	"fmt"
	"regexp"
	"time"
)

// SchemaVersion of records and of the status. Readers accept records of
// this version; fields may be added without a new version.
const SchemaVersion = 1

// Record statuses.
const (
	OK     = "ok"     // ran to the end; its metrics are valid
	Failed = "failed" // ran, but its figures mean nothing (failed requests, dead server)
	Error  = "error"  // did not run (server did not start, dataset missing)
)

// Record is one case's result on one night.
type Record struct {
	SchemaVersion int                `json:"schema_version"`
	Night         string             `json:"night"` // YYYY-MM-DD
	Case          string             `json:"case"`  // matrix key
	Kind          string             `json:"kind"`  // perf or accuracy
	Model         string             `json:"model"` // [[nightly.model]] name
	Status        string             `json:"status"`
	Error         string             `json:"error,omitempty"`
	Metrics       map[string]float64 `json:"metrics,omitempty"`
	Judged        []string           `json:"judged,omitempty"` // metrics regressions are checked on
	Params        Params             `json:"params"`
	Commit        string             `json:"commit"`
	Branch        string             `json:"branch,omitempty"`
	RunID         string             `json:"run_id,omitempty"`
	RunURL        string             `json:"run_url,omitempty"`
	Device        string             `json:"device"`
	Profile       Profile            `json:"profile"`
	Versions      Versions           `json:"versions"`
	RecordedAt    string             `json:"recorded_at"` // RFC 3339
	Seconds       float64            `json:"duration_seconds"`
	Trace         string             `json:"trace,omitempty"` // trace file (store-relative path or URL)
}

// Params are what the case measured.
type Params struct {
	Concurrency int    `json:"max_concurrency,omitempty"`
	InputLen    int    `json:"input_len,omitempty"`
	OutputLen   int    `json:"output_len,omitempty"`
	NumPrompts  int    `json:"num_prompts,omitempty"`
	Completed   int    `json:"completed,omitempty"`
	Failed      int    `json:"failed,omitempty"`
	Dataset     string `json:"dataset,omitempty"`
	Samples     int    `json:"samples,omitempty"`
	Questions   int    `json:"questions,omitempty"`
	Answered    int    `json:"answered,omitempty"`
}

// Profile identifies the launch profile a case ran on.
type Profile struct {
	Name     string `json:"name"`
	Model    string `json:"model"`
	Chips    int    `json:"chips"`
	TP       int    `json:"tp"`
	EP       int    `json:"ep,omitempty"`
	ArgsHash string `json:"args_hash"` // of command, args and env: a changed profile explains a step
}

// Versions are the software a record was measured with.
type Versions struct {
	Tpuci   string `json:"tpuci"`
	Package string `json:"package,omitempty"` // the checkout's version (e.g. sgl_jax's __version__)
	Go      string `json:"go,omitempty"`
}

var (
	nightRe = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	modelRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
)

// Check reports the first field that makes a record unusable.
func (r *Record) Check() error {
	switch {
	case r.SchemaVersion != SchemaVersion:
		return fmt.Errorf("schema_version %d (this tpuci reads %d)", r.SchemaVersion, SchemaVersion)
	case !nightRe.MatchString(r.Night):
		return fmt.Errorf("night %q is not YYYY-MM-DD", r.Night)
	case !modelRe.MatchString(r.Model):
		return fmt.Errorf("model %q is not a key segment", r.Model)
	case r.Case == "":
		return fmt.Errorf("no case key")
	case r.Status != OK && r.Status != Failed && r.Status != Error:
		return fmt.Errorf("status %q (ok, failed or error)", r.Status)
	}
	return nil
}

// Usable reports whether the record's metric m can be compared with history.
func (r *Record) Usable(m string) (float64, bool) {
	if r.Status != OK {
		return 0, false
	}
	v, ok := r.Metrics[m]
	return v, ok
}

// Night is the night a run belongs to: TPUCI_NIGHTLY_DATE when set,
// else the UTC date when it started.
func Night(override string, started time.Time) (string, error) {
	if override != "" {
		if _, err := time.Parse("2006-01-02", override); err != nil || !nightRe.MatchString(override) {
			return "", fmt.Errorf("nightly: TPUCI_NIGHTLY_DATE=%q: want a date such as 2026-01-31", override)
		}
		return override, nil
	}
	return started.UTC().Format("2006-01-02"), nil
}
