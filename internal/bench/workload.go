package bench

// promptSpec is one synthetic request: its lengths and the start of its
// arithmetic run of token ids (bench_serving's random-ids construction).
type promptSpec struct {
	promptLen int
	outputLen int
	firstID   int // first token id; id j is idAt(firstID, j)
}

// The ids of a prompt stay in [idBase, vocab) to avoid the special tokens
// most vocabularies place at the bottom.
func idBase(vocab int) int { return min(1000, vocab/2) }

func idAt(first, j, vocab int) int {
	base := idBase(vocab)
	return base + (first-base+j)%(vocab-base)
}

// randomLens is bench_serving's compute_random_lens: n draws from
// [max(int(L*r), 1), L].
func randomLens(rng *mt19937, full int, ratio float64, n int) []int {
	lo := max(int(float64(full)*ratio), 1)
	lens := make([]int, n)
	for i := range lens {
		lens[i] = int(rng.randint(int64(lo), int64(full)+1))
	}
	return lens
}

// contentSeedSalt separates the id stream of the "random" dataset from the
// main numpy stream, which bench_serving's ShareGPT-based "random" dataset
// does not consume for content.
const contentSeedSalt = 0x2545f491

// buildPrompts draws the workload in bench_serving's RNG order: input
// lengths, output lengths, then (random-ids only) one offset per prompt
// from the same stream. It returns the stream positioned where
// bench_serving draws its Poisson intervals.
func buildPrompts(c *Config) ([]promptSpec, *mt19937) {
	rng := newMT19937(uint32(c.Seed))
	n := c.NumPrompts
	in := randomLens(rng, c.InputLen, c.RangeRatio, n)
	out := randomLens(rng, c.OutputLen, c.RangeRatio, n)
	content := rng
	if c.DatasetName != "random-ids" {
		content = newMT19937(uint32(c.Seed) ^ contentSeedSalt)
	}
	base := idBase(c.VocabSize)
	span := c.VocabSize - base
	specs := make([]promptSpec, n)
	for i := range specs {
		off := int(content.randint(0, int64(c.VocabSize)))
		specs[i] = promptSpec{
			promptLen: in[i],
			outputLen: out[i],
			firstID:   base + (off+i)%span,
		}
	}
	return specs, rng
}

// arrivalIntervals draws bench_serving's Poisson arrival process: after
// each request, one np.random.exponential(1/rate) gap (so n gaps, the last
// one after the final request). It returns nil for an infinite rate.
func arrivalIntervals(rng *mt19937, rate float64, n int, infinite bool) []float64 {
	if infinite {
		return nil
	}
	gaps := make([]float64, n)
	for i := range gaps {
		gaps[i] = rng.exponential(1 / rate)
	}
	return gaps
}

// plannedArrivals turns the gaps into planned send offsets in seconds:
// request 0 at 0, request i after the first i gaps.
func plannedArrivals(gaps []float64, n int) []float64 {
	at := make([]float64, n)
	if gaps == nil {
		return at
	}
	t := 0.0
	for i := range at {
		at[i] = t
		t += gaps[i]
	}
	return at
}

// warmupFirstID picks a first id that starts no measured prompt, so the
// default-mode warmup cannot seed the prefix cache for request 0.
func warmupFirstID(specs []promptSpec, vocab int) int {
	used := make(map[int]bool, len(specs))
	for _, s := range specs {
		used[s.firstID] = true
	}
	base := idBase(vocab)
	span := vocab - base
	first := specs[0].firstID
	for k := span / 2; k < span/2+span; k++ {
		id := base + (first-base+k)%span
		if !used[id] {
			return id
		}
	}
	return first
}
