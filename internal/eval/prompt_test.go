package eval

import (
	"strings"
	"testing"
)

// Every prompt carries the question and asks for the format the task's
// extractor reads.
func TestPromptsAskForExtractableAnswers(t *testing.T) {
	cases := map[string]struct {
		ex   Example
		want []string
	}{
		"mmlu":   {Example{Question: "What is 2+2?\nPick one.", Choices: []string{"3", "4", "5", "22"}}, []string{"What is 2+2?\nPick one.", "'Answer: X'", "one of ABCD", "\n\nA) 3\nB) 4\nC) 5\nD) 22"}},
		"gsm8k":  {Example{Question: "Q?"}, []string{"\"Answer:\"", "\n\nQ?"}},
		"aime25": {Example{Question: "Q?"}, []string{"\\boxed{}", "Q?"}},
		"math":   {Example{Question: "Q?"}, []string{"Answer: X", "Q?"}},
	}
	for name, c := range cases {
		task, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		got := task.Prompt(c.ex)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s prompt %q lacks %q", name, got, w)
			}
		}
	}
}

func TestMMLUProPromptListsTenLetters(t *testing.T) {
	pro, _ := Lookup("mmlu_pro")
	p := pro.Prompt(Example{Question: "Q", Choices: strings.Split("a b c d e f g h i j", " ")})
	if !strings.Contains(p, "one of ABCDEFGHIJ.") || !strings.HasSuffix(p, "\nJ) j") {
		t.Errorf("prompt: %q", p)
	}
}

func TestFewShotPrompt(t *testing.T) {
	shot := Example{Question: "S?", Choices: []string{"1", "2", "3", "4"}, Answer: "C"}
	got := FewShotPrompt("college_physics", []Example{shot}, Example{Question: "Q?", Choices: []string{"w", "x", "y", "z"}})
	want := "Multiple choice questions on college physics, each followed by its answer.\n\n" +
		"S?\nA. 1\nB. 2\nC. 3\nD. 4\nAnswer: C\n\n" +
		"Q?\nA. w\nB. x\nC. y\nD. z\nAnswer:"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
