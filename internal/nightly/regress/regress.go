// Package regress judges one metric's latest night against its history.
//
// A night is compared with the median of the nights before it (a window
// of BaselineNights): it regressed when it is worse by more than
// ThresholdPct and the change is also large against the window's noise,
// |change| >= MinZ x 1.4826 x MAD (a robust z-score; a window without
// spread skips the noise test). A smaller shift that persists is caught
// by the median of the last RecentNights against the window before them.
// A flag says how many nights are affected (the run of bad nights ending
// at the latest) and the commit range where it started: the last good
// night's commit and the first bad night's commit. Separately, a value
// beyond its absolute floor is always flagged.
package regress

import (
	"fmt"
	"math"
	"slices"

	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/textline"
)

// Defaults of Rule fields left zero.
const (
	DefaultBaselineNights = 10
	DefaultRecentNights   = 3
	DefaultMinNights      = 5
	DefaultThresholdPct   = 8
	DefaultMinZ           = 2
)

// Point is one night's value of a metric.
type Point struct {
	Night  string
	Value  float64
	Commit string
}

// Rule says how a metric is judged.
type Rule struct {
	Direction      int      // +1 higher is better, -1 lower is better
	ThresholdPct   float64  // smallest adverse change that counts, in percent
	MinZ           float64  // smallest robust z-score that counts
	BaselineNights int      // nights in the comparison window
	RecentNights   int      // nights whose median catches sustained shifts
	MinNights      int      // nights of history needed before judging
	Floor          *float64 // absolute limit: a minimum (Direction +1) or maximum (-1)
	// Strict judges a deterministic count: any adverse change from the
	// window's median counts (from zero too), without the noise test.
	Strict bool
}

func (r Rule) withDefaults() Rule {
	if r.BaselineNights <= 0 {
		r.BaselineNights = DefaultBaselineNights
	}
	if r.RecentNights <= 0 {
		r.RecentNights = DefaultRecentNights
	}
	if r.MinNights <= 0 {
		r.MinNights = DefaultMinNights
	}
	if r.ThresholdPct <= 0 {
		r.ThresholdPct = DefaultThresholdPct
	}
	if r.MinZ < 0 {
		r.MinZ = 0
	}
	return r
}

// Kinds of flags.
const (
	Drift = "drift" // worse than its recent history
	Floor = "floor" // beyond its absolute floor
)

// Flag is one regression.
type Flag struct {
	Kind      string   `json:"kind"`
	Value     float64  `json:"value"`    // the latest night's value
	Baseline  float64  `json:"baseline"` // median before the bad nights (drift) or the floor
	ChangePct float64  `json:"change_pct"`
	Z         *float64 `json:"z,omitempty"` // nil for a window without spread
	Nights    int      `json:"nights"`      // consecutive bad nights up to the latest
	FirstBad  string   `json:"first_bad_night"`
	LastGood  string   `json:"last_good_night,omitempty"`
	GoodSHA   string   `json:"last_good_commit,omitempty"`
	BadSHA    string   `json:"first_bad_commit,omitempty"`
	Sustained bool     `json:"sustained,omitempty"` // found by the recent-nights median
}

// Commits is the range where the regression entered: last good..first bad.
func (f Flag) Commits() string {
	switch {
	case f.GoodSHA != "" && f.BadSHA != "":
		return textline.Abbrev(f.GoodSHA, 12) + ".." + textline.Abbrev(f.BadSHA, 12)
	case f.BadSHA != "":
		return "first bad " + textline.Abbrev(f.BadSHA, 12)
	}
	return ""
}

// Analysis is the judgement of a series' latest night.
type Analysis struct {
	Latest    float64  `json:"latest"`
	Baseline  *float64 `json:"baseline,omitempty"` // median of the window (nil: not enough history)
	ChangePct *float64 `json:"change_pct,omitempty"`
	Z         *float64 `json:"z,omitempty"`
	History   int      `json:"history"` // nights before the latest
	Judged    bool     `json:"judged"`  // enough history for the drift test
	Flags     []Flag   `json:"flags,omitempty"`
}

// Check judges the last point of a series ordered oldest first.
func Check(series []Point, rule Rule) Analysis {
	r := rule.withDefaults()
	n := len(series)
	if n == 0 {
		return Analysis{}
	}
	a := Analysis{Latest: series[n-1].Value, History: n - 1}
	if f, ok := floorFlag(series, r); ok {
		a.Flags = append(a.Flags, f)
	}
	if n-1 < r.MinNights {
		return a
	}
	a.Judged = true
	window := values(series[max(0, n-1-r.BaselineNights) : n-1])
	med, disp := median(window), dispersion(window)
	a.Baseline = &med
	if math.Abs(med) > 1e-12 {
		pct := 100 * (a.Latest - med) / math.Abs(med)
		a.ChangePct = &pct
		a.Z = zscore(a.Latest-med, disp)
	}
	single := r.adverse(a.Latest, med, disp)
	// A run of bad nights ending at the latest, judged as a whole against
	// the window before it (so its first bad nights do not widen the noise
	// estimate the later ones are judged with).
	inRun := false
	if start, ok := r.run(series); ok && start >= r.MinNights {
		before := values(series[max(0, start-r.BaselineNights):start])
		inRun = r.adverse(median(values(series[start:])), median(before), dispersion(before))
	}
	sustained := false
	if k := r.RecentNights; k > 1 && n-k >= r.MinNights {
		base := values(series[max(0, n-k-r.BaselineNights) : n-k])
		recent := median(values(series[n-k:]))
		sustained = r.adverse(recent, median(base), dispersion(base))
	}
	if single || inRun || sustained {
		a.Flags = append(a.Flags, r.drift(series, sustained && !single && !inRun))
	}
	return a
}

