package history

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sgl-project/tpuci/internal/report"
)

// Status is the nightly status record: written only for a complete
// scheduled night. Its first fields are the ones the release gate
// (internal/release/guard) reads; the rest describe the night.
type Status struct {
	SchemaVersion int            `json:"schema_version"`
	UpdatedAt     string         `json:"updated_at"` // RFC 3339
	WorkflowName  string         `json:"workflow_name,omitempty"`
	RunID         string         `json:"run_id"`
	RunURL        string         `json:"run_url,omitempty"`
	HeadSHA       string         `json:"head_sha"`
	HeadBranch    string         `json:"head_branch,omitempty"`
	Conclusion    string         `json:"conclusion"` // success or failure
	Status        string         `json:"status"`     // healthy or unhealthy
	LatestSuccess *LatestSuccess `json:"latest_successful_nightly"`

	Night       string       `json:"night"`
	StartedAt   string       `json:"started_at"`
	Seconds     float64      `json:"duration_seconds"`
	Coverage    Coverage     `json:"coverage"`
	FailedCases []string     `json:"failed_cases"`
	Regressions []StatusFlag `json:"regressions"`
	Tpuci       string       `json:"tpuci_version,omitempty"`
}

// LatestSuccess is the last healthy night.
type LatestSuccess struct {
	RunID       string `json:"run_id"`
	RunURL      string `json:"run_url,omitempty"`
	CompletedAt string `json:"completed_at"`
	Night       string `json:"night,omitempty"`
	HeadSHA     string `json:"head_sha,omitempty"`
}

// Coverage counts the matrix's cases on the night.
type Coverage struct {
	Cases  int     `json:"cases"`  // in the matrix
	Ran    int     `json:"ran"`    // with a record
	OK     int     `json:"ok"`     // records with status ok
	Failed int     `json:"failed"` // records with status failed or error
	Pct    float64 `json:"pct"`
}

// StatusFlag is one regression in the status.
type StatusFlag struct {
	Case      string  `json:"case"`
	Metric    string  `json:"metric"`
	Kind      string  `json:"kind"` // drift or floor
	ChangePct float64 `json:"change_pct"`
	Nights    int     `json:"nights"`
	Commits   string  `json:"commits,omitempty"` // last good..first bad
}

// Status values.
const (
	Healthy   = "healthy"
	Unhealthy = "unhealthy"
)

// ReadStatus reads a status file; a missing file is (nil, nil).
func ReadStatus(path string) (*Status, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	var s Status
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("history: %s is not a status record: %w", path, err)
	}
	if s.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("history: %s has schema_version %d; this tpuci reads %d", path, s.SchemaVersion, SchemaVersion)
	}
	return &s, nil
}

// WriteStatus writes a status file atomically.
func WriteStatus(path string, s *Status) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	if err := report.WriteJSON(path, s); err != nil {
		return fmt.Errorf("history: write %s: %w", path, err)
	}
	return nil
}

// Status reads the store's status record (nil when there is none).
func (d Dir) Status() (*Status, error) { return ReadStatus(filepath.Join(d.Root, StatusFile)) }

// PutStatus replaces the store's status record.
func (d Dir) PutStatus(s *Status) error {
	unlock, err := d.lock()
	if err != nil {
		return err
	}
	defer unlock()
	return WriteStatus(filepath.Join(d.Root, StatusFile), s)
}
