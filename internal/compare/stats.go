// Package compare judges a same-host A/B comparison: samples of a metric
// measured on the base revision and on the working tree, interleaved
// round by round, give the change with a distribution-free confidence
// interval (Hodges-Lehmann estimate of the shift of log values, interval
// from the Mann-Whitney distribution), and a verdict against the metric's
// tolerance: slower, faster, no change, or inconclusive (too noisy, with
// the number of rounds that would decide).
package compare

import (
	"fmt"
	"math"
	"slices"

	"github.com/sgl-project/tpuci/internal/report"

	"golang.org/x/perf/benchmath"
)

// Confidence of the interval on the change.
const Confidence = 0.95

// MinRounds is the fewest rounds per side that give a finite 95% interval.
const MinRounds = 4

// Verdicts.
const (
	Slower       = "slower"
	Faster       = "faster"
	NoChange     = "no change"
	Inconclusive = "inconclusive: too noisy"
)

// Result is one metric compared between base and head.
type Result struct {
	Metric    string  `json:"metric"`
	Base      float64 `json:"base"` // medians
	Head      float64 `json:"head"`
	N         int     `json:"rounds"`
	Change    float64 `json:"change"` // head/base - 1, Hodges-Lehmann
	Lo        float64 `json:"lo"`     // confidence interval on the change
	Hi        float64 `json:"hi"`
	P         float64 `json:"p"` // Mann-Whitney U test
	Tolerance float64 `json:"tolerance"`
	Direction int     `json:"direction"` // -1: lower is better; 1: higher
	Verdict   string  `json:"verdict"`
	// RoundsNeeded estimates the rounds that would decide an
	// inconclusive result (0 otherwise; -1: hundreds or more).
	RoundsNeeded int `json:"rounds_needed,omitempty"`
}

// Judge compares samples of a metric: direction -1 when lower is better
// (latencies, times), 1 when higher is (throughputs); tol is the
// tolerated change as a fraction. Samples must be positive.
func Judge(metric string, base, head []float64, direction int, tol float64) Result {
	r := Result{Metric: metric, Tolerance: tol, Direction: direction, N: min(len(base), len(head))}
	r.Base, r.Head = median(base), median(head)
	if len(base) > 0 && len(head) > 0 {
		th := &benchmath.DefaultThresholds
		c := benchmath.AssumeNothing.Compare(benchmath.NewSample(base, th), benchmath.NewSample(head, th))
		r.P = c.P
	}
	var d []float64
	for _, b := range base {
		for _, h := range head {
			d = append(d, math.Log(h)-math.Log(b))
		}
	}
	slices.Sort(d)
	k := criticalRank(len(base), len(head), (1-Confidence)/2)
	if len(d) == 0 || k == 0 {
		r.Change = math.Expm1(median(d))
		r.Lo, r.Hi = math.Inf(-1), math.Inf(1)
		r.Verdict, r.RoundsNeeded = Inconclusive, MinRounds
		return r
	}
	r.Change = math.Expm1(median(d))
	r.Lo, r.Hi = math.Expm1(d[k-1]), math.Expm1(d[len(d)-k])
	// lo, hi and est measured in the "worse" direction.
	lo, hi, est := r.Lo, r.Hi, r.Change
	if direction > 0 {
		lo, hi, est = -r.Hi, -r.Lo, -r.Change
	}
	switch {
	case lo > tol:
		r.Verdict = Slower
	case hi < -tol:
		r.Verdict = Faster
	case lo >= -tol && hi <= tol:
		r.Verdict = NoChange
	default:
		r.Verdict = Inconclusive
		r.RoundsNeeded = roundsNeeded(r.N, (hi-lo)/2, est, tol)
	}
	return r
}

// Status is how a verdict counts in a report: slower fails, an
// inconclusive comparison proves nothing either way and is skipped, and
// faster or no change passes.
func (r Result) Status() report.Status {
	switch r.Verdict {
	case Slower:
		return report.Failed
	case Inconclusive:
		return report.Skipped
	}
	return report.Passed
}

// roundsNeeded scales the rounds so the half-width of the interval
// shrinks (as 1/sqrt(n)) to the distance between estimate and tolerance.
func roundsNeeded(n int, halfWidth, est, tol float64) int {
	gap := math.Abs(math.Abs(est) - tol)
	if gap <= 0 || n == 0 {
		return -1
	}
	need := int(math.Ceil(float64(n) * (halfWidth / gap) * (halfWidth / gap)))
	if need > 500 {
		return -1
	}
	return max(need, n+1, MinRounds)
}

// criticalRank is the largest k with P(U < k) <= alpha under the null
// hypothesis (exact Mann-Whitney distribution): the interval's bounds
// are the k-th smallest and largest pairwise differences. 0: none.
func criticalRank(n, m int, alpha float64) int {
	if n == 0 || m == 0 {
		return 0
	}
	// c[i][j][u]: orderings of i base and j head values with U = u; the
	// largest value is either a base value above all j head values (U
	// grows by j) or a head value (U unchanged).
	c := make([][][]float64, n+1)
	for i := range c {
		c[i] = make([][]float64, m+1)
		for j := range c[i] {
			c[i][j] = make([]float64, i*j+1)
			if i == 0 || j == 0 {
				c[i][j][0] = 1
				continue
			}
			for u := range c[i][j] {
				if u-j >= 0 && u-j < len(c[i-1][j]) {
					c[i][j][u] += c[i-1][j][u-j]
				}
				if u < len(c[i][j-1]) {
					c[i][j][u] += c[i][j-1][u]
				}
			}
		}
	}
	f := c[n][m]
	total := 0.0
	for _, x := range f {
		total += x
	}
	cum, k := 0.0, 0
	for u := 0; u <= n*m; u++ {
		cum += f[u]
		if cum/total > alpha {
			break
		}
		k = u + 1
	}
	return k
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Explain is one line for a failure or a log: the change, its interval
// and the verdict.
func (r Result) Explain() string {
	s := fmt.Sprintf("%s %s -> %s (%s, %d%% interval %s, tolerance ±%s): %s", r.Metric, report.Number(r.Base), report.Number(r.Head),
		signed(r.Change), int(Confidence*100), r.Interval(), percent(r.Tolerance), r.Verdict)
	if r.Verdict == Inconclusive {
		s += "; " + r.Needed()
	}
	return s
}

// Interval prints the interval on the change.
func (r Result) Interval() string {
	if math.IsInf(r.Lo, 0) || math.IsInf(r.Hi, 0) {
		return "[unbounded]"
	}
	return "[" + signed(r.Lo) + ", " + signed(r.Hi) + "]"
}

// Needed says how many rounds would decide an inconclusive result.
func (r Result) Needed() string {
	switch {
	case r.RoundsNeeded < 0:
		return fmt.Sprintf("the change is within noise of the tolerance: hundreds of rounds would be needed (ran %d)", r.N)
	case r.N < MinRounds:
		return fmt.Sprintf("at least %d rounds are needed for a %d%% interval (ran %d)", MinRounds, int(Confidence*100), r.N)
	}
	return fmt.Sprintf("about %d rounds would decide, %d ran: set TPUCI_COMPARE_ROUNDS", r.RoundsNeeded, r.N)
}

func signed(f float64) string {
	s := fmt.Sprintf("%.1f%%", 100*f)
	if f >= 0 {
		s = "+" + s
	}
	return s
}

func percent(f float64) string { return fmt.Sprintf("%g%%", math.Round(f*1000)/10) }
