// Package partition splits a suite's test files into CI matrix partitions
// with the same greedy longest-processing-time rule SGLang-JAX uses, so a
// suite keeps the file-to-job assignment it had there for the same inputs.
//
// Rule: order files by weight, largest first, earlier file first on equal
// weights; give each file in turn to the partition with the smallest running
// sum of weights, the lowest partition index on equal sums. Files run in that
// order inside their partition. Unlike the original, impossible requests
// (no parts, more parts than files, an id outside the matrix, a weight that is
// NaN, infinite or negative, a partition left empty by zero weights) are
// errors instead of an empty, passing run.
//
// Errors do not know the suite; callers prefix it, e.g.
// fmt.Errorf("suite %s: %w", name, err).
package partition

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Item is one test file to place. Weight is its expected duration in
// minutes; see Weights for choosing between estimates and measurements.
type Item struct {
	Name   string
	Weight float64
}

// Split places items into parts partitions and returns, per partition, the
// indices into items in execution order. Every index appears exactly once.
func Split(items []Item, parts int) ([][]int, error) {
	if err := check(items, parts); err != nil {
		return nil, err
	}
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	// Stable sort keeps equal weights in file order.
	sort.SliceStable(order, func(a, b int) bool {
		return items[order[a]].Weight > items[order[b]].Weight
	})
	out := make([][]int, parts)
	sums := make([]float64, parts)
	for _, idx := range order {
		least := 0
		for p := 1; p < parts; p++ {
			if sums[p] < sums[least] {
				least = p
			}
		}
		out[least] = append(out[least], idx)
		sums[least] += items[idx].Weight
	}
	// Only zero weights can leave a partition empty; SGLang-JAX would run
	// such a job with no files and report success.
	var empty []string
	for p, idx := range out {
		if len(idx) == 0 {
			empty = append(empty, strconv.Itoa(p))
		}
	}
	if len(empty) > 0 {
		return nil, fmt.Errorf("partition: part(s) %s of %d get no files because of zero weights: give the files minutes > 0 or lower the matrix size", strings.Join(empty, ", "), parts)
	}
	return out, nil
}

// Part returns the indices of the items partition id (counted from 0) of
// parts runs, in execution order.
func Part(items []Item, id, parts int) ([]int, error) {
	if err := check(items, parts); err != nil {
		return nil, err
	}
	if id < 0 || id >= parts {
		return nil, fmt.Errorf("partition: id %d outside 0..%d for %d parts: pick an id from 0 to %d", id, parts-1, parts, parts-1)
	}
	all, err := Split(items, parts)
	if err != nil {
		return nil, err
	}
	return all[id], nil
}

// Sums returns the total weight of each partition produced by Split.
func Sums(items []Item, split [][]int) []float64 {
	sums := make([]float64, len(split))
	for p, idx := range split {
		for _, i := range idx {
			sums[p] += items[i].Weight
		}
	}
	return sums
}

// TooManyParts is a split into more parts than there are files; the
// caller, who knows where the count came from, can say what to change.
type TooManyParts struct{ Parts, Items int }

func (e *TooManyParts) Error() string {
	return fmt.Sprintf("partition: %d parts for %d files: lower the matrix size to at most %d", e.Parts, e.Items, e.Items)
}

func check(items []Item, parts int) error {
	if parts <= 0 {
		return fmt.Errorf("partition: %d parts requested: use at least 1", parts)
	}
	if len(items) == 0 {
		return fmt.Errorf("partition: %d parts for an empty file list: add files to the suite or drop it from the matrix", parts)
	}
	if parts > len(items) {
		return &TooManyParts{Parts: parts, Items: len(items)}
	}
	for i, it := range items {
		if math.IsNaN(it.Weight) || math.IsInf(it.Weight, 0) || it.Weight < 0 {
			return fmt.Errorf("partition: file %d (%s) has weight %v: set its minutes to a finite number >= 0", i, it.Name, it.Weight)
		}
	}
	return nil
}

