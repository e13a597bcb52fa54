package simserver

import (
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"net/http"
	"strings"
	"time"
)

// Version is reported by /get_server_info.
const Version = "0.0.0.dev0+simserver"

type route map[string]http.HandlerFunc // method -> handler

func (s *Server) routes() http.Handler {
	get := func(h http.HandlerFunc) route { return route{http.MethodGet: h} }
	getPost := func(h http.HandlerFunc) route { return route{http.MethodGet: h, http.MethodPost: h} }
	table := map[string]route{
		"/health":              get(s.handleHealth),
		"/health_generate":     get(s.handleHealthGenerate),
		"/ping":                get(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }),
		"/get_model_info":      get(s.handleModelInfo),
		"/get_server_info":     get(s.handleServerInfo),
		"/flush_cache":         getPost(s.handleFlushCache),
		"/generate":            {http.MethodPost: s.handleGenerate, http.MethodPut: s.handleGenerate},
		"/v1/models":           get(s.handleModels),
		"/v1/completions":      {http.MethodPost: s.handleCompletions},
		"/v1/chat/completions": {http.MethodPost: s.handleChat},
		"/start_profile":       getPost(s.handleStartProfile),
		"/stop_profile":        getPost(s.handleStopProfile),
		"/profile_status":      get(s.handleProfileStatus),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		rt, ok := table[path]
		if !ok && strings.HasPrefix(path, "/v1/models/") && r.Method == http.MethodGet {
			s.handleModel(w, strings.TrimPrefix(path, "/v1/models/"))
			return
		}
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not Found"})
			return
		}
		h, ok := rt[r.Method]
		if !ok {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"detail": "Method Not Allowed"})
			return
		}
		h(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":{"message":"encode response"}}`)
	}
	writeBody(w, status, "application/json", body)
}

func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// errorResponse is SGLang-JAX's ErrorResponse (OpenAI style).
type errorResponse struct {
	Object  string  `json:"object"`
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    int     `json:"code"`
}

// writeOpenAIError answers like the OpenAI serving handlers do.
func writeOpenAIError(w http.ResponseWriter, status int, errType, msg string) {
	writeJSON(w, status, errorResponse{Object: "error", Message: msg, Type: errType, Code: status})
}

// writeValidationError answers like FastAPI's request validation handler.
func writeValidationError(w http.ResponseWriter, msg string) {
	writeOpenAIError(w, http.StatusBadRequest, "Bad Request", msg)
}

// writeNativeError answers like /generate does for a rejected request.
func writeNativeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"message": msg}})
}

func requireJSON(w http.ResponseWriter, r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		writeValidationError(w, "Unsupported Media Type: Only 'application/json' is allowed (set header Content-Type: application/json)")
		return false
	}
	return true
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// handleHealthGenerate runs a one-token generation through the engine.
func (s *Server) handleHealthGenerate(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	req := newRequest(1, 1, nil)
	s.eng.submit(req)
	timeout := time.NewTimer(20 * time.Second)
	defer timeout.Stop()
	for !req.finished.Load() {
		select {
		case <-req.notify:
		case <-timeout.C:
			req.aborted.Store(true)
			s.logf("health_generate: no token within 20s")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		case <-r.Context().Done():
			req.aborted.Store(true)
			return
		}
	}
	if req.failure.Load() != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) handleModelInfo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"model_path":                s.cfg.ModelPath,
		"tokenizer_path":            s.cfg.tokenizerPath(),
		"is_generation":             true,
		"preferred_sampling_params": nil,
	})
}

