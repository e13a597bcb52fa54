package matrix

import (
	"slices"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/partition"
)

func defaultCases(t *testing.T) []Case {
	t.Helper()
	c, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(""); err != nil {
		t.Fatal(err)
	}
	cases, err := Build(c)
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// The default matrix is the design's nightly table.
func TestDefaultMatrix(t *testing.T) {
	cases := defaultCases(t)
	keys := Keys(cases)
	count := map[string]int{}
	for _, c := range cases {
		count[c.Kind+"/"+c.Model]++
	}
	// 6 concurrencies x (3 TTFT + 3 ITL input lengths); gemma2 loses its
	// 8k points (2 x 6) to its 8192-token window.
	want := map[string]int{
		"perf/qwen-7b-tp1": 36, "perf/qwen3-8b-tp1": 36, "perf/qwen3-30b-a3b-tp4-ep4": 36, "perf/gemma2-2b-tp1": 24,
		"perf/bailing-moe-tp4-ep4": 36, "perf/qwen2-7b-tp1": 36,
		"accuracy/qwen-7b-tp1": 5, "accuracy/qwen3-8b-tp1": 5, "accuracy/qwen3-30b-a3b-tp4-ep4": 5, "accuracy/gemma2-2b-tp1": 5,
		"accuracy/bailing-moe-tp4-ep4": 5, "accuracy/r1-distill-qwen-1.5b-tp1": 6,
	}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%s: %d cases, want %d", k, count[k], n)
		}
	}
	if len(count) != len(want) {
		t.Errorf("groups %v, want %v", count, want)
	}
	for _, k := range []string{"perf/qwen3-8b-tp1/c64-i4096-o1024", "perf/qwen3-8b-tp1/c8-i1024-o1", "perf/qwen3-8b-tp1/c256-i8192-o1", "accuracy/qwen3-8b-tp1/gsm8k", "accuracy/r1-distill-qwen-1.5b-tp1/math"} {
		if !slices.Contains(keys, k) {
			t.Errorf("missing %s", k)
		}
	}
	for _, c := range cases {
		switch {
		case c.Kind == Perf && c.NumPrompts != 3*c.Concurrency:
			t.Errorf("%s: %d prompts, want 3x concurrency", c.Key, c.NumPrompts)
		case c.Kind == Perf && c.OutputLen == 1 && !slices.Equal(c.Metrics, []string{"median_ttft_ms", "input_throughput"}):
			t.Errorf("%s: metrics %v", c.Key, c.Metrics)
		case c.Kind == Perf && c.OutputLen > 1 && (c.OutputLen != 1024 || !slices.Equal(c.Metrics, []string{"median_itl_ms", "output_throughput"})):
			t.Errorf("%s: osl %d metrics %v", c.Key, c.OutputLen, c.Metrics)
		case c.Kind == Accuracy && c.Dataset == "":
			t.Errorf("%s: no dataset", c.Key)
		}
	}
	// One trace per perf model, at the configured point when it exists.
	traces := map[string]string{}
	for _, c := range cases {
		if c.Trace {
			if prev, ok := traces[c.Model]; ok {
				t.Errorf("model %s traces %s and %s", c.Model, prev, c.Key)
			}
			traces[c.Model] = c.Key
		}
	}
	if traces["qwen3-8b-tp1"] != "perf/qwen3-8b-tp1/c64-i4096-o1024" || len(traces) != 6 {
		t.Errorf("traces %v", traces)
	}
}

func TestSelect(t *testing.T) {
	cases := defaultCases(t)
	for _, tc := range []struct {
		globs string
		n     int
	}{
		{"perf/qwen3-8b-tp1/*", 36},
		{"accuracy/**", 31},
		{"**/gsm8k", 6},
		{"perf/*/c64-i4096-o1024,accuracy/qwen3-8b-tp1/gsm8k", 7},
		{"perf/qwen3-8b-tp1/c64-i4096-o1024", 1},
	} {
		globs, err := ParseGlobs(tc.globs)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Select(cases, globs)
		if err != nil {
			t.Fatalf("%s: %v", tc.globs, err)
		}
		if len(got) != tc.n {
			t.Errorf("%s selects %d, want %d", tc.globs, len(got), tc.n)
		}
	}
	globs, _ := ParseGlobs("perf/qwen9/*")
	if _, err := Select(cases, globs); err == nil || !strings.Contains(err.Error(), "nightly:list") {
		t.Errorf("unknown glob: %v", err)
	}
	if _, err := ParseGlobs("perf/[x"); err == nil {
		t.Error("bad glob accepted")
	}
}

