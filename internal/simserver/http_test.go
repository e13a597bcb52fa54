package simserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestInfoEndpoints(t *testing.T) {
	ts := startServer(t, func(c *Config) {
		c.ModelPath, c.TPSize, c.MaxRunningRequests, c.ChunkedPrefillSize, c.PageSize = "org/model-8b", 4, 64, 2048, 16
	})
	for _, path := range []string{"/health", "/health_generate", "/ping"} {
		if code, _ := get(t, ts.url+path); code != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", path, code)
		}
	}

	_, body := get(t, ts.url+"/get_model_info")
	info := mustJSON(t, string(body))
	if info["model_path"] != "org/model-8b" || info["is_generation"] != true {
		t.Errorf("get_model_info = %s", body)
	}

	_, body = get(t, ts.url+"/get_server_info")
	si := mustJSON(t, string(body))
	for key, want := range map[string]int{"max_running_requests": 64, "chunked_prefill_size": 2048, "tp_size": 4, "page_size": 16, "ep_size": 1} {
		if got := num(t, si, key); got != want {
			t.Errorf("get_server_info %s = %d, want %d", key, got, want)
		}
	}
	if si["version"] != Version {
		t.Errorf("version = %v, want %s", si["version"], Version)
	}
	states, ok := si["internal_states"].([]any)
	if !ok || len(states) != 1 {
		t.Fatalf("internal_states = %v, want a list of one", si["internal_states"])
	}
	if _, ok := states[0].(map[string]any)["last_gen_throughput"]; !ok {
		t.Errorf("internal_states[0] lacks last_gen_throughput: %v", states[0])
	}

	_, body = get(t, ts.url+"/v1/models")
	models := mustJSON(t, string(body))
	card := models["data"].([]any)[0].(map[string]any)
	if models["object"] != "list" || card["id"] != "org/model-8b" || card["owned_by"] != "sglang" || num(t, card, "max_model_len") != DefaultContextLength {
		t.Errorf("/v1/models = %s", body)
	}
	if code, _ := get(t, ts.url+"/v1/models/org/model-8b"); code != http.StatusOK {
		t.Errorf("GET /v1/models/org/model-8b = %d, want 200", code)
	}
	code, body := get(t, ts.url+"/v1/models/other")
	if code != http.StatusNotFound || !strings.Contains(string(body), "model_not_found") {
		t.Errorf("GET /v1/models/other = %d %s, want 404 model_not_found", code, body)
	}
	code, body = get(t, ts.url+"/no/such/path")
	if code != http.StatusNotFound || mustJSON(t, string(body))["detail"] != "Not Found" {
		t.Errorf("GET unknown path = %d %s, want 404 JSON", code, body)
	}
	if code, _ := get(t, ts.url+"/generate"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /generate = %d, want 405", code)
	}
}

func TestGenerateNonStreaming(t *testing.T) {
	ts := startServer(t, nil)
	code, body := post(t, ts.url+"/generate", `{"input_ids":[11,12,13,14,15],"sampling_params":{"max_new_tokens":7,"ignore_eos":true,"temperature":0},"stream":false,"lora_path":null,"return_logprob":false,"logprob_start_len":-1}`)
	if code != http.StatusOK {
		t.Fatalf("POST /generate = %d %s", code, body)
	}
	if !strings.HasPrefix(string(body), `{"text":"`) {
		t.Errorf("response does not start with text: %.60s", body)
	}
	out := mustJSON(t, string(body))
	meta := obj(t, out, "meta_info")
	if num(t, meta, "prompt_tokens") != 5 || num(t, meta, "completion_tokens") != 7 {
		t.Errorf("meta_info = %v, want 5 prompt and 7 completion tokens", meta)
	}
	if ids := out["output_ids"].([]any); len(ids) != 7 {
		t.Errorf("output_ids has %d ids, want 7", len(ids))
	}
	fr := obj(t, meta, "finish_reason")
	if fr["type"] != "length" || num(t, fr, "length") != 7 {
		t.Errorf("finish_reason = %v, want length 7", fr)
	}
	if e2e, ok := meta["e2e_latency"].(float64); !ok || e2e <= 0 {
		t.Errorf("e2e_latency = %v, want > 0", meta["e2e_latency"])
	}
	for _, key := range []string{"id", "cached_tokens", "cache_miss_count"} {
		if _, ok := meta[key]; !ok {
			t.Errorf("meta_info lacks %s", key)
		}
	}
	if text := out["text"].(string); len(strings.Fields(text)) < 3 {
		t.Errorf("text %q does not look like words", text)
	}
}

