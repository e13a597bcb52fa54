package simserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Native SGLang-JAX API: POST /generate.

const defaultMaxNewTokens = 128

type samplingJSON struct {
	MaxNewTokens *int     `json:"max_new_tokens"`
	MinNewTokens int      `json:"min_new_tokens"`
	IgnoreEOS    bool     `json:"ignore_eos"`
	Temperature  *float64 `json:"temperature"`
	N            *int     `json:"n"`
}

func (sp samplingJSON) params() (genParams, error) {
	if sp.Temperature != nil && *sp.Temperature < 0 {
		return genParams{}, badf("temperature must be non-negative, got %g.", *sp.Temperature)
	}
	if sp.N != nil && *sp.N != 1 {
		return genParams{}, badf("sampling_params.n = %d is not supported by the simulator; send n = 1", *sp.N)
	}
	if sp.MinNewTokens < 0 {
		return genParams{}, badf("min_new_tokens must be at least 0, got %d.", sp.MinNewTokens)
	}
	return genParams{maxNew: sp.MaxNewTokens, minNew: sp.MinNewTokens, ignoreEOS: sp.IgnoreEOS}, nil
}

type generateBody struct {
	Text           json.RawMessage `json:"text"`
	InputIDs       json.RawMessage `json:"input_ids"`
	SamplingParams json.RawMessage `json:"sampling_params"`
	Stream         bool            `json:"stream"`
	RID            json.RawMessage `json:"rid"`
}

func present(m json.RawMessage) bool {
	m = bytes.TrimSpace(m)
	return len(m) > 0 && !bytes.Equal(m, []byte("null"))
}

// decodeBody reads a JSON request body into v; errors are badRequest.
func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return badf("read request body: %v", err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badf("invalid JSON body: %v", err)
	}
	return nil
}

// parseGenerate turns a /generate body into prompts, params and request ids.
func parseGenerate(b generateBody) (prompts []promptIn, params []genParams, rids []string, batch bool, err error) {
	switch hasText, hasIDs := present(b.Text), present(b.InputIDs); {
	case hasText && hasIDs:
		return nil, nil, nil, false, badf("text and input_ids cannot be provided at the same time")
	case hasText:
		var one string
		var many []string
		switch {
		case json.Unmarshal(b.Text, &one) == nil:
			prompts = []promptIn{{text: one}}
		case json.Unmarshal(b.Text, &many) == nil && len(many) > 0:
			batch = true
			for _, t := range many {
				prompts = append(prompts, promptIn{text: t})
			}
		default:
			return nil, nil, nil, false, badf("text: want a string or a non-empty list of strings")
		}
	case hasIDs:
		var one []int
		var many [][]int
		switch {
		case json.Unmarshal(b.InputIDs, &one) == nil:
			prompts = []promptIn{{ids: one, isIDs: true}}
		case json.Unmarshal(b.InputIDs, &many) == nil && len(many) > 0:
			batch = true
			for _, ids := range many {
				prompts = append(prompts, promptIn{ids: ids, isIDs: true})
			}
		default:
			return nil, nil, nil, false, badf("input_ids: want a list of token ids or a non-empty list of such lists")
		}
	default:
		return nil, nil, nil, false, badf("Either text or input_ids should be provided.")
	}

	var sps []samplingJSON
	if present(b.SamplingParams) {
		var one samplingJSON
		if err := json.Unmarshal(b.SamplingParams, &one); err == nil {
			sps = []samplingJSON{one}
		} else if err2 := json.Unmarshal(b.SamplingParams, &sps); err2 != nil {
			return nil, nil, nil, false, badf("sampling_params: %v", err)
		}
		if len(sps) != 1 && len(sps) != len(prompts) {
			return nil, nil, nil, false, badf("sampling_params: got %d entries for %d prompts", len(sps), len(prompts))
		}
	} else {
		sps = []samplingJSON{{}}
	}
	for _, sp := range sps {
		p, err := sp.params()
		if err != nil {
			return nil, nil, nil, false, err
		}
		params = append(params, p)
	}

	if present(b.RID) {
		var one string
		if json.Unmarshal(b.RID, &one) == nil {
			rids = []string{one}
		} else if json.Unmarshal(b.RID, &rids) != nil {
			return nil, nil, nil, false, badf("rid: want a string or a list of strings")
		}
	}
	return prompts, params, rids, batch, nil
}

