package eval

import (
	"math"

	"github.com/sgl-project/tpuci/internal/mersenne"
)

// pyRandom is CPython's random.Random: a Mersenne Twister (MT19937) seeded
// from an integer the way random.seed(int) does it, with the integer
// sampling of random.sample on top. SGLang-JAX picks its MMLU questions with
// random.Random(0).sample, so using the same generator selects the same
// questions for the same seed and size.
type pyRandom struct{ t *mersenne.Twister }

func newPyRandom(seed int64) *pyRandom {
	// random.seed(n) uses |n| split into 32-bit words, least significant first.
	u := uint64(seed)
	if seed < 0 {
		u = uint64(-seed) // -math.MinInt64 wraps to itself, which is |MinInt64| as uint64
	}
	key := []uint32{uint32(u)}
	if hi := uint32(u >> 32); hi != 0 {
		key = append(key, hi)
	}
	return &pyRandom{mersenne.NewFromKey(key)}
}

func (r *pyRandom) uint32() uint32 { return r.t.Uint32() }

// getrandbits returns k random bits (k <= 63) like random.getrandbits.
func (r *pyRandom) getrandbits(k int) uint64 {
	var out uint64
	for shift := 0; k > 0; shift, k = shift+32, k-32 {
		w := uint64(r.uint32())
		if k < 32 {
			w >>= 32 - k
		}
		out |= w << shift
	}
	return out
}

// below returns a uniform integer in [0, n) by rejection, like
// random.Random._randbelow.
func (r *pyRandom) below(n int) int {
	if n <= 0 {
		return 0
	}
	k := bitLen(uint64(n))
	v := r.getrandbits(k)
	for v >= uint64(n) {
		v = r.getrandbits(k)
	}
	return int(v)
}

func bitLen(n uint64) int {
	b := 0
	for n > 0 {
		b++
		n >>= 1
	}
	return b
}

// sample returns k distinct indices of a population of n, in the order
// random.Random.sample(range(n), k) returns them.
func (r *pyRandom) sample(n, k int) []int {
	out := make([]int, k)
	setsize := 21
	if k > 5 {
		setsize += int(math.Pow(4, math.Ceil(math.Log(float64(k*3))/math.Log(4))))
	}
	if n <= setsize {
		pool := make([]int, n)
		for i := range pool {
			pool[i] = i
		}
		for i := 0; i < k; i++ {
			j := r.below(n - i)
			out[i] = pool[j]
			pool[j] = pool[n-i-1]
		}
		return out
	}
	seen := make(map[int]bool, k)
	for i := 0; i < k; i++ {
		j := r.below(n)
		for seen[j] {
			j = r.below(n)
		}
		seen[j] = true
		out[i] = j
	}
	return out
}
