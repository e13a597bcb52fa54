package bench

import (
	"bytes"
	"time"
)

// Stream lines are scanned, never JSON-decoded: a quoted key followed by a
// colon cannot occur inside a JSON string (its quotes would be escaped), so
// byte searches for `"key":` find real keys. /generate lines carry the
// cumulative text and ids, so meta_info is searched from the end.

var (
	keyText             = []byte(`"text"`)
	keyChoices          = []byte(`"choices"`)
	keyUsage            = []byte(`"usage"`)
	keyCompletionTokens = []byte(`"completion_tokens"`)
	keyCachedTokens     = []byte(`"cached_tokens"`)
	keyError            = []byte(`"error"`)
	keyTS               = []byte(`"ts"`)
	tokDone             = []byte("[DONE]")
	tokNull             = []byte("null")
)

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// valueAfterKey returns the index of the value following the key occurrence
// at i (key length k), or -1 if the occurrence is not followed by a colon.
func valueAfterKey(data []byte, i, k int) int {
	j := i + k
	for j < len(data) && isSpace(data[j]) {
		j++
	}
	if j >= len(data) || data[j] != ':' {
		return -1
	}
	j++
	for j < len(data) && isSpace(data[j]) {
		j++
	}
	if j >= len(data) {
		return -1
	}
	return j
}

// findValue returns the index of the value of the first `"key":` at or
// after from, or -1.
func findValue(data, key []byte, from int) int {
	for from <= len(data) {
		i := bytes.Index(data[from:], key)
		if i < 0 {
			return -1
		}
		if v := valueAfterKey(data, from+i, len(key)); v >= 0 {
			return v
		}
		from += i + 1
	}
	return -1
}

// lastValue returns the index of the value of the last `"key":`, or -1.
func lastValue(data, key []byte) int {
	end := len(data)
	for end > 0 {
		i := bytes.LastIndex(data[:end], key)
		if i < 0 {
			return -1
		}
		if v := valueAfterKey(data, i, len(key)); v >= 0 {
			return v
		}
		end = i
	}
	return -1
}

