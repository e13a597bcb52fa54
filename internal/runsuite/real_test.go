package runsuite

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// realRunSuite returns test/srt/run_suite.py of the SGLang-JAX checkout at
// $TPUCI_SGLANG_JAX, and skips the test when the variable is unset. The
// expected counts are those of commit cddbf6f1; get that checkout with
// git clone https://github.com/sgl-project/sglang-jax && git -C sglang-jax checkout cddbf6f1.
func realRunSuite(tb testing.TB) []byte {
	tb.Helper()
	root := os.Getenv("TPUCI_SGLANG_JAX")
	if root == "" {
		tb.Skip("set TPUCI_SGLANG_JAX to an SGLang-JAX checkout to compare with its run_suite.py")
	}
	src, err := os.ReadFile(filepath.Join(root, "test", "srt", "run_suite.py"))
	if err != nil {
		tb.Fatalf("TPUCI_SGLANG_JAX=%s: %v (point it at an SGLang-JAX checkout)", root, err)
	}
	return src
}

// TestRealRunSuite checks the counts of docs/sglang-jax-ci.md §5.1.
func TestRealRunSuite(t *testing.T) {
	src := realRunSuite(t)
	suites, err := ParseWith("run_suite.py", src, Options{PathBase: DefaultPathBases()})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		files int
		sum   float64
	}{
		"unit-test-tpu-v6e-1":                             {29, 77.0},
		"unit-test-cpu":                                   {70, 44.1},
		"unit-test-tpu-v6e-4":                             {12, 38.4},
		"e2e-test-tpu-v6e-1":                              {12, 60.0},
		"e2e-test-tpu-v6e-4":                              {17, 61.0},
		"accuracy-test-tpu-v6e-1":                         {1, 5.0},
		"accuracy-test-tpu-v6e-4":                         {2, 70.0},
		"performance-test-tpu-v6e-1":                      {1, 7.0},
		"performance-test-tpu-v6e-4":                      {2, 17.0},
		"kernel-performance-test-tpu-v6e-1":               {3, 10.0},
		"nightly-test-openai-api-surface-tpu-v6e-1-daily": {1, 10.0},
		"nightly-infra-smoke-tpu-v6e-1":                   {1, 15.0},
	}
	entries, nonEmpty, total := 0, 0, 0.0
	runners := map[string]int{}
	for _, s := range suites {
		sum := 0.0
		for _, f := range s.Files {
			sum += f.Minutes
			runners[f.Runner]++
		}
		entries += len(s.Files)
		total += sum
		if len(s.Files) > 0 {
			nonEmpty++
			w, ok := want[s.Name]
			if !ok {
				t.Errorf("unexpected non-empty suite %s", s.Name)
			} else if len(s.Files) != w.files || math.Abs(sum-w.sum) > 1e-9 {
				t.Errorf("%s: %d files, %.2f min; want %d, %.2f", s.Name, len(s.Files), sum, w.files, w.sum)
			}
		}
	}
	if len(suites) != 21 || nonEmpty != 12 || entries != 151 || math.Abs(total-414.5) > 1e-9 {
		t.Errorf("%d suites (%d non-empty), %d entries, %.2f min; want 21 (12), 151, 414.5", len(suites), nonEmpty, entries, total)
	}
	// §5.1 counts 93 python entries including the 3 with test_methods.
	if runners["python"] != 90 || runners["unittest"] != 3 || runners["pytest"] != 58 {
		t.Errorf("runners %v, want python 90, unittest 3, pytest 58", runners)
	}
	for _, s := range suites {
		if _, based := DefaultPathBases()[s.Name]; based && !strings.HasPrefix(s.Files[0].Path, "test/srt/") {
			t.Errorf("%s: path %s lacks the test/srt base", s.Name, s.Files[0].Path)
		}
	}
	checkRoundTrip(t, suites)
}

// TestRealRunSuiteMatchesPython compares the parsed values with what
// Python evaluated for the partition golden data (same file, same commit).
func TestRealRunSuiteMatchesPython(t *testing.T) {
	src := realRunSuite(t)
	raw, err := os.ReadFile("../partition/testdata/auto_partition_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Suites []struct {
			Name  string `json:"name"`
			Files []struct {
				Name          string  `json:"name"`
				EstimatedTime float64 `json:"estimated_time"`
			} `json:"files"`
		} `json:"suites"`
	}
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	suites, err := Parse("run_suite.py", src)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Suite{}
	for _, s := range suites {
		byName[s.Name] = s
	}
	for _, g := range golden.Suites {
		s, ok := byName[g.Name]
		if !ok || len(s.Files) != len(g.Files) {
			t.Errorf("%s: parsed %d files, Python %d (mirror and golden data from different commits?)", g.Name, len(s.Files), len(g.Files))
			continue
		}
		for i, f := range g.Files {
			if s.Files[i].Path != f.Name || s.Files[i].Minutes != f.EstimatedTime {
				t.Errorf("%s[%d]: parsed %s %v, Python %s %v", g.Name, i, s.Files[i].Path, s.Files[i].Minutes, f.Name, f.EstimatedTime)
			}
		}
	}
}

func BenchmarkParseRealRunSuite(b *testing.B) {
	src := realRunSuite(b)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Parse("run_suite.py", src); err != nil {
			b.Fatal(err)
		}
	}
}
