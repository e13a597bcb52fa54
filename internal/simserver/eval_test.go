package simserver

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// evalFixture writes nMMLU MMLU questions (in a subfolder, with header) and
// nGSM GSM8K questions; it returns the directory.
func evalFixture(t *testing.T, nMMLU, nGSM int) string {
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("Question,A,B,C,D,Answer\n")
	for i := 0; i < nMMLU; i++ {
		fmt.Fprintf(&csv, "\"Which option, of the %d listed here, is the right one?\",alpha %d,beta %d,gamma %d,delta %d,%c\n", i, i, i, i, i, 'A'+i%4)
	}
	writeFile(t, filepath.Join(dir, "mmlu", "test", "misc_test.csv"), csv.String())
	var jsonl strings.Builder
	for i := 0; i < nGSM; i++ {
		row, _ := json.Marshal(map[string]string{
			"question": fmt.Sprintf("Sam has %d apples and buys %d more. How many apples does Sam have now?", i, i+3),
			"answer":   fmt.Sprintf("Sam has %d + %d = <<%d+%d=%d>>%d apples.\n#### %d", i, i+3, i, i+3, 2*i+3, 2*i+3, 2*i+3),
		})
		jsonl.Write(row)
		jsonl.WriteByte('\n')
	}
	writeFile(t, filepath.Join(dir, "gsm8k", "test.jsonl"), jsonl.String())
	return dir
}

func TestLoadEvalSet(t *testing.T) {
	dir := evalFixture(t, 3, 2)
	// A headerless CSV in the original MMLU layout is accepted too.
	writeFile(t, filepath.Join(dir, "raw.csv"), "What is two plus two in base ten arithmetic?,3,4,5,6,B\n")
	s, err := loadEvalSet(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.items) != 6 {
		t.Fatalf("loaded %d items, want 6", len(s.items))
	}
	it, ok := s.match("Question: What is two plus two in base ten arithmetic?\nA. 3\nB. 4")
	if !ok || it.answer != "B" || it.choices[1] != "4" {
		t.Errorf("headerless row matched %+v, %v", it, ok)
	}
	it, ok = s.match("Q: Sam has 1 apples and buys 4 more. How many apples does Sam have now?\nA:")
	if !ok || it.kind != kindGSM8K || it.answer != "5" {
		t.Errorf("gsm8k match = %+v, %v", it, ok)
	}
	if _, ok := s.match("an unrelated prompt"); ok {
		t.Errorf("unrelated prompt matched")
	}
}

func TestLoadEvalSetErrorsNameFileAndLine(t *testing.T) {
	cases := map[string]struct{ file, content, want string }{
		"bad answer letter": {"a.csv", "Question,A,B,C,D,Answer\nq,1,2,3,4,E\n", "a.csv:2: field Answer"},
		"no header":         {"b.csv", "q,1,2\n", "b.csv:1: want a header row"},
		"gsm8k no number":   {"c.jsonl", `{"question":"q","answer":"no marker"}` + "\n", "c.jsonl:1: field answer"},
		"gsm8k bad json":    {"d.jsonl", "{\"question\":\"q\",\"answer\":\"#### 1\"}\n{oops\n", "d.jsonl:2: invalid JSON"},
		"gsm8k no question": {"e.jsonl", `{"answer":"#### 1"}` + "\n", "e.jsonl:1: field question"},
	}
	for name, tc := range cases {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, tc.file), tc.content)
		_, err := loadEvalSet(dir)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", name, err, tc.want)
		}
	}
	if _, err := loadEvalSet(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no *.csv or *.jsonl") {
		t.Errorf("empty dir: %v", err)
	}
	if _, err := New(Config{}); err == nil {
		t.Errorf("New with a zero Config succeeded")
	}
}

