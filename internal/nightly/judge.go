package nightly

import (
	"slices"
	"strings"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/nightly/history"
	"github.com/sgl-project/tpuci/internal/nightly/matrix"
	"github.com/sgl-project/tpuci/internal/nightly/regress"
)

// Judge turns [nightly.regression] and [[nightly.floor]] into rules.
type Judge struct {
	Rules  config.NightlyRegression
	Floors []config.NightlyFloor
}

// MetricVerdict is one judged metric of a case.
type MetricVerdict struct {
	Metric   string
	Rule     regress.Rule
	Series   []regress.Point // usable nights, oldest first, this night last
	Analysis regress.Analysis
}

// Verdict is a case's night judged against its history.
type Verdict struct {
	Record  history.Record
	Metrics []MetricVerdict
}

// Flagged is one flag with what it belongs to.
type Flagged struct {
	Case, Model, Metric string
	Flag                regress.Flag
	Verdict             *MetricVerdict
}

// Flags lists the verdict's flags.
func (v *Verdict) Flags() []Flagged {
	var out []Flagged
	for i := range v.Metrics {
		m := &v.Metrics[i]
		for _, f := range m.Analysis.Flags {
			out = append(out, Flagged{Case: v.Record.Case, Model: v.Record.Model, Metric: m.Metric, Flag: f, Verdict: m})
		}
	}
	return out
}

// Healthy reports a case that ran, with valid figures and no flag.
func (v *Verdict) Healthy() bool { return v.Record.Status == history.OK && len(v.Flags()) == 0 }

// Rule is the rule of one metric of one case.
func (j Judge) Rule(key, kind, metric string) regress.Rule {
	r := regress.Rule{
		Direction:      matrix.Direction(metric),
		ThresholdPct:   j.Rules.PerfThresholdPct,
		MinZ:           j.Rules.MinZ,
		BaselineNights: j.Rules.BaselineNights,
		RecentNights:   j.Rules.RecentNights,
		MinNights:      j.Rules.MinNights,
	}
	if kind == matrix.Accuracy {
		r.ThresholdPct = j.Rules.AccuracyThresholdPct
		if r.ThresholdPct == 0 {
			r.ThresholdPct = DefaultAccuracyThresholdPct
		}
	}
	if r.MinZ == 0 {
		r.MinZ = regress.DefaultMinZ
	}
	switch metric {
	case CompilesMetric: // deterministic: any rise is a new compile
		r.Strict = true
	case CompileSecondsMetric: // noisy on a shared host
		r.ThresholdPct = CompileSecondsThresholdPct
	}
	for _, f := range j.Floors {
		if f.Metric == metric && matrix.Match([]string{f.Cases}, key) {
			v := f.Value
			r.Floor = &v
		}
	}
	return r
}

// Compile metrics of a case whose server records JAX compiles.
const (
	CompilesMetric       = "compiles"
	CompileSecondsMetric = "compile_seconds"
	// CompileSecondsThresholdPct is loose: compile times vary with load.
	CompileSecondsThresholdPct = 50
)

// DefaultAccuracyThresholdPct is the design's 2% for scores.
const DefaultAccuracyThresholdPct = 2

// Case judges rec against the records of its case on earlier nights
// (hist may hold any nights and this night's own older record).
func (j Judge) Case(rec history.Record, hist []history.Record) Verdict {
	v := Verdict{Record: rec}
	if rec.Status != history.OK {
		return v
	}
	earlier := slices.DeleteFunc(slices.Clone(hist), func(h history.Record) bool { return h.Night >= rec.Night || h.Case != rec.Case })
	slices.SortFunc(earlier, func(a, b history.Record) int { return strings.Compare(a.Night, b.Night) })
	for _, m := range rec.Judged {
		cur, ok := rec.Usable(m)
		if !ok {
			continue
		}
		var series []regress.Point
		for _, h := range earlier {
			if x, ok := h.Usable(m); ok {
				series = append(series, regress.Point{Night: h.Night, Value: x, Commit: h.Commit})
			}
		}
		series = append(series, regress.Point{Night: rec.Night, Value: cur, Commit: rec.Commit})
		rule := j.Rule(rec.Case, rec.Kind, m)
		v.Metrics = append(v.Metrics, MetricVerdict{Metric: m, Rule: rule, Series: series, Analysis: regress.Check(series, rule)})
	}
	return v
}

// ByCase groups records by case key.
func ByCase(recs []history.Record) map[string][]history.Record {
	out := map[string][]history.Record{}
	for _, r := range recs {
		out[r.Case] = append(out[r.Case], r)
	}
	return out
}

// JudgeAll judges every record of night against the history.
func (j Judge) JudgeAll(night []history.Record, hist []history.Record) []Verdict {
	by := ByCase(hist)
	out := make([]Verdict, 0, len(night))
	for _, r := range night {
		out = append(out, j.Case(r, by[r.Case]))
	}
	return out
}
