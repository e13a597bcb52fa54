// Package eval runs accuracy evaluations against an OpenAI-compatible
// server the way SGLang-JAX's test/srt/run_eval.py does: it loads a public
// dataset (MMLU, GSM8K, MMLU-Pro, AIME, MATH, MMMU) from a local directory or a
// checksummed cache, samples questions with a seed (the same questions as
// Python's random.Random(seed).sample), asks each one through
// /v1/chat/completions at temperature 0 with bounded concurrency, extracts
// the answer as SGLang-JAX's evals do and reports the score with its
// standard error.
package eval

import (
	"fmt"
	"slices"
	"strings"
)

// Example is one dataset question.
type Example struct {
	Index    int      `json:"index"`             // position in the dataset file(s)
	Source   string   `json:"source"`            // file:line
	Question string   `json:"question"`          // problem text
	Choices  []string `json:"choices,omitempty"` // multiple choice options, A first
	Answer   string   `json:"answer"`            // letter, number or expression
	Subject  string   `json:"subject,omitempty"` // MMLU subject, MMLU-Pro category
	Images   []string `json:"-"`                 // base64 PNG images the question shows (MMMU)
}

// Dataset is a loaded dataset.
type Dataset struct {
	Name     string
	Files    []string // absolute paths read
	Examples []Example
}

// Task describes how one dataset is stored, asked and graded.
type Task struct {
	Name    string
	Title   string
	Files   []Source // files under <root>/<Name>/, read in order
	Layout  string   // one line: the expected file format
	load    func(path string, into *[]Example) error
	prompt  func(ex Example) string
	extract func(response string) string
	grade   func(extracted, answer string) bool
	// category groups per-question scores (MMLU: stem, humanities, ...).
	category func(ex Example) string
}

// Tasks lists the datasets by name.
var Tasks = map[string]*Task{}

func register(t *Task) { Tasks[t.Name] = t }

// Names returns the dataset names, sorted.
func Names() []string {
	var out []string
	for n := range Tasks {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Lookup returns the task of a dataset name.
func Lookup(name string) (*Task, error) {
	t, ok := Tasks[name]
	if !ok {
		return nil, fmt.Errorf("eval: unknown dataset %q (one of %s)", name, strings.Join(Names(), ", "))
	}
	return t, nil
}

// Extract returns the answer a response gives, as the dataset's grader sees it.
func (t *Task) Extract(response string) string { return t.extract(response) }

// Grade reports whether an extracted answer matches the reference.
func (t *Task) Grade(extracted, answer string) bool {
	return extracted != "" && t.grade(extracted, answer)
}

// Prompt builds the zero-shot user message for an example.
func (t *Task) Prompt(ex Example) string { return t.prompt(ex) }
