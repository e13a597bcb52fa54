package eval

import (
	"fmt"
	"strings"
)

// Prompt texts. They are the model's input, so they are kept byte for byte
// as SGLang-JAX's evals send them (they come from OpenAI's simple-evals,
// MIT licence): a different wording would shift scores and make the
// recorded baselines meaningless.
const (
	multichoiceHead = "Answer the following multiple choice question. The last line of your response should be of the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of %s. Think step by step before answering."

	gsm8kPrompt = "Solve this math problem. Give the reasoning steps before giving the final answer on the last line by itself in the format of \"Answer:\". Do not add anything other than the integer answer after \"Answer:\".\n\n"

	mathPrompt = "Solve the following math problem step by step. The last line of your response should be of the form Answer: $ANSWER (without quotes) where $ANSWER is the answer to the problem.\n\n%s\n\nRemember to put your answer on its own line after \"Answer:\", and you do not need to use a \\boxed command."

	aimePrompt = "Solve the following math problem step by step. Put your answer inside \\boxed{}.\n%s\nRemember to put your answer inside \\boxed{}."
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
	fmt.Fprintf(&b, "The following are multiple choice questions (with answers) about %s.\n\n", strings.ReplaceAll(subject, "_", " "))
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
