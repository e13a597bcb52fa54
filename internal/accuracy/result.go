package accuracy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/eval"
	"github.com/sgl-project/tpuci/internal/report"
)

// SchemaVersion of the per-case result JSON; consumers must tolerate
// fields added in minor versions.
const SchemaVersion = "1.0.0"

// CaseResult is $TPUCI_OUT/accuracy/<case>.json.
type CaseResult struct {
	SchemaVersion    string             `json:"schema_version"`
	Type             string             `json:"type"` // "accuracy"
	Case             string             `json:"case"`
	Dataset          string             `json:"dataset"`
	Model            string             `json:"model"`
	Server           string             `json:"server"`
	Device           string             `json:"device"`
	Samples          int                `json:"samples"` // configured; 0 = all
	Seed             int64              `json:"seed"`
	Shots            int                `json:"shots"`
	N                int                `json:"n"` // questions asked
	Answered         int                `json:"answered"`
	Correct          int                `json:"correct"`
	Errors           int                `json:"errors"` // requests the server answered with an error
	Score            float64            `json:"score"`
	Std              float64            `json:"std"`
	Stderr           float64            `json:"stderr"`
	Metrics          map[string]float64 `json:"metrics,omitempty"`
	Verdict          Verdict            `json:"verdict"`
	StartedAt        string             `json:"started_at"`
	FinishedAt       string             `json:"finished_at"`
	DurationSeconds  float64            `json:"duration_seconds"`
	GenerationConfig map[string]any     `json:"generation_config"`
	Concurrency      int                `json:"concurrency"`
	Commit           string             `json:"commit,omitempty"`
	DatasetFiles     []string           `json:"dataset_files,omitempty"`
	Outcomes         string             `json:"outcomes,omitempty"` // the per-question JSONL
	ServerLog        string             `json:"server_log,omitempty"`
	Partial          bool               `json:"partial,omitempty"`
	Error            string             `json:"error,omitempty"`
}

// Key is the baseline the result measures.
func (r *CaseResult) Key() Key {
	return Key{Model: r.Model, Device: r.Device, Dataset: r.Dataset, Samples: r.Samples, Shots: r.Shots}
}

// ResultDir is where per-case files go under $TPUCI_OUT.
func ResultDir(out string) string { return filepath.Join(out, "accuracy") }

// WriteResult writes <dir>/<case>.json and, when outcomes are given,
// <dir>/<case>.jsonl with one line per question in question order.
func WriteResult(dir string, r *CaseResult, outcomes []eval.Outcome) error {
	if outcomes != nil {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		for _, o := range outcomes {
			if err := enc.Encode(o); err != nil {
				return fmt.Errorf("accuracy: encode outcomes of %s: %w", r.Case, err)
			}
		}
		p := filepath.Join(dir, fileName(r.Case)+".jsonl")
		if err := report.WriteFile(p, b.Bytes()); err != nil {
			return err
		}
		r.Outcomes = p
	}
	return report.WriteJSON(filepath.Join(dir, fileName(r.Case)+".json"), r)
}

// fileName keeps a case name usable as a file name.
func fileName(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, name)
}

// ReadResults reads per-case results from a file or every *.json of a
// directory (other JSON files there are rejected by name).
func ReadResults(path string) ([]*CaseResult, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("accuracy results: %w (run go tool mage accuracy first, or point at a results file or directory)", err)
	}
	files := []string{path}
	if st.IsDir() {
		files, _ = filepath.Glob(filepath.Join(path, "*.json"))
		slices.Sort(files)
		if len(files) == 0 {
			return nil, fmt.Errorf("accuracy results: no *.json results in %s (run go tool mage accuracy first)", path)
		}
	}
	var out []*CaseResult
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("accuracy results: %w", err)
		}
		var r CaseResult
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("accuracy results: %s: not a result file: %v", f, err)
		}
		if r.Type != "accuracy" || r.Case == "" {
			return nil, fmt.Errorf("accuracy results: %s: not an accuracy case result (no \"type\": \"accuracy\")", f)
		}
		out = append(out, &r)
	}
	return out, nil
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
