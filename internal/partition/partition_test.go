package partition

import (
	"encoding/json"
	"math"
	"os"
	"reflect"
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

func TestParseSpec(t *testing.T) {
	good := map[string][2]int{"0/1": {0, 1}, "3/4": {3, 4}, " 2 / 5 ": {2, 5}} //nolint:gocritic // spaces on purpose: ParseSpec trims them
	for in, want := range good {
		id, parts, err := ParseSpec(in)
		if err != nil || id != want[0] || parts != want[1] {
			t.Errorf("ParseSpec(%q) = %d, %d, %v; want %v", in, id, parts, err, want)
		}
	}
	bad := map[string]string{
		"":     "no '/'",
		"3":    "no '/'",
		"a/4":  `ID "a" is not an integer`,
		"1/x":  `COUNT "x" is not an integer`,
		"1/0":  "COUNT 0 is not positive",
		"-1/4": "ID -1 is negative",
		"4/4":  "IDs count from 0, the last is 3/4",
		"1/2/": `COUNT "2/" is not an integer`,
	}
	for in, want := range bad {
		_, _, err := ParseSpec(in)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "TPUCI_PARTITION") {
			t.Errorf("ParseSpec(%q) error = %v, want it to contain %q", in, err, want)
		}
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
