package partition

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// golden is testdata/auto_partition_golden.json: SGLang-JAX's suites and the
// output of its auto_partition for every rank and size 1..min(files, 8),
// produced once by running that Python function.
type golden struct {
	Suites []struct {
		Name  string `json:"name"`
		Files []struct {
			Name          string  `json:"name"`
			EstimatedTime float64 `json:"estimated_time"`
		} `json:"files"`
		Partitions map[string][][]string `json:"partitions"`
	} `json:"suites"`
}

func TestSplitMatchesAutoPartition(t *testing.T) {
	raw, err := os.ReadFile("testdata/auto_partition_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Suites) < 10 {
		t.Fatalf("golden holds %d suites, want the 12 non-empty ones", len(g.Suites))
	}
	cases := 0
	for _, s := range g.Suites {
		items := make([]Item, len(s.Files))
		seen := map[string]bool{}
		for i, f := range s.Files {
			items[i] = Item{Name: f.Name, Weight: f.EstimatedTime}
			if seen[f.Name] {
				t.Fatalf("%s: duplicate file %s makes names ambiguous", s.Name, f.Name)
			}
			seen[f.Name] = true
		}
		if want := min(len(items), 8); len(s.Partitions) != want {
			t.Errorf("%s: golden has %d sizes, want %d", s.Name, len(s.Partitions), want)
		}
		for key, want := range s.Partitions {
			parts, err := strconv.Atoi(key)
			if err != nil {
				t.Fatal(err)
			}
			split, err := Split(items, parts)
			if err != nil {
				t.Fatalf("%s/%d: %v", s.Name, parts, err)
			}
			got := make([][]string, parts)
			for p, idx := range split {
				got[p] = []string{}
				for _, i := range idx {
					got[p] = append(got[p], items[i].Name)
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s with %d parts:\n got %q\nwant %q", s.Name, parts, got, want)
			}
			for id := range parts {
				one, err := Part(items, id, parts)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(one, split[id]) {
					t.Errorf("%s: Part(%d, %d) = %v, Split gave %v", s.Name, id, parts, one, split[id])
				}
			}
			cases++
		}
	}
	if cases < 40 {
		t.Errorf("only %d golden cases compared", cases)
	}
}

func items(ws ...float64) []Item {
	out := make([]Item, len(ws))
	for i, w := range ws {
		out[i] = Item{Name: "f" + strconv.Itoa(i), Weight: w}
	}
	return out
}

func TestSplitTiesAndOrder(t *testing.T) {
	tests := []struct {
		name  string
		ws    []float64
		parts int
		want  [][]int
	}{
		{"single file", []float64{7}, 1, [][]int{{0}}},
		{"equal weights keep file order and fill low partitions first", []float64{1, 1, 1, 1}, 2, [][]int{{0, 2}, {1, 3}}},
		{"descending order inside a partition", []float64{1, 5, 3}, 1, [][]int{{1, 2, 0}}},
		{"tie on sums goes to the lowest index", []float64{2, 1, 1, 1, 1}, 2, [][]int{{0, 3}, {1, 2, 4}}},
		{"lightest partition wins", []float64{2, 2, 1, 1}, 3, [][]int{{0}, {1}, {2, 3}}},
		{"greedy, not optimal", []float64{3, 3, 2, 2, 2}, 2, [][]int{{0, 2, 4}, {1, 3}}},
		{"zero weights", []float64{0, 0, 0}, 1, [][]int{{0, 1, 2}}},
		{"some zero weights", []float64{0, 4, 0, 1}, 2, [][]int{{1}, {3, 0, 2}}},
		{"parts equal to files", []float64{1, 9, 4}, 3, [][]int{{1}, {2}, {0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Split(items(tc.ws...), tc.parts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Split(%v, %d) = %v, want %v", tc.ws, tc.parts, got, tc.want)
			}
		})
	}
}

func TestSplitErrors(t *testing.T) {
	tests := []struct {
		name  string
		in    []Item
		id    int
		parts int
		want  string
	}{
		{"zero parts", items(1, 2), 0, 0, "0 parts requested: use at least 1"},
		{"negative parts", items(1, 2), 0, -2, "-2 parts requested"},
		{"more parts than files", items(1, 2, 3, 4, 5), 0, 6, "6 parts for 5 files: lower the matrix size to at most 5"},
		{"empty", nil, 0, 1, "empty file list"},
		{"nan", []Item{{"a.py", 1}, {"b.py", math.NaN()}}, 0, 1, "file 1 (b.py) has weight NaN"},
		{"negative", []Item{{"a.py", -1}}, 0, 1, "file 0 (a.py) has weight -1"},
		{"inf", []Item{{"a.py", math.Inf(1)}}, 0, 1, "has weight +Inf"},
		{"zero weights leave parts empty", items(0, 0, 0), 0, 3, "part(s) 1, 2 of 3 get no files because of zero weights"},
		{"one zero weight", items(5, 0, 0), 0, 3, "part(s) 2 of 3 get no files"},
		{"id too big", items(1, 2, 3), 3, 3, "id 3 outside 0..2 for 3 parts"},
		{"id negative", items(1, 2, 3), -1, 3, "id -1 outside"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Part(tc.in, tc.id, tc.parts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Part error = %v, want it to contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "partition: ") {
				t.Errorf("error %q lacks the step prefix", err)
			}
			if tc.id >= 0 && tc.id < tc.parts {
				if _, err := Split(tc.in, tc.parts); err == nil {
					t.Errorf("Split accepted what Part rejected")
				}
			}
		})
	}
}

func TestWeights(t *testing.T) {
	in := []Item{{"a.py", 5}, {"b.py", 1}, {"c.py", 60}}
	got, n, err := Weights(in, map[string]float64{"b.py": 12.5, "c.py": 0, "gone.py": 3})
	if err != nil {
		t.Fatal(err)
	}
	want := []Item{{"a.py", 5}, {"b.py", 12.5}, {"c.py", 0}}
	if !reflect.DeepEqual(got, want) || n != 2 {
		t.Errorf("Weights = %v, %d; want %v, 2", got, n, want)
	}
	if in[1].Weight != 1 {
		t.Error("Weights modified its input")
	}
	// Measurements change the split: b.py becomes the heaviest file.
	split, err := Split(got, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(split, [][]int{{1}, {0, 2}}) {
		t.Errorf("split on measured weights = %v", split)
	}
	for _, bad := range []float64{math.NaN(), -3, math.Inf(-1)} {
		if _, _, err := Weights(in, map[string]float64{"a.py": bad}); err == nil || !strings.Contains(err.Error(), "a.py") {
			t.Errorf("measured %v: err = %v, want an error naming a.py", bad, err)
		}
	}
	if got, n, err := Weights(in, nil); err != nil || n != 0 || !reflect.DeepEqual(got, in) {
		t.Errorf("no measurements: %v %d %v", got, n, err)
	}
}

func TestSums(t *testing.T) {
	in := items(5, 4, 3, 3)
	split, err := Split(in, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := Sums(in, split); !reflect.DeepEqual(got, []float64{8, 7}) {
		t.Errorf("Sums = %v", got)
	}
}

func BenchmarkSplit(b *testing.B) {
	in := make([]Item, 500)
	for i := range in {
		in[i] = Item{Name: strconv.Itoa(i), Weight: float64(i%37) / 3}
	}
	for b.Loop() {
		if _, err := Split(in, 8); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPartGroupedKeepsGroupsApart(t *testing.T) {
	its := items(2, 2, 4, 4, 5, 3)
	groups := []int{1, 1, 4, 4, 4, 1}
	get := func(id, parts int) []int {
		t.Helper()
		idx, err := PartGrouped(its, groups, id, parts)
		if err != nil {
			t.Fatal(err)
		}
		return idx
	}
	// Two parts: the heavier 4-chip group first, the 1-chip group second.
	if a, b := get(0, 2), get(1, 2); fmt.Sprint(a) != "[4 2 3]" || fmt.Sprint(b) != "[5 0 1]" {
		t.Fatalf("2 parts: %v %v", a, b)
	}
	// Three parts: the extra part goes to the group with most weight per part.
	seen := map[int]int{}
	for id := range 3 {
		idx := get(id, 3)
		g := groups[idx[0]]
		for _, i := range idx {
			if groups[i] != g {
				t.Fatalf("part %d mixes groups: %v", id, idx)
			}
			seen[i]++
		}
	}
	if len(seen) != len(its) {
		t.Fatalf("not every item placed once: %v", seen)
	}
	// Fewer parts than groups: plain LPT.
	if idx := get(0, 1); len(idx) != len(its) {
		t.Fatalf("1 part: %v", idx)
	}
}

func TestFewestFitsTheBudget(t *testing.T) {
	items := []Item{{"a", 8}, {"b", 5}, {"c", 4}, {"d", 3}, {"e", 3}, {"f", 1}}
	cases := []struct {
		budget   float64
		most     int
		n        int
		makespan float64
	}{
		{24, 8, 1, 24},  // everything fits one job
		{12, 8, 2, 12},  // 8+3+1 / 5+4+3
		{8, 8, 3, 8},    // 8 / 5+3 / 4+3+1
		{2, 8, 3, 8},    // below the largest file: the largest file is the floor
		{8, 2, 2, 12},   // capped: the best count within the cap
		{100, 0, 1, 24}, // a cap below 1 still gives one job
		{8, 100, 3, 8},  // never more jobs than it takes
	}
	for _, c := range cases {
		n, span := Fewest(items, c.budget, c.most)
		if n != c.n || span != c.makespan {
			t.Errorf("Fewest(budget %v, most %d) = %d jobs, %v min; want %d, %v", c.budget, c.most, n, span, c.n, c.makespan)
		}
		if split, err := Split(items, n); err != nil || slices.Max(Sums(items, split)) != span {
			t.Errorf("Fewest's makespan %v differs from Split's sums (%v)", span, err)
		}
	}
	if n, span := Fewest(nil, 10, 4); n != 0 || span != 0 {
		t.Errorf("no items: %d jobs, %v min", n, span)
	}
}

// TestStageBudgetFitsWhereTheBudgetDidNot: a 44-minute suite whose stage's
// longest file is 11 minutes fits a 15-minute budget in 3 jobs of 15
// minutes, a third past the stage's file; sized to the stage it takes
// 4 jobs within 10% of it.
func TestStageBudgetFitsWhereTheBudgetDidNot(t *testing.T) {
	items := []Item{{"a", 10}, {"b", 9}, {"c", 8}, {"d", 7}, {"e", 5}, {"f", 3}, {"g", 2}}
	stage := 11.0
	n, span := Fewest(items, 15, 8)
	if n != 3 || span <= stage*(1+StageSlack) {
		t.Errorf("budget alone: %d jobs of %.1f, want 3 jobs past %.1f", n, span, stage*(1+StageSlack))
	}
	n, span = Fewest(items, StageBudget(15, stage), 8)
	if n != 4 || span > stage*(1+StageSlack) {
		t.Errorf("sized to the stage: %d jobs of %.1f, want 4 within %.1f", n, span, stage*(1+StageSlack))
	}
	// A stage whose longest file exceeds the budget keeps the budget.
	if b := StageBudget(15, 17); b != 15 {
		t.Errorf("StageBudget(15, 17) = %v, want 15", b)
	}
}
