package ci

import (
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/sgl-project/tpuci/internal/report"
)

// Figures summarize a replay per selector: the share of full-PR
// TPU-minutes each commit selects, the time to verdict, and recall on the
// SZZ corpus. The random selector runs each test with the plan's share of
// the commit, so its shares equal the plan's and its recall is expected.
type Figures struct {
	FullMinutes float64  `json:"full_tpu_minutes"`
	FullVerdict float64  `json:"full_verdict_minutes"`
	Plan        Selector `json:"tpuci_plan"`
	Baseline    Selector `json:"sglang_jax"`
	Random      Selector `json:"random"`
	SZZ         *SZZ     `json:"szz"`
}

// Selector is one rule set's figures.
type Selector struct {
	MeanShare   float64 `json:"mean_share"`
	MedianShare float64 `json:"median_share"`
	MeanVerdict float64 `json:"mean_verdict_minutes,omitempty"`
	P90Verdict  float64 `json:"p90_verdict_minutes,omitempty"`
	Recall      float64 `json:"szz_recall"` // of the SZZ pairs
	Hits        float64 `json:"szz_hits"`
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// quantile is the q-quantile of v by the nearest-rank rule.
func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// summarize computes the figures of replayed rows.
func summarize(rows []ReplayRow, fullVerdict, fullMinutes float64, szz *SZZ) *Figures {
	f := &Figures{FullMinutes: fullMinutes, FullVerdict: fullVerdict, SZZ: szz}
	var plan, base, pv, bv []float64
	for _, r := range rows {
		whole := r.Full // the full PR at that commit; older replays lack it
		if whole <= 0 {
			whole = fullMinutes
		}
		if whole > 0 {
			plan = append(plan, min(r.Plan/whole, 1))
			base = append(base, min(r.Baseline/whole, 1))
		}
		pv = append(pv, r.Verdict)
		bv = append(bv, r.BaselineVerdict)
	}
	f.Plan = Selector{MeanShare: round3(mean(plan)), MedianShare: round3(median(plan)), MeanVerdict: round(mean(pv)), P90Verdict: round(quantile(pv, 0.9))}
	f.Baseline = Selector{MeanShare: round3(mean(base)), MedianShare: round3(median(base)), MeanVerdict: round(mean(bv)), P90Verdict: round(quantile(bv, 0.9))}
	f.Random = Selector{MeanShare: f.Plan.MeanShare, MedianShare: f.Plan.MedianShare}
	if szz != nil && len(szz.Pairs) > 0 {
		for _, p := range szz.Pairs {
			if p.Plan {
				f.Plan.Hits++
			}
			if p.Baseline {
				f.Baseline.Hits++
			}
			f.Random.Hits += p.Random
		}
		n := float64(len(szz.Pairs))
		f.Plan.Recall, f.Baseline.Recall = round3(f.Plan.Hits/n), round3(f.Baseline.Hits/n)
		f.Random.Hits = round(f.Random.Hits)
		f.Random.Recall = round3(f.Random.Hits / n)
	}
	return f
}

// printFigures writes the summary table of a replay.
func printFigures(w io.Writer, f *Figures) {
	pairs, fixes := 0, 0
	if f.SZZ != nil {
		pairs, fixes = len(f.SZZ.Pairs), f.SZZ.Fixes
	}
	fmt.Fprintf(w, "\nshare of full-PR TPU-minutes (%.1f), time to verdict (full run %.1f min), SZZ recall (%d fix commits, %d introducing commits):\n", f.FullMinutes, f.FullVerdict, fixes, pairs)
	tab := report.Table{Header: []string{"  selector", "mean share", "median share", "mean verdict", "p90 verdict", "SZZ recall"}}
	for _, r := range []struct {
		name string
		s    Selector
	}{{"tpuci plan", f.Plan}, {"SGLang-JAX filters", f.Baseline}, {"random, same share", f.Random}} {
		verdict := func(v float64) string {
			if v == 0 {
				return "-"
			}
			return fmt.Sprintf("%.1f min", v)
		}
		recall := "-"
		if pairs > 0 {
			recall = fmt.Sprintf("%.1f%%", 100*r.s.Recall)
		}
		tab.Rows = append(tab.Rows, []string{"  " + r.name, fmt.Sprintf("%.3f", r.s.MeanShare), fmt.Sprintf("%.3f", r.s.MedianShare), verdict(r.s.MeanVerdict), verdict(r.s.P90Verdict), recall})
	}
	fmt.Fprint(w, report.Text(tab))
	if f.SZZ != nil {
		for _, p := range f.SZZ.Pairs {
			if !p.Plan {
				fmt.Fprintf(w, "  SZZ miss: fix %s, introduced by %s, tests %v\n", p.Fix, p.Intro, p.Tests)
			}
		}
	}
}