// run finds the longest run of bad nights ending at the latest: nights
// that are all worse than the window before the run by more than half the
// threshold and half MinZ times its noise (membership is loose; the run
// as a whole is then judged with the full rule). ok is false when there
// is none.
func (r Rule) run(series []Point) (start int, ok bool) {
	n := len(series)
	for s := n - 1; s >= max(1, r.MinNights); s-- {
		window := values(series[max(0, s-r.BaselineNights):s])
		ref, disp := median(window), dispersion(window)
		all := true
		for _, p := range series[s:] {
			if !r.bad(p.Value, ref, disp) {
				all = false
				break
			}
		}
		if all {
			start, ok = s, true
		}
	}
	return start, ok
}

// drift describes a flagged regression: the run of bad nights (or, for a
// sustained shift whose latest night looks fine, the recent nights), its
// size against the window before it and where it started.
func (r Rule) drift(series []Point, sustained bool) Flag {
	n := len(series)
	start, ok := r.run(series)
	if !ok || sustained {
		start = max(1, n-r.RecentNights)
		if ok {
			start = min(start, n-1)
		}
	}
	ref := median(values(series[max(0, start-r.BaselineNights):start]))
	run := values(series[start:])
	f := Flag{Kind: Drift, Value: series[n-1].Value, Baseline: ref, Nights: len(run), Sustained: sustained,
		FirstBad: series[start].Night, BadSHA: series[start].Commit,
		LastGood: series[start-1].Night, GoodSHA: series[start-1].Commit}
	if math.Abs(ref) > 1e-12 {
		f.ChangePct = 100 * (median(run) - ref) / math.Abs(ref)
	}
	f.Z = zscore(median(run)-ref, dispersion(values(series[max(0, start-r.BaselineNights):start])))
	return f
}

// adverse reports a value worse than the median by more than the
// threshold and the noise.
func (r Rule) adverse(v, med, disp float64) bool {
	if r.Strict {
		return float64(-r.Direction)*(v-med) > 0
	}
	if math.Abs(med) <= 1e-12 {
		return false
	}
	worse := float64(-r.Direction) * 100 * (v - med) / math.Abs(med)
	if worse <= r.ThresholdPct {
		return false
	}
	z := zscore(v-med, disp)
	return z == nil || math.Abs(*z) >= r.MinZ
}

func (r Rule) bad(v, ref, disp float64) bool {
	if r.Strict {
		return float64(-r.Direction)*(v-ref) > 0
	}
	if math.Abs(ref) <= 1e-12 {
		return false
	}
	worse := float64(-r.Direction) * (v - ref)
	return 100*worse/math.Abs(ref) > r.ThresholdPct/2 && worse >= r.MinZ/2*disp
}

// floorFlag flags a latest value beyond the floor, with the run of
// nights beyond it.
func floorFlag(series []Point, r Rule) (Flag, bool) {
	if r.Floor == nil {
		return Flag{}, false
	}
	fl := *r.Floor
	beyond := func(v float64) bool { return (r.Direction > 0 && v < fl) || (r.Direction < 0 && v > fl) }
	n := len(series)
	if !beyond(series[n-1].Value) {
		return Flag{}, false
	}
	s := n - 1
	for s > 0 && beyond(series[s-1].Value) {
		s--
	}
	f := Flag{Kind: Floor, Value: series[n-1].Value, Baseline: fl, Nights: n - s,
		FirstBad: series[s].Night, BadSHA: series[s].Commit}
	if s > 0 {
		f.LastGood, f.GoodSHA = series[s-1].Night, series[s-1].Commit
	}
	if fl != 0 {
		f.ChangePct = 100 * (f.Value - fl) / math.Abs(fl)
	}
	return f, true
}

// Describe is a one-line account of a flag for logs and summaries.
func Describe(metric string, f Flag) string {
	var s string
	switch f.Kind {
	case Floor:
		s = fmt.Sprintf("%s %s is beyond its floor %s (%+.1f%%) for %d night(s) since %s", metric, report.Number(f.Value), report.Number(f.Baseline), f.ChangePct, f.Nights, f.FirstBad)
	default:
		s = fmt.Sprintf("%s %+.1f%% (%s vs median %s) for %d night(s) since %s", metric, f.ChangePct, report.Number(f.Value), report.Number(f.Baseline), f.Nights, f.FirstBad)
		if f.Z != nil {
			s += fmt.Sprintf(", z %.1f", *f.Z)
		}
	}
	if c := f.Commits(); c != "" {
		s += ", commits " + c
	}
	return s
}

func values(ps []Point) []float64 {
	out := make([]float64, len(ps))
	for i, p := range ps {
		out[i] = p.Value
	}
	return out
}

// Median of xs (0 for none).
func Median(xs []float64) float64 { return median(xs) }

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// dispersion is 1.4826 x the median absolute deviation: the standard
// deviation for normal noise, robust against outliers.
func dispersion(xs []float64) float64 {
	m := median(xs)
	dev := make([]float64, len(xs))
	for i, x := range xs {
		dev[i] = math.Abs(x - m)
	}
	return 1.4826 * median(dev)
}

func zscore(delta, disp float64) *float64 {
	if disp <= 0 {
		return nil
	}
	z := delta / disp
	return &z
}
