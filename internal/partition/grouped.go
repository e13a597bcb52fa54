package partition

import (
	"fmt"
	"sort"
)

// PartGrouped is Part for items that need different machines: groups[i]
// is item i's group (its chip count). When there are at least as many
// parts as groups, every part holds one group only, so each job can run
// on the smallest machine its group fits; groups are placed heaviest
// first and extra parts go to the groups with the most weight per part. With fewer parts than groups it is Part.
func PartGrouped(items []Item, groups []int, id, parts int) ([]int, error) {
	if len(groups) != len(items) {
		return nil, fmt.Errorf("partition: %d groups for %d items", len(groups), len(items))
	}
	var order []int // groups in order of first appearance
	members := map[int][]int{}
	for i, g := range groups {
		if _, ok := members[g]; !ok {
			order = append(order, g)
		}
		members[g] = append(members[g], i)
	}
	if parts < len(order) || len(order) <= 1 {
		return Part(items, id, parts)
	}
	if err := check(items, parts); err != nil {
		return nil, err
	}
	if id < 0 || id >= parts {
		return nil, fmt.Errorf("partition: id %d outside 0..%d for %d parts: pick an id from 0 to %d", id, parts-1, parts, parts-1)
	}
	count := map[int]int{}
	total := map[int]float64{}
	for _, g := range order {
		count[g] = 1
		for _, i := range members[g] {
			total[g] += items[i].Weight
		}
	}
	// Heaviest group first, as LPT places the heaviest item first.
	sort.SliceStable(order, func(a, b int) bool { return total[order[a]] > total[order[b]] })
	for extra := parts - len(order); extra > 0; extra-- {
		best := -1
		for _, g := range order {
			if count[g] >= len(members[g]) {
				continue
			}
			if best < 0 || total[g]/float64(count[g]) > total[best]/float64(count[best]) {
				best = g
			}
		}
		if best < 0 {
			return nil, fmt.Errorf("partition: %d parts for %d items: each part needs an item; use at most %d", parts, len(items), len(items))
		}
		count[best]++
	}
	for _, g := range order {
		if id >= count[g] {
			id -= count[g]
			continue
		}
		sub := make([]Item, len(members[g]))
		for k, i := range members[g] {
			sub[k] = items[i]
		}
		idx, err := Part(sub, id, count[g])
		if err != nil {
			return nil, err
		}
		out := make([]int, len(idx))
		for k, j := range idx {
			out[k] = members[g][j]
		}
		return out, nil
	}
	return nil, fmt.Errorf("partition: id %d not placed", id)
}
