package simserver

import (
	"context"
	"sync"
	"testing"
	"time"
)

// fastTiming keeps engine tests quick: every step costs about 1 ms.
var fastTiming = Timing{PrefillBaseMs: 0.5, PrefillMsPer1kTokens: 1, DecodeStepMs: 0.5, DecodeMsPerSeq: 0.01, Slowdown: 1}

type stepLog struct {
	mu    sync.Mutex
	steps []stepRecord
}

func (l *stepLog) add(r stepRecord) {
	l.mu.Lock()
	l.steps = append(l.steps, r)
	l.mu.Unlock()
}

func (l *stepLog) all() []stepRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]stepRecord(nil), l.steps...)
}

// runEngine starts an engine with a step log and stops it at test end.
func runEngine(t *testing.T, cfg engineConfig) (*engine, *stepLog) {
	t.Helper()
	if cfg.timing == (Timing{}) {
		cfg.timing = fastTiming
	}
	e := newEngine(cfg)
	log := &stepLog{}
	hook := log.add
	e.onStep.Store(&hook)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return e, log
}

// waitAll waits until every request finished.
func waitAll(t *testing.T, reqs []*request) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for _, r := range reqs {
		for !r.finished.Load() {
			select {
			case <-r.notify:
			case <-deadline:
				t.Fatalf("requests did not finish in 10s")
			}
		}
	}
}

func submitN(e *engine, n, prompt, out int) []*request {
	reqs := make([]*request, n)
	for i := range reqs {
		reqs[i] = newRequest(prompt, out, nil)
		e.submit(reqs[i])
	}
	return reqs
}

func TestEngineRespectsMaxRunningRequests(t *testing.T) {
	e, log := runEngine(t, engineConfig{maxRunning: 4, chunk: 4096})
	reqs := submitN(e, 10, 8, 6)
	waitAll(t, reqs)
	maxDecode := 0
	for _, st := range log.all() {
		if !st.Prefill {
			maxDecode = max(maxDecode, st.Batch)
		}
	}
	if maxDecode != 4 {
		t.Errorf("largest decode batch = %d, want exactly the limit 4", maxDecode)
	}
	for i, r := range reqs {
		if got := r.produced.Load(); got != 6 {
			t.Errorf("request %d produced %d tokens, want 6", i, got)
		}
	}
	if e.active.Load() != 0 {
		t.Errorf("active = %d after all finished, want 0", e.active.Load())
	}
}

func TestEngineChunkedPrefill(t *testing.T) {
	e, log := runEngine(t, engineConfig{maxRunning: 8, chunk: 64})
	r := newRequest(200, 2, nil)
	e.submit(r)
	waitAll(t, []*request{r})
	var prefill []int
	for _, st := range log.all() {
		if st.Prefill {
			prefill = append(prefill, st.Tokens)
		}
	}
	want := []int{64, 64, 64, 8}
	if len(prefill) != len(want) {
		t.Fatalf("prefill steps = %v, want %v", prefill, want)
	}
	for i := range want {
		if prefill[i] != want[i] {
			t.Fatalf("prefill steps = %v, want %v", prefill, want)
		}
	}
}

func TestEngineChunkBudgetSharedAcrossRequests(t *testing.T) {
	e, log := runEngine(t, engineConfig{maxRunning: 8, chunk: 100})
	// Submit together so the first step sees all three.
	e.mu.Lock()
	reqs := []*request{newRequest(60, 1, nil), newRequest(60, 1, nil), newRequest(60, 1, nil)}
	e.pending = append(e.pending, reqs...)
	e.active.Add(3)
	e.mu.Unlock()
	e.wake <- struct{}{}
	waitAll(t, reqs)
	steps := log.all()
	if len(steps) < 2 || steps[0].Tokens != 100 || steps[0].Batch != 2 {
		t.Fatalf("first step = %+v, want 100 tokens over 2 requests (60 + 40 chunked)", steps[0])
	}
	if steps[1].Tokens != 80 {
		t.Errorf("second step computed %d tokens, want 80 (20 left of the chunked one + 60)", steps[1].Tokens)
	}
}

