package partition

import (
	"slices"
	"strings"
	"testing"
)

type testCase struct {
	name, model string
	minutes     float64
	chips       int
}

func caseNames(cs []testCase) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.name)
	}
	return out
}

// The parts of a split cover the list once, keep list order, keep a key's
// cases together and each chip count apart, and name TPUCI_PARTITION when
// it asks for too many parts.
func TestCasesSplit(t *testing.T) {
	cases := []testCase{{"a", "m1", 10, 1}, {"b", "m2", 1, 4}, {"c", "m1", 2, 1}, {"d", "m3", 5, 4}}
	byChips := Cases[testCase]{Unit: "cases", Weight: func(c testCase) float64 { return c.minutes }, Chips: func(c testCase) int { return c.chips }}
	byModel := Cases[testCase]{Unit: "models", Weight: func(c testCase) float64 { return c.minutes }, Key: func(c testCase) string { return c.model }}
	for _, s := range []Cases[testCase]{byChips, byModel} {
		var seen []string
		for id := range 2 {
			mine, others, err := s.Split(Spec{ID: id, Count: 2}, cases)
			if err != nil {
				t.Fatal(err)
			}
			if len(mine)+len(others) != len(cases) || !slices.IsSortedFunc(mine, func(a, b testCase) int { return strings.Compare(a.name, b.name) }) {
				t.Errorf("%s %d/2: mine %v others %v", s.Unit, id, caseNames(mine), caseNames(others))
			}
			seen = append(seen, caseNames(mine)...)
			chipSet, models := map[int]bool{}, map[string]bool{}
			for _, c := range mine {
				chipSet[c.chips], models[c.model] = true, true
			}
			for _, c := range others {
				if s.Key != nil && models[c.model] {
					t.Errorf("model %s split across parts", c.model)
				}
			}
			if s.Chips != nil && len(chipSet) > 1 {
				t.Errorf("part %d/2 mixes chip counts: %v", id, caseNames(mine))
			}
		}
		if slices.Sort(seen); !slices.Equal(seen, []string{"a", "b", "c", "d"}) {
			t.Errorf("%s: parts cover %v", s.Unit, seen)
		}
	}
	if mine, others, err := byChips.Split(Spec{}, cases); err != nil || len(mine) != 4 || others != nil {
		t.Errorf("whole: %v %v %v", mine, others, err)
	}
	_, _, err := byModel.Split(Spec{ID: 0, Count: 4}, cases)
	if err == nil || err.Error() != "TPUCI_PARTITION=0/4 asks for 4 parts of 3 models: use a COUNT of at most 3 (in CI: lower the matrix size)" {
		t.Errorf("too many parts: %v", err)
	}
}
