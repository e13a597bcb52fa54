package partition

import "fmt"

// Cases says how a case target's list is split into the jobs of its
// matrix: every case target (perf, accuracy, pallas, nightly) splits with
// it, so that a case lands in the same job whichever target it belongs to
// and the other jobs' cases are reported the same way.
type Cases[C any] struct {
	Unit   string          // what the items are, for errors: "cases", "kernels", "models"
	Weight func(C) float64 // minutes; a weight <= 0 counts as 1
	// Chips, when set, keeps each chip count in parts of its own, so that
	// a job needs only the chips of its cases.
	Chips func(C) int
	// Key, when set, keeps the cases of one key (a model's, which share a
	// server start) in one part, weighed by their sum.
	Key func(C) string
}

// Split returns the cases of spec's part, in list order, and the others.
// The whole list is one part; too many parts names TPUCI_PARTITION.
func (s Cases[C]) Split(spec Spec, cases []C) (mine, others []C, err error) {
	if spec.Whole() || len(cases) == 0 {
		return cases, nil, nil
	}
	keys, members := s.units(cases)
	items := make([]Item, len(keys))
	groups := make([]int, len(keys))
	for i, k := range keys {
		items[i].Name = k
		for _, c := range members[k] {
			items[i].Weight += s.weight(cases[c])
		}
		if s.Chips != nil {
			groups[i] = s.Chips(cases[members[k][0]])
		}
	}
	var idx []int
	if s.Chips != nil {
		idx, err = PartGrouped(items, groups, spec.ID, spec.Count)
	} else {
		idx, err = Part(items, spec.ID, spec.Count)
	}
	if err != nil {
		return nil, nil, Explain(s.Unit, spec, err)
	}
	in := map[string]bool{}
	for _, i := range idx {
		in[keys[i]] = true
	}
	for i, c := range cases {
		if in[s.key(c, i)] {
			mine = append(mine, c)
		} else {
			others = append(others, c)
		}
	}
	return mine, others, nil
}

// OtherPartition is why a case of another part does not run in spec's
// job: the one reason every case target reports.
func OtherPartition(spec Spec) string {
	return fmt.Sprintf("in another partition than %s (TPUCI_PARTITION)", spec)
}

// units are the keys in first-seen order and the cases of each.
func (s Cases[C]) units(cases []C) ([]string, map[string][]int) {
	var keys []string
	members := map[string][]int{}
	for i, c := range cases {
		k := s.key(c, i)
		if _, ok := members[k]; !ok {
			keys = append(keys, k)
		}
		members[k] = append(members[k], i)
	}
	return keys, members
}

// key is a case's unit: its Key, or its position.
func (s Cases[C]) key(c C, i int) string {
	if s.Key != nil {
		return "k:" + s.Key(c)
	}
	return fmt.Sprintf("#%d", i)
}

func (s Cases[C]) weight(c C) float64 {
	if w := s.Weight(c); w > 0 {
		return w
	}
	return 1
}
