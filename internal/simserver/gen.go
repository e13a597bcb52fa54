package simserver

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Shared path of every generation endpoint: validate prompts, build the
// per-prompt token plan, inject simulated failures, submit to the engine and
// follow the progress the engine publishes.

// promptIn is one prompt as received.
type promptIn struct {
	text      string // prompt text (after any chat template)
	ids       []int  // prompt token ids, when given as ids
	isIDs     bool
	matchText string // where eval questions are searched ("" = text)
	images    int    // image parts the chat messages carried
}

// genParams are the sampling parameters the simulator honours.
type genParams struct {
	maxNew    *int // nil: endpoint default
	minNew    int
	ignoreEOS bool
}

// genItem is one prompt's generation and the state of its response.
type genItem struct {
	req     *request
	src     *tokenSource
	rid     string
	index   int
	prompt  int
	eosStop bool
	created time.Time
	seq     uint64 // arrival number of the HTTP request

	text     []byte // JSON-escaped cumulative text
	ids      []byte // comma-separated cumulative ids (native API only)
	withIDs  bool
	stamp    bool // append the send time as "ts" (Unix ns) for latency checks
	emitted  int
	sentText int  // bytes of text already sent (OpenAI deltas)
	done     bool // final chunk written
	started  bool // chat: role chunk written
}

// badRequest is a client error; the message goes into the 400 body.
type badRequest struct{ msg string }

func (e badRequest) Error() string { return e.msg }

func badf(format string, args ...any) error { return badRequest{fmt.Sprintf(format, args...)} }

// prepare validates prompts and builds their items; errors are badRequest.
func (s *Server) prepare(prompts []promptIn, params []genParams, rids []string, defaultMax func(promptTokens int) int, withIDs bool) ([]*genItem, error) {
	seq := s.seq.Add(1)
	notify := make(chan struct{}, 1)
	items := make([]*genItem, 0, len(prompts))
	now := time.Now()
	for i, p := range prompts {
		par := params[0]
		if len(params) == len(prompts) {
			par = params[i]
		}
		n, h, toks, err := s.measure(p)
		if err != nil {
			return nil, err
		}
		if n >= s.cfg.ContextLength {
			return nil, badf("The input (%d tokens) is longer than the model's context length (%d tokens).", n, s.cfg.ContextLength)
		}
		maxNew := defaultMax(n)
		if par.maxNew != nil {
			maxNew = *par.maxNew
		}
		if maxNew < 0 {
			return nil, badf("max_new_tokens must be at least 0, got %d.", maxNew)
		}
		if maxNew+n >= s.cfg.ContextLength {
			return nil, badf("Requested token count exceeds the model's maximum context length of %d tokens. You requested a total of %d tokens: %d tokens from the input messages and %d tokens for the completion. Please reduce the number of tokens in the input messages or the completion to fit within the limit.", s.cfg.ContextLength, maxNew+n, n, maxNew)
		}
		script := ""
		if s.evals != nil {
			mt := p.matchText
			if mt == "" {
				mt = p.text
			}
			if it, ok := s.evals.match(mt); ok {
				script = it.reply(s.cfg.Seed, s.cfg.Accuracy, p.images)
			}
		}
		src := newTokenSource(script, h)
		natural := len(src.script)
		if natural == 0 {
			natural = naturalLength(h)
		}
		maxOut, eos := maxNew, false
		if !par.ignoreEOS {
			if nat := max(natural, par.minNew); nat < maxNew {
				maxOut, eos = nat, true
			}
		}
		req := newRequest(n, maxOut, notify)
		if s.eng.cfg.cache != nil {
			req.blocks = promptBlocks(len(toks), func(i int) uint64 { return toks[i] })
		}
		rid := ""
		if i < len(rids) {
			rid = rids[i]
		}
		if rid == "" {
			rid = fmt.Sprintf("%016x%016x", mix64(uint64(s.cfg.Seed)^seq), mix64(seq<<8|uint64(i)))
		}
		items = append(items, &genItem{req: req, src: src, rid: rid, index: i, prompt: n, eosStop: eos, created: now, seq: seq, withIDs: withIDs, stamp: s.cfg.StampChunks})
	}
	if s.cfg.RecompileEvery > 0 && seq%uint64(s.cfg.RecompileEvery) == 0 {
		items[0].req.recompile = true
	}
	return items, nil
}

