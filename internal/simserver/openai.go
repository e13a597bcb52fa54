package simserver

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// OpenAI-compatible API: POST /v1/completions and /v1/chat/completions, with
// the chunk and response shapes SGLang-JAX's pydantic models produce.

type streamOptions struct {
	IncludeUsage *bool `json:"include_usage"`
}

// openAICommon holds the fields both endpoints share.
type openAICommon struct {
	Model         *string         `json:"model"`
	MinTokens     int             `json:"min_tokens"`
	N             *int            `json:"n"`
	Stream        bool            `json:"stream"`
	StreamOptions *streamOptions  `json:"stream_options"`
	Temperature   *float64        `json:"temperature"`
	IgnoreEOS     bool            `json:"ignore_eos"`
	RID           json.RawMessage `json:"rid"`
}

func (c openAICommon) check() error {
	if c.Model == nil {
		return badf("model: Field required")
	}
	if c.N != nil && *c.N != 1 {
		return badf("n = %d is not supported by the simulator; send n = 1", *c.N)
	}
	if c.Temperature != nil && *c.Temperature < 0 {
		return badf("temperature must be non-negative, got %g.", *c.Temperature)
	}
	if c.MinTokens < 0 {
		return badf("min_tokens must be at least 0, got %d.", c.MinTokens)
	}
	return nil
}

func (c openAICommon) includeUsage() bool {
	return c.StreamOptions != nil && c.StreamOptions.IncludeUsage != nil && *c.StreamOptions.IncludeUsage
}

func (c openAICommon) rids() []string {
	var one string
	var many []string
	if json.Unmarshal(c.RID, &one) == nil {
		return []string{one}
	}
	if json.Unmarshal(c.RID, &many) == nil {
		return many
	}
	return nil
}

type completionBody struct {
	openAICommon
	Prompt    json.RawMessage `json:"prompt"`
	MaxTokens *int            `json:"max_tokens"`
}

func parsePrompt(raw json.RawMessage) ([]promptIn, error) {
	if !present(raw) {
		return nil, badf("prompt: Field required")
	}
	var one string
	var texts []string
	var ids []int
	var idLists [][]int
	switch {
	case json.Unmarshal(raw, &one) == nil:
		return []promptIn{{text: one}}, nil
	case json.Unmarshal(raw, &ids) == nil && len(ids) > 0:
		return []promptIn{{ids: ids, isIDs: true}}, nil
	case json.Unmarshal(raw, &texts) == nil && len(texts) > 0:
		out := make([]promptIn, len(texts))
		for i, t := range texts {
			out[i] = promptIn{text: t}
		}
		return out, nil
	case json.Unmarshal(raw, &idLists) == nil && len(idLists) > 0:
		out := make([]promptIn, len(idLists))
		for i, l := range idLists {
			out[i] = promptIn{ids: l, isIDs: true}
		}
		return out, nil
	}
	return nil, badf("prompt: want a string, a list of strings, a list of token ids or a list of such lists")
}

func (s *Server) handleCompletions(w http.ResponseWriter, r *http.Request) {
	if !requireJSON(w, r) {
		return
	}
	var body completionBody
	if err := decodeBody(r, &body); err != nil {
		writeValidationError(w, err.Error())
		return
	}
	if err := body.check(); err != nil {
		writeValidationError(w, err.Error())
		return
	}
	prompts, err := parsePrompt(body.Prompt)
	if err != nil {
		writeValidationError(w, err.Error())
		return
	}
	maxTokens := 16
	if body.MaxTokens != nil {
		maxTokens = *body.MaxTokens
	}
	if maxTokens <= 0 {
		writeValidationError(w, "max_tokens must be positive")
		return
	}
	params := []genParams{{maxNew: &maxTokens, minNew: body.MinTokens, ignoreEOS: body.IgnoreEOS}}
	s.serveOpenAI(w, r, &body.openAICommon, prompts, params, false)
}

type chatBody struct {
	openAICommon
	Messages            []chatMessage `json:"messages"`
	MaxTokens           *int          `json:"max_tokens"`
	MaxCompletionTokens *int          `json:"max_completion_tokens"`
}

type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// chatPrompt flattens the messages the way a ChatML template would (\x01 and
// \x02 stand for the one-token start/end markers); the match text is the
// concatenated message contents.
func chatPrompt(msgs []chatMessage) (promptIn, error) {
	if len(msgs) == 0 {
		return promptIn{}, badf("messages: at least one message is required")
	}
	var tmpl, match strings.Builder
	images := 0
	for i, m := range msgs {
		role := strings.ToLower(m.Role)
		switch role {
		case "system", "user", "assistant", "tool":
		default:
			return promptIn{}, badf("messages[%d].role: want system, user, assistant or tool, got %q", i, m.Role)
		}
		content, n, err := messageText(m.Content)
		if err != nil {
			return promptIn{}, badf("messages[%d].content: %v", i, err)
		}
		images += n
		tmpl.WriteString("\x01" + role + "\n" + content + "\x02\n")
		if i > 0 {
			match.WriteByte('\n')
		}
		match.WriteString(content)
	}
	tmpl.WriteString("\x01assistant\n")
	return promptIn{text: tmpl.String(), matchText: match.String(), images: images}, nil
}

