package eval

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// testdata/prompts.json holds the prompts SGLang-JAX's evals build
// (Python's str.format of their templates) for the examples below.
func TestPromptsMatchSGLangJAX(t *testing.T) {
	data, err := os.ReadFile("testdata/prompts.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]string
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	examples := map[string]Example{
		"mmlu":   {Question: "What is 2+2?\nPick one.", Choices: []string{"3", "4", "5", "22"}},
		"gsm8k":  {Question: "Q?"},
		"aime25": {Question: "Q?"},
		"math":   {Question: "Q?"},
	}
	for name, ex := range examples {
		task, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := task.Prompt(ex); got != want[name] {
			t.Errorf("%s prompt differs:\n got %q\nwant %q", name, got, want[name])
		}
	}
}

func TestMMLUProPromptListsTenLetters(t *testing.T) {
	pro, _ := Lookup("mmlu_pro")
	p := pro.Prompt(Example{Question: "Q", Choices: strings.Split("a b c d e f g h i j", " ")})
	if !strings.Contains(p, "LETTER is one of ABCDEFGHIJ.") || !strings.HasSuffix(p, "\nJ) j") {
		t.Errorf("prompt: %q", p)
	}
}

func TestFewShotPrompt(t *testing.T) {
	shot := Example{Question: "S?", Choices: []string{"1", "2", "3", "4"}, Answer: "C"}
	got := FewShotPrompt("college_physics", []Example{shot}, Example{Question: "Q?", Choices: []string{"w", "x", "y", "z"}})
	want := "The following are multiple choice questions (with answers) about college physics.\n\n" +
		"S?\nA. 1\nB. 2\nC. 3\nD. 4\nAnswer: C\n\n" +
		"Q?\nA. w\nB. x\nC. y\nD. z\nAnswer:"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
