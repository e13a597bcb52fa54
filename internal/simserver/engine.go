package simserver

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// The engine is one scheduler goroutine that runs "device steps" back to
// back, like SGLang-JAX's scheduler: a step is either a prefill batch (new
// requests' prompt tokens up to the chunked-prefill budget; prefill has
// priority) or a decode batch (one token for every running request). At
// most maxRunning requests are admitted; the rest wait in FIFO order. A
// step's duration comes from the timing model; its results are published
// when the step ends.

// Timing is the step-time model.
type Timing struct {
	PrefillBaseMs        float64
	PrefillMsPer1kTokens float64
	DecodeStepMs         float64
	DecodeMsPerSeq       float64
	Slowdown             float64
}

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

// Prefill is the duration of a prefill step computing tokens prompt tokens.
func (t Timing) Prefill(tokens int) time.Duration {
	return ms((t.PrefillBaseMs + float64(tokens)*t.PrefillMsPer1kTokens/1000) * t.Slowdown)
}

// Decode is the duration of a decode step over seqs running sequences.
func (t Timing) Decode(seqs int) time.Duration {
	return ms((t.DecodeStepMs + float64(seqs)*t.DecodeMsPerSeq) * t.Slowdown)
}

// request is one generation inside the engine. Fields above the line are
// fixed at submission; the engine goroutine owns the middle block; the
// atomics are how it publishes progress to the HTTP handler.
type request struct {
	promptTokens int
	blocks       []uint64 // prefix-cache block hashes of the prompt
	maxOut       int      // tokens to generate
	recompile    bool     // this request triggers a recompilation
	notify       chan struct{}

	cached   int
	computed int
	out      int

	cachedTokens atomic.Int64
	produced     atomic.Int64
	cacheMiss    atomic.Int64
	finished     atomic.Bool
	aborted      atomic.Bool
	failure      atomic.Pointer[string]
}

func newRequest(promptTokens, maxOut int, notify chan struct{}) *request {
	if notify == nil {
		notify = make(chan struct{}, 1)
	}
	return &request{promptTokens: promptTokens, maxOut: maxOut, notify: notify}
}

