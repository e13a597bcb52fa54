package eval

import (
	"fmt"
	"slices"
)

// Question is a sampled example with the prompt that asks it.
type Question struct {
	Example
	Prompt  string `json:"-"`
	FewShot bool   `json:"-"` // answer is expected as the first character
}

// Sample returns the indices of n of total items chosen with seed, in the
// order Python's random.Random(seed).sample(range(total), n) returns them.
// n <= 0 or n >= total selects every item in order.
func Sample(total, n int, seed int64) []int {
	if n <= 0 || n >= total {
		out := make([]int, total)
		for i := range out {
			out[i] = i
		}
		return out
	}
	return newPyRandom(seed).sample(total, n)
}

// Select picks the questions of a run: n of the dataset (0: all) sampled
// with seed. With shots > 0 (MMLU and MMLU-Pro only) the first shots
// questions of each subject become the worked examples of that subject's
// prompts and are not asked, as SGLang-JAX's few-shot MMLU does.
func Select(t *Task, ds *Dataset, n int, seed int64, shots int) ([]Question, error) {
	if shots < 0 {
		return nil, fmt.Errorf("eval: %s: shots must be 0 or more, not %d", ds.Name, shots)
	}
	pool := ds.Examples
	var shotsOf map[string][]Example
	if shots > 0 {
		if t.Name != "mmlu" && t.Name != "mmlu_pro" {
			return nil, fmt.Errorf("eval: %s: few-shot prompts are defined for mmlu and mmlu_pro only; set shots = 0", ds.Name)
		}
		pool, shotsOf = splitShots(ds.Examples, shots)
	}
	if len(pool) == 0 {
		return nil, fmt.Errorf("eval: %s: no questions to ask", ds.Name)
	}
	if n > 0 && len(pool) < n {
		return nil, fmt.Errorf("eval: dataset %s gives %d questions, fewer than the case's samples = %d: restore the full dataset (or lower samples and record a new baseline)", ds.Name, len(pool), n)
	}
	idx := Sample(len(pool), n, seed)
	out := make([]Question, len(idx))
	for i, j := range idx {
		ex := pool[j]
		q := Question{Example: ex}
		if shots > 0 {
			q.Prompt, q.FewShot = FewShotPrompt(ex.Subject, shotsOf[ex.Subject], ex), true
		} else {
			q.Prompt = t.Prompt(ex)
		}
		out[i] = q
	}
	return out, nil
}

// splitShots groups examples by subject in first-seen order; subjects with
// at least k questions give their first k as shots, the rest are asked.
func splitShots(exs []Example, k int) (asked []Example, shots map[string][]Example) {
	var order []string
	by := map[string][]Example{}
	for _, ex := range exs {
		if _, ok := by[ex.Subject]; !ok {
			order = append(order, ex.Subject)
		}
		by[ex.Subject] = append(by[ex.Subject], ex)
	}
	shots = map[string][]Example{}
	for _, s := range order {
		list := by[s]
		if len(list) >= k {
			shots[s] = slices.Clone(list[:k])
			list = list[k:]
		}
		asked = append(asked, list...)
	}
	return asked, shots
}
