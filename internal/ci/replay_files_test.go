package ci

import (
	"strings"
	"testing"
)

// Reasons with equal counts print in the same order on every run.
func TestDroppedReasonsPrintInAFixedOrder(t *testing.T) {
	rp := &Replay{Rows: []ReplayRow{{Commit: "c1", Dropped: []Dropped{
		{Path: "a.py", Target: "e2e", Why: "zeta"}, {Path: "b.py", Target: "e2e", Why: "alpha"},
		{Path: "c.py", Target: "e2e", Why: "mid"}, {Path: "d.py", Target: "e2e", Why: "mid"},
	}}}}
	var first string
	for i := 0; i < 20; i++ {
		var b strings.Builder
		printDropped(&b, rp)
		if i == 0 {
			first = b.String()
			continue
		}
		if b.String() != first {
			t.Fatalf("run %d printed\n%s\nthe first printed\n%s", i, b.String(), first)
		}
	}
	if a, z := strings.Index(first, "alpha"), strings.Index(first, "zeta"); strings.Index(first, "mid") > a || a > z {
		t.Errorf("want mid (2), then alpha and zeta (1 each):\n%s", first)
	}
}