// messageText joins a message's text parts and counts its image parts.
// Images must be image_url parts; a data URL must hold base64 image data
// (the simulator does not look at the pixels, only that they are there).
func messageText(raw json.RawMessage) (string, int, error) {
	if !present(raw) {
		return "", 0, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, 0, nil
	}
	var parts []struct {
		Type     string `json:"type"`
		Text     string `json:"text"`
		ImageURL *struct {
			URL string `json:"url"`
		} `json:"image_url"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", 0, badf("want a string or a list of content parts")
	}
	var b strings.Builder
	images := 0
	for j, p := range parts {
		switch p.Type {
		case "text":
			b.WriteString(p.Text)
		case "image_url":
			if p.ImageURL == nil || p.ImageURL.URL == "" {
				return "", 0, badf("parts[%d].image_url.url: missing", j)
			}
			if err := checkDataURL(p.ImageURL.URL); err != nil {
				return "", 0, badf("parts[%d].image_url.url: %v", j, err)
			}
			images++
		default:
			return "", 0, badf("parts[%d].type: want text or image_url, got %q", j, p.Type)
		}
	}
	return b.String(), images, nil
}

// checkDataURL accepts a data:image/<type>;base64,<data> URL with valid
// base64, and any non-data URL (a server would fetch it).
func checkDataURL(u string) error {
	rest, ok := strings.CutPrefix(u, "data:")
	if !ok {
		return nil
	}
	meta, data, ok := strings.Cut(rest, ",")
	if !ok || !strings.HasPrefix(meta, "image/") || !strings.HasSuffix(meta, ";base64") {
		return fmt.Errorf("want data:image/<type>;base64,<data>")
	}
	if _, err := base64.StdEncoding.DecodeString(data); err != nil || data == "" {
		return fmt.Errorf("image data is not base64")
	}
	return nil
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	if !requireJSON(w, r) {
		return
	}
	var body chatBody
	if err := decodeBody(r, &body); err != nil {
		writeValidationError(w, err.Error())
		return
	}
	if err := body.check(); err != nil {
		writeValidationError(w, err.Error())
		return
	}
	p, err := chatPrompt(body.Messages)
	if err != nil {
		writeValidationError(w, err.Error())
		return
	}
	maxTokens := body.MaxCompletionTokens
	if maxTokens == nil {
		maxTokens = body.MaxTokens
	}
	if maxTokens != nil && *maxTokens <= 0 {
		writeValidationError(w, "max_completion_tokens must be positive")
		return
	}
	params := []genParams{{maxNew: maxTokens, minNew: body.MinTokens, ignoreEOS: body.IgnoreEOS}}
	s.serveOpenAI(w, r, &body.openAICommon, []promptIn{p}, params, true)
}

// serveOpenAI runs the generation and answers in completion or chat format.
func (s *Server) serveOpenAI(w http.ResponseWriter, r *http.Request, c *openAICommon, prompts []promptIn, params []genParams, chat bool) {
	untilContext := func(n int) int { return s.cfg.ContextLength - n - 1 }
	items, err := s.prepare(prompts, params, c.rids(), untilContext, false)
	if err != nil {
		writeOpenAIError(w, http.StatusBadRequest, "BadRequestError", err.Error())
		return
	}
	if !s.admit(w, items) {
		return
	}
	o := &openAIWriter{model: *c.Model, created: time.Now().Unix(), chat: chat, usage: c.includeUsage()}
	if c.Stream {
		s.streamOpenAI(w, r, items, o)
		return
	}
	if !follow(r.Context(), items, func(*genItem, bool) {}, nil) {
		return
	}
	for _, it := range items {
		if msg, failed := it.failure(); failed {
			writeOpenAIError(w, http.StatusInternalServerError, "InternalServerError", msg)
			return
		}
	}
	writeBody(w, http.StatusOK, "application/json", o.appendResponse(nil, items))
	s.requestCompleted()
}

func (s *Server) streamOpenAI(w http.ResponseWriter, r *http.Request, items []*genItem, o *openAIWriter) {
	startSSE(w)
	sw := newSSEWriter(w)
	failed := false
	ok := follow(r.Context(), items, func(it *genItem, fin bool) {
		if msg, bad := it.failure(); bad {
			if !failed {
				sw.buf = append(sw.buf, `data: {"error":{"object":"error","message":`...)
				sw.buf = appendQuoted(sw.buf, msg)
				sw.buf = append(sw.buf, `,"type":"InternalServerError","param":null,"code":500}}`+"\n\n"...)
			}
			failed = true
			return
		}
		sw.buf = o.appendChunks(sw.buf, it, fin)
	}, sw.flush)
	if !ok {
		return
	}
	if !failed {
		if o.chat {
			for _, it := range items {
				sw.buf = o.appendChatFinish(sw.buf, it)
			}
		}
		if o.usage {
			sw.buf = o.appendUsageChunk(sw.buf, items)
		}
	}
	sw.buf = append(sw.buf, "data: [DONE]\n\n"...)
	sw.flush()
	if !failed {
		s.requestCompleted()
	}
}
