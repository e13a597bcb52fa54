package lint

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// Verdict splits the findings at HEAD into those a change introduced and
// those that were already there.
type Verdict struct {
	New      []Finding `json:"new"`
	Existing []Finding `json:"existing"`
	Fixed    int       `json:"fixed"` // findings at the base that are gone
}

// key identifies a finding across commits: lines move, the file (after
// renames), the check and its message do not.
type key struct{ path, symbol, message string }

// Compare matches head's findings against base's. renamed maps a base
// path to its path at HEAD. Where a file has more findings of one kind
// than the base had, the ones on lines the base did not flag are new.
func Compare(head, base []Finding, renamed map[string]string) Verdict {
	baseLines := map[key][]int{}
	for _, f := range base {
		p := f.Path
		if r, ok := renamed[p]; ok {
			p = r
		}
		k := key{p, f.Symbol, f.Message}
		baseLines[k] = append(baseLines[k], f.Line)
	}
	groups := map[key][]Finding{}
	var order []key
	for _, f := range head {
		k := key{f.Path, f.Symbol, f.Message}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], f)
	}
	var v Verdict
	matched := 0
	for _, k := range order {
		fs := groups[k]
		old := baseLines[k]
		keep := len(old)
		if keep > len(fs) {
			keep = len(fs)
		}
		matched += keep
		// Findings on lines the base flagged are the likeliest old ones.
		onOld := map[int]bool{}
		for _, l := range old {
			onOld[l] = true
		}
		sort.SliceStable(fs, func(i, j int) bool { return onOld[fs[i].Line] && !onOld[fs[j].Line] })
		v.Existing = append(v.Existing, fs[:keep]...)
		v.New = append(v.New, fs[keep:]...)
	}
	v.Fixed = len(base) - matched
	sortFindings(v.New)
	sortFindings(v.Existing)
	return v
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].Path != fs[j].Path {
			return fs[i].Path < fs[j].Path
		}
		return fs[i].Line < fs[j].Line
	})
}

// WriteFindings records findings as a baseline file.
func WriteFindings(path string, fs []Finding) error {
	if fs == nil {
		fs = []Finding{}
	}
	data, err := json.MarshalIndent(fs, "", "  ")
	if err != nil {
		return fmt.Errorf("lint: encode findings: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("lint: write %s: %w", path, err)
	}
	return nil
}

// ReadBaseline loads findings recorded by WriteFindings (a previous run's
// lint-findings.json).
func ReadBaseline(path string) ([]Finding, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("lint: read baseline %s: %w (it is a previous run's $TPUCI_OUT/lint-findings.json)", path, err)
	}
	var fs []Finding
	if err := json.Unmarshal(data, &fs); err != nil {
		return nil, fmt.Errorf("lint: read baseline %s: %w (expected a JSON list of pylint findings)", path, err)
	}
	return fs, nil
}
