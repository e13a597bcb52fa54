package eval

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// testdata/pysample.json holds random.Random(seed).sample(range(n), k) as
// CPython 3.11 computes it (regenerate with python3 testdata/pysample.py).
func TestSampleMatchesCPython(t *testing.T) {
	data, err := os.ReadFile("testdata/pysample.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Seed int64 `json:"seed"`
		N    int   `json:"n"`
		K    int   `json:"k"`
		Idx  []int `json:"idx"`
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range cases {
		got := newPyRandom(c.Seed).sample(c.N, c.K)
		if !slices.Equal(got, c.Idx) {
			t.Errorf("seed %d sample(%d, %d) = %v..., CPython %v...", c.Seed, c.N, c.K, head(got), head(c.Idx))
		}
	}
}

func head(x []int) []int { return x[:min(len(x), 8)] }

func TestGetrandbitsFirstWords(t *testing.T) {
	// random.Random(0).getrandbits(32) and the next one, from CPython.
	r := newPyRandom(0)
	if got := r.getrandbits(32); got != 3626764237 {
		t.Errorf("first word %d, want 3626764237", got)
	}
	if got := r.getrandbits(32); got != 1654615998 {
		t.Errorf("second word %d, want 1654615998", got)
	}
}