func TestMatchPicksTheLastQuestionOfAFewShotPrompt(t *testing.T) {
	s, err := loadEvalSet(evalFixture(t, 5, 0))
	if err != nil {
		t.Fatal(err)
	}
	q := func(i int) string { return fmt.Sprintf("Which option, of the %d listed here, is the right one?", i) }
	prompt := q(1) + "\nA. alpha 1\nAnswer: B\n\n" + q(3) + "\nA. alpha 3\nB. beta 3\nC. gamma 3\nD. delta 3\nAnswer:"
	it, ok := s.match(prompt)
	if !ok || it.question != q(3) {
		t.Fatalf("matched %q, want the last question %q", it.question, q(3))
	}
}

func TestMatchDisambiguatesDuplicateQuestionsByChoices(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "x.csv"), "Question,A,B,C,D,Answer\n"+
		"Which of the following statements is true?,red apple,green pear,blue plum,pink fig,A\n"+
		"Which of the following statements is true?,sun is cold,ice is hot,water is wet,fire is dry,C\n")
	s, err := loadEvalSet(dir)
	if err != nil {
		t.Fatal(err)
	}
	it, ok := s.match("Which of the following statements is true?\nA. sun is cold\nB. ice is hot\nC. water is wet\nD. fire is dry\nAnswer:")
	if !ok || it.answer != "C" {
		t.Errorf("matched %+v, want the row whose choices follow (answer C)", it)
	}
}

var (
	mmluAnswer  = regexp.MustCompile(`(?m)^Answer: ([A-D])$`)
	gsm8kAnswer = regexp.MustCompile(`The answer is (-?[0-9.]+)\.\n#### (-?[0-9.]+)$`)
)

func TestReplyFormats(t *testing.T) {
	mmlu := &evalItem{kind: kindMMLU, question: "q?", choices: []string{"w", "x", "y", "z"}, answer: "C"}
	if m := mmluAnswer.FindStringSubmatch(mmlu.reply(1, 1, 0)); m == nil || m[1] != "C" {
		t.Errorf("correct MMLU reply %q", mmlu.reply(1, 1, 0))
	}
	if m := mmluAnswer.FindStringSubmatch(mmlu.reply(1, 0, 0)); m == nil || m[1] == "C" {
		t.Errorf("wrong MMLU reply %q should name another letter", mmlu.reply(1, 0, 0))
	}
	gsm := &evalItem{kind: kindGSM8K, question: "q?", answer: "42"}
	if m := gsm8kAnswer.FindStringSubmatch(gsm.reply(1, 1, 0)); m == nil || m[1] != "42" || m[2] != "42" {
		t.Errorf("correct GSM8K reply %q", gsm.reply(1, 1, 0))
	}
	if m := gsm8kAnswer.FindStringSubmatch(gsm.reply(1, 0, 0)); m == nil || m[1] == "42" || m[1] != m[2] {
		t.Errorf("wrong GSM8K reply %q should give one other number", gsm.reply(1, 0, 0))
	}
}

// TestAccuracyOverHTTP asks every question through the chat API at several
// accuracies: the correct sets must grow monotonically.
func TestAccuracyOverHTTP(t *testing.T) {
	const nMMLU, nGSM = 40, 20
	dir := evalFixture(t, nMMLU, nGSM)
	accuracies := []float64{0, 0.3, 0.7, 1}
	var sets [][]bool
	for _, acc := range accuracies {
		ts := startServer(t, func(c *Config) { c.EvalDataDir, c.Accuracy = dir, acc })
		correct := make([]bool, nMMLU+nGSM)
		var wg sync.WaitGroup
		for i := range correct {
			wg.Add(1)
			go func() {
				defer wg.Done()
				correct[i] = askQuestion(t, ts.url, i, nMMLU)
			}()
		}
		wg.Wait()
		sets = append(sets, correct)
	}
	counts := make([]int, len(sets))
	for k, set := range sets {
		for i, ok := range set {
			if ok {
				counts[k]++
			}
			if k > 0 && sets[k-1][i] && !ok {
				t.Errorf("question %d correct at accuracy %v but wrong at %v", i, accuracies[k-1], accuracies[k])
			}
		}
	}
	total := nMMLU + nGSM
	if counts[0] != 0 || counts[len(counts)-1] != total {
		t.Errorf("correct counts %v: want 0 at accuracy 0 and %d at accuracy 1", counts, total)
	}
	t.Logf("correct answers per accuracy %v: %v of %d", accuracies, counts, total)
	if counts[1] < 8 || counts[1] > 30 || counts[2] < 30 || counts[2] > 54 {
		t.Errorf("correct counts %v at accuracies %v are far from proportional", counts, accuracies)
	}
}