func TestPartition(t *testing.T) {
	cases := defaultCases(t)
	seen := map[string]int{}
	models := map[string]string{}
	for id := range 3 {
		mine, others, err := Partition(cases, partition.Spec{ID: id, Count: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(mine)+len(others) != len(cases) || len(mine) == 0 {
			t.Fatalf("partition %d: %d + %d of %d", id, len(mine), len(others), len(cases))
		}
		again, _, _ := Partition(cases, partition.Spec{ID: id, Count: 3})
		if !slices.Equal(Keys(mine), Keys(again)) {
			t.Error("partition is not deterministic")
		}
		for _, c := range mine {
			seen[c.Key]++
			if p, ok := models[c.Model]; ok && p != partSpec(id, 3) {
				t.Errorf("model %s split over %s and %s", c.Model, p, partSpec(id, 3))
			}
			models[c.Model] = partSpec(id, 3)
		}
	}
	for _, c := range cases {
		if seen[c.Key] != 1 {
			t.Errorf("%s runs %d times", c.Key, seen[c.Key])
		}
	}
	if _, _, err := Partition(cases, partition.Spec{ID: 0, Count: 99}); err == nil {
		t.Error("more partitions than models accepted")
	}
}

func partSpec(id, n int) string { return partition.Spec{ID: id, Count: n}.String() }

func TestBuildUnknownServerAndDuplicates(t *testing.T) {
	c := &config.Config{Nightly: config.Nightly{Models: []config.NightlyModel{{Name: "m", Server: "nope", Perf: true}}}}
	if _, err := Build(c); err == nil || !strings.Contains(err.Error(), "unknown server") {
		t.Errorf("unknown server: %v", err)
	}
	c.Servers = []config.Server{{Name: "nope", Model: "x", TP: 1}}
	c.Nightly.Concurrencies = []int{4, 4}
	if _, err := Build(c); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate: %v", err)
	}
}

// The design's perf matrix has 216 points over the default models; the
// ones a model cannot serve are excluded with the reason, not dropped.
func TestDefaultMatrixListsEveryDesignPoint(t *testing.T) {
	cfg, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	run, err := Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	excluded, err := Excluded(cfg)
	if err != nil {
		t.Fatal(err)
	}
	perfN := len(excluded)
	for _, c := range run {
		if c.Kind == Perf {
			perfN++
		}
	}
	if perfN != 216 || len(excluded) == 0 {
		t.Fatalf("%d perf points, %d excluded; want 216 in all", perfN, len(excluded))
	}
	for _, c := range excluded {
		if c.InputLen != 8192 || !strings.HasPrefix(c.Excluded, "context_length 8192 < 8k+") {
			t.Errorf("%s excluded for %q", c.Key, c.Excluded)
		}
	}
}

// TPUCI_NIGHTLY_MODELS keeps whole models and refuses unknown names.
func TestSelectModels(t *testing.T) {
	cases := []Case{{Key: "perf/a/x", Model: "a"}, {Key: "accuracy/a/y", Model: "a"}, {Key: "perf/b/x", Model: "b"}}
	got, err := SelectModels(cases, " b , ")
	if err != nil || len(got) != 1 || got[0].Key != "perf/b/x" {
		t.Errorf("b: %v %v", got, err)
	}
	if got, _ := SelectModels(cases, ""); len(got) != 3 {
		t.Errorf("empty selects all: %v", got)
	}
	if _, err := SelectModels(cases, "a,c"); err == nil || !strings.Contains(err.Error(), `"c"`) {
		t.Errorf("unknown model: %v", err)
	}
}