func TestGenerateStreamingChunks(t *testing.T) {
	ts := startServer(t, nil)
	code, hdr, body := do(t, http.MethodPost, ts.url+"/generate", "application/json",
		`{"text":"Tell me a story about a tiny robot.","sampling_params":{"max_new_tokens":12,"ignore_eos":true},"stream":true}`)
	if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream = %d %s", code, hdr.Get("Content-Type"))
	}
	events := sseEvents(t, body)
	if events[len(events)-1] != "[DONE]" {
		t.Fatalf("last event = %q, want [DONE]", events[len(events)-1])
	}
	prevText, prevTokens := "", 0
	for i, ev := range events[:len(events)-1] {
		if !strings.HasPrefix(ev, `{"text":`) || !strings.Contains(ev, `],"meta_info":{`) || !strings.HasSuffix(ev, "}}") {
			t.Fatalf("chunk %d key order is not text, output_ids, meta_info: %.100s", i, ev)
		}
		m := mustJSON(t, ev)
		meta := obj(t, m, "meta_info")
		text, tokens := m["text"].(string), num(t, meta, "completion_tokens")
		if !strings.HasPrefix(text, prevText) || tokens <= prevTokens {
			t.Fatalf("chunk %d not cumulative: %q (%d tokens) after %q (%d)", i, text, tokens, prevText, prevTokens)
		}
		if ids := m["output_ids"].([]any); len(ids) != tokens {
			t.Fatalf("chunk %d: %d output_ids for %d completion_tokens", i, len(ids), tokens)
		}
		last := i == len(events)-2
		if _, has := meta["e2e_latency"]; has != last {
			t.Errorf("chunk %d: e2e_latency present = %v, want only on the last chunk", i, has)
		}
		if (meta["finish_reason"] != nil) != last {
			t.Errorf("chunk %d: finish_reason = %v", i, meta["finish_reason"])
		}
		prevText, prevTokens = text, tokens
	}
	if prevTokens != 12 {
		t.Errorf("final completion_tokens = %d, want 12", prevTokens)
	}
}

func TestGenerateBatch(t *testing.T) {
	ts := startServer(t, nil)
	code, body := post(t, ts.url+"/generate", `{"input_ids":[[1,2,3],[4,5,6,7]],"sampling_params":{"max_new_tokens":3,"ignore_eos":true}}`)
	if code != http.StatusOK {
		t.Fatalf("batch = %d %s", code, body)
	}
	var outs []map[string]any
	if err := json.Unmarshal(body, &outs); err != nil || len(outs) != 2 {
		t.Fatalf("batch response = %s, want a list of 2", body)
	}
	if num(t, obj(t, outs[1], "meta_info"), "prompt_tokens") != 4 {
		t.Errorf("second prompt_tokens != 4: %v", outs[1])
	}

	_, _, body = do(t, http.MethodPost, ts.url+"/generate", "application/json", `{"text":["a b c","d e f"],"sampling_params":{"max_new_tokens":3,"ignore_eos":true},"stream":true}`)
	seen := map[int]int{}
	for _, ev := range sseEvents(t, body) {
		if ev == "[DONE]" {
			continue
		}
		m := mustJSON(t, ev)
		seen[num(t, m, "index")] = num(t, obj(t, m, "meta_info"), "completion_tokens")
	}
	if seen[0] != 3 || seen[1] != 3 {
		t.Errorf("batch stream final tokens per index = %v, want 3 and 3", seen)
	}
}

