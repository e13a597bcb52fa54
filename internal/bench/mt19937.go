package bench

import "math"

// mt19937 is the Mersenne Twister as numpy's legacy RandomState uses it:
// np.random.seed(s) is init_genrand(s); randint and exponential below
// consume the stream exactly like numpy 1.x, so seeded lengths and Poisson
// intervals equal bench_serving's.
type mt19937 struct {
	state [624]uint32
	pos   int
}

func newMT19937(seed uint32) *mt19937 {
	m := &mt19937{}
	m.state[0] = seed
	for i := 1; i < len(m.state); i++ {
		prev := m.state[i-1]
		m.state[i] = 1812433253*(prev^(prev>>30)) + uint32(i)
	}
	m.pos = len(m.state)
	return m
}

func (m *mt19937) twist() {
	const upper, lower, matrix = 0x80000000, 0x7fffffff, 0x9908b0df
	for i := range m.state {
		y := m.state[i]&upper | m.state[(i+1)%624]&lower
		v := m.state[(i+397)%624] ^ y>>1
		if y&1 != 0 {
			v ^= matrix
		}
		m.state[i] = v
	}
	m.pos = 0
}

// uint32 is genrand_int32.
func (m *mt19937) uint32() uint32 {
	if m.pos >= len(m.state) {
		m.twist()
	}
	y := m.state[m.pos]
	m.pos++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}

// float64 is numpy's 53-bit double from two draws.
func (m *mt19937) float64() float64 {
	a, b := m.uint32()>>5, m.uint32()>>6
	return (float64(a)*67108864 + float64(b)) / 9007199254740992
}

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
