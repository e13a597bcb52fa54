package bench

import (
	"math"

	"github.com/sgl-project/tpuci/internal/mersenne"
)

// mt19937 is the Mersenne Twister as numpy's legacy RandomState uses it:
// np.random.seed(s) is init_genrand(s); randint and exponential below
// consume the stream exactly like numpy 1.x, so seeded lengths and Poisson
// intervals equal bench_serving's.
type mt19937 struct{ t *mersenne.Twister }

func newMT19937(seed uint32) *mt19937 { return &mt19937{mersenne.New(seed)} }

// uint32 is genrand_int32.
func (m *mt19937) uint32() uint32 { return m.t.Uint32() }

// float64 is numpy's 53-bit double from two draws.
func (m *mt19937) float64() float64 { return m.t.Float64() }

// randint returns an integer in [lo, hi) like np.random.randint for ranges
// below 2^32: masked rejection sampling, and no draw at all when the range
// holds a single value.
func (m *mt19937) randint(lo, hi int64) int64 {
	rng := uint64(hi - 1 - lo)
	if rng == 0 {
		return lo
	}
	mask := rng
	for s := uint(1); s <= 32; s <<= 1 {
		mask |= mask >> s
	}
	for {
		v := uint64(m.uint32()) & mask
		if v <= rng {
			return lo + int64(v)
		}
	}
}

// exponential is np.random.exponential(scale).
func (m *mt19937) exponential(scale float64) float64 {
	return -math.Log(1-m.float64()) * scale
}
