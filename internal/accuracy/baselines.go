// Package accuracy is tpuci's accuracy gate: it runs the [[accuracy.case]]
// evaluations of the configuration against their launch profiles' servers,
// judges each score against a versioned baseline with a floating threshold
// (baseline minus an allowed drop), writes per-case results and updates the
// baselines from results for review.
package accuracy

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sgl-project/tpuci/internal/gate"
)

// DefaultAllowedDrop is the design's floating threshold for PR gates: a
// score may fall 2 points (0.02) below its baseline.
const DefaultAllowedDrop = 0.02

// Baseline is the reference score of one evaluation of one model on one
// device. Model, device, dataset, samples and shots identify it.
type Baseline struct {
	Model   string  `toml:"model"`
	Device  string  `toml:"device"`
	Dataset string  `toml:"dataset"`
	Samples int     `toml:"samples"` // 0: the whole dataset
	Shots   int     `toml:"shots,omitempty"`
	Score   float64 `toml:"score"`
	// AllowedDrop overrides the file's allowed_drop for this entry (the
	// per-case thresholds of nightly evaluations).
	AllowedDrop *float64 `toml:"allowed_drop,omitempty"`
	// Provenance, written by accuracy:baseline.
	Stderr  float64 `toml:"stderr,omitempty"`
	N       int     `toml:"n,omitempty"`
	Seed    int64   `toml:"seed,omitempty"`
	Commit  string  `toml:"commit,omitempty"`
	Updated string  `toml:"updated,omitempty"`
	Note    string  `toml:"note,omitempty"`
}

// Key names what a baseline is for.
type Key struct {
	Model, Device, Dataset string
	Samples, Shots         int
}

func (k Key) String() string {
	s := fmt.Sprintf("%s on %s, %s", k.Model, k.Device, k.Dataset)
	if k.Samples > 0 {
		s += fmt.Sprintf(" n=%d", k.Samples)
	} else {
		s += " (all)"
	}
	if k.Shots > 0 {
		s += fmt.Sprintf(" %d-shot", k.Shots)
	}
	return s
}

// Key returns the entry's key.
func (b Baseline) Key() Key {
	return Key{Model: b.Model, Device: b.Device, Dataset: b.Dataset, Samples: b.Samples, Shots: b.Shots}
}

// Baselines is a baselines file in memory.
type Baselines struct {
	Path        string // where it was read from (and is written to)
	Builtin     bool   // tpuci's built-in copy, used because Path does not exist
	AllowedDrop float64
	Entries     []Baseline
}

type baselinesTOML struct {
	AllowedDrop *float64   `toml:"allowed_drop"`
	Baseline    []Baseline `toml:"baseline"`
}

//go:embed sglang-jax-baselines.toml
var builtinBaselines []byte

// LoadBaselines reads a baselines file. When it does not exist and
// builtin is true, tpuci's built-in SGLang-JAX baselines stand in (with
// Path still naming the file accuracy:baseline will create); otherwise a
// missing file is an empty set.
func LoadBaselines(path string, builtin bool) (*Baselines, error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist) && builtin:
		b, err := ParseBaselines("built-in sglang-jax-baselines.toml", builtinBaselines)
		if err != nil {
			return nil, err
		}
		b.Path, b.Builtin = path, true
		return b, nil
	case errors.Is(err, os.ErrNotExist):
		return &Baselines{Path: path, AllowedDrop: DefaultAllowedDrop}, nil
	case err != nil:
		return nil, fmt.Errorf("accuracy baselines: read %s: %w", path, err)
	}
	b, err := ParseBaselines(path, data)
	if err != nil {
		return nil, err
	}
	b.Path = path
	return b, nil
}

// ParseBaselines decodes and checks a baselines file; errors name the
// file, the entry and the field.
func ParseBaselines(name string, data []byte) (*Baselines, error) {
	var raw baselinesTOML
	if err := gate.Decode("accuracy baselines", name, data, &raw, "allowed_drop; per [[baseline]]: model, device, dataset, samples, shots, score, allowed_drop, stderr, n, seed, commit, updated, note"); err != nil {
		return nil, err
	}
	b := &Baselines{AllowedDrop: DefaultAllowedDrop}
	if raw.AllowedDrop != nil {
		b.AllowedDrop = *raw.AllowedDrop
		if !validDrop(b.AllowedDrop) {
			return nil, fmt.Errorf("accuracy baselines: %s: allowed_drop must be in [0, 1) (0.02 = 2 points), not %v", name, b.AllowedDrop)
		}
	}
	seen := map[Key]int{}
	for i, e := range raw.Baseline {
		at := fmt.Sprintf("accuracy baselines: %s: baseline[%d] (%s)", name, i, e.Key())
		switch {
		case e.Model == "" || e.Device == "" || e.Dataset == "":
			return nil, fmt.Errorf("%s: model, device and dataset are all required", at)
		case e.Samples < 0 || e.Shots < 0:
			return nil, fmt.Errorf("%s: samples and shots must be 0 or more", at)
		case !(e.Score >= 0 && e.Score <= 1):
			return nil, fmt.Errorf("%s: score must be a fraction in [0, 1], not %v", at, e.Score)
		case e.AllowedDrop != nil && !validDrop(*e.AllowedDrop):
			return nil, fmt.Errorf("%s: allowed_drop must be in [0, 1) (0.02 = 2 points), not %v", at, *e.AllowedDrop)
		}
		if j, dup := seen[e.Key()]; dup {
			return nil, fmt.Errorf("%s: duplicate of baseline[%d]; keep one", at, j)
		}
		seen[e.Key()] = i
	}
	b.Entries = raw.Baseline
	return b, nil
}

