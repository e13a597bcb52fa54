package compare

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/report"
)

func TestCriticalRankMatchesTables(t *testing.T) {
	// Exact two-sided 5% critical values of the Mann-Whitney U test
	// (U <= crit rejects): n=m=4: 0, 5: 2, 6: 5, 8: 13, 10: 23.
	for n, crit := range map[int]int{4: 0, 5: 2, 6: 5, 8: 13, 10: 23} {
		if k := criticalRank(n, n, 0.025); k != crit+1 {
			t.Errorf("n=m=%d: rank %d, want %d", n, k, crit+1)
		}
	}
	if criticalRank(3, 3, 0.025) != 0 {
		t.Error("3 rounds give a finite 95% interval")
	}
}

func noisy(r *rand.Rand, center float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = center * (1 + 0.05*r.NormFloat64())
	}
	return out
}

func TestVerdicts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name           string
		base, head     []float64
		dir            int
		tol            float64
		want           string
		changeLo, chHi float64
	}{
		{"2x slower kernel", noisy(r, 10, 6), noisy(r, 20, 6), -1, 0.5, Slower, 0.8, 1.2},
		{"same", noisy(r, 10, 8), noisy(r, 10, 8), -1, 0.2, NoChange, -0.1, 0.1},
		{"half the time", noisy(r, 10, 6), noisy(r, 5, 6), -1, 0.2, Faster, -0.6, -0.4},
		{"throughput down 30%", noisy(r, 100, 6), noisy(r, 70, 6), 1, 0.1, Slower, -0.4, -0.2},
		{"throughput up 30%", noisy(r, 100, 6), noisy(r, 130, 6), 1, 0.1, Faster, 0.2, 0.4},
		{"straddles", []float64{10, 12, 8, 11, 9}, []float64{11, 13, 9, 12, 10.5}, -1, 0.1, Inconclusive, 0, 0.2},
		{"too few rounds", []float64{10, 10}, []float64{20, 20}, -1, 0.1, Inconclusive, 0.9, 1.1},
	}
	for _, c := range cases {
		res := Judge("m", c.base, c.head, c.dir, c.tol)
		if res.Verdict != c.want || res.Change < c.changeLo || res.Change > c.chHi {
			t.Errorf("%s: %s", c.name, res.Explain())
		}
		if res.Verdict != Inconclusive && !(res.Lo <= res.Change && res.Change <= res.Hi) {
			t.Errorf("%s: estimate outside its interval: %s", c.name, res.Explain())
		}
	}
	res := Judge("time_ms", []float64{10, 12, 8, 11, 9}, []float64{11, 13, 9, 12, 10.5}, -1, 0.1)
	if res.RoundsNeeded <= 5 || !strings.Contains(res.Explain(), "rounds would decide") {
		t.Errorf("rounds needed: %s", res.Explain())
	}
	if res := Judge("m", []float64{1, 1}, []float64{1, 1}, -1, 0.1); !strings.Contains(res.Needed(), "at least 4 rounds") || !math.IsInf(res.Lo, -1) {
		t.Errorf("too few: %s", res.Explain())
	}
}

// Identical distributions compared many times: the interval misses a
// zero change about 5% of the time, and a "slower" beyond a tolerance
// far more rarely.
func TestFalseAlarmRateOnIdenticalSamples(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const trials = 2000
	excludesZero, slower := 0, 0
	for range trials {
		res := Judge("m", noisy(r, 10, 6), noisy(r, 10, 6), -1, 0.05)
		if res.Lo > 0 || res.Hi < 0 {
			excludesZero++
		}
		if res.Verdict == Slower {
			slower++
		}
	}
	if rate := float64(excludesZero) / trials; rate > 0.08 {
		t.Errorf("interval excludes zero in %.1f%% of identical comparisons", 100*rate)
	}
	if rate := float64(slower) / trials; rate > 0.025 {
		t.Errorf("%.1f%% false slower verdicts", 100*rate)
	}
}

func TestStatusOfVerdicts(t *testing.T) {
	for verdict, want := range map[string]report.Status{Slower: report.Failed, Inconclusive: report.Skipped, Faster: report.Passed, NoChange: report.Passed} {
		if got := (Result{Verdict: verdict}).Status(); got != want {
			t.Errorf("%s: status %s, want %s", verdict, got, want)
		}
	}
}
