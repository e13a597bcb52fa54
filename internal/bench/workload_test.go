package bench

import (
	"math"
	"slices"
	"testing"
)

func TestBuildPromptsMatchesNumpyRandomIDs(t *testing.T) {
	c := Config{NumPrompts: 10, InputLen: 300, OutputLen: 64, RangeRatio: 0.5, Seed: 3,
		DatasetName: "random-ids", VocabSize: 32000}
	specs, rng := buildPrompts(&c)
	wantIn := []int{256, 281, 150, 171, 297, 257, 288, 299, 269, 298}
	wantOut := []int{61, 46, 58, 49, 58, 54, 34, 34, 33, 58}
	offsets := []int{24133, 7016, 4718, 30305, 6557, 9834, 31896, 14843, 4926, 10759}
	for i, s := range specs {
		if s.promptLen != wantIn[i] || s.outputLen != wantOut[i] {
			t.Fatalf("prompt %d lengths = (%d,%d), want (%d,%d)", i, s.promptLen, s.outputLen, wantIn[i], wantOut[i])
		}
		base := idBase(c.VocabSize)
		if want := base + (offsets[i]+i)%(c.VocabSize-base); s.firstID != want {
			t.Fatalf("prompt %d first id = %d, want %d", i, s.firstID, want)
		}
	}
	// The Poisson gaps follow the offsets in the same stream.
	gaps := arrivalIntervals(rng, 20, 10, false)
	want := []float64{0.008531571971279135, 0.039334338422886056, 0.07577797524528174, 0.018290363879281523,
		0.01254873112528309, 0.0245488016397135, 0.13774423820043366, 0.18647553682632384,
		0.05579560494593484, 0.1165667769994123}
	for i := range want {
		if math.Abs(gaps[i]-want[i]) > 1e-15 {
			t.Fatalf("gap %d = %v, want %v", i, gaps[i], want[i])
		}
	}
}

// The "random" dataset draws no content from the numpy stream, so its
// Poisson gaps come right after the lengths, as in bench_serving.
func TestBuildPromptsRandomKeepsNumpyStream(t *testing.T) {
	c := Config{NumPrompts: 10, InputLen: 300, OutputLen: 64, RangeRatio: 0.5, Seed: 3,
		DatasetName: "random", VocabSize: 32000}
	_, rng := buildPrompts(&c)
	gaps := arrivalIntervals(rng, 20, 3, false)
	want := []float64{0.015004769790885279, 0.02681582165280715, 0.016670601914399976}
	for i := range want {
		if math.Abs(gaps[i]-want[i]) > 1e-15 {
			t.Fatalf("gap %d = %v, want %v", i, gaps[i], want[i])
		}
	}
}

func TestPromptLengthDistribution(t *testing.T) {
	c := Config{NumPrompts: 4000, InputLen: 1000, OutputLen: 10, RangeRatio: 0.25, Seed: 11, VocabSize: 32000}
	specs, _ := buildPrompts(&c)
	minIn, maxIn, sumIn := math.MaxInt, 0, 0
	seenOut := map[int]bool{}
	for _, s := range specs {
		minIn, maxIn, sumIn = min(minIn, s.promptLen), max(maxIn, s.promptLen), sumIn+s.promptLen
		if s.outputLen < 2 || s.outputLen > 10 {
			t.Fatalf("output len %d outside [2,10]", s.outputLen)
		}
		seenOut[s.outputLen] = true
	}
	if minIn < 250 || maxIn > 1000 {
		t.Fatalf("input lens in [%d,%d], want within [250,1000]", minIn, maxIn)
	}
	if minIn > 260 || maxIn < 990 {
		t.Fatalf("input lens in [%d,%d] do not cover [250,1000]", minIn, maxIn)
	}
	if m := float64(sumIn) / 4000; math.Abs(m-625) > 15 {
		t.Fatalf("mean input len %.1f, want about 625 (uniform)", m)
	}
	if len(seenOut) != 9 {
		t.Fatalf("output lens cover %d values, want all 9 of [2,10]", len(seenOut))
	}

	// Ratio 1 gives exact lengths; ratio 0 gives [1, L].
	c = Config{NumPrompts: 50, InputLen: 7, OutputLen: 3, RangeRatio: 1, Seed: 1, VocabSize: 32000}
	specs, _ = buildPrompts(&c)
	for _, s := range specs {
		if s.promptLen != 7 || s.outputLen != 3 {
			t.Fatalf("ratio 1 gave (%d,%d)", s.promptLen, s.outputLen)
		}
	}
	c.RangeRatio = 0
	specs, _ = buildPrompts(&c)
	for _, s := range specs {
		if s.promptLen < 1 || s.promptLen > 7 {
			t.Fatalf("ratio 0 gave input %d", s.promptLen)
		}
	}
}

func TestSeeding(t *testing.T) {
	build := func(seed int64) []promptSpec {
		c := Config{NumPrompts: 20, InputLen: 100, OutputLen: 100, Seed: seed, VocabSize: 32000}
		s, _ := buildPrompts(&c)
		return s
	}
	if !slices.Equal(build(5), build(5)) {
		t.Fatal("same seed gave different prompts")
	}
	if slices.Equal(build(5), build(6)) {
		t.Fatal("different seeds gave the same prompts")
	}
	c := Config{NumPrompts: 20, InputLen: 100, OutputLen: 100, Seed: 5, VocabSize: 32000}
	specs, _ := buildPrompts(&c)
	firsts := map[int]bool{}
	for _, s := range specs {
		firsts[s.firstID] = true
		for j := range s.promptLen {
			if id := idAt(s.firstID, j, c.VocabSize); id < idBase(c.VocabSize) || id >= c.VocabSize {
				t.Fatalf("id %d outside [%d,%d)", id, idBase(c.VocabSize), c.VocabSize)
			}
		}
	}
	if w := warmupFirstID(specs, c.VocabSize); firsts[w] {
		t.Fatalf("warmup first id %d starts a measured prompt", w)
	}
}

func TestPoissonScheduleDeterministic(t *testing.T) {
	plan := func(seed uint32) []float64 {
		rng := newMT19937(seed)
		return plannedArrivals(arrivalIntervals(rng, 50, 2000, false), 2000)
	}
	a, b := plan(9), plan(9)
	if !slices.Equal(a, b) {
		t.Fatal("same seed gave different schedules")
	}
	if slices.Equal(a, plan(10)) {
		t.Fatal("different seeds gave the same schedule")
	}
	if a[0] != 0 {
		t.Fatalf("first arrival at %v, want 0", a[0])
	}
	for i := 1; i < len(a); i++ {
		if a[i] < a[i-1] {
			t.Fatalf("arrivals not increasing at %d", i)
		}
	}
	// 1999 gaps of mean 1/50 s.
	if mean := a[len(a)-1] / 1999; math.Abs(mean-0.02) > 0.002 {
		t.Fatalf("mean gap %.4f, want about 0.02", mean)
	}
	if arrivalIntervals(newMT19937(1), math.Inf(1), 5, true) != nil {
		t.Fatal("infinite rate drew gaps")
	}
	if got := plannedArrivals(nil, 3); !slices.Equal(got, []float64{0, 0, 0}) {
		t.Fatalf("infinite-rate plan = %v", got)
	}
}