func TestGenerateNaturalStopIsDeterministic(t *testing.T) {
	ts := startServer(t, nil)
	req := `{"text":"Describe the weather.","sampling_params":{"max_new_tokens":5000}}`
	_, a := post(t, ts.url+"/generate", req)
	_, b := post(t, ts.url+"/generate", req)
	ma, mb := mustJSON(t, string(a)), mustJSON(t, string(b))
	if ma["text"] != mb["text"] {
		t.Errorf("same prompt and seed gave different text")
	}
	meta := obj(t, ma, "meta_info")
	fr := obj(t, meta, "finish_reason")
	if fr["type"] != "stop" || num(t, fr, "matched") != eosTokenID {
		t.Errorf("finish_reason = %v, want stop on EOS", fr)
	}
	if n := num(t, meta, "completion_tokens"); n < 24 || n >= 5000 {
		t.Errorf("natural length = %d, want 24..279", n)
	}

	other := startServer(t, func(c *Config) { c.Seed = 99 })
	_, c := post(t, other.url+"/generate", req)
	if mustJSON(t, string(c))["text"] == ma["text"] {
		t.Errorf("a different seed gave the same text")
	}
}

func TestGenerateBadRequests(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.ContextLength = 100 })
	cases := map[string]string{
		"malformed JSON":        `{"text": `,
		"missing prompt":        `{"sampling_params":{"max_new_tokens":4}}`,
		"text and input_ids":    `{"text":"a","input_ids":[1]}`,
		"negative max tokens":   `{"text":"a","sampling_params":{"max_new_tokens":-1}}`,
		"negative temperature":  `{"text":"a","sampling_params":{"temperature":-0.5}}`,
		"empty input_ids":       `{"input_ids":[]}`,
		"id outside vocabulary": `{"input_ids":[1,999999999]}`,
		"prompt over context":   fmt.Sprintf(`{"input_ids":[%s1]}`, strings.Repeat("1,", 120)),
		"total over context":    `{"input_ids":[1,2,3],"sampling_params":{"max_new_tokens":97}}`,
		"wrong type":            `{"text":"a","sampling_params":{"max_new_tokens":"many"}}`,
	}
	for name, body := range cases {
		code, resp := post(t, ts.url+"/generate", body)
		if code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400 (%s)", name, code, resp)
			continue
		}
		m := mustJSON(t, string(resp))
		if m["message"] == nil && (m["error"] == nil || m["error"].(map[string]any)["message"] == nil) {
			t.Errorf("%s: error body has no message: %s", name, resp)
		}
	}
}