func (s *Server) handleServerInfo(w http.ResponseWriter, r *http.Request) {
	c := s.cfg
	chunk := c.ChunkedPrefillSize
	if chunk <= 0 {
		chunk = -1
	}
	info := map[string]any{
		// server_args
		"model_path":           c.ModelPath,
		"tokenizer_path":       c.tokenizerPath(),
		"served_model_name":    c.servedName(),
		"host":                 c.Host,
		"port":                 c.Port,
		"tp_size":              c.TPSize,
		"ep_size":              c.EPSize,
		"dp_size":              c.DPSize,
		"max_running_requests": c.MaxRunningRequests,
		"chunked_prefill_size": chunk,
		"max_prefill_tokens":   maxPrefillNoChunk,
		"page_size":            c.PageSize,
		"context_length":       c.ContextLength,
		"random_seed":          c.RandomSeed,
		"device":               c.Device,
		"disable_radix_cache":  c.DisableRadixCache,
		"skip_server_warmup":   c.SkipServerWarmup,
		"dtype":                "auto",
		"schedule_policy":      "fcfs",
		"stream_interval":      1,
		"skip_tokenizer_init":  false,
		"enable_cache_report":  false,
		// scheduler_info
		"max_total_num_tokens": cacheTokenBudget,
		"max_req_input_len":    c.ContextLength - 1,
		"internal_states": []map[string]any{{
			"last_gen_throughput": math.Float64frombits(s.eng.genTPS.Load()),
			"waiting_queue_size":  s.eng.queued.Load(),
			"running_batch_size":  s.eng.running.Load(),
			"prefill_decode_size": s.eng.queued.Load() + s.eng.running.Load(),
			"engine_paused":       false,
			"memory_usage":        map[string]any{"token_capacity": cacheTokenBudget},
		}},
		"version": Version,
		"simulator": map[string]any{
			"seed":                    c.Seed,
			"slowdown":                c.Slowdown,
			"fail_rate":               c.FailRate,
			"crash_after":             c.CrashAfter,
			"recompile_every":         c.RecompileEvery,
			"accuracy":                c.Accuracy,
			"eval_data":               c.EvalDataDir,
			"cache_miss_check":        c.CacheMissCheck,
			"prefill_base_ms":         c.PrefillBaseMs,
			"prefill_ms_per_1k_token": c.PrefillMsPer1kTokens,
			"decode_step_ms":          c.DecodeStepMs,
			"decode_ms_per_seq":       c.DecodeMsPerSeq,
			"noise":                   c.Noise,
			"ignored_flags":           c.IgnoredFlags,
			"completed_requests":      s.completed.Load(),
		},
	}
	writeJSON(w, http.StatusOK, info)
}

func (s *Server) handleFlushCache(w http.ResponseWriter, r *http.Request) {
	msg := "Cache flushed.\nPlease check backend logs for more details. " +
		"(When there are running or waiting requests, the operation will not be performed.)\n"
	if n := s.eng.active.Load(); n > 0 {
		msg += fmt.Sprintf("Reason: %d requests are running or waiting\n", n)
		writeBody(w, http.StatusBadRequest, "text/plain; charset=utf-8", []byte(msg))
		return
	}
	if s.eng.cfg.cache != nil {
		msg += fmt.Sprintf("Flushed items: %d\n", s.eng.cfg.cache.flush()*cacheBlock)
	}
	writeBody(w, http.StatusOK, "text/plain; charset=utf-8", []byte(msg))
}

type modelCard struct {
	ID          string `json:"id"`
	Object      string `json:"object"`
	Created     int64  `json:"created"`
	OwnedBy     string `json:"owned_by"`
	Root        string `json:"root"`
	MaxModelLen int    `json:"max_model_len"`
}

func (s *Server) card() modelCard {
	name := s.cfg.servedName()
	return modelCard{ID: name, Object: "model", Created: time.Now().Unix(), OwnedBy: "sglang", Root: name, MaxModelLen: s.cfg.ContextLength}
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []modelCard{s.card()}})
}

func (s *Server) handleModel(w http.ResponseWriter, name string) {
	if name != s.cfg.servedName() {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{
			"message": fmt.Sprintf("The model '%s' does not exist", name),
			"type":    "invalid_request_error",
			"param":   "model",
			"code":    "model_not_found",
		}})
		return
	}
	writeJSON(w, http.StatusOK, s.card())
}
