package eval

import "math"

// pyRandom is CPython's random.Random: a Mersenne Twister (MT19937) seeded
// from an integer the way random.seed(int) does it, with the integer
// sampling of random.sample on top. SGLang-JAX picks its MMLU questions with
// random.Random(0).sample, so using the same generator selects the same
// questions for the same seed and size.
type pyRandom struct {
	mt  [mtN]uint32
	idx int
}

const (
	mtN = 624
	mtM = 397
)

func newPyRandom(seed int64) *pyRandom {
	r := &pyRandom{}
	// random.seed(n) uses |n| split into 32-bit words, least significant first.
	u := uint64(seed)
	if seed < 0 {
		u = uint64(-seed) // -math.MinInt64 wraps to itself, which is |MinInt64| as uint64
	}
	key := []uint32{uint32(u)}
	if hi := uint32(u >> 32); hi != 0 {
		key = append(key, hi)
	}
	r.initByArray(key)
	return r
}

func (r *pyRandom) initGenrand(s uint32) {
	r.mt[0] = s
	for i := 1; i < mtN; i++ {
		r.mt[i] = 1812433253*(r.mt[i-1]^(r.mt[i-1]>>30)) + uint32(i)
	}
	r.idx = mtN
}

func (r *pyRandom) initByArray(key []uint32) {
	r.initGenrand(19650218)
	i, j := 1, 0
	for k := max(mtN, len(key)); k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= mtN {
			r.mt[0] = r.mt[mtN-1]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k := mtN - 1; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= mtN {
			r.mt[0] = r.mt[mtN-1]
			i = 1
		}
	}
	r.mt[0] = 0x80000000
}

func (r *pyRandom) uint32() uint32 {
	if r.idx >= mtN {
		for k := 0; k < mtN; k++ {
			y := r.mt[k]&0x80000000 | r.mt[(k+1)%mtN]&0x7fffffff
			v := r.mt[(k+mtM)%mtN] ^ (y >> 1)
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			r.mt[k] = v
		}
		r.idx = 0
	}
	y := r.mt[r.idx]
	r.idx++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

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
