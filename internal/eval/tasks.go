package eval

import (
	"fmt"
	"strings"
)

// Prompt texts, in tpuci's own words. They ask for the answer formats the
// extractors read ("Answer: X" on the last line, \boxed{} for AIME). Scores
// depend on the wording, so baselines must be measured with these prompts
// (accuracy:baseline records them from a run).
const (
	multichoiceHead = "Choose the correct option for the question below. Reason briefly first, then end with a line of the form 'Answer: X', where X is one of %s."

	gsm8kPrompt = "Work out this word problem. Show your reasoning, then write the final integer alone on the last line, after \"Answer:\".\n\n"

	mathPrompt = "Work out the problem below, showing your steps. End with a line of the form Answer: X, where X is the final answer (no \\boxed needed).\n\n%s"

	aimePrompt = "Work out the problem below, showing your steps, and give the final answer inside \\boxed{}.\n%s"
)

// MultichoicePrompt is the zero-shot question with lettered options.
func MultichoicePrompt(question string, choices []string) string {
	letters := ""
	for i := range choices {
		letters += string(rune('A' + i))
	}
	var b strings.Builder
	fmt.Fprintf(&b, multichoiceHead, letters)
	b.WriteString("\n\n")
	b.WriteString(question)
	b.WriteString("\n")
	for i, c := range choices {
		fmt.Fprintf(&b, "\n%c) %s", 'A'+i, c)
	}
	return b.String()
}

// FewShotPrompt is SGLang-JAX's sglang_mmlu prompt: shots of the same
// subject with their answers, then the question ending in "Answer:".
func FewShotPrompt(subject string, shots []Example, ex Example) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Multiple choice questions on %s, each followed by its answer.\n\n", strings.ReplaceAll(subject, "_", " "))
	block := func(e Example) {
		b.WriteString(e.Question)
		b.WriteString("\n")
		for i, c := range e.Choices {
			fmt.Fprintf(&b, "%c. %s\n", 'A'+i, c)
		}
	}
	for _, s := range shots {
		block(s)
		fmt.Fprintf(&b, "Answer: %s\n\n", s.Answer)
	}
	block(ex)
	b.WriteString("Answer:")
	return b.String()
}

func init() {
	mmluProRE := multichoiceRE(10)
	register(&Task{
		Name: "mmlu", Title: "MMLU",
		Files:    []Source{{Path: "mmlu.csv", URL: "https://openaipublic.blob.core.windows.net/simple-evals/mmlu.csv"}},
		Layout:   "CSV with header [index,]Question,A,B,C,D,Answer,Subject (OpenAI simple-evals mmlu.csv)",
		load:     loadMMLU,
		prompt:   func(ex Example) string { return MultichoicePrompt(ex.Question, ex.Choices) },
		extract:  func(r string) string { return ExtractChoice(r, mmluRE) },
		grade:    func(x, a string) bool { return x == a },
		category: func(ex Example) string { return MMLUCategory(ex.Subject) },
	})
	register(&Task{
		Name: "mmlu_pro", Title: "MMLU-Pro",
		Files:    []Source{{Path: "test.jsonl", Get: "export TIGER-Lab/MMLU-Pro's test split as JSON lines: python3 -c \"import datasets; datasets.load_dataset('TIGER-Lab/MMLU-Pro', split='test').to_json('test.jsonl')\""}},
		Layout:   "JSON lines {question, options: [2..10 strings], answer: letter (or answer_index), category} (TIGER-Lab/MMLU-Pro test split)",
		load:     loadMMLUPro,
		prompt:   func(ex Example) string { return MultichoicePrompt(ex.Question, ex.Choices) },
		extract:  func(r string) string { return ExtractChoice(r, mmluProRE) },
		grade:    func(x, a string) bool { return x == a },
		category: func(ex Example) string { return ex.Subject },
	})
	register(&Task{
		Name: "gsm8k", Title: "GSM8K",
		Files:   []Source{{Path: "test.jsonl", URL: "https://raw.githubusercontent.com/openai/grade-school-math/master/grade_school_math/data/test.jsonl"}},
		Layout:  "JSON lines {question, answer ending in \"#### <number>\"} (openai/grade-school-math test.jsonl)",
		load:    loadGSM8K,
		prompt:  func(ex Example) string { return gsm8kPrompt + ex.Question },
		extract: ExtractNumber,
		grade:   SameNumber,
	})
	aime := func(name, title string, files []Source) {
		register(&Task{
			Name: name, Title: title, Files: files,
			Layout:  "JSON lines {question (or problem), answer: integer 0..999}",
			load:    loadAIME,
			prompt:  func(ex Example) string { return fmt.Sprintf(aimePrompt, ex.Question) },
			extract: ExtractAIME,
			grade:   func(x, a string) bool { return NormalizeAIME(x) == NormalizeAIME(a) },
		})
	}
	aime("aime24", "AIME 2024", []Source{{Path: "aime2024.jsonl", Get: "export the 30 AIME 2024 problems as JSON lines: python3 -c \"import datasets; datasets.load_dataset('HuggingFaceH4/aime_2024', split='train').to_json('aime2024.jsonl')\""}})
	aime("aime25", "AIME 2025", []Source{
		{Path: "aime2025-I.jsonl", URL: "https://modelscope.cn/datasets/opencompass/AIME2025/resolve/master/aime2025-I.jsonl"},
		{Path: "aime2025-II.jsonl", URL: "https://modelscope.cn/datasets/opencompass/AIME2025/resolve/master/aime2025-II.jsonl"},
	})
	register(&Task{
		Name: "math", Title: "MATH",
		Files:   []Source{{Path: "math_test.csv", URL: "https://openaipublic.blob.core.windows.net/simple-evals/math_test.csv"}},
		Layout:  "CSV with header [index,]Question,Answer (OpenAI simple-evals math_test.csv)",
		load:    loadMATH,
		prompt:  func(ex Example) string { return fmt.Sprintf(mathPrompt, ex.Question) },
		extract: ExtractMath,
		grade:   func(x, a string) bool { return NormalizeMath(x) == NormalizeMath(a) },
	})
}