func TestCompletions(t *testing.T) {
	ts := startServer(t, nil)
	code, body := post(t, ts.url+"/v1/completions", `{"model":"m","prompt":"The capital of France is","max_tokens":6,"ignore_eos":true}`)
	if code != http.StatusOK {
		t.Fatalf("completions = %d %s", code, body)
	}
	m := mustJSON(t, string(body))
	choice := m["choices"].([]any)[0].(map[string]any)
	usage := obj(t, m, "usage")
	if m["object"] != "text_completion" || choice["finish_reason"] != "length" || num(t, usage, "completion_tokens") != 6 ||
		num(t, usage, "total_tokens") != num(t, usage, "prompt_tokens")+6 || choice["text"] == "" {
		t.Errorf("completion response = %s", body)
	}

	// Streaming with token-id prompt and a usage chunk.
	_, body = post(t, ts.url+"/v1/completions", `{"model":"m","prompt":[5,6,7,8],"max_tokens":5,"stream":true,"ignore_eos":true,"stream_options":{"include_usage":true}}`)
	// Tokens of one engine step may be coalesced into one chunk, as in
	// SGLang-JAX, so the chunk count is not fixed.
	events := sseEvents(t, body)
	n := len(events)
	if n < 3 || events[n-1] != "[DONE]" {
		t.Fatalf("got %d events, want token chunks + usage + [DONE]: %v", n, events)
	}
	var text strings.Builder
	for i, ev := range events[:n-2] {
		c := mustJSON(t, ev)
		ch := c["choices"].([]any)[0].(map[string]any)
		if c["object"] != "text_completion" || c["usage"] != nil || ch["text"] == "" {
			t.Errorf("chunk %d = %s", i, ev)
		}
		if (ch["finish_reason"] == "length") != (i == n-3) {
			t.Errorf("chunk %d finish_reason = %v", i, ch["finish_reason"])
		}
		text.WriteString(ch["text"].(string))
	}
	u := mustJSON(t, events[n-2])
	if len(u["choices"].([]any)) != 0 || num(t, obj(t, u, "usage"), "prompt_tokens") != 4 || num(t, obj(t, u, "usage"), "completion_tokens") != 5 {
		t.Errorf("usage chunk = %s", events[n-2])
	}
	if len(strings.Fields(text.String())) != 5 {
		t.Errorf("streamed text %q, want 5 words", text.String())
	}

	// Without include_usage there is no usage chunk.
	_, body = post(t, ts.url+"/v1/completions", `{"model":"m","prompt":"hi","max_tokens":3,"stream":true,"ignore_eos":true}`)
	for _, ev := range sseEvents(t, body) {
		if strings.Contains(ev, `"usage":{`) {
			t.Errorf("usage chunk without include_usage: %s", ev)
		}
	}

	for name, tc := range map[string]struct{ ctype, body string }{
		"missing model":  {"application/json", `{"prompt":"x"}`},
		"missing prompt": {"application/json", `{"model":"m"}`},
		"zero max":       {"application/json", `{"model":"m","prompt":"x","max_tokens":0}`},
		"n > 1":          {"application/json", `{"model":"m","prompt":"x","n":2}`},
		"form body":      {"application/x-www-form-urlencoded", `{"model":"m","prompt":"x"}`},
	} {
		code, _, resp := do(t, http.MethodPost, ts.url+"/v1/completions", tc.ctype, tc.body)
		if code != http.StatusBadRequest || mustJSON(t, string(resp))["object"] != "error" {
			t.Errorf("%s: %d %s, want 400 error object", name, code, resp)
		}
	}
}

