package gate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/sgl-project/tpuci/internal/report"
)

// Results is the part of a stage's results JSON that baseline recording
// reads: each case's status and its gate-specific figures (Extra).
type Results struct {
	Target string `json:"target"`
	Cases  []struct {
		Name   string          `json:"name"`
		Status report.Status   `json:"status"`
		Extra  json.RawMessage `json:"extra"`
	} `json:"cases"`
}

// ReadResults reads a stage's results JSON ($TPUCI_OUT/<target>.json) and
// checks that it holds target's results.
func ReadResults(path, target string) (*Results, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("baselines: no results at %s: run go tool mage %s first (or pass the results file)", path, target)
	}
	if err != nil {
		return nil, fmt.Errorf("baselines: read results: %w", err)
	}
	var r Results
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("baselines: %s is not a tpuci results file: %v", path, err)
	}
	if r.Target != target {
		return nil, fmt.Errorf("baselines: %s holds results of %q, not %s", path, r.Target, target)
	}
	return &r, nil
}
