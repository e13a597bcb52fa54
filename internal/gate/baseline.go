// Package gate is the one verdict engine of tpuci's gates (perf, pallas,
// accuracy): versioned baseline files bound to the device they were
// measured on, the two judges (a relative tolerance for timings and
// throughputs, an absolute allowed drop for scores), the verdict table
// and the recording of baselines from a stage's results file, with the
// diff to review. A baseline is used only on its own device: on any
// other the verdict is "no baseline for this device", skipped with the
// command that records one.
//
// The timing baselines file, one entry per device, case and metric (the
// direction follows from the metric's name: _ms lower is better,
// throughputs higher):
//
//	[[baseline]]
//	device = "v6e-1"
//	case = "qwen3-8b-tp1-latency"
//	metric = "median_ttft_ms"
//	value = 52.0
//	tolerance = 0.08
package gate

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/report"
)

// Entry is one baseline value.
type Entry struct {
	Device    string  `toml:"device"`
	Case      string  `toml:"case"`
	Metric    string  `toml:"metric"`
	Value     float64 `toml:"value"`
	Tolerance float64 `toml:"tolerance,omitempty"` // fraction, 0.08 = 8%; 0: the caller's default
}

func (e Entry) key() string { return e.Device + "\x00" + e.Case + "\x00" + e.Metric }

// File is a baselines file in memory.
type File struct {
	Path    string
	Exists  bool // the file was there when loaded
	Entries []Entry
}

type fileTOML struct {
	Baseline []Entry `toml:"baseline"`
}

// Load reads a baselines file. A missing file is not an error: it gives an
// empty File with Exists false, so every lookup reports a missing baseline.
func Load(path string) (*File, error) {
	f := &File{Path: path}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("baselines: read %s: %w", path, err)
	}
	f, err = Parse(path, data)
	if err != nil {
		return nil, err
	}
	f.Exists = true
	return f, nil
}

// Parse reads baselines from data; path names them in errors.
func Parse(path string, data []byte) (*File, error) {
	f := &File{Path: path}
	var raw fileTOML
	if err := Decode("baselines", path, data, &raw, "device, case, metric, value, tolerance"); err != nil {
		return nil, err
	}
	seen := map[string]int{}
	for i, e := range raw.Baseline {
		at := fmt.Sprintf("baselines: %s: baseline[%d] (device %q, case %q, metric %q)", path, i, e.Device, e.Case, e.Metric)
		switch {
		case e.Device == "" || e.Case == "" || e.Metric == "":
			return nil, fmt.Errorf("%s: device, case and metric are all required", at)
		case config.MetricDirection(e.Metric) == 0:
			return nil, fmt.Errorf("%s: metric has no known direction (a key ending in _ms, or containing throughput)", at)
		case !(e.Value > 0) || math.IsInf(e.Value, 0):
			return nil, fmt.Errorf("%s: value must be a positive number, not %v", at, e.Value)
		case !(e.Tolerance >= 0 && e.Tolerance < 1):
			return nil, fmt.Errorf("%s: tolerance must be a fraction in [0, 1), e.g. 0.08 for 8%%, not %v", at, e.Tolerance)
		}
		if j, dup := seen[e.key()]; dup {
			return nil, fmt.Errorf("%s: duplicate of baseline[%d]; keep one", at, j)
		}
		seen[e.key()] = i
	}
	f.Entries = raw.Baseline
	return f, nil
}

// Find returns the entry for device, case and metric.
func (f *File) Find(device, name, metric string) (Entry, bool) {
	k := Entry{Device: device, Case: name, Metric: metric}.key()
	for _, e := range f.Entries {
		if e.key() == k {
			return e, true
		}
	}
	return Entry{}, false
}

func entryDevice(e Entry) string { return e.Device }

// HasDevice reports whether any entry was measured on device.
func (f *File) HasDevice(device string) bool { return HasDevice(f.Entries, device, entryDevice) }

// devicesNote lists the devices the file has baselines for.
func (f *File) devicesNote() string { return DevicesNote(f.Entries, entryDevice) }

// Set adds or replaces an entry and returns the one it replaced.
func (f *File) Set(e Entry) (old Entry, had bool) {
	f.Entries, old, had = Upsert(f.Entries, e, Entry.key)
	return old, had
}

// Encode writes the header and the entries as TOML, sorted by device,
// case and metric.
func (f *File) Encode() []byte {
	es := slices.Clone(f.Entries)
	slices.SortStableFunc(es, func(a, b Entry) int {
		if c := strings.Compare(a.Device, b.Device); c != 0 {
			return c
		}
		if c := strings.Compare(a.Case, b.Case); c != 0 {
			return c
		}
		return strings.Compare(a.Metric, b.Metric)
	})
	var b bytes.Buffer
	for _, l := range strings.Split(strings.TrimSpace(header), "\n") {
		if l != "" {
			fmt.Fprintf(&b, "# %s\n", l)
		}
	}
	for _, e := range es {
		fmt.Fprintf(&b, "\n[[baseline]]\ndevice = %s\ncase = %s\nmetric = %s\nvalue = %s\n",
			config.QuoteTOML(e.Device), config.QuoteTOML(e.Case), config.QuoteTOML(e.Metric), number(e.Value))
		if e.Tolerance > 0 {
			fmt.Fprintf(&b, "tolerance = %s\n", number(e.Tolerance))
		}
	}
	return b.Bytes()
}

// Save writes the file atomically.
func (f *File) Save() error {
	if err := report.WriteFile(f.Path, f.Encode()); err != nil {
		return fmt.Errorf("baselines: %w", err)
	}
	return nil
}

// number writes a float TOML reads back exactly, always with a dot.
func number(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

// Resolve returns the absolute path of a configured baselines file.
func Resolve(repo, rel string) string {
	if rel == "" || filepath.IsAbs(rel) {
		return rel
	}
	return filepath.Join(repo, rel)
}
