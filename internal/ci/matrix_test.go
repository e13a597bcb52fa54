package ci

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/config"
	nmatrix "github.com/sgl-project/tpuci/internal/nightly/matrix"
	"github.com/sgl-project/tpuci/internal/partition"
)

func TestMatrixFromConfig(t *testing.T) {
	cfg := testConfig(t)
	m, err := Matrix(cfg, "unitTest1", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := MatrixJSON(m)
	want := `{"include":[` +
		`{"name":"unit-1 1/3","suite":"unit-1","part":0,"parts":3,"partition":"0/3","chips":1,"runner":"tpu-1"},` +
		`{"name":"unit-1 2/3","suite":"unit-1","part":1,"parts":3,"partition":"1/3","chips":1,"runner":"tpu-1"},` +
		`{"name":"unit-1 3/3","suite":"unit-1","part":2,"parts":3,"partition":"2/3","chips":1,"runner":"tpu-1"},` +
		`{"name":"unit-cpu","suite":"unit-cpu","part":0,"parts":1,"partition":"0/1","chips":0,"runner":"cpu-runner"}]}`
	if got != want {
		t.Errorf("matrix\n got %s\nwant %s", got, want)
	}
	// A selection never asks for more partitions than files.
	m, err = Matrix(cfg, "unitTest1", []string{"python/pkg/test/test_sched.py"})
	if err != nil || len(m) != 1 || m[0].Partition != "0/1" || m[0].Suite != "unit-1" {
		t.Errorf("selected matrix %+v %v", m, err)
	}
	// Accuracy partitions its cases before the chip filter: each job gets
	// the chips of its own cases.
	m, err = Matrix(cfg, "accuracy", nil)
	if err != nil || len(m) != 2 || m[0].Chips != 4 || m[0].Runner != "tpu-4" || m[1].Chips != 1 || m[1].Runner != "tpu-1" {
		t.Errorf("accuracy matrix %+v %v", m, err)
	}
	// Perf partitions its cases before the chip filter too.
	m, err = Matrix(cfg, "perf", nil)
	if err != nil || len(m) != 1 || m[0].Chips != 1 || m[0].Suite != "" {
		t.Errorf("perf matrix %+v %v", m, err)
	}
	if _, err := Matrix(cfg, "lint", nil); err == nil || !strings.Contains(err.Error(), `"lint" has no matrix`) {
		t.Errorf("lint: %v", err)
	}
	cfg.Gating.Runners = map[string]string{"1": "tpu-1"}
	if _, err := Matrix(cfg, "unitTest4", nil); err == nil || !strings.Contains(err.Error(), "no runner in [gating.runners] has 4 chips") {
		t.Errorf("missing runner: %v", err)
	}
}

// TestDefaultMatrices pins the matrices of the embedded SGLang-JAX config:
// the partition counts of pr-test.yml come from the config alone.
func TestDefaultMatrices(t *testing.T) {
	cfg, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]Entry{}
	for _, target := range MatrixTargets {
		m, err := Matrix(cfg, target, nil)
		if err != nil {
			t.Fatal(err)
		}
		out[target] = m
	}
	count := func(target, suite string) int {
		n := 0
		for _, e := range out[target] {
			if e.Suite == suite {
				n++
			}
		}
		return n
	}
	for _, c := range []struct {
		target, suite string
		n             int
	}{
		{"unitTest1", "unit-test-tpu-v6e-1", 5}, {"unitTest1", "unit-test-cpu", 1}, {"unitTest4", "unit-test-tpu-v6e-4", 2},
		{"e2e", "e2e-test-tpu-v6e-1", 1}, {"e2e", "e2e-test-tpu-v6e-4", 3},
	} {
		if got := count(c.target, c.suite); got != c.n {
			t.Errorf("%s %s: %d jobs, want %d", c.target, c.suite, got, c.n)
		}
	}
	for _, e := range out["unitTest4"] {
		if e.Runner != "arc-runner-v6e-4-us-south1-ai1b" {
			t.Errorf("unitTest4 runner %q", e.Runner)
		}
	}
	if b, err := json.Marshal(out); err != nil || !json.Valid(b) {
		t.Errorf("matrices do not render as JSON: %v", err)
	}
}