// intAt parses an integer value at v; ok is false for null or non-numbers.
func intAt(data []byte, v int) (int64, bool) {
	if v < 0 {
		return 0, false
	}
	neg := false
	if v < len(data) && data[v] == '-' {
		neg = true
		v++
	}
	var n int64
	digits := 0
	for v < len(data) && data[v] >= '0' && data[v] <= '9' {
		n = n*10 + int64(data[v]-'0')
		v++
		digits++
	}
	if digits == 0 {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// stringState classifies the value at v: absent (v<0), empty ("" or null),
// or non-empty.
type strState int

const (
	strAbsent strState = iota
	strEmpty
	strNonEmpty
)

func stringAt(data []byte, v int) strState {
	switch {
	case v < 0:
		return strAbsent
	case data[v] == '"' && v+1 < len(data) && data[v+1] == '"':
		return strEmpty
	case bytes.HasPrefix(data[v:], tokNull):
		return strEmpty
	}
	return strNonEmpty
}

// firstKeyIs reports whether the object's first key is key.
func firstKeyIs(data, key []byte) bool {
	d := trimSpace(data)
	if len(d) == 0 || d[0] != '{' {
		return false
	}
	d = trimSpace(d[1:])
	return bytes.HasPrefix(d, key) && valueAfterKey(d, 0, len(key)) >= 0
}

func looksLikeObject(data []byte) bool {
	return len(data) >= 2 && data[0] == '{' && data[len(data)-1] == '}'
}

// sseData extracts the payload of one stream line. ok is false for lines
// that carry nothing: blank lines, SSE comments (keep-alives) and other SSE
// fields. A line without a "data:" prefix is returned whole, which is how a
// non-streamed JSON body is read (bench_serving does the same).
func sseData(line []byte) (data []byte, ok bool) {
	line = trimSpace(line)
	if len(line) == 0 || line[0] == ':' {
		return nil, false
	}
	if hasPrefix(line, "data:") {
		return trimSpace(line[5:]), true
	}
	if hasPrefix(line, "event:") || hasPrefix(line, "id:") || hasPrefix(line, "retry:") {
		return nil, false
	}
	return line, true
}

func hasPrefix(b []byte, s string) bool { return len(b) >= len(s) && string(b[:len(s)]) == s }

// streamParser turns timestamped lines of one response into a
// requestOutput, with bench_serving's timing rules (§1.6 of the bench doc).
type streamParser struct {
	api    api
	compat bool
	out    *requestOutput
	st     time.Time // clock start

	sawLine  bool      // any payload line (bench_serving's latency is set)
	lastLine time.Time // arrival of the last payload line
	gotFirst bool      // first token seen (TTFT taken)
	lastTS   time.Time // arrival of the last line that advanced the ITL
	lastLen  int64     // completion_tokens at lastTS
	lastTok  time.Time // arrival of the last token-bearing line
	failure  string    // set when the stream proved the request failed
	skew     *skewRecorder
}

func (p *streamParser) reset(a api, compat bool, out *requestOutput, st time.Time, skew *skewRecorder) {
	*p = streamParser{api: a, compat: compat, out: out, st: st, skew: skew}
}

// line handles one raw line read at now. It returns false once the request
// has failed; p.failure then says why.
func (p *streamParser) line(raw []byte, now time.Time) bool {
	data, ok := sseData(raw)
	if !ok {
		return true
	}
	p.sawLine = true
	p.lastLine = now
	if bytes.Equal(data, tokDone) {
		return true
	}
	if !looksLikeObject(data) {
		return p.fail("invalid JSON in stream: " + truncate(data, 200))
	}
	first := p.gotFirst
	if p.api == apiGenerate {
		ok = p.generateLine(data, now)
	} else {
		ok = p.completionsLine(data, now)
	}
	if p.skew != nil {
		p.skew.observe(data, now, !first && p.gotFirst)
	}
	return ok
}

func (p *streamParser) fail(msg string) bool {
	p.failure = msg
	return false
}

// generateLine follows bench_serving's /generate rules: TTFT at the first
// line with non-empty text; later lines add their gap split evenly over
// their new tokens; lines without new tokens are skipped entirely.
func (p *streamParser) generateLine(data []byte, now time.Time) bool {
	if firstKeyIs(data, keyError) && !p.compat {
		return p.fail("server error in stream: " + truncate(data, 300))
	}
	text := stringAt(data, findValue(data, keyText, 0))
	ct, hasCT := intAt(data, lastValue(data, keyCompletionTokens))
	tokenLine := text == strNonEmpty
	if !p.compat && text == strAbsent && hasCT && ct > 0 {
		tokenLine = true // --skip-tokenizer-init servers send no text
	}
	if !tokenLine {
		return true
	}
	if !hasCT {
		return p.fail("stream line without meta_info.completion_tokens: " + truncate(data, 200))
	}
	cached, _ := intAt(data, lastValue(data, keyCachedTokens))
	p.out.outputLen = int(ct)
	p.out.cachedTokens = int(cached)
	if !p.gotFirst {
		p.gotFirst = true
		p.out.ttft = now.Sub(p.st).Seconds()
	} else {
		delta := ct - p.lastLen
		if delta == 0 {
			return true
		}
		if delta > 0 {
			gap := now.Sub(p.lastTS).Seconds() / float64(delta)
			for range delta {
				p.out.itl = append(p.out.itl, gap)
			}
		}
	}
	p.lastTS = now
	p.lastLen = ct
	p.lastTok = now
	p.out.tokenLines++
	return true
}

// completionsLine follows bench_serving's /v1/completions rules: TTFT at
// the first non-empty choices[0].text and one ITL gap per later non-empty
// chunk. Compat mode fails where bench_serving's parser raises (an error
// payload, a usage chunk with empty choices) and reads usage only from
// chunks with text; the default mode reads usage wherever it is.
func (p *streamParser) completionsLine(data []byte, now time.Time) bool {
	if firstKeyIs(data, keyError) {
		if p.compat {
			return p.fail("KeyError: 'choices' (error payload): " + truncate(data, 300))
		}
		return p.fail("server error in stream: " + truncate(data, 300))
	}
	ch := findValue(data, keyChoices, 0)
	if ch < 0 || data[ch] != '[' {
		return p.fail("stream chunk without choices: " + truncate(data, 200))
	}
	rest := trimSpace(data[ch+1:])
	emptyChoices := len(rest) > 0 && rest[0] == ']'
	ut, hasUsage := int64(0), false
	if u := lastValue(data, keyUsage); u >= 0 && data[u] == '{' {
		ut, hasUsage = intAt(data, findValue(data, keyCompletionTokens, u))
	}
	if emptyChoices {
		if p.compat {
			return p.fail("IndexError: empty choices (usage chunk)")
		}
		if hasUsage {
			p.out.outputLen = int(ut)
			p.out.usageSeen = true
		}
		return true
	}
	text := stringAt(data, findValue(data, keyText, ch))
	if text == strAbsent {
		return p.fail("stream chunk without choices[0].text: " + truncate(data, 200))
	}
	if text == strNonEmpty {
		if !p.gotFirst {
			p.gotFirst = true
			p.out.ttft = now.Sub(p.st).Seconds()
		} else {
			p.out.itl = append(p.out.itl, now.Sub(p.lastTS).Seconds())
		}
		p.lastTS = now
		p.lastTok = now
		p.out.tokenLines++
	}
	if hasUsage && (text == strNonEmpty || !p.compat) {
		p.out.outputLen = int(ut)
		p.out.usageSeen = true
	}
	return true
}

// finish closes the request after the body ended cleanly.
func (p *streamParser) finish() {
	o := p.out
	if p.failure != "" {
		o.err = p.failure
		return
	}
	if !p.sawLine {
		o.err = "empty response body"
		return
	}
	if !p.compat && !p.gotFirst {
		// bench_serving counts this as a success with TTFT 0.
		o.err = "response carried no tokens"
		return
	}
	o.success = true
	o.latency = p.lastLine.Sub(p.st).Seconds()
	if p.gotFirst {
		o.lastToken = p.lastTok.Sub(p.st).Seconds()
	}
}