// askQuestion asks question i over chat and reports whether the answer is right.
func askQuestion(t *testing.T, url string, i, nMMLU int) bool {
	var prompt, want string
	var re *regexp.Regexp
	if i < nMMLU {
		prompt = fmt.Sprintf("Answer the question.\nWhich option, of the %d listed here, is the right one?\nA) alpha %d\nB) beta %d\nC) gamma %d\nD) delta %d", i, i, i, i, i)
		want, re = string(rune('A'+i%4)), mmluAnswer
	} else {
		k := i - nMMLU
		prompt = fmt.Sprintf("Sam has %d apples and buys %d more. How many apples does Sam have now?", k, k+3)
		want, re = fmt.Sprint(2*k+3), gsm8kAnswer
	}
	msgs, _ := json.Marshal([]map[string]string{{"role": "user", "content": prompt}})
	code, body := post(t, url+"/v1/chat/completions", `{"model":"m","max_tokens":512,"temperature":0,"messages":`+string(msgs)+`}`)
	if code != 200 {
		t.Errorf("chat = %d %s", code, body)
		return false
	}
	var resp struct {
		Choices []struct {
			Message struct{ Content string } `json:"message"`
		} `json:"choices"`
	}
	json.Unmarshal(body, &resp)
	text := resp.Choices[0].Message.Content
	m := re.FindStringSubmatch(text)
	if m == nil {
		t.Errorf("question %d: unparsable answer %q", i, text)
		return false
	}
	return m[1] == want
}

func TestEvalAnswerOverGenerateAndCompletions(t *testing.T) {
	dir := evalFixture(t, 4, 0)
	ts := startServer(t, func(c *Config) { c.EvalDataDir = dir })
	prompt := "Which option, of the 2 listed here, is the right one?\\nA. alpha 2\\nB. beta 2\\nC. gamma 2\\nD. delta 2\\nAnswer:"
	_, body := post(t, ts.url+"/generate", `{"text":"`+prompt+`","sampling_params":{"max_new_tokens":256,"temperature":0}}`)
	out := mustJSON(t, string(body))
	if m := mmluAnswer.FindStringSubmatch(out["text"].(string)); m == nil || m[1] != "C" {
		t.Errorf("/generate answer %q, want Answer: C", out["text"])
	}
	if fr := obj(t, obj(t, out, "meta_info"), "finish_reason"); fr["type"] != "stop" {
		t.Errorf("eval answer finish_reason = %v, want stop", fr)
	}
	_, body = post(t, ts.url+"/v1/completions", `{"model":"m","prompt":"`+prompt+`","max_tokens":256,"stream":true}`)
	var text strings.Builder
	for _, ev := range sseEvents(t, body) {
		if ev == "[DONE]" {
			continue
		}
		text.WriteString(mustJSON(t, ev)["choices"].([]any)[0].(map[string]any)["text"].(string))
	}
	if m := mmluAnswer.FindStringSubmatch(text.String()); m == nil || m[1] != "C" {
		t.Errorf("streamed completion answer %q, want Answer: C", text.String())
	}
}

func TestMessageTextCountsAndChecksImages(t *testing.T) {
	text, n, err := messageText([]byte(`[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]`))
	if err != nil || text != "look" || n != 2 {
		t.Fatalf("%q %d %v", text, n, err)
	}
	for _, bad := range []string{
		`[{"type":"image_url","image_url":{"url":"data:image/png;base64,@@@"}}]`,
		`[{"type":"image_url","image_url":{"url":"data:text/plain;base64,aGk="}}]`,
		`[{"type":"image_url"}]`,
		`[{"type":"video","text":"x"}]`,
	} {
		if _, _, err := messageText([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
