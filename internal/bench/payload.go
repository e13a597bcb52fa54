package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
)

// field is one key of a JSON object kept in order, with its raw value.
type field struct {
	key string
	raw []byte
}

// parseObject splits a JSON object into its top-level fields, in order.
func parseObject(raw []byte) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("want a JSON object")
	}
	var fields []field
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("parse: %w", err)
		}
		key := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("parse value of %q: %w", key, err)
		}
		fields = append(fields, field{key, v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if dec.More() {
		return nil, errors.New("trailing data after the object")
	}
	return fields, nil
}

// merge sets or appends the extra fields, like Python's {**payload, **extra}.
func merge(base, extra []field) []field {
	for _, e := range extra {
		if i := slices.IndexFunc(base, func(f field) bool { return f.key == e.key }); i >= 0 {
			base[i].raw = e.raw
		} else {
			base = append(base, e)
		}
	}
	return base
}

func encodeObject(fields []field) []byte {
	n := 2
	for _, f := range fields {
		n += len(f.key) + len(f.raw) + 4
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, f.key)
		b = append(b, ':')
		b = append(b, f.raw...)
	}
	return append(b, '}')
}

func idList(first, n, vocab int) []byte {
	b := make([]byte, 0, n*6+2)
	b = append(b, '[')
	for j := range n {
		if j > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(idAt(first, j, vocab)), 10)
	}
	return append(b, ']')
}

func jsonBool(v bool) []byte { return strconv.AppendBool(nil, v) }
func jsonInt(v int) []byte   { return strconv.AppendInt(nil, int64(v), 10) }

// requestBuilder renders complete HTTP/1.1 requests ahead of the timed run,
// so JSON encoding never lands inside TTFT.
type requestBuilder struct {
	api          api
	model        string
	vocab        int
	stream       bool
	ignoreEOS    bool
	includeUsage bool // default mode on /v1/completions: ask for the usage chunk
	extra        []field
	head         []byte // request line and fixed headers, without Content-Length
}

func newRequestBuilder(c *Config, a api, u *url.URL) (*requestBuilder, error) {
	rb := &requestBuilder{
		api:          a,
		model:        c.Model,
		vocab:        c.VocabSize,
		stream:       !c.DisableStream,
		ignoreEOS:    !c.DisableIgnoreEOS,
		includeUsage: a == apiCompletions && !c.Compat && !c.DisableStream,
	}
	if len(c.ExtraRequestBody) > 0 {
		extra, err := parseObject(c.ExtraRequestBody)
		if err != nil {
			return nil, fmt.Errorf("extra request body: %w", err)
		}
		rb.extra = extra
	}
	path := u.EscapedPath() + a.path()
	h := []byte("POST " + path + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUser-Agent: tpuci-bench\r\nAccept: */*\r\nContent-Type: application/json\r\n")
	keys := make([]string, 0, len(c.Headers))
	for k := range c.Headers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !validHeader(k, c.Headers[k]) {
			return nil, fmt.Errorf("header %q: invalid name or value", k)
		}
		h = append(h, k+": "+c.Headers[k]+"\r\n"...)
	}
	rb.head = h
	return rb, nil
}

func validHeader(k, v string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '\r' || c == '\n' {
			return false
		}
	}
	return true
}

// body is bench_serving's payload for the backend, with ids in place of text.
func (rb *requestBuilder) body(firstID, promptLen, outputLen int) []byte {
	ids := idList(firstID, promptLen, rb.vocab)
	var fields []field
	if rb.api == apiGenerate {
		sp := []byte(`{"temperature":0.0,"max_new_tokens":` + strconv.Itoa(outputLen) +
			`,"ignore_eos":` + strconv.FormatBool(rb.ignoreEOS) + `}`)
		fields = []field{
			{"input_ids", ids},
			{"sampling_params", sp},
			{"stream", jsonBool(rb.stream)},
			{"lora_path", []byte("null")},
			{"return_logprob", []byte("false")},
			{"return_routed_experts", []byte("false")},
			{"logprob_start_len", []byte("-1")},
		}
	} else {
		model, _ := json.Marshal(rb.model)
		fields = []field{
			{"model", model},
			{"prompt", ids},
			{"temperature", []byte("0.0")},
			{"best_of", []byte("1")},
			{"max_tokens", jsonInt(outputLen)},
			{"stream", jsonBool(rb.stream)},
			{"ignore_eos", jsonBool(rb.ignoreEOS)},
		}
		if rb.includeUsage {
			fields = append(fields, field{"stream_options", []byte(`{"include_usage":true}`)})
		}
	}
	return encodeObject(merge(fields, rb.extra))
}

// request is the full HTTP request for one prompt.
func (rb *requestBuilder) request(firstID, promptLen, outputLen int) []byte {
	body := rb.body(firstID, promptLen, outputLen)
	cl := "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	b := make([]byte, 0, len(rb.head)+len(cl)+len(body))
	b = append(b, rb.head...)
	b = append(b, cl...)
	return append(b, body...)
}