// measure counts a prompt's tokens, hashes it (the seed of its output) and
// returns per-token identities for the prefix cache.
func (s *Server) measure(p promptIn) (n int, h uint64, toks []uint64, err error) {
	h = uint64(s.cfg.Seed)
	if p.isIDs {
		if len(p.ids) == 0 {
			return 0, 0, nil, badf("input_ids is empty")
		}
		toks = make([]uint64, len(p.ids))
		for i, id := range p.ids {
			if id < 0 || id >= vocabSize {
				return 0, 0, nil, badf("input_ids[%d] = %d is outside the vocabulary [0, %d)", i, id, vocabSize)
			}
			toks[i] = uint64(id) + 1
			h = mix64(h ^ toks[i])
		}
		return len(p.ids), h, toks, nil
	}
	for i := 0; i < len(p.text); {
		k := nextPiece(p.text, i)
		toks = append(toks, hashString(0, p.text[i:i+k]))
		i += k
	}
	if len(toks) == 0 {
		toks = append(toks, 1) // an empty prompt still has a BOS token
	}
	return len(toks), hashString(h, p.text), toks, nil
}

// admit applies --sim-fail-rate and submits the items; false means a 500
// was written.
func (s *Server) admit(w http.ResponseWriter, items []*genItem) bool {
	if s.cfg.FailRate > 0 && unitFloat(mix64(uint64(s.cfg.Seed)^0xfa11^mix64(items[0].seq))) < s.cfg.FailRate {
		s.logf("request %s: simulated internal error (--sim-fail-rate %g)", items[0].rid, s.cfg.FailRate)
		writeOpenAIError(w, http.StatusInternalServerError, "InternalServerError", "Internal server error: simulated failure (--sim-fail-rate)")
		return false
	}
	for _, it := range items {
		s.eng.submit(it.req)
	}
	return true
}

// advance appends the item's output tokens up to n.
func (it *genItem) advance(n int) {
	for it.emitted < n {
		t := it.src.next()
		it.text = append(it.text, t.esc...)
		if it.withIDs {
			if it.emitted > 0 {
				it.ids = append(it.ids, ',')
			}
			it.ids = strconv.AppendInt(it.ids, int64(t.id), 10)
		}
		it.emitted++
	}
}

// follow waits for engine progress and calls emit for every item that
// produced tokens or finished; flush runs after each pass. It returns
// false when the client went away (the requests are then aborted).
func follow(ctx context.Context, items []*genItem, emit func(it *genItem, fin bool), flush func()) bool {
	notify := items[0].req.notify
	for {
		pending := 0
		for _, it := range items {
			if it.done {
				continue
			}
			fin := it.req.finished.Load()
			if n := int(it.req.produced.Load()); n > it.emitted || fin {
				it.advance(n)
				emit(it, fin)
				it.done = fin
			}
			if !it.done {
				pending++
			}
		}
		if flush != nil {
			flush()
		}
		if pending == 0 {
			return true
		}
		select {
		case <-notify:
		case <-ctx.Done():
			for _, it := range items {
				it.req.aborted.Store(true)
			}
			return false
		}
	}
}

// failure returns the engine's error message for a failed item.
func (it *genItem) failure() (string, bool) {
	if p := it.req.failure.Load(); p != nil {
		return *p, true
	}
	return "", false
}

// finishType is the OpenAI finish_reason of a finished item.
func (it *genItem) finishType() string {
	if it.eosStop {
		return "stop"
	}
	return "length"
}

// appendFinishReason writes SGLang's finish_reason object (or null).
func (it *genItem) appendFinishReason(dst []byte, fin bool) []byte {
	switch {
	case !fin:
		return append(dst, "null"...)
	case it.eosStop:
		dst = append(dst, `{"type":"stop","matched":`...)
		return append(strconv.AppendInt(dst, eosTokenID, 10), '}')
	default:
		dst = append(dst, `{"type":"length","length":`...)
		return append(strconv.AppendInt(dst, int64(it.req.maxOut), 10), '}')
	}
}

// appendMatchedStop writes OpenAI's matched_stop value.
func (it *genItem) appendMatchedStop(dst []byte, fin bool) []byte {
	if fin && it.eosStop {
		return strconv.AppendInt(dst, eosTokenID, 10)
	}
	return append(dst, "null"...)
}

func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendJSONEscaped(dst, s)
	return append(dst, '"')
}
