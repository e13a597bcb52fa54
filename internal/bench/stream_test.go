package bench

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

const sseHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"

// chunked frames pieces as HTTP chunks (with an extension on the first) and
// ends the body with a trailer.
func chunked(pieces ...string) string {
	var b strings.Builder
	for i, p := range pieces {
		ext := ""
		if i == 0 {
			ext = ";note=x"
		}
		fmt.Fprintf(&b, "%x%s\r\n%s\r\n", len(p), ext, p)
	}
	b.WriteString("0\r\nX-Trailer: 1\r\n\r\n")
	return b.String()
}

func genEvent(text string, ct int, extra string) string {
	return fmt.Sprintf(`data: {"text":%q,"output_ids":[1,2],"meta_info":{"id":"r1","finish_reason":null,"prompt_tokens":4,"completion_tokens":%d,"cached_tokens":2%s}}`+"\n\n", text, ct, extra)
}

type parsed struct {
	out *requestOutput
	err error
	p   *streamParser
}

// parseRecorded reads a recorded response. The clock advances 1 ms per
// line read, so line k of the body (blank lines included) arrives at k+1 ms.
func parseRecorded(t *testing.T, raw string, a api, compat bool, requested int, oneByte bool) parsed {
	t.Helper()
	var r io.Reader = strings.NewReader(raw)
	if oneByte {
		r = iotest.OneByteReader(r)
	}
	c := newConn(nil, r, 1<<20)
	h, err := c.readHeader()
	if err != nil {
		t.Fatalf("read header: %v", err)
	}
	if h.status != 200 {
		t.Fatalf("status %d", h.status)
	}
	c.startBody(h)
	o := &requestOutput{outputLen: requested}
	st := time.Unix(1000, 0)
	tick := 0
	clock := func() time.Time { tick++; return st.Add(time.Duration(tick) * time.Millisecond) }
	p := &streamParser{}
	p.reset(a, compat, o, st, nil)
	err = readStream(c, p, clock)
	if err == nil && !c.bodyDone() && p.failure == "" {
		t.Fatal("body not read to its end")
	}
	return parsed{o, err, p}
}

func ms(v float64) float64 { return math.Round(v*1e6) / 1e3 }

func TestGenerateStreamTiming(t *testing.T) {
	events := []string{
		genEvent("a", 1, ""),
		genEvent("a b", 2, ""),
		genEvent("a b c d", 4, ""), // two tokens coalesced
		genEvent("a b c d", 4, ""), // no new token: skipped, last timestamp kept
		genEvent("a b c d e", 5, `,"e2e_latency":0.1`),
		"data: [DONE]\n\n",
	}
	whole := sseHead + chunked(events...)
	// The same bytes split mid-line across HTTP chunks.
	joined := strings.Join(events, "")
	split := sseHead + chunked(joined[:17], joined[17:150], joined[150:151], joined[151:])
	for name, raw := range map[string]string{"whole": whole, "split": split} {
		for _, oneByte := range []bool{false, true} {
			for _, compat := range []bool{false, true} {
				res := parseRecorded(t, raw, apiGenerate, compat, 9, oneByte)
				o := res.out
				if res.err != nil || !o.success {
					t.Fatalf("%s/oneByte=%v: err %v, %q", name, oneByte, res.err, o.err)
				}
				// Data lines arrive at 1,3,5,7,9,11 ms.
				wantITL := []float64{2, 1, 1, 4}
				if ms(o.ttft) != 1 || ms(o.latency) != 11 || ms(o.lastToken) != 9 {
					t.Fatalf("%s: ttft %v latency %v lastToken %v", name, ms(o.ttft), ms(o.latency), ms(o.lastToken))
				}
				if len(o.itl) != len(wantITL) {
					t.Fatalf("%s: itl %v, want %v ms", name, o.itl, wantITL)
				}
				for i, w := range wantITL {
					if ms(o.itl[i]) != w {
						t.Fatalf("%s: itl %v, want %v ms", name, o.itl, wantITL)
					}
				}
				if o.outputLen != 5 || o.cachedTokens != 2 || o.tokenLines != 4 {
					t.Fatalf("%s: output %d cached %d token lines %d", name, o.outputLen, o.cachedTokens, o.tokenLines)
				}
			}
		}
	}
}

