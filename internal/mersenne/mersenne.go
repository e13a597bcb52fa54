// Package mersenne is the MT19937 Mersenne Twister that both numpy's
// legacy RandomState and CPython's random module use, seeded either way,
// so tpuci draws the same numbers as SGLang-JAX's Python for a seed.
package mersenne

const (
	n = 624
	m = 397
)

// Twister is one MT19937 stream.
type Twister struct {
	state [n]uint32
	pos   int
}

// New seeds like init_genrand (numpy's np.random.seed(s)).
func New(seed uint32) *Twister {
	t := &Twister{}
	t.initGenrand(seed)
	return t
}

// NewFromKey seeds like init_by_array (CPython's random.seed(int), which
// passes |int| as 32-bit words, least significant first).
func NewFromKey(key []uint32) *Twister {
	t := New(19650218)
	i, j := 1, 0
	for k := max(n, len(key)); k > 0; k-- {
		t.state[i] = (t.state[i] ^ ((t.state[i-1] ^ (t.state[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= n {
			t.state[0] = t.state[n-1]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k := n - 1; k > 0; k-- {
		t.state[i] = (t.state[i] ^ ((t.state[i-1] ^ (t.state[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= n {
			t.state[0] = t.state[n-1]
			i = 1
		}
	}
	t.state[0] = 0x80000000
	return t
}

func (t *Twister) initGenrand(s uint32) {
	t.state[0] = s
	for i := 1; i < n; i++ {
		prev := t.state[i-1]
		t.state[i] = 1812433253*(prev^(prev>>30)) + uint32(i)
	}
	t.pos = n
}

func (t *Twister) twist() {
	const upper, lower, matrix = 0x80000000, 0x7fffffff, 0x9908b0df
	for i := range t.state {
		y := t.state[i]&upper | t.state[(i+1)%n]&lower
		v := t.state[(i+m)%n] ^ y>>1
		if y&1 != 0 {
			v ^= matrix
		}
		t.state[i] = v
	}
	t.pos = 0
}

// Uint32 is genrand_int32.
func (t *Twister) Uint32() uint32 {
	if t.pos >= n {
		t.twist()
	}
	y := t.state[t.pos]
	t.pos++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}

// Float64 is the 53-bit double in [0, 1) from two draws (genrand_res53,
// numpy's random_sample and CPython's random()).
func (t *Twister) Float64() float64 {
	a, b := t.Uint32()>>5, t.Uint32()>>6
	return (float64(a)*67108864 + float64(b)) / 9007199254740992
}
