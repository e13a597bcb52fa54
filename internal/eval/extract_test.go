package eval

import "testing"

func TestExtractMMLU(t *testing.T) {
	mmlu, _ := Lookup("mmlu")
	cases := []struct{ name, in, want string }{
		{"simulator", "Let us weigh each option against the question. Option B (32) fits best, and the other options do not.\nAnswer: B", "B"},
		{"last line", "Step 1 ...\nStep 2 ...\nAnswer: D", "D"},
		{"no space", "Answer:C", "C"},
		{"spaces before colon", "Answer : A", "A"},
		{"first match wins", "Answer: A\nOn reflection... Answer: B", "A"},
		{"lower-case label", "the answer: c is wrong, ANSWER: C", "c"},
		{"reasoning stripped", "<think>Answer: A looks tempting</think>\nAnswer: B", "B"},
		{"qwen lone close tag", "maybe Answer: A ...</think>\n\nAnswer: C", "C"},
		{"none", "I am not sure.", ""},
		{"out of range letter", "Answer: E", ""},
	}
	for _, c := range cases {
		if got := mmlu.Extract(c.in); got != c.want {
			t.Errorf("%s: Extract(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
	if mmlu.Grade("c", "C") {
		t.Error("a lower-case letter is graded wrong, as in SGLang-JAX")
	}
	if !mmlu.Grade("C", "C") || mmlu.Grade("", "C") {
		t.Error("grading")
	}
}

func TestExtractMMLUProTenLetters(t *testing.T) {
	pro, _ := Lookup("mmlu_pro")
	if got := pro.Extract("...\nAnswer: J"); got != "J" {
		t.Errorf("got %q, want J", got)
	}
}

func TestExtractDirectChoice(t *testing.T) {
	cases := []struct{ in, want string }{
		{" B", "B"},
		{"b\n", "B"},
		{"C. because", "C"},
		{"Because the answer is...\nAnswer: D", "D"}, // starts with a word: fall back
		{"Let us weigh each option.\nAnswer: A", "A"},
		{"", ""},
	}
	for _, c := range cases {
		if got := ExtractDirectChoice(c.in, 4, mmluRE); got != c.want {
			t.Errorf("ExtractDirectChoice(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestExtractGSM8K(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"sglang-jax format", "Maya had 40 and got 13.\nAnswer: 53", "53"},
		{"thousands and dollars", "Total cost.\nAnswer: $1,200", "1200"},
		{"decimal trailing dot", "Answer: 7.", "7"},
		{"negative", "Answer: -4 degrees", "-4"},
		{"last Answer: wins", "Answer: 3 is wrong.\nAnswer: 5", "5"},
		{"first number after it", "Answer: 12 apples and 3 pears", "12"},
		{"simulator", "Working through the quantities step by step gives the total. The answer is 53.\n#### 53", "53"},
		{"hashes only", "so 6 + 7 = 13\n#### 13", "13"},
		{"answer is only", "Therefore, the answer is 1,024.", "1024"},
		{"Answer: with no number falls back", "Answer: unknown\n#### 9", "9"},
		{"none", "I cannot solve this.", ""},
	}
	for _, c := range cases {
		if got := ExtractNumber(c.in); got != c.want {
			t.Errorf("%s: ExtractNumber(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
	for _, c := range []struct {
		a, b string
		same bool
	}{{"1200", "1,200", true}, {"53.0", "53", true}, {"53.50", "53.5", true}, {"53", "54", false}, {"5", "50", false}} {
		if got := SameNumber(c.a, c.b); got != c.same {
			t.Errorf("SameNumber(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

func TestExtractAIME(t *testing.T) {
	aime, _ := Lookup("aime25")
	cases := []struct{ in, want string }{
		{`so the result is \boxed{70}.`, "70"},
		{`first \boxed{1} then \boxed{\frac{1}{2}}`, `\frac{1}{2}`},
		{`\fbox{204}`, "204"},
		{`no box, but 17 and finally 42`, "42"},
		{`unbalanced \boxed{12`, "12"},
		{"", ""},
	}
	for _, c := range cases {
		if got := aime.Extract(c.in); got != c.want {
			t.Errorf("Extract(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if !aime.Grade("070", "70") || !aime.Grade("70.0", "70") || aime.Grade("71", "70") {
		t.Error("AIME normalisation")
	}
}

func TestExtractMath(t *testing.T) {
	m, _ := Lookup("math")
	if got := m.Extract("work\nAnswer: $\\frac{3}{4}$\n"); got != `$\frac{3}{4}$` {
		t.Errorf("got %q", got)
	}
	if got := m.Extract(`thus \boxed{x^2}`); got != "x^2" {
		t.Errorf("boxed fallback: got %q", got)
	}
	same := [][2]string{
		{`$\frac{3}{4}$`, "3/4"},
		{`\dfrac{3}{4}`, `\frac34`},
		{`90^\circ`, "90"},
		{"x = 5", "5"},
		{`\left( 1, 2 \right)`, "(1,2)"},
		{`10\%`, "10"},
		{"2.0", "2"},
		{`\text{east}`, "east"},
	}
	for _, p := range same {
		if !m.Grade(p[0], p[1]) {
			t.Errorf("%q should equal %q (%q vs %q)", p[0], p[1], NormalizeMath(p[0]), NormalizeMath(p[1]))
		}
	}
	if m.Grade("3/5", "3/4") || m.Grade("", "3") {
		t.Error("different answers compared equal")
	}
}

func TestStripReasoning(t *testing.T) {
	if got := StripReasoning("<think>a\nb</think> final"); got != "final" {
		t.Errorf("got %q", got)
	}
	if got := StripReasoning("plain"); got != "plain" {
		t.Errorf("got %q", got)
	}
}
