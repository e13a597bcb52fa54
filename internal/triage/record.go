package triage

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

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

// Dir is a record store: one JSON file per run, so that concurrent jobs
// (and pushes to a git data repository) never edit the same file.
type Dir struct{ Root string }

// Add writes a run.
func (d Dir) Add(r Run) error {
	if r.Date.IsZero() || r.Target == "" {
		return fmt.Errorf("triage: record of %q: no date or target", r.Target)
	}
	var nonce [4]byte
	_, _ = rand.Read(nonce[:])
	commit := r.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	name := fmt.Sprintf("%s-%s-%s-%s.json", r.Date.UTC().Format("20060102T150405Z"), safe(commit),
		safe(r.Target), hex.EncodeToString(nonce[:]))
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(d.Root, 0o755); err != nil {
		return fmt.Errorf("triage: create %s: %w", d.Root, err)
	}
	tmp := filepath.Join(d.Root, "."+name)
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("triage: write %s: %w", tmp, err)
	}
	return os.Rename(tmp, filepath.Join(d.Root, name))
}

func safe(s string) string {
	if s == "" {
		return "none"
	}
	return strings.Map(func(r rune) rune {
		if r == '/' || r == ':' || r == ' ' || r == '\\' || r == '.' {
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
		return nil, fmt.Errorf("triage: read %s: %w", d.Root, err)
	}
	var runs []Run
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(d.Root, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("triage: %w", err)
		}
		var r Run
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("triage: %s: %w (delete the file to drop the record)", path, err)
		}
		runs = append(runs, r)
	}
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].Date.Before(runs[j].Date) })
	return runs, nil
}
