package durations

import (
	"encoding/json"
	"fmt"
	"os"
)

// Measure is how long a file took. A file that timed out records its
// timeout as a lower bound; an interrupted one records nothing.
type Measure struct {
	Minutes    float64 `json:"minutes"`
	LowerBound bool    `json:"lower_bound,omitempty"`
}

// LoadMeasured reads a durations file written by an earlier run
// (file path -> minutes; a timed-out file's lower bound counts as its
// minutes). A missing file is not an error.
func LoadMeasured(path string) (map[string]float64, error) {
	ms, err := LoadMeasures(path)
	if ms == nil || err != nil {
		return nil, err
	}
	out := make(map[string]float64, len(ms))
	for k, m := range ms {
		out[k] = m.Minutes
	}
	return out, nil
}

// LoadMeasures reads a durations file: each file maps to its minutes, or
// to {"minutes": M, "lower_bound": true} when it timed out after M.
func LoadMeasures(path string) (map[string]Measure, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("durations: read %s: %w", path, err)
	}
	raw := map[string]json.RawMessage{}
	bad := func(err error) error {
		return fmt.Errorf("durations: read %s: %w (expected {\"path/to/test.py\": minutes or {\"minutes\": M, \"lower_bound\": true}, ...}; delete the file to fall back to estimates)", path, err)
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, bad(err)
	}
	m := make(map[string]Measure, len(raw))
	for k, v := range raw {
		var x Measure
		if err := json.Unmarshal(v, &x.Minutes); err != nil {
			if err := json.Unmarshal(v, &x); err != nil {
				return nil, bad(fmt.Errorf("%s: %w", k, err))
			}
		}
		m[k] = x
	}
	return m, nil
}

// MergeMeasures folds new measures into old ones: a completed run replaces
// what was known; a lower bound replaces only a smaller figure.
func MergeMeasures(old, add map[string]Measure) map[string]Measure {
	if old == nil {
		old = map[string]Measure{}
	}
	for k, v := range add {
		if prev, ok := old[k]; ok && v.LowerBound && prev.Minutes >= v.Minutes {
			continue
		}
		old[k] = v
	}
	return old
}

// MarshalJSON writes a completed measure as a bare number (the format
// older readers know) and a lower bound as an object.
func (m Measure) MarshalJSON() ([]byte, error) {
	if !m.LowerBound {
		return json.Marshal(m.Minutes)
	}
	type plain Measure
	return json.Marshal(plain(m))
}
