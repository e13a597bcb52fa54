package simserver

import "strconv"

// Byte-level writers of the OpenAI response and stream-chunk shapes, in the
// key order SGLang-JAX's pydantic models serialise them (nulls included).

type openAIWriter struct {
	model   string
	created int64
	chat    bool
	usage   bool
}

func (o *openAIWriter) appendHead(dst []byte, id string, object string) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendQuoted(dst, id)
	dst = append(dst, `,"object":"`...)
	dst = append(dst, object...)
	dst = append(dst, `","created":`...)
	dst = strconv.AppendInt(dst, o.created, 10)
	dst = append(dst, `,"model":`...)
	dst = appendQuoted(dst, o.model)
	return append(dst, `,"choices":[`...)
}

func appendFinishType(dst []byte, it *genItem, fin bool) []byte {
	if !fin {
		return append(dst, "null"...)
	}
	return append(append(append(dst, '"'), it.finishType()...), '"')
}

// appendChunks writes the stream events for an item's new text.
func (o *openAIWriter) appendChunks(dst []byte, it *genItem, fin bool) []byte {
	delta := it.text[it.sentText:]
	it.sentText = len(it.text)
	if !o.chat {
		dst = append(dst, "data: "...)
		dst = o.appendHead(dst, it.rid, "text_completion")
		dst = append(dst, `{"index":`...)
		dst = strconv.AppendInt(dst, int64(it.index), 10)
		dst = append(dst, `,"text":"`...)
		dst = append(dst, delta...)
		dst = append(dst, `","logprobs":null,"finish_reason":`...)
		dst = appendFinishType(dst, it, fin)
		dst = append(dst, `,"matched_stop":`...)
		dst = it.appendMatchedStop(dst, fin)
		return append(dst, `,"hidden_states":null}],"usage":null}`+"\n\n"...)
	}
	if !it.started {
		it.started = true
		dst = o.appendChatChunk(dst, it, `{"role":"assistant","content":"","reasoning_content":null,"tool_calls":null,"hidden_states":null}`, nil, fin, fin)
	}
	if len(delta) > 0 || !o.usage {
		content := append(append([]byte(`{"role":null,"content":"`), delta...), `","reasoning_content":null,"tool_calls":null,"hidden_states":null}`...)
		if len(delta) == 0 {
			content = []byte(`{"role":null,"content":null,"reasoning_content":null,"tool_calls":null,"hidden_states":null}`)
		}
		dst = o.appendChatChunk(dst, it, "", content, fin && !o.usage, fin)
	}
	return dst
}

func (o *openAIWriter) appendChatChunk(dst []byte, it *genItem, delta string, deltaBytes []byte, showFinish, fin bool) []byte {
	dst = append(dst, "data: "...)
	dst = o.appendHead(dst, it.rid, "chat.completion.chunk")
	dst = append(dst, `{"index":`...)
	dst = strconv.AppendInt(dst, int64(it.index), 10)
	dst = append(dst, `,"delta":`...)
	dst = append(dst, delta...)
	dst = append(dst, deltaBytes...)
	dst = append(dst, `,"logprobs":null,"finish_reason":`...)
	dst = appendFinishType(dst, it, showFinish)
	dst = append(dst, `,"matched_stop":`...)
	dst = it.appendMatchedStop(dst, fin)
	return append(dst, `}],"usage":null}`+"\n\n"...)
}

// appendChatFinish writes the empty-delta chunk carrying finish_reason.
func (o *openAIWriter) appendChatFinish(dst []byte, it *genItem) []byte {
	return o.appendChatChunk(dst, it, `{"role":null,"content":null,"reasoning_content":null,"tool_calls":null,"hidden_states":null}`, nil, true, true)
}

func appendUsage(dst []byte, items []*genItem, details bool) []byte {
	prompt, completion := 0, 0
	for _, it := range items {
		prompt += it.prompt
		completion += it.emitted
	}
	dst = append(dst, `{"prompt_tokens":`...)
	dst = strconv.AppendInt(dst, int64(prompt), 10)
	dst = append(dst, `,"total_tokens":`...)
	dst = strconv.AppendInt(dst, int64(prompt+completion), 10)
	dst = append(dst, `,"completion_tokens":`...)
	dst = strconv.AppendInt(dst, int64(completion), 10)
	if details {
		dst = append(dst, `,"prompt_tokens_details":null`...)
	}
	return append(dst, '}')
}

// appendUsageChunk writes the final include_usage chunk (empty choices).
func (o *openAIWriter) appendUsageChunk(dst []byte, items []*genItem) []byte {
	object := "text_completion"
	if o.chat {
		object = "chat.completion.chunk"
	}
	dst = append(dst, "data: "...)
	dst = o.appendHead(dst, items[len(items)-1].rid, object)
	dst = append(dst, `],"usage":`...)
	dst = appendUsage(dst, items, o.chat)
	return append(dst, "}\n\n"...)
}

// appendResponse writes the non-streaming response body.
func (o *openAIWriter) appendResponse(dst []byte, items []*genItem) []byte {
	object := "text_completion"
	if o.chat {
		object = "chat.completion"
	}
	dst = o.appendHead(dst, items[0].rid, object)
	for i, it := range items {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"index":`...)
		dst = strconv.AppendInt(dst, int64(it.index), 10)
		if o.chat {
			dst = append(dst, `,"message":{"role":"assistant","content":`...)
			if len(it.text) == 0 {
				dst = append(dst, "null"...)
			} else {
				dst = append(append(append(dst, '"'), it.text...), '"')
			}
			dst = append(dst, `,"reasoning_content":null,"tool_calls":null}`...)
		} else {
			dst = append(dst, `,"text":"`...)
			dst = append(dst, it.text...)
			dst = append(dst, '"')
		}
		dst = append(dst, `,"logprobs":null,"finish_reason":`...)
		dst = appendFinishType(dst, it, true)
		dst = append(dst, `,"matched_stop":`...)
		dst = it.appendMatchedStop(dst, true)
		dst = append(dst, `,"hidden_states":null`...)
		if !o.chat {
			dst = append(dst, `,"routed_experts":null`...)
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `],"usage":`...)
	dst = appendUsage(dst, items, true)
	return append(dst, '}')
}
