package failclass

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/sgl-project/tpuci/internal/readme"
)

func ranks(codes ...int) []Rank {
	out := make([]Rank, len(codes))
	for i, c := range codes {
		out[i] = Rank{Index: i, Exited: c >= 0, ExitCode: max(c, 0)}
	}
	return out
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ranks    []Rank
		ready    bool
		complete bool
		want     Class
		retry    bool
		rank     int
	}{
		{"all passed", ranks(0, 0, 0, 0), true, true, Passed, false, -1},
		{"never ready", ranks(-1, -1, -1), false, false, Readiness, true, -1},
		{"rank 0 infra", ranks(10, 0, 0, 0), true, false, Infra, true, 0},
		{"rank 2 threshold", ranks(0, 0, 20, 0), true, false, Threshold, false, 2},
		{"rank 0 killed by rank 3's infra", ranks(137, 0, 0, 10), true, false, Infra, true, 3},
		{"rank 0 terminated, crash beats threshold", ranks(143, 20, 30, 10), true, false, CaseCrash,
			false, 2},
		{"rank 0 gone, threshold on 1", ranks(-1, 20, -1, -1), true, false, Threshold, false, 1},
		{"killed, nothing tagged", ranks(137, 137, 0, 0), true, false, Infra, true, -1},
		{"rank 0 exit 1", ranks(1, 0, 0, 0), true, false, CaseCrash, false, 0},
		{"rank 0 fine, rank 1 exit 2", ranks(0, 2, 0, 0), true, false, CaseCrash, false, 1},
	} {
		v := Classify(tc.ranks, tc.ready, tc.complete)
		if v.Class != tc.want || v.Retry != tc.retry || v.Rank != tc.rank {
			t.Errorf("%s: got %+v, want %s retry %v rank %d", tc.name, v, tc.want, tc.retry, tc.rank)
		}
	}
}

func TestOOMAndEviction(t *testing.T) {
	r := ranks(0, 0, 0, 0)
	r[0] = Rank{Index: 0, Exited: true, ExitCode: 137, Reason: "OOMKilled"}
	if v := Classify(r, true, false); v.Class != CaseCrash || v.Rank != 0 {
		t.Errorf("OOMKilled rank 0: %+v", v)
	}
	r = ranks(137, -1, 0, 0)
	r[1].Reason = "Evicted"
	if v := Classify(r, true, false); v.Class != Infra || !v.Retry || v.Rank != 1 {
		t.Errorf("evicted rank 1: %+v", v)
	}
}

func TestForExitCode(t *testing.T) {
	for code, want := range map[int]Class{0: Passed, 10: Infra, 20: Threshold, 30: CaseCrash,
		137: Infra, 143: Infra, 1: CaseCrash, 255: CaseCrash} {
		if got, _ := ForExitCode(code); got != want {
			t.Errorf("ForExitCode(%d) = %s, want %s", code, got, want)
		}
	}
}

var update = flag.Bool("update", false, "rewrite the README's class table")

// The README's class table is Markdown()'s.
func TestREADMETable(t *testing.T) {
	b := readme.Block{Name: "failclass table", Pkg: "failclass"}
	if err := b.Check(filepath.Join("..", "..", "README.md"), Markdown(), *update); err != nil {
		t.Error(err)
	}
}
