package suitepolicy

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/runsuite"
)

// The suites SGLang-JAX's pr-test.yml runs (cddbf6f1), mandatory and
// label-enabled.
var prSuites = []string{
	"unit-test-tpu-v6e-1", "unit-test-cpu", "unit-test-tpu-v6e-4", "e2e-test-tpu-v6e-1", "e2e-test-tpu-v6e-4",
	"accuracy-test-tpu-v6e-1", "accuracy-test-tpu-v6e-4", "performance-test-tpu-v6e-1", "performance-test-tpu-v6e-4",
	"kernel-performance-test-tpu-v6e-1", "nightly-test-accuracy-text-models-tpu-v6e-4",
	"nightly-test-accuracy-text-models-tpu-v6e-1", "nightly-test-perf-text-models-tpu-v6e-1",
}

func TestEveryPRSuiteIsReachable(t *testing.T) {
	cfg, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	if bad := Unreachable(cfg, prSuites); len(bad) > 0 {
		t.Fatalf("PR suites no target runs:\n%s", strings.Join(bad, "\n"))
	}
	// The files SGLang-JAX gates on that no case replaces run as suites.
	for target, file := range map[string]string{"accuracy": "test/srt/test_speculative_decoding.py", "perf": "test/srt/test_bench_serving_dense_tp_4.py"} {
		found := false
		for _, s := range cfg.SuitesFor(target) {
			for _, f := range s.Files {
				found = found || f.Path == file
			}
		}
		if !found {
			t.Errorf("%s does not run %s", target, file)
		}
	}
	// A suite without target or reason, or covered by a missing case, is caught.
	cfg.Suites = append(cfg.Suites, config.Suite{Name: "orphan"}, config.Suite{Name: "ghost", Target: "perf", Files: []config.File{{Path: "x.py", CoveredBy: "perf:nope"}}})
	if bad := Unreachable(cfg, []string{"orphan", "ghost", "missing"}); len(bad) != 3 {
		t.Fatalf("unreachable: %q", bad)
	}
}

// On a real checkout, every suite its PR workflow runs is reachable.
func TestEveryPRSuiteIsReachableOnSGLangJAX(t *testing.T) {
	repo := os.Getenv("TPUCI_SGLANG_JAX")
	if repo == "" {
		t.Skip("TPUCI_SGLANG_JAX unset: point it at a clone of github.com/sgl-project/sglang-jax")
	}
	wf, err := ReadWorkflows(repo)
	if err != nil {
		t.Fatal(err)
	}
	table, _, ok, err := Read(repo)
	if err != nil || !ok {
		t.Fatalf("read run_suite.py: %v %v", ok, err)
	}
	cfg, _ := config.Default()
	res := Apply(repo, cfg.Suites, table, nil)
	cfg.ReplaceSuites(res.Suites, RunSuite, nil)
	if len(wf.PRSuites()) < 10 || len(res.Unmapped) > 0 {
		t.Fatalf("PR suites %v, unmapped %v", wf.PRSuites(), res.Unmapped)
	}
	if bad := Unreachable(cfg, wf.PRSuites()); len(bad) > 0 {
		t.Fatalf("unreachable: %q", bad)
	}
}

func TestApplyPolicyByName(t *testing.T) {
	repo := t.TempDir()
	for _, f := range []string{"test/srt/a.py", "test/srt/b.py", "test/srt/nightly/c.py"} {
		os.MkdirAll(filepath.Join(repo, filepath.Dir(f)), 0o755)
		os.WriteFile(filepath.Join(repo, f), nil, 0o644)
	}
	policy := []config.Suite{{Name: "perf-x", Target: "perf", Chips: 4, Partitions: 3, Files: []config.File{{Path: "test/srt/b.py", CoveredBy: "perf:case"}}}}
	table := []runsuite.Suite{
		{Name: "perf-x", Files: []runsuite.File{{Path: "test/srt/a.py", Minutes: 1}, {Path: "test/srt/b.py", Minutes: 2}}},
		{Name: "odd-tpu-v6e-1", Files: []runsuite.File{{Path: "nightly/c.py", Minutes: 3}, {Path: "test/srt/gone.py", Minutes: 1}}},
	}
	r := Apply(repo, policy, table, map[string]int{"odd-tpu-v6e-1": 4})
	p, o := r.Suites[0], r.Suites[1]
	if p.Target != "perf" || p.Chips != 4 || p.Partitions != 2 || p.Files[1].CoveredBy != "perf:case" || p.Files[0].CoveredBy != "" {
		t.Fatalf("policy suite: %+v", p)
	}
	if o.Chips != 1 || o.Partitions != 1 || len(o.Files) != 1 || o.Files[0].Path != "test/srt/nightly/c.py" {
		t.Fatalf("unknown suite: %+v", o)
	}
	if len(r.Unmapped) != 1 || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "gone.py") {
		t.Fatalf("unmapped %v notes %v", r.Unmapped, r.Notes)
	}
}

func TestWorkflowsGiveMatrixSizes(t *testing.T) {
	repo := t.TempDir()
	dir := filepath.Join(repo, ".github", "workflows")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "pr-test.yml"), []byte(`jobs:
  a:
    steps:
      - run: |
          python test/srt/run_suite.py --suite unit-x --auto-partition-id ${{ matrix.part }} --auto-partition-size 5
      - run: python test/srt/run_suite.py --suite cpu-x
`), 0o644)
	os.WriteFile(filepath.Join(dir, "nightly.yml"), []byte("      - run: python3 run_suite.py --suite night-x\n"), 0o644)
	wf, err := ReadWorkflows(repo)
	if err != nil {
		t.Fatal(err)
	}
	if wf.Sizes["unit-x"] != 5 || wf.Sizes["cpu-x"] != 0 || strings.Join(wf.PRSuites(), ",") != "cpu-x,unit-x" {
		t.Fatalf("%+v %v", wf, wf.PRSuites())
	}
}

// The whole imported configuration loads back and keeps every other section.
func TestWithSuitesLoadsBack(t *testing.T) {
	var b bytes.Buffer
	suites := []config.Suite{{Name: "unit-x", Target: "unitTest1", Chips: 1, Partitions: 2, Files: []config.File{{Path: "a.py", Minutes: 1}, {Path: "b.py", Minutes: 2, Runner: "pytest"}}}, {Name: "odd"}}
	if err := Render(&b, suites, []string{"odd"}); err != nil {
		t.Fatal(err)
	}
	text, err := WithSuites(config.DefaultTOML(), b.String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse("imported", text)
	if err != nil {
		t.Fatalf("does not load back: %v\n%s", err, text)
	}
	def, _ := config.Default()
	if len(c.Suites) != 2 || c.Suites[0].Partitions != 2 || c.Suites[0].Files[1].Runner != "pytest" || len(c.Perf.Cases) != len(def.Perf.Cases) || len(c.Servers) != len(def.Servers) {
		t.Fatalf("suites %+v, perf cases %d", c.Suites, len(c.Perf.Cases))
	}
	if !strings.Contains(string(text), "# unmapped: the policy does not know this suite") {
		t.Fatalf("no word on the unmapped suite")
	}
}