func (s *Server) handleGenerate(w http.ResponseWriter, r *http.Request) {
	var body generateBody
	if err := decodeBody(r, &body); err != nil {
		writeValidationError(w, err.Error())
		return
	}
	prompts, params, rids, batch, err := parseGenerate(body)
	if err != nil {
		writeNativeError(w, http.StatusBadRequest, err.Error())
		return
	}
	items, err := s.prepare(prompts, params, rids, func(int) int { return defaultMaxNewTokens }, true)
	if err != nil {
		writeNativeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !s.admit(w, items) {
		return
	}
	if body.Stream {
		s.streamGenerate(w, r, items, batch)
		return
	}
	if !follow(r.Context(), items, func(*genItem, bool) {}, nil) {
		return
	}
	var buf []byte
	if batch {
		buf = append(buf, '[')
	}
	for i, it := range items {
		if msg, failed := it.failure(); failed {
			writeNativeError(w, http.StatusInternalServerError, msg)
			return
		}
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = it.appendNative(buf, true, -1)
	}
	if batch {
		buf = append(buf, ']')
	}
	writeBody(w, http.StatusOK, "application/json", buf)
	s.requestCompleted()
}

func startSSE(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
}

// sseWriter batches the events of one pass into a single write and flush.
type sseWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf []byte
}

func newSSEWriter(w http.ResponseWriter) *sseWriter {
	return &sseWriter{w: w, rc: http.NewResponseController(w), buf: make([]byte, 0, 4096)}
}

func (sw *sseWriter) flush() {
	if len(sw.buf) == 0 {
		return
	}
	_, _ = sw.w.Write(sw.buf) // a gone client ends the request through its context
	_ = sw.rc.Flush()
	sw.buf = sw.buf[:0]
}

func (sw *sseWriter) errorEvent(msg string) {
	sw.buf = append(sw.buf, `data: {"error":{"message":`...)
	sw.buf = appendQuoted(sw.buf, msg)
	sw.buf = append(sw.buf, "}}\n\n"...)
}

func (s *Server) streamGenerate(w http.ResponseWriter, r *http.Request, items []*genItem, batch bool) {
	startSSE(w)
	sw := newSSEWriter(w)
	failed := false
	index := -1
	ok := follow(r.Context(), items, func(it *genItem, fin bool) {
		if msg, bad := it.failure(); bad {
			if !failed {
				sw.errorEvent(msg)
			}
			failed = true
			return
		}
		if batch {
			index = it.index
		}
		sw.buf = append(sw.buf, "data: "...)
		sw.buf = it.appendNative(sw.buf, fin, index)
		sw.buf = append(sw.buf, "\n\n"...)
	}, sw.flush)
	if !ok {
		return
	}
	sw.buf = append(sw.buf, "data: [DONE]\n\n"...)
	sw.flush()
	if !failed {
		s.requestCompleted()
	}
}

// appendNative writes one /generate output object: cumulative text and
// output_ids, then meta_info (key order as SGLang-JAX sends it); index >= 0
// adds the batch index.
func (it *genItem) appendNative(dst []byte, fin bool, index int) []byte {
	dst = append(dst, `{"text":"`...)
	dst = append(dst, it.text...)
	dst = append(dst, `","output_ids":[`...)
	dst = append(dst, it.ids...)
	dst = append(dst, `],"meta_info":{"id":`...)
	dst = appendQuoted(dst, it.rid)
	dst = append(dst, `,"finish_reason":`...)
	dst = it.appendFinishReason(dst, fin)
	dst = append(dst, `,"prompt_tokens":`...)
	dst = strconv.AppendInt(dst, int64(it.prompt), 10)
	dst = append(dst, `,"completion_tokens":`...)
	dst = strconv.AppendInt(dst, int64(it.emitted), 10)
	dst = append(dst, `,"cached_tokens":`...)
	dst = strconv.AppendInt(dst, it.req.cachedTokens.Load(), 10)
	dst = append(dst, `,"cache_miss_count":`...)
	dst = strconv.AppendInt(dst, it.req.cacheMiss.Load(), 10)
	if fin {
		dst = append(dst, `,"e2e_latency":`...)
		dst = strconv.AppendFloat(dst, time.Since(it.created).Seconds(), 'f', -1, 64)
	}
	dst = append(dst, '}')
	if index >= 0 {
		dst = append(dst, `,"index":`...)
		dst = strconv.AppendInt(dst, int64(index), 10)
	}
	if it.stamp {
		dst = append(dst, `,"ts":`...)
		dst = strconv.AppendInt(dst, time.Now().UnixNano(), 10)
	}
	return append(dst, '}')
}