func TestTimingMonotonicAndSlowdown(t *testing.T) {
	tm := Timing{PrefillBaseMs: 16, PrefillMsPer1kTokens: 30, DecodeStepMs: 10, DecodeMsPerSeq: 0.25, Slowdown: 1}
	for n := 1; n < 512; n++ {
		if tm.Decode(n+1) <= tm.Decode(n) {
			t.Fatalf("decode step not increasing at batch %d", n)
		}
		if tm.Prefill(8*n+8) <= tm.Prefill(8*n) {
			t.Fatalf("prefill step not increasing at %d tokens", 8*n)
		}
	}
	slow := tm
	slow.Slowdown = 1.2
	for _, n := range []int{1, 64, 256} {
		if got, want := slow.Decode(n), time.Duration(float64(tm.Decode(n))*1.2); absDur(got-want) > time.Microsecond {
			t.Errorf("slowdown 1.2: decode(%d) = %v, want %v", n, got, want)
		}
	}
	if got := tm.Prefill(1024); got < 45*time.Millisecond || got > 50*time.Millisecond {
		t.Errorf("default 1024-token prefill = %v, want about 47ms", got)
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// TestEngineSlowdownScalesRun checks the knob end to end: the same workload
// takes 2x the device time at slowdown 2.
func TestEngineSlowdownScalesRun(t *testing.T) {
	total := func(slowdown float64) time.Duration {
		tm := fastTiming
		tm.Slowdown = slowdown
		e, log := runEngine(t, engineConfig{timing: tm, maxRunning: 4, chunk: 64})
		waitAll(t, submitN(e, 6, 100, 5))
		var sum time.Duration
		for _, st := range log.all() {
			sum += st.Dur
		}
		return sum
	}
	base, slow := total(1), total(2)
	if ratio := float64(slow) / float64(base); ratio < 1.99 || ratio > 2.01 {
		t.Errorf("device time at slowdown 2 / slowdown 1 = %.3f, want 2", ratio)
	}
}

func TestEngineSeededNoiseIsDeterministic(t *testing.T) {
	durations := func(seed int64) []time.Duration {
		e, log := runEngine(t, engineConfig{maxRunning: 1, chunk: 4096, noise: 0.2, seed: seed})
		waitAll(t, submitN(e, 1, 10, 20))
		var out []time.Duration
		for _, st := range log.all() {
			out = append(out, st.Dur)
		}
		return out
	}
	a, b, c := durations(7), durations(7), durations(8)
	if len(a) != 20 || len(b) != 20 {
		t.Fatalf("steps = %d and %d, want 20 (1 prefill + 19 decode)", len(a), len(b))
	}
	same := true
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("seed 7 runs differ at step %d: %v vs %v", i, a[i], b[i])
		}
		same = same && a[i] == c[i]
	}
	if same {
		t.Errorf("seeds 7 and 8 gave identical jittered steps")
	}
	nominal := fastTiming.Decode(1)
	for _, d := range a[1:] {
		if d < time.Duration(float64(nominal)*0.8) || d > time.Duration(float64(nominal)*1.2) {
			t.Errorf("jittered decode step %v outside ±20%% of %v", d, nominal)
		}
	}
}

func TestEnginePrefixCacheSkipsCachedTokens(t *testing.T) {
	e, log := runEngine(t, engineConfig{maxRunning: 4, chunk: 4096, cache: newPrefixCache(1 << 16)})
	blocks := promptBlocks(100, func(i int) uint64 { return uint64(i) })
	first := newRequest(100, 1, nil)
	first.blocks = blocks
	e.submit(first)
	waitAll(t, []*request{first})
	second := newRequest(100, 1, nil)
	second.blocks = blocks
	e.submit(second)
	waitAll(t, []*request{second})
	if got := second.cachedTokens.Load(); got != 96 {
		t.Errorf("cached tokens of repeated prompt = %d, want 96 (6 full blocks of 16)", got)
	}
	steps := log.all()
	if last := steps[len(steps)-1]; last.Tokens != 4 {
		t.Errorf("repeated prompt computed %d tokens, want 4", last.Tokens)
	}
}

func TestEngineAbortedRequestLeavesBatch(t *testing.T) {
	e, _ := runEngine(t, engineConfig{maxRunning: 1, chunk: 4096})
	long := newRequest(10, 100000, nil)
	e.submit(long)
	for long.produced.Load() < 2 {
		<-long.notify
	}
	queued := newRequest(10, 3, nil)
	e.submit(queued)
	long.aborted.Store(true)
	waitAll(t, []*request{long, queued})
	if got := queued.produced.Load(); got != 3 {
		t.Errorf("queued request produced %d tokens after the abort, want 3", got)
	}
}

func TestEngineRecompileFatal(t *testing.T) {
	e, _ := runEngine(t, engineConfig{maxRunning: 4, chunk: 4096, cacheMissFatal: true, recompileDelay: time.Millisecond})
	r := newRequest(10, 5, nil)
	r.recompile = true
	e.submit(r)
	waitAll(t, []*request{r})
	fatal, errFn := e.fatal()
	select {
	case <-fatal:
	case <-time.After(10 * time.Second): // a hang bound, far from any scheduling delay
		t.Fatal("engine did not report the fatal cache miss")
	}
	if msg := r.failure.Load(); msg == nil || *msg != errFn().Error() {
		t.Errorf("request failure = %v, want the engine error %q", msg, errFn())
	}
}

// A step is recorded before its tokens reach the requests, so a client
// that has its answer finds every step of it in a profile.
func TestEngineRecordsAStepBeforeItsRequestsSeeIt(t *testing.T) {
	e, _ := runEngine(t, engineConfig{maxRunning: 4, chunk: 4096})
	r := newRequest(10, 5, nil)
	var seenBefore []int64 // tokens the request had when each step was recorded
	var mu sync.Mutex
	hook := func(stepRecord) {
		mu.Lock()
		seenBefore = append(seenBefore, r.produced.Load())
		mu.Unlock()
	}
	e.onStep.Store(&hook)
	e.submit(r)
	waitAll(t, []*request{r})
	mu.Lock()
	defer mu.Unlock()
	if n := len(seenBefore); n == 0 || seenBefore[n-1] != 4 {
		t.Errorf("tokens seen by the step hooks = %v; the last step must be recorded before its token (4 of 5 produced)", seenBefore)
	}
}
