package mersenne

import "testing"

// numpy: np.random.seed(0); np.random.randint(0, 2**32, dtype=np.uint64) draws.
// CPython: random.seed(0); random.getrandbits(32) and random.random().
func TestStreamsMatchPython(t *testing.T) {
	np := New(0)
	for i, w := range []uint32{2357136044, 2546248239, 3071714933} {
		if got := np.Uint32(); got != w {
			t.Fatalf("numpy seed 0 draw %d = %d, want %d", i, got, w)
		}
	}
	py := NewFromKey([]uint32{0})
	if got := py.Float64(); got != 0.8444218515250481 {
		t.Fatalf("CPython random.seed(0); random() = %v, want 0.8444218515250481", got)
	}
}