func TestGenerateKeepAliveCommentsAndEmptyText(t *testing.T) {
	raw := sseHead + chunked(
		": keep-alive\n\n",
		genEvent("", 0, ""), // empty text: not the first token
		"event: message\nid: 3\n",
		genEvent("x", 1, ""),
		": ping\n\n",
		genEvent("x y", 2, ""),
		"data: [DONE]\n\n",
	)
	res := parseRecorded(t, raw, apiGenerate, false, 9, false)
	o := res.out
	if !o.success || o.outputLen != 2 || len(o.itl) != 1 {
		t.Fatalf("success %v output %d itl %v err %q", o.success, o.outputLen, o.itl, o.err)
	}
	// Lines: comment(1) blank(2) empty-text(3) blank(4) event(5) id(6) x(7)...
	if ms(o.ttft) != 7 {
		t.Fatalf("ttft %v ms, want 7 (first non-empty text)", ms(o.ttft))
	}
}

func TestGenerateErrorPayload(t *testing.T) {
	raw := sseHead + chunked(
		genEvent("a", 1, ""),
		genEvent("a b", 2, ""),
		`data: {"error": {"message": "out of memory", "code": 500}}`+"\n\n",
		"data: [DONE]\n\n",
	)
	def := parseRecorded(t, raw, apiGenerate, false, 9, false)
	if def.out.success || !strings.Contains(def.out.err, "out of memory") {
		t.Fatalf("default mode: success %v err %q, want a failure naming the error", def.out.success, def.out.err)
	}
	cmp := parseRecorded(t, raw, apiGenerate, true, 9, false)
	if !cmp.out.success || cmp.out.outputLen != 2 {
		t.Fatalf("compat mode: success %v output %d, want bench_serving's success with 2 tokens", cmp.out.success, cmp.out.outputLen)
	}
}

func TestGenerateWithoutText(t *testing.T) {
	ev := func(ct int) string {
		return fmt.Sprintf(`data: {"output_ids":[%d],"meta_info":{"completion_tokens":%d}}`+"\n\n", ct, ct)
	}
	raw := sseHead + chunked(ev(1), ev(2), ev(3), "data: [DONE]\n\n")
	def := parseRecorded(t, raw, apiGenerate, false, 3, false)
	if !def.out.success || ms(def.out.ttft) != 1 || len(def.out.itl) != 2 || def.out.outputLen != 3 {
		t.Fatalf("default: %+v", def.out)
	}
	cmp := parseRecorded(t, raw, apiGenerate, true, 3, false)
	if !cmp.out.success || cmp.out.ttft != 0 || len(cmp.out.itl) != 0 || cmp.out.outputLen != 3 {
		t.Fatalf("compat (bench_serving: ttft 0, no itl, requested length): %+v", cmp.out)
	}
}

func TestNoTokensFailsInDefaultMode(t *testing.T) {
	raw := sseHead + chunked(`data: {"detail":"not a token"}`+"\n\n", "data: [DONE]\n\n")
	for _, a := range []api{apiGenerate, apiCompletions} {
		def := parseRecorded(t, raw, a, false, 4, false)
		if def.out.success || def.out.err != "response carried no tokens" {
			if a == apiGenerate || !strings.Contains(def.out.err, "choices") {
				t.Errorf("api %d default: %+v", a, def.out)
			}
		}
	}
	cmp := parseRecorded(t, raw, apiGenerate, true, 4, false)
	if !cmp.out.success || cmp.out.ttft != 0 || cmp.out.outputLen != 4 {
		t.Errorf("compat keeps bench_serving's success: %+v", cmp.out)
	}
}

func TestGenerateNonStreamBody(t *testing.T) {
	body := `{"text":"a b c","output_ids":[1,2,3],"meta_info":{"completion_tokens":3,"cached_tokens":0}}`
	raw := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	res := parseRecorded(t, raw, apiGenerate, false, 3, false)
	if !res.out.success || res.out.ttft != res.out.latency || len(res.out.itl) != 0 || res.out.outputLen != 3 {
		t.Fatalf("non-stream: %+v", res.out)
	}
}

func TestGenerateLongLine(t *testing.T) {
	long := strings.Repeat("w ", 100_000) // 200 kB of text, over the 64 KiB buffer
	raw := sseHead + chunked(genEvent("a", 1, ""), genEvent(long, 2, ""), "data: [DONE]\n\n")
	res := parseRecorded(t, raw, apiGenerate, false, 2, false)
	if !res.out.success || res.out.outputLen != 2 || len(res.out.itl) != 1 {
		t.Fatalf("long line: %+v", res.out)
	}
	c := newConn(nil, strings.NewReader(raw), 100_000)
	h, _ := c.readHeader()
	c.startBody(h)
	var p streamParser
	p.reset(apiGenerate, false, &requestOutput{}, time.Now(), nil)
	if err := readStream(c, &p, time.Now); !errors.Is(err, errLineTooLong) {
		t.Fatalf("over max line bytes: err %v", err)
	}
}