func TestChatCompletions(t *testing.T) {
	ts := startServer(t, nil)
	msgs := `[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Say hello."}]}]`
	code, body := post(t, ts.url+"/v1/chat/completions", `{"model":"m","messages":`+msgs+`,"max_completion_tokens":4,"ignore_eos":true}`)
	if code != http.StatusOK {
		t.Fatalf("chat = %d %s", code, body)
	}
	m := mustJSON(t, string(body))
	msg := m["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)
	if m["object"] != "chat.completion" || msg["role"] != "assistant" || msg["content"] == "" || num(t, obj(t, m, "usage"), "completion_tokens") != 4 {
		t.Errorf("chat response = %s", body)
	}

	_, body = post(t, ts.url+"/v1/chat/completions", `{"model":"m","messages":`+msgs+`,"max_tokens":3,"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true}}`)
	events := sseEvents(t, body)
	// role chunk, content chunks, finish chunk, usage chunk, [DONE]
	n := len(events)
	if n < 5 || events[n-1] != "[DONE]" {
		t.Fatalf("chat stream has %d events: %v", n, events)
	}
	first := mustJSON(t, events[0])["choices"].([]any)[0].(map[string]any)
	if d := first["delta"].(map[string]any); d["role"] != "assistant" || d["content"] != "" {
		t.Errorf("first chunk delta = %v, want role assistant and empty content", d)
	}
	words := 0
	for _, ev := range events[1 : n-3] {
		c := mustJSON(t, ev)
		ch := c["choices"].([]any)[0].(map[string]any)
		content, _ := ch["delta"].(map[string]any)["content"].(string)
		if c["object"] != "chat.completion.chunk" || content == "" || ch["finish_reason"] != nil {
			t.Errorf("content chunk = %s", ev)
		}
		words += len(strings.Fields(content))
	}
	if words != 3 {
		t.Errorf("content chunks carry %d words, want 3", words)
	}
	fin := mustJSON(t, events[n-3])["choices"].([]any)[0].(map[string]any)
	if fin["finish_reason"] != "length" || fin["delta"].(map[string]any)["content"] != nil {
		t.Errorf("finish chunk = %s", events[n-3])
	}
	if u := mustJSON(t, events[n-2]); len(u["choices"].([]any)) != 0 || num(t, obj(t, u, "usage"), "completion_tokens") != 3 {
		t.Errorf("usage chunk = %s", events[n-2])
	}

	code, _ = post(t, ts.url+"/v1/chat/completions", `{"model":"m","messages":[]}`)
	if code != http.StatusBadRequest {
		t.Errorf("empty messages: %d, want 400", code)
	}
	code, _ = post(t, ts.url+"/v1/chat/completions", `{"model":"m","messages":[{"role":"robot","content":"x"}]}`)
	if code != http.StatusBadRequest {
		t.Errorf("bad role: %d, want 400", code)
	}
}

func TestFlushCacheAndCachedTokens(t *testing.T) {
	ts := startServer(t, nil)
	prompt := fmt.Sprintf(`{"input_ids":[%s7],"sampling_params":{"max_new_tokens":1}}`, strings.Repeat("7,", 99))
	cached := func() int {
		_, body := post(t, ts.url+"/generate", prompt)
		return num(t, obj(t, mustJSON(t, string(body)), "meta_info"), "cached_tokens")
	}
	if c := cached(); c != 0 {
		t.Errorf("first request cached_tokens = %d, want 0", c)
	}
	if c := cached(); c != 96 {
		t.Errorf("repeat cached_tokens = %d, want 96", c)
	}
	if code, body := post(t, ts.url+"/flush_cache", ""); code != http.StatusOK || !strings.HasPrefix(string(body), "Cache flushed.") {
		t.Errorf("flush_cache = %d %q", code, body)
	}
	if c := cached(); c != 0 {
		t.Errorf("after flush cached_tokens = %d, want 0", c)
	}

	// Flushing while a request runs is refused.
	done := make(chan struct{})
	go func() {
		defer close(done)
		post(t, ts.url+"/generate", `{"text":"x","sampling_params":{"max_new_tokens":300,"ignore_eos":true}}`)
	}()
	for ts.srv.eng.active.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	if code, _ := get(t, ts.url+"/flush_cache"); code != http.StatusBadRequest {
		t.Errorf("flush_cache while running = %d, want 400", code)
	}
	<-done
}

func TestClientDisconnectAbortsRequest(t *testing.T) {
	ts := startServer(t, nil)
	resp, err := http.Post(ts.url+"/generate", "application/json", strings.NewReader(`{"text":"x","sampling_params":{"max_new_tokens":30000,"ignore_eos":true},"stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if _, err := resp.Body.Read(buf); err != nil {
		t.Fatalf("read first chunk: %v", err)
	}
	resp.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for ts.srv.eng.active.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("request still active 5s after the client left")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.DecodeStepMs = 2 })
	result := make(chan int, 1)
	go func() {
		code, _ := post(t, ts.url+"/generate", `{"text":"x","sampling_params":{"max_new_tokens":100,"ignore_eos":true}}`)
		result <- code
	}()
	for ts.srv.eng.active.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := ts.stop(t); err != nil {
		t.Errorf("Serve after cancel = %v, want nil", err)
	}
	if code := <-result; code != http.StatusOK {
		t.Errorf("in-flight request got %d during shutdown, want 200", code)
	}
	if !strings.Contains(ts.log.String(), "listening on 127.0.0.1:") {
		t.Errorf("log lacks the listening line:\n%s", ts.log)
	}
}