func (r *request) signal() {
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// stepRecord describes one executed step (for profiles and tests).
type stepRecord struct {
	Start     time.Time
	Dur       time.Duration
	Prefill   bool
	Batch     int
	Tokens    int // prefill: prompt tokens computed; decode: tokens generated
	CacheMiss int
}

// errCacheMiss is the engine's fatal error when recompilations are fatal.
type errCacheMiss struct{ count int64 }

func (e errCacheMiss) Error() string {
	return fmt.Sprintf("cache miss occurred %d times: a recompilation happened while %s=1; check that precompilation covers this batch shape", e.count, CacheMissCheckEnv)
}

type engineConfig struct {
	timing         Timing
	maxRunning     int
	chunk          int // <= 0: no chunking
	recompileDelay time.Duration
	cacheMissFatal bool
	noise          float64
	seed           int64
	cache          *prefixCache // nil: radix cache disabled
}

type engine struct {
	cfg engineConfig

	mu      sync.Mutex
	pending []*request
	wake    chan struct{}

	// Owned by the run goroutine.
	waiting  []*request
	head     int
	chunked  *request
	decoding []*request
	batch    []*request
	rng      uint64

	active     atomic.Int64 // submitted, not finished
	queued     atomic.Int64
	running    atomic.Int64
	genTPS     atomic.Uint64 // float64 bits of the last decode throughput
	onStep     atomic.Pointer[func(stepRecord)]
	fatalErr   atomic.Pointer[error]
	fatalReady chan struct{}
}

func newEngine(cfg engineConfig) *engine {
	return &engine{
		cfg:        cfg,
		wake:       make(chan struct{}, 1),
		rng:        uint64(cfg.seed) ^ 0x6a09e667f3bcc909,
		fatalReady: make(chan struct{}),
	}
}

// submit queues r; it returns at once.
func (e *engine) submit(r *request) {
	e.active.Add(1)
	e.mu.Lock()
	e.pending = append(e.pending, r)
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// fatal returns a channel closed when the engine stopped on a fatal error.
func (e *engine) fatal() (<-chan struct{}, func() error) {
	return e.fatalReady, func() error {
		if p := e.fatalErr.Load(); p != nil {
			return *p
		}
		return nil
	}
}

func (e *engine) finish(r *request) {
	r.finished.Store(true)
	e.active.Add(-1) // before the signal: the client sees the count it left
	r.signal()
}

func (e *engine) fail(r *request, msg string) {
	r.failure.Store(&msg)
	e.finish(r)
}

// run executes steps until ctx ends or a fatal error happens.
func (e *engine) run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var lastEnd time.Time
	for {
		e.takePending()
		dur, prefill, tokens, misses := e.plan()
		if len(e.batch) == 0 {
			lastEnd = time.Time{}
			e.running.Store(0)
			select {
			case <-e.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		now := time.Now()
		start := now
		// Chain steps on their theoretical end so timer lateness does not
		// accumulate; restart from now after idling or falling behind.
		if !lastEnd.IsZero() && now.Sub(lastEnd) < 3*time.Millisecond {
			start = lastEnd
		}
		end := start.Add(dur)
		if d := time.Until(end); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				timer.Stop()
				return
			}
		}
		lastEnd = end
		if misses > 0 && e.cfg.cacheMissFatal {
			err := error(errCacheMiss{int64(misses)})
			for _, r := range e.batch {
				e.fail(r, err.Error())
			}
			e.fatalErr.Store(&err)
			close(e.fatalReady)
			return
		}
		// The step is recorded before its tokens reach the requests: a
		// client that has its answer finds the step in a profile and the
		// throughput gauge.
		if hook := e.onStep.Load(); hook != nil {
			(*hook)(stepRecord{Start: start, Dur: dur, Prefill: prefill, Batch: len(e.batch), Tokens: tokens, CacheMiss: misses})
		}
		if prefill {
			e.applyPrefill(misses)
		} else {
			e.genTPS.Store(math.Float64bits(float64(tokens) / dur.Seconds()))
			e.applyDecode()
		}
		clear(e.batch)
		e.batch = e.batch[:0]
	}
}

func (e *engine) takePending() {
	e.mu.Lock()
	e.waiting = append(e.waiting, e.pending...)
	clear(e.pending)
	e.pending = e.pending[:0]
	e.mu.Unlock()
	if e.head > 1024 && e.head*2 > len(e.waiting) {
		n := copy(e.waiting, e.waiting[e.head:])
		clear(e.waiting[n:])
		e.waiting, e.head = e.waiting[:n], 0
	}
	e.queued.Store(int64(len(e.waiting) - e.head))
}

// plan fills e.batch with the next step and returns its duration.
func (e *engine) plan() (dur time.Duration, prefill bool, tokens, misses int) {
	budget, chunking := e.cfg.chunk, e.cfg.chunk > 0
	if !chunking {
		budget = maxPrefillNoChunk
	}
	if c := e.chunked; c != nil {
		if c.aborted.Load() {
			e.chunked = nil
			e.finish(c)
		} else {
			take := min(c.promptTokens-c.cached-c.computed, budget)
			c.computed += take
			budget -= take
			tokens += take
			e.batch = append(e.batch, c)
			if c.computed == c.promptTokens-c.cached {
				e.chunked = nil
			}
		}
	}
	e.dropAbortedDecodes()
	for e.head < len(e.waiting) && budget > 0 && e.chunked == nil && len(e.decoding)+len(e.batch) < e.cfg.maxRunning {
		r := e.waiting[e.head]
		if r.aborted.Load() {
			e.waiting[e.head] = nil
			e.head++
			e.finish(r)
			continue
		}
		if e.cfg.cache != nil {
			r.cached = min(e.cfg.cache.lookup(r.blocks)*cacheBlock, r.promptTokens-1)
			r.cachedTokens.Store(int64(r.cached))
		}
		take := r.promptTokens - r.cached
		if take > budget {
			if chunking {
				take = budget
				e.chunked = r
			} else if len(e.batch) > 0 {
				break
			}
		}
		e.waiting[e.head] = nil
		e.head++
		r.computed = take
		budget -= take
		tokens += take
		if r.recompile {
			misses++
		}
		e.batch = append(e.batch, r)
	}
	e.queued.Store(int64(len(e.waiting) - e.head))
	if len(e.batch) > 0 {
		dur = e.jitter(e.cfg.timing.Prefill(tokens))
		dur += time.Duration(float64(misses) * float64(e.cfg.recompileDelay) * e.cfg.timing.Slowdown)
		e.running.Store(int64(len(e.decoding) + len(e.batch)))
		return dur, true, tokens, misses
	}
	e.batch = append(e.batch, e.decoding...)
	e.running.Store(int64(len(e.batch)))
	if len(e.batch) == 0 {
		return 0, false, 0, 0
	}
	return e.jitter(e.cfg.timing.Decode(len(e.batch))), false, len(e.batch), 0
}

func (e *engine) dropAbortedDecodes() {
	n := 0
	for _, r := range e.decoding {
		if r.aborted.Load() {
			e.finish(r)
			continue
		}
		e.decoding[n] = r
		n++
	}
	clear(e.decoding[n:])
	e.decoding = e.decoding[:n]
}

func (e *engine) jitter(d time.Duration) time.Duration {
	if e.cfg.noise == 0 {
		return d
	}
	u := unitFloat(splitmix(&e.rng))
	return time.Duration(float64(d) * (1 + e.cfg.noise*(2*u-1)))
}

func (e *engine) applyPrefill(misses int) {
	for _, r := range e.batch {
		if misses > 0 {
			r.cacheMiss.Add(int64(misses))
		}
		if r.computed < r.promptTokens-r.cached {
			continue // chunked: more prefill steps follow
		}
		if e.cfg.cache != nil {
			e.cfg.cache.insert(r.blocks)
		}
		if r.maxOut == 0 {
			e.finish(r)
			continue
		}
		r.out = 1
		r.produced.Store(1)
		if r.maxOut == 1 {
			e.finish(r)
			continue
		}
		e.decoding = append(e.decoding, r)
		r.signal()
	}
}

func (e *engine) applyDecode() {
	n := 0
	for _, r := range e.decoding {
		r.out++
		r.produced.Store(int64(r.out))
		if r.out >= r.maxOut {
			e.finish(r)
			continue
		}
		e.decoding[n] = r
		n++
		r.signal()
	}
	clear(e.decoding[n:])
	e.decoding = e.decoding[:n]
}