func TestTruncatedStreamFails(t *testing.T) {
	full := sseHead + chunked(genEvent("a", 1, ""), genEvent("a b", 2, ""))
	cut := full[:len(full)-40]
	res := parseRecorded(t, cut, apiGenerate, false, 2, false)
	if res.err == nil {
		t.Fatal("truncated chunked body read without error")
	}
}

func oaiChunk(text string, usage string) string {
	return fmt.Sprintf(`data: {"id":"c1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":%q,"logprobs":null,"finish_reason":null}],"usage":%s}`+"\n\n", text, usage)
}

func TestCompletionsStream(t *testing.T) {
	usageChunk := `data: {"id":"c1","object":"text_completion","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":4,"total_tokens":8,"completion_tokens":4}}` + "\n\n"
	withUsage := sseHead + chunked(
		oaiChunk("a", "null"), oaiChunk("", "null"), oaiChunk(" b", "null"), oaiChunk(" c d", "null"),
		oaiChunk("", "null"), usageChunk, "data: [DONE]\n\n")
	def := parseRecorded(t, withUsage, apiCompletions, false, 16, true)
	o := def.out
	// Data lines at 1,3,5,7,9,11,13 ms; text at 1,5,7.
	if !o.success || ms(o.ttft) != 1 || len(o.itl) != 2 || ms(o.itl[0]) != 4 || ms(o.itl[1]) != 2 {
		t.Fatalf("default: %+v", o)
	}
	if o.outputLen != 4 || !o.usageSeen || ms(o.latency) != 13 {
		t.Fatalf("default: output %d usage %v latency %v", o.outputLen, o.usageSeen, ms(o.latency))
	}
	cmp := parseRecorded(t, withUsage, apiCompletions, true, 16, false)
	if cmp.out.success || !strings.Contains(cmp.out.err, "IndexError") {
		t.Fatalf("compat: usage chunk should fail like bench_serving, got %+v", cmp.out)
	}

	noUsage := sseHead + chunked(oaiChunk("a", "null"), oaiChunk("b", "null"), "data: [DONE]\n\n")
	cmp = parseRecorded(t, noUsage, apiCompletions, true, 16, false)
	if !cmp.out.success || cmp.out.outputLen != 16 {
		t.Fatalf("compat without usage: output %d, want the requested 16", cmp.out.outputLen)
	}
	// Usage on a text chunk counts in both modes.
	inline := sseHead + chunked(oaiChunk("a", "null"), oaiChunk("b", `{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}`), "data: [DONE]\n\n")
	cmp = parseRecorded(t, inline, apiCompletions, true, 16, false)
	if cmp.out.outputLen != 2 {
		t.Fatalf("compat inline usage: output %d, want 2", cmp.out.outputLen)
	}

	errStream := sseHead + chunked(oaiChunk("a", "null"), `data: {"error": {"message": "bad things", "code": 400}}`+"\n\n", "data: [DONE]\n\n")
	for _, compat := range []bool{false, true} {
		res := parseRecorded(t, errStream, apiCompletions, compat, 16, false)
		if res.out.success || !strings.Contains(res.out.err, "bad things") {
			t.Fatalf("compat=%v error payload: %+v", compat, res.out)
		}
	}
}

func TestInvalidJSONLineFails(t *testing.T) {
	raw := sseHead + chunked("data: {\"text\":\"a\",\n\n", "data: [DONE]\n\n")
	res := parseRecorded(t, raw, apiGenerate, false, 2, false)
	if res.out.success || !strings.Contains(res.out.err, "invalid JSON") {
		t.Fatalf("got %+v", res.out)
	}
	empty := sseHead + chunked()
	res = parseRecorded(t, empty, apiGenerate, false, 2, false)
	if res.out.success || res.out.err != "empty response body" {
		t.Fatalf("empty body: %+v", res.out)
	}
}

func TestScanHelpers(t *testing.T) {
	line := []byte(`{"text" : "he said \"text\": no", "meta_info": {"completion_tokens": 12, "x": {"completion_tokens_other": 1}}}`)
	if v, ok := intAt(line, lastValue(line, keyCompletionTokens)); !ok || v != 12 {
		t.Fatalf("completion_tokens = %d, %v", v, ok)
	}
	if stringAt(line, findValue(line, keyText, 0)) != strNonEmpty {
		t.Fatal("text not found as non-empty")
	}
	if stringAt([]byte(`{"text":null}`), findValue([]byte(`{"text":null}`), keyText, 0)) != strEmpty {
		t.Fatal("null text not empty")
	}
	if !firstKeyIs([]byte(` { "error" : {}}`), keyError) || firstKeyIs([]byte(`{"text":"error"}`), keyError) {
		t.Fatal("firstKeyIs wrong")
	}
}
