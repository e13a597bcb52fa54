package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// oracle answers MMLU prompts: correctly for questions in right, wrongly
// otherwise, in SGLang-JAX's "Answer: X" format.
type oracle struct {
	answers map[string]string // question -> letter
	right   map[string]bool
}

func (o *oracle) reply(prompt string) string {
	for q, a := range o.answers {
		if strings.Contains(prompt, q) {
			if !o.right[q] {
				a = string(rune('A' + (a[0]-'A'+1)%4))
			}
			return "Reasoning...\nAnswer: " + a
		}
	}
	return "no idea"
}

func chatHandler(t *testing.T, answer func(req chatRequest) (int, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/models":
			fmt.Fprint(w, `{"object":"list","data":[{"id":"served/model","object":"model"}]}`)
			return
		case "/v1/chat/completions":
		default:
			http.NotFound(w, r)
			return
		}
		var req chatRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Errorf("bad request body: %v", err)
		}
		code, text := answer(req)
		if code != http.StatusOK {
			http.Error(w, text, code)
			return
		}
		b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": text}}}})
		w.Write(b)
	}
}

func mmluQuestions(t *testing.T, n int) (*Task, []Question, *oracle) {
	t.Helper()
	task, _ := Lookup("mmlu")
	ds := &Dataset{Name: "mmlu"}
	o := &oracle{answers: map[string]string{}, right: map[string]bool{}}
	for i := 0; i < n; i++ {
		q := fmt.Sprintf("Question number %d: which option?", i)
		ans := string(rune('A' + i%4))
		ds.Examples = append(ds.Examples, Example{Index: i, Source: fmt.Sprintf("f:%d", i+2), Question: q, Choices: []string{"w", "x", "y", "z"}, Answer: ans, Subject: []string{"anatomy", "astronomy"}[i%2]})
		o.answers[q] = ans
		o.right[q] = i%5 != 0 // 80% right
	}
	qs, err := Select(task, ds, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return task, qs, o
}

func TestRunScoresAndSendsSGLangJAXRequest(t *testing.T) {
	task, qs, o := mmluQuestions(t, 50)
	var seen atomic.Int32
	srv := httptest.NewServer(chatHandler(t, func(req chatRequest) (int, string) {
		seen.Add(1)
		if req.Model != "served/model" || req.Temperature != 0 || req.MaxTokens != 2048 || len(req.Messages) != 1 || req.Messages[0].Role != "user" {
			t.Errorf("request: %+v", req)
		}
		return 200, o.reply(req.Messages[0].Content.(string))
	}))
	defer srv.Close()
	res, err := Run(context.Background(), task, qs, Options{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if res.Model != "served/model" || res.Asked != 50 || res.Answered != 50 || res.Correct != 40 || res.Score != 0.8 || res.Partial {
		t.Errorf("result: %+v", res)
	}
	if math.Abs(res.Std-0.4) > 1e-12 || math.Abs(res.Stderr-math.Sqrt(0.16*50/49/50)) > 1e-12 {
		t.Errorf("std %v stderr %v", res.Std, res.Stderr)
	}
	if _, ok := res.Metrics["stem"]; !ok {
		t.Errorf("metrics: %v", res.Metrics)
	}
	if len(res.Outcomes) != 50 || res.Outcomes[0].Index != 0 || res.Outcomes[0].Correct || !res.Outcomes[1].Correct || res.Outcomes[1].Extracted != "B" {
		t.Errorf("outcomes: %+v", res.Outcomes[:2])
	}
}

func TestRunBoundsConcurrency(t *testing.T) {
	const bound = 3
	task, qs, o := mmluQuestions(t, 12)
	var inflight, peak atomic.Int32
	srv := httptest.NewServer(chatHandler(t, func(req chatRequest) (int, string) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		// The first batch waits until bound requests are in flight at
		// once: a client sending fewer would stall here until the deadline.
		deadline := time.Now().Add(5 * time.Second)
		for peak.Load() < bound && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		return 200, o.reply(req.Messages[0].Content.(string))
	}))
	defer srv.Close()
	res, err := Run(context.Background(), task, qs, Options{BaseURL: srv.URL, Model: "m", Concurrency: bound})
	if err != nil {
		t.Fatal(err)
	}
	if peak.Load() != bound {
		t.Errorf("peak in-flight requests %d, want exactly %d", peak.Load(), bound)
	}
	if res.Answered != 12 {
		t.Errorf("answered %d", res.Answered)
	}
}

// The server drops the connection of the first two attempts of each
// prompt and answers one prompt with HTTP 500.
func TestRunRetriesTransportErrorsOnly(t *testing.T) {
	task, qs, o := mmluQuestions(t, 8)
	var mu sync.Mutex
	attempts := map[string]int{}
	var http500 atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req chatRequest
		json.NewDecoder(r.Body).Decode(&req)
		p := req.Messages[0].Content.(string)
		mu.Lock()
		attempts[p]++
		n := attempts[p]
		mu.Unlock()
		if strings.Contains(p, "Question number 3:") {
			http500.Add(1)
			http.Error(w, "boom", 500)
			return
		}
		if n <= 2 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"message": map[string]any{"content": o.reply(p)}}}})
		w.Write(b)
	}))
	defer srv.Close()
	res, err := Run(context.Background(), task, qs, Options{BaseURL: srv.URL, Model: "m", Backoff: time.Millisecond, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if http500.Load() != 1 {
		t.Errorf("HTTP 500 was retried: %d attempts", http500.Load())
	}
	for _, oc := range res.Outcomes {
		if oc.Index == 3 {
			if oc.Error == "" || !strings.Contains(oc.Error, "HTTP 500") || oc.Correct || oc.Attempts != 1 {
				t.Errorf("HTTP 500 outcome: %+v", oc)
			}
			continue
		}
		if oc.Attempts != 3 || oc.Error != "" {
			t.Errorf("outcome %d: %d attempts, error %q; want 3 attempts and an answer", oc.Index, oc.Attempts, oc.Error)
		}
	}
	if res.Errors != 1 || res.Answered != 8 {
		t.Errorf("errors %d answered %d", res.Errors, res.Answered)
	}
}

func TestRunStopsWhenServerIsGone(t *testing.T) {
	task, qs, _ := mmluQuestions(t, 5)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	res, err := Run(context.Background(), task, qs, Options{BaseURL: "http://" + addr, Model: "m", Retries: 2, Backoff: time.Millisecond})
	if !errors.Is(err, ErrUnreachable) || !res.Partial || res.Answered != 0 {
		t.Fatalf("err %v, result %+v", err, res)
	}
	if !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("error %q does not count attempts", err)
	}
}

