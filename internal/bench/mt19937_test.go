package bench

import (
	"math"
	"testing"
)

// Vectors produced with numpy 1.24.2 (Debian python3-numpy).
func TestMT19937MatchesNumpy(t *testing.T) {
	m := newMT19937(0)
	want := []uint32{2357136044, 2546248239, 3071714933}
	for i, w := range want {
		if got := m.uint32(); got != w {
			t.Fatalf("seed 0 draw %d = %d, want %d", i, got, w)
		}
	}

	m = newMT19937(1)
	got := make([]int64, 8)
	for i := range got {
		got[i] = m.randint(1, 1025)
	}
	wantLens := []int64{38, 236, 909, 73, 768, 906, 716, 646}
	for i := range got {
		if got[i] != wantLens[i] {
			t.Fatalf("seed 1 randint(1,1025) = %v, want %v", got, wantLens)
		}
	}

	// A single-value range draws nothing, like numpy.
	m = newMT19937(42)
	for range 5 {
		if v := m.randint(4096, 4097); v != 4096 {
			t.Fatalf("randint(4096,4097) = %d", v)
		}
	}
	if e := m.exponential(0.5); math.Abs(e-0.23463404498842955) > 1e-15 {
		t.Fatalf("exponential after empty-range draws = %v, want 0.23463404498842955", e)
	}

	m = newMT19937(7)
	if e := m.exponential(1); math.Abs(e-0.07937690952144451) > 1e-15 {
		t.Fatalf("seed 7 exponential = %v", e)
	}
}
