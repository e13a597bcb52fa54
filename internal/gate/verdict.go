package gate

import (
	"fmt"
	"math"
	"strings"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/report"
)

// Verdict is one measured value judged against its baseline.
type Verdict struct {
	Device    string  `json:"device"`
	Case      string  `json:"case"`
	Metric    string  `json:"metric"`
	Value     float64 `json:"value"`
	Baseline  float64 `json:"baseline,omitempty"`
	Tolerance float64 `json:"tolerance,omitempty"`
	Limit     float64 `json:"limit,omitempty"`
	// Margin is the headroom to the limit as a fraction of the limit:
	// positive passes, negative fails.
	Margin    float64 `json:"margin"`
	Direction string  `json:"direction"` // "lower" or "higher" (is better)
	Pass      bool    `json:"pass"`
	Missing   bool    `json:"missing_baseline,omitempty"`
	// OtherDevice: the file holds no baseline at all for this device
	// (they were measured on other devices). Neither a pass nor a
	// failure: the case is skipped with the command that records one.
	OtherDevice bool   `json:"other_device,omitempty"`
	Message     string `json:"message,omitempty"` // why it failed
}

// Judge looks values up in a baselines file for one device.
type Judge struct {
	File   *File
	Device string
	// Record names the command that writes baselines, for the message
	// of a missing one, e.g. "go tool mage perf:baseline".
	Record string
}

// Check judges value of metric in case name. fallbackTol applies when the
// entry has no tolerance of its own (0: the entry must have one).
// Lower-is-better metrics pass at or below baseline*(1+tolerance),
// higher-is-better ones at or above baseline*(1-tolerance).
func (j Judge) Check(name, metric string, value, fallbackTol float64) Verdict {
	v := Verdict{Device: j.Device, Case: name, Metric: metric, Value: value}
	dir := config.MetricDirection(metric)
	switch dir {
	case -1:
		v.Direction = "lower"
	case 1:
		v.Direction = "higher"
	default:
		v.Message = fmt.Sprintf("%s: metric has no known direction (a key ending in _ms, or containing throughput)", metric)
		return v
	}
	if math.IsNaN(value) || math.IsInf(value, 0) {
		v.Message = fmt.Sprintf("%s: measured value %v is not a number", metric, value)
		return v
	}
	e, ok := j.File.Find(j.Device, name, metric)
	if !ok && !j.File.HasDevice(j.Device) {
		v.Missing, v.OtherDevice = true, true
		v.Message = fmt.Sprintf("no baseline for this device (%s) in %s%s: record one with %s",
			j.Device, j.File.Path, j.File.devicesNote(), j.Record)
		return v
	}
	if !ok {
		v.Missing = true
		where := j.File.Path
		if !j.File.Exists {
			where += " (the file does not exist yet)"
		}
		v.Message = fmt.Sprintf("%s = %s: no baseline for device %q, case %q in %s; review the run and record it with %s",
			metric, Format(value), j.Device, name, where, j.Record)
		return v
	}
	v.Baseline = e.Value
	v.Tolerance = e.Tolerance
	if v.Tolerance == 0 {
		v.Tolerance = fallbackTol
	}
	if v.Tolerance <= 0 {
		v.Message = fmt.Sprintf("%s: the baseline for device %q, case %q in %s has no tolerance; add e.g. tolerance = 0.08", metric, j.Device, name, j.File.Path)
		return v
	}
	if dir < 0 {
		v.Limit = e.Value * (1 + v.Tolerance)
		v.Margin = (v.Limit - value) / v.Limit
		v.Pass = value <= v.Limit
	} else {
		v.Limit = e.Value * (1 - v.Tolerance)
		v.Margin = (value - v.Limit) / v.Limit
		v.Pass = value >= v.Limit
	}
	if !v.Pass {
		word, sign := "above", "+"
		if dir > 0 {
			word, sign = "below", "-"
		}
		v.Message = fmt.Sprintf("%s = %s is %s its limit %s (baseline %s %s%s tolerance, device %s)",
			metric, Format(value), word, Format(v.Limit), Format(e.Value), sign, Percent(v.Tolerance), j.Device)
	}
	return v
}

// Header is the verdict table's header.
var Header = []string{"case", "metric", "value", "baseline", "tolerance", "limit", "margin", "verdict"}

// Row is one verdict as table cells.
func (v Verdict) Row() []string {
	if v.Baseline == 0 {
		verdict := "FAIL"
		if v.OtherDevice {
			verdict = "skipped (no baseline for this device)"
		} else if v.Missing {
			verdict = "FAIL (no baseline)"
		}
		return []string{v.Case, v.Metric, Format(v.Value), "-", "-", "-", "-", verdict}
	}
	verdict := "pass"
	if !v.Pass {
		verdict = "FAIL"
	}
	tol := "-" + Percent(v.Tolerance)
	if v.Direction == "lower" {
		tol = "+" + Percent(v.Tolerance)
	}
	return []string{v.Case, v.Metric, Format(v.Value), Format(v.Baseline), tol, Format(v.Limit), signedPercent(v.Margin), verdict}
}

// Table renders verdicts under a title.
func Table(title string, vs []Verdict) report.Table {
	t := report.Table{Title: title, Header: Header}
	for _, v := range vs {
		t.Rows = append(t.Rows, v.Row())
	}
	return t
}

// Format prints a measured value with precision that suits its size
// (report.Number, the one number format of every report).
func Format(v float64) string { return report.Number(v) }

// Percent prints a fraction as a percentage: 0.08 -> "8%".
func Percent(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", 100*f), "0"), ".") + "%"
}

func signedPercent(f float64) string {
	s := fmt.Sprintf("%.1f%%", 100*f)
	if f >= 0 {
		s = "+" + s
	}
	return s
}