// Weights returns a copy of items whose Weight is the measured duration
// (minutes, recorded by earlier runs) where measured has an entry for the
// item's Name, and the item's own Weight (the estimate) otherwise. n counts
// the items that took a measured value. A measured value that is NaN,
// infinite or negative is an error rather than silently skipped, since it
// means the record is corrupt.
func Weights(items []Item, measured map[string]float64) (out []Item, n int, err error) {
	out = make([]Item, len(items))
	for i, it := range items {
		out[i] = it
		m, ok := measured[it.Name]
		if !ok {
			continue
		}
		if math.IsNaN(m) || math.IsInf(m, 0) || m < 0 {
			return nil, 0, fmt.Errorf("partition: measured duration %v for %s: fix or delete that record", m, it.Name)
		}
		out[i].Weight = m
		n++
	}
	return out, n, nil
}

// Spec is one job's share: partition ID (from 0) of Count. The zero
// Spec is the whole list. internal/settings parses TPUCI_PARTITION into it.
type Spec struct{ ID, Count int }

// Whole reports whether s is no partition at all.
func (s Spec) Whole() bool { return s.Count == 0 }

// String is the ID/COUNT form, empty for the whole list.
func (s Spec) String() string {
	if s.Whole() {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.ID, s.Count)
}

// Makespan is the largest partition sum of Split's rule for parts
// partitions (zero-weight items allowed), without checks.
func Makespan(items []Item, parts int) float64 {
	if parts < 1 {
		return math.Inf(1)
	}
	ws := make([]float64, len(items))
	for i, it := range items {
		ws[i] = it.Weight
	}
	sort.SliceStable(ws, func(a, b int) bool { return ws[a] > ws[b] })
	sums := make([]float64, parts)
	for _, w := range ws {
		least := 0
		for p := 1; p < parts; p++ {
			if sums[p] < sums[least] {
				least = p
			}
		}
		sums[least] += w
	}
	return slices.Max(sums)
}

// Fewest returns the fewest partitions, at most most and at most one per
// item, whose makespan fits budget minutes; a budget below the largest
// item is raised to it, since no split cuts a file. When even most
// partitions do not fit, it returns the count with the smallest makespan
// (the fewest on ties). It also returns that count's makespan.
func Fewest(items []Item, budget float64, most int) (int, float64) {
	if len(items) == 0 {
		return 0, 0
	}
	largest := 0.0
	for _, it := range items {
		largest = max(largest, it.Weight)
	}
	budget = max(budget, largest)
	most = max(1, min(most, len(items)))
	bestN, bestSpan := 1, math.Inf(1)
	for n := 1; n <= most; n++ {
		span := Makespan(items, n)
		// A tiny tolerance keeps sums of decimal minutes from missing an
		// exact fit through rounding.
		if span <= budget+1e-9 {
			return n, span
		}
		if span < bestSpan-1e-9 {
			bestN, bestSpan = n, span
		}
	}
	return bestN, bestSpan
}

// StageSlack is how far past its stage's largest file a job sized by a
// budget may run.
const StageSlack = 0.10

// StageBudget is the makespan a suite's jobs are sized to under a job
// budget. A stage (the jobs of one workflow target) lasts as long as its
// longest job and no job is shorter than its largest file, so jobs longer
// than the stage's largest file only delay the verdict: the budget is
// lowered to that file plus StageSlack. Fewest raises it to the suite's
// own largest file when that is longer.
func StageBudget(budget, stageLargest float64) float64 {
	return min(budget, stageLargest*(1+StageSlack))
}

// Explain words a split error for whoever set TPUCI_PARTITION, where the
// count came from: too many parts names the variable and the most it can
// be; other errors are prefixed with the variable.
func Explain(what string, spec Spec, err error) error {
	var many *TooManyParts
	if errors.As(err, &many) {
		return fmt.Errorf("TPUCI_PARTITION=%s asks for %d parts of %d %s: use a COUNT of at most %d (in CI: lower the matrix size)",
			spec, many.Parts, many.Items, what, many.Items)
	}
	return fmt.Errorf("TPUCI_PARTITION=%s: %w", spec, err)
}