func TestRunInterruptedKeepsPartialResult(t *testing.T) {
	task, qs, o := mmluQuestions(t, 40)
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int32
	srv := httptest.NewServer(chatHandler(t, func(req chatRequest) (int, string) {
		if n.Add(1) == 10 {
			cancel()
		}
		return 200, o.reply(req.Messages[0].Content.(string))
	}))
	defer srv.Close()
	res, err := Run(ctx, task, qs, Options{BaseURL: srv.URL, Model: "m", Concurrency: 2})
	if err == nil || !res.Partial || res.Answered == 0 || res.Answered >= 40 {
		t.Fatalf("err %v partial %v answered %d", err, res.Partial, res.Answered)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not say it was cancelled", err)
	}
}

func TestStats(t *testing.T) {
	m, s, se := Stats([]float64{1, 1, 0, 0})
	if m != 0.5 || s != 0.5 || math.Abs(se-math.Sqrt(1.0/3)/2) > 1e-12 {
		t.Errorf("got %v %v %v", m, s, se)
	}
	if m, s, se := Stats(nil); m != 0 || s != 0 || se != 0 {
		t.Error("empty")
	}
	if _, _, se := Stats([]float64{1}); se != 0 {
		t.Error("single value has no spread")
	}
}

func TestSelectIsReproducibleAndSeeded(t *testing.T) {
	task, _ := Lookup("mmlu")
	ds := &Dataset{Name: "mmlu"}
	for i := 0; i < 300; i++ {
		ds.Examples = append(ds.Examples, Example{Index: i, Question: fmt.Sprint("q", i), Choices: []string{"a", "b", "c", "d"}, Answer: "A", Subject: fmt.Sprint("s", i%7)})
	}
	a, _ := Select(task, ds, 50, 0, 0)
	b, _ := Select(task, ds, 50, 0, 0)
	c, _ := Select(task, ds, 50, 1, 0)
	same := func(x, y []Question) bool {
		for i := range x {
			if x[i].Index != y[i].Index {
				return false
			}
		}
		return true
	}
	if len(a) != 50 || !same(a, b) || same(a, c) {
		t.Error("selection is not a pure function of the seed")
	}
	all, _ := Select(task, ds, 0, 5, 0)
	if len(all) != 300 || all[299].Index != 299 {
		t.Error("n = 0 should ask every question in order")
	}
	few, err := Select(task, ds, 0, 0, 5)
	if err != nil || len(few) != 300-7*5 || !few[0].FewShot || !strings.HasSuffix(few[0].Prompt, "Answer:") {
		t.Errorf("few-shot: %v, %d questions", err, len(few))
	}
	if _, err := Select(Tasks["gsm8k"], &Dataset{Name: "gsm8k", Examples: ds.Examples}, 0, 0, 5); err == nil {
		t.Error("few-shot GSM8K accepted")
	}
}