// TestPlanMatricesAreCIMatrix: the coordinator's matrices for a full run
// are exactly what ci:matrix prints.
func TestPlanMatricesAreCIMatrix(t *testing.T) {
	cfg := testConfig(t)
	p, err := Make(cfg, Input{Event: EventPush, Ref: "refs/heads/main"}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range MatrixTargets {
		m, err := Matrix(cfg, target, nil)
		if err != nil {
			t.Fatal(err)
		}
		pt, _ := p.Target(target)
		if MatrixJSON(pt.Matrix) != MatrixJSON(m) {
			t.Errorf("%s: plan matrix %s, ci:matrix %s", target, MatrixJSON(pt.Matrix), MatrixJSON(m))
		}
	}
}

// Nightly jobs split whole models, grouped by the chips they need: a
// 1-chip model runs on a v6e-1 runner, a 4-chip model on v6e-4, the
// configured number of jobs in all (at least one per chip count, never
// more than a group's models), and the jobs of a group cover its models
// exactly once.
func TestNightlyMatrix(t *testing.T) {
	cfg, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Matrix(cfg, "nightly", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != cfg.Nightly.Partitions || len(m) == 0 {
		t.Fatalf("want %d jobs, got %s", cfg.Nightly.Partitions, MatrixJSON(m))
	}
	all, err := nmatrix.Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	chipsOf := map[string]int{}
	for _, c := range all {
		chipsOf[c.Model] = c.Server.Chips
	}
	runs := map[string]int{}
	for _, e := range m {
		want, err := cfg.Gating.Runner(e.Chips)
		if err != nil || e.Runner != want || e.Chips < 1 {
			t.Errorf("job %+v: runner %q (%v)", e, want, err)
		}
		group, err := nmatrix.SelectModels(all, e.Models)
		if err != nil {
			t.Fatal(err)
		}
		mine, _, err := nmatrix.Partition(group, partition.Spec{ID: e.Part, Count: e.Parts})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range mine {
			if c.Server.Chips != e.Chips {
				t.Errorf("job %s (%d chips) runs %s, which needs %d", e.Name, e.Chips, c.Key, c.Server.Chips)
			}
			runs[c.Key]++
		}
	}
	for _, c := range all {
		if runs[c.Key] != 1 {
			t.Errorf("%s runs in %d jobs", c.Key, runs[c.Key])
		}
	}
	for k, want := range map[string]string{"1": "arc-runner-v6e-1-us-south1-ai1b", "4": "arc-runner-v6e-4-us-south1-ai1b"} {
		found := false
		for _, e := range m {
			found = found || (fmt.Sprint(e.Chips) == k && e.Runner == want)
		}
		if !found {
			t.Errorf("no %s-chip job on %s: %s", k, want, MatrixJSON(m))
		}
	}
	cfg.Nightly.Partitions = 100
	if m, _ := Matrix(cfg, "nightly", nil); len(m) != len(chipsOf) {
		t.Errorf("more jobs than models: %d for %d", len(m), len(chipsOf))
	}
	cfg.Nightly.Partitions = 1
	if m, _ := Matrix(cfg, "nightly", nil); len(m) != 2 {
		t.Errorf("one chip count per job: %s", MatrixJSON(m))
	}
}

// On the embedded default, perf and accuracy jobs sit on runners sized by
// the chips of their own cases: the 1-chip cases on v6e-1; the suite
// files no case covers get jobs of their own.
func TestEmbeddedDefaultRunnersFollowChips(t *testing.T) {
	cfg, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"perf", "accuracy"} {
		m, err := Matrix(cfg, target, nil)
		if err != nil {
			t.Fatal(err)
		}
		var oneChip, suites int
		for _, e := range m {
			if want, _ := cfg.Gating.Runner(e.Chips); e.Runner != want {
				t.Errorf("%s: %s on %s, want %s", target, e.Name, e.Runner, want)
			}
			if e.Chips == 1 && e.Suite == "" {
				oneChip++
			}
			if e.Suite != "" {
				suites++
			}
		}
		if oneChip != 1 || suites != 1 || !strings.Contains(m[len(m)-1].Runner+m[len(m)-2].Runner, "v6e-1") {
			t.Errorf("%s matrix: %+v", target, m)
		}
	}
}
