package bench

import (
	"math"
	"slices"
)

// The helpers below follow numpy's definitions (np.mean, np.median, np.std
// with ddof=0, np.percentile with the default linear method) so that the
// aggregates equal bench_serving's.

func sum(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}

func mean(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	return sum(x) / float64(len(x))
}

// std is the population standard deviation.
func std(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	m := mean(x)
	var s float64
	for _, v := range x {
		d := v - m
		s += d * d
	}
	return math.Sqrt(s / float64(len(x)))
}

// percentileSorted is np.percentile(x, p) with linear interpolation, for x
// sorted ascending.
func percentileSorted(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	pos := p / 100 * float64(n-1)
	lo := int(math.Floor(pos))
	if lo >= n-1 {
		return sorted[n-1]
	}
	if lo < 0 {
		lo = 0
	}
	t := pos - float64(lo)
	a, b := sorted[lo], sorted[lo+1]
	// numpy's _lerp: interpolate from the nearer end for stability.
	if t >= 0.5 {
		return b - (b-a)*(1-t)
	}
	return a + (b-a)*t
}

func medianSorted(sorted []float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// summary holds the statistics of one sample, in milliseconds when built by
// summarizeMs.
type summary struct {
	n                  int
	mean, median, std  float64
	p90, p95, p99, max float64
}

// summarizeMs summarises seconds as milliseconds. An empty sample gives
// zeros, which is bench_serving's `np.mean(xs or 0)` guard.
func summarizeMs(secs []float64) summary {
	if len(secs) == 0 {
		return summary{}
	}
	s := slices.Clone(secs)
	slices.Sort(s)
	return summary{
		n:      len(s),
		mean:   mean(s) * 1000,
		median: medianSorted(s) * 1000,
		std:    std(s) * 1000,
		p90:    percentileSorted(s, 90) * 1000,
		p95:    percentileSorted(s, 95) * 1000,
		p99:    percentileSorted(s, 99) * 1000,
		max:    s[len(s)-1] * 1000,
	}
}
