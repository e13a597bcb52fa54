package bench

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// mockServer is a small SGLang-JAX look-alike for tests: /generate and
// /v1/completions stream tokens on an absolute schedule (first token after
// ttft, then one every itl), embedding their send time as "ts".
type mockServer struct {
	ttft, itl      time.Duration
	tokensPerChunk int           // tokens coalesced per /generate event (default 1)
	maxTokens      int           // cap on generated tokens (0: as requested)
	infoDelay      time.Duration // delay of /get_server_info
	// fail returns how the n-th (1-based) generation request fails:
	// "" (it does not), "http500", "error-chunk" or "abort".
	fail func(n int) string

	mu       sync.Mutex
	requests int
	inflight int
	peak     int
	flushes  int
	bodies   []map[string]any
}

func (m *mockServer) start(t testing.TB) *httptest.Server {
	srv := httptest.NewServer(m.handler())
	t.Cleanup(srv.Close)
	return srv
}

func (m *mockServer) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"object":"list","data":[{"id":"mock-model","object":"model","owned_by":"sglang"}]}`)
	})
	mux.HandleFunc("GET /get_server_info", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(m.infoDelay)
		fmt.Fprint(w, `{"version":"mock","internal_states":[{"avg_spec_accept_length":null}]}`)
	})
	mux.HandleFunc("POST /flush_cache", func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.flushes++
		m.mu.Unlock()
		fmt.Fprint(w, "Cache flushed.")
	})
	mux.HandleFunc("POST /generate", func(w http.ResponseWriter, r *http.Request) { m.generate(w, r, true) })
	mux.HandleFunc("POST /v1/completions", func(w http.ResponseWriter, r *http.Request) { m.generate(w, r, false) })
	return mux
}

func (m *mockServer) stats() (requests, peak, flushes int, bodies []map[string]any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.requests, m.peak, m.flushes, m.bodies
}

func (m *mockServer) generate(w http.ResponseWriter, r *http.Request, native bool) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, `{"error":"bad json"}`, http.StatusBadRequest)
		return
	}
	var n, promptLen int
	var stream, usage bool
	if native {
		sp, _ := body["sampling_params"].(map[string]any)
		n = int(num(sp["max_new_tokens"]))
		ids, _ := body["input_ids"].([]any)
		promptLen = len(ids)
	} else {
		n = int(num(body["max_tokens"]))
		switch p := body["prompt"].(type) {
		case []any:
			promptLen = len(p)
		case string: // bench_serving sends text on OpenAI backends
			promptLen = len(strings.Fields(p))
		}
		so, _ := body["stream_options"].(map[string]any)
		usage, _ = so["include_usage"].(bool)
	}
	stream, _ = body["stream"].(bool)
	if m.maxTokens > 0 {
		n = min(n, m.maxTokens)
	}
	m.mu.Lock()
	m.requests++
	seq := m.requests
	m.inflight++
	m.peak = max(m.peak, m.inflight)
	if len(m.bodies) < 10000 {
		m.bodies = append(m.bodies, body)
	}
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.inflight--
		m.mu.Unlock()
	}()
	mode := ""
	if m.fail != nil {
		mode = m.fail(seq)
	}
	if mode == "http500" || promptLen == 0 || n < 1 {
		http.Error(w, `{"error":{"message":"mock failure"}}`, http.StatusInternalServerError)
		return
	}
	start := time.Now()
	per := max(m.tokensPerChunk, 1)
	var text strings.Builder
	if !stream {
		if sleepCtx(r.Context(), m.ttft+time.Duration(n-1)*m.itl) != nil {
			return
		}
		for range n {
			text.WriteString(" w")
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"text":%q,"meta_info":{"completion_tokens":%d,"cached_tokens":0}}`, text.String(), n)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	fl.Flush()
	for k := 1; k <= n; k++ {
		if sleepCtx(r.Context(), time.Until(start.Add(m.ttft+time.Duration(k-1)*m.itl))) != nil {
			return
		}
		text.WriteString(" w")
		if k%per != 0 && k != n {
			continue
		}
		if mode == "error-chunk" && k > n/2 {
			fmt.Fprint(w, "data: {\"error\": {\"message\": \"mock mid-stream failure\"}}\n\n")
			break
		}
		if mode == "abort" && k > n/2 {
			panic(http.ErrAbortHandler)
		}
		ts := time.Now().UnixNano()
		if native {
			fin := "null"
			if k == n {
				fin = `{"type":"length","length":` + fmt.Sprint(n) + `}`
			}
			fmt.Fprintf(w, "data: {\"text\":%q,\"output_ids\":[%d],\"meta_info\":{\"id\":\"r%d\",\"finish_reason\":%s,\"prompt_tokens\":%d,\"completion_tokens\":%d,\"cached_tokens\":0,\"ts\":%d}}\n\n",
				text.String(), k, seq, fin, promptLen, k, ts)
		} else {
			fmt.Fprintf(w, "data: {\"id\":\"c%d\",\"object\":\"text_completion\",\"created\":1,\"model\":\"mock-model\",\"choices\":[{\"index\":0,\"text\":%q,\"logprobs\":null,\"finish_reason\":null}],\"usage\":null,\"ts\":%d}\n\n",
				seq, strings.Repeat(" w", min(per, k-(k-1)/per*per)), ts)
		}
		fl.Flush()
	}
	if !native {
		fmt.Fprintf(w, "data: {\"id\":\"c%d\",\"object\":\"text_completion\",\"created\":1,\"model\":\"mock-model\",\"choices\":[{\"index\":0,\"text\":\"\",\"logprobs\":null,\"finish_reason\":\"length\"}],\"usage\":null}\n\n", seq)
		if usage {
			fmt.Fprintf(w, "data: {\"id\":\"c%d\",\"object\":\"text_completion\",\"created\":1,\"model\":\"mock-model\",\"choices\":[],\"usage\":{\"prompt_tokens\":%d,\"total_tokens\":%d,\"completion_tokens\":%d}}\n\n", seq, promptLen, promptLen+n, n)
		}
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	fl.Flush()
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}