func validDrop(d float64) bool { return d >= 0 && d < 1 }

// Find returns the baseline for k.
func (b *Baselines) Find(k Key) (Baseline, bool) {
	for _, e := range b.Entries {
		if e.Key() == k {
			return e, true
		}
	}
	return Baseline{}, false
}

// Drop is the allowed drop that applies to an entry.
func (b *Baselines) Drop(e Baseline) float64 {
	if e.AllowedDrop != nil {
		return *e.AllowedDrop
	}
	return b.AllowedDrop
}

// Set adds or replaces an entry, returning the one replaced.
func (b *Baselines) Set(e Baseline) (old Baseline, had bool) {
	b.Entries, old, had = gate.Upsert(b.Entries, e, Baseline.Key)
	return old, had
}

// Render writes the file in a stable, reviewable form: entries sorted by
// model, device, dataset, samples and shots.
func (b *Baselines) Render() []byte {
	es := slices.Clone(b.Entries)
	slices.SortStableFunc(es, func(x, y Baseline) int {
		return strings.Compare(sortKey(x), sortKey(y))
	})
	var w bytes.Buffer
	w.WriteString("# Accuracy baselines of tpuci's accuracy gate, one per model, device and\n")
	w.WriteString("# evaluation. A case passes when score >= score of its baseline minus\n")
	w.WriteString("# allowed_drop (a fraction: 0.02 is 2 points). Update with\n")
	w.WriteString("# go tool mage accuracy:baseline and review the diff.\n\n")
	fmt.Fprintf(&w, "allowed_drop = %s\n", num(b.AllowedDrop))
	for _, e := range es {
		w.WriteString("\n[[baseline]]\n")
		fmt.Fprintf(&w, "model = %s\n", strconv.Quote(e.Model))
		fmt.Fprintf(&w, "device = %s\n", strconv.Quote(e.Device))
		fmt.Fprintf(&w, "dataset = %s\n", strconv.Quote(e.Dataset))
		fmt.Fprintf(&w, "samples = %d\n", e.Samples)
		if e.Shots > 0 {
			fmt.Fprintf(&w, "shots = %d\n", e.Shots)
		}
		fmt.Fprintf(&w, "score = %s\n", num(e.Score))
		if e.AllowedDrop != nil {
			fmt.Fprintf(&w, "allowed_drop = %s\n", num(*e.AllowedDrop))
		}
		if e.Stderr > 0 {
			fmt.Fprintf(&w, "stderr = %s\n", num(e.Stderr))
		}
		if e.N > 0 {
			fmt.Fprintf(&w, "n = %d\n", e.N)
		}
		if e.Seed != 0 {
			fmt.Fprintf(&w, "seed = %d\n", e.Seed)
		}
		for _, kv := range [][2]string{{"commit", e.Commit}, {"updated", e.Updated}, {"note", e.Note}} {
			if kv[1] != "" {
				fmt.Fprintf(&w, "%s = %s\n", kv[0], strconv.Quote(kv[1]))
			}
		}
	}
	return w.Bytes()
}

func sortKey(e Baseline) string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%09d\x00%03d", e.Model, e.Device, e.Dataset, e.Samples, e.Shots)
}

// num formats a fraction with up to 4 decimals, keeping TOML float syntax.
func num(f float64) string {
	s := strconv.FormatFloat(round4(f), 'f', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

func round4(f float64) float64 { return math.Round(f*1e4) / 1e4 }

// Write stores the file at b.Path atomically.
func (b *Baselines) Write() error {
	if err := os.MkdirAll(filepath.Dir(b.Path), 0o755); err != nil {
		return fmt.Errorf("accuracy baselines: create %s: %w", filepath.Dir(b.Path), err)
	}
	tmp := b.Path + ".tmp"
	if err := os.WriteFile(tmp, b.Render(), 0o644); err != nil {
		return fmt.Errorf("accuracy baselines: write %s: %w", b.Path, err)
	}
	if err := os.Rename(tmp, b.Path); err != nil {
		return fmt.Errorf("accuracy baselines: write %s: %w", b.Path, err)
	}
	return nil
}
