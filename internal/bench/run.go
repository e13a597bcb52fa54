package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Quirk names used in Result.FixedQuirks (bench doc §1.11).
const (
	QuirkPerRequestConnection = "per_request_connection"    // new TCP connection per request, inside TTFT
	QuirkSequentialPoisson    = "sequential_poisson_sleeps" // relative sleeps drift; one extra sleep at the end
	QuirkServerInfoInDuration = "server_info_in_duration"   // GET /get_server_info inside the timed window (sgl-jax)
	QuirkErrorChunkSuccess    = "error_chunk_success"       // a mid-stream {"error":...} counts as a success (/generate)
	QuirkUsageChunkCrash      = "usage_chunk_crash"         // a usage chunk with empty choices fails the request (OpenAI)
	QuirkRequestedTokens      = "openai_requested_tokens"   // OpenAI output tokens are the requested max_tokens
	QuirkNoTextNoTTFT         = "no_text_no_ttft"           // lines without text never give TTFT/ITL (skip-tokenizer-init)
	QuirkWarmupPrefixHit      = "warmup_prefix_cache_hit"   // warmup reuses request 0's prompt
	QuirkAllFailedCrash       = "all_failed_crash"          // no successes: bench_serving raises; tpuci reports null
	QuirkNaNInfinityJSON      = "nan_infinity_json"         // Infinity/NaN in the JSON; tpuci writes "inf"/null
)

const (
	maxFailuresListed = 100
	maxErrorLen       = 500
)

type runner struct {
	cfg        Config
	api        api
	u          *url.URL
	d          *dialer
	pool       *pool
	perRequest bool
	base       time.Time
	aux        *http.Client
}

// Run executes one benchmark: it builds the prompts, runs the warmup,
// optionally flushes the cache, sends the measured requests on the
// configured schedule and computes the metrics. It returns an error for bad
// configuration, an unreachable server, a failed warmup or cancellation; a
// run whose requests all fail returns a Result with Completed == 0.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	a, u, err := cfg.normalize()
	if err != nil {
		return nil, fmt.Errorf("bench: config: %w", err)
	}
	r := &runner{
		cfg:        cfg,
		api:        a,
		u:          u,
		d:          newDialer(u, cfg.MaxLineBytes),
		perRequest: cfg.Compat,
		base:       time.Now(),
		aux:        &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{Proxy: nil}},
	}
	r.pool = &pool{d: r.d}
	defer r.pool.closeAll()
	warnings, err := r.lookupModel(ctx)
	if err != nil {
		return nil, err
	}
	specs, rng := buildPrompts(&r.cfg)
	n := len(specs)
	gaps := arrivalIntervals(rng, cfg.RequestRate, n, cfg.infiniteRate())
	planned := plannedArrivals(gaps, n)
	rb, err := newRequestBuilder(&r.cfg, a, u)
	if err != nil {
		return nil, fmt.Errorf("bench: config: %w", err)
	}
	reqs := make([][]byte, n)
	for i, s := range specs {
		reqs[i] = rb.request(s.firstID, s.promptLen, s.outputLen)
	}
	more, err := r.prepare(ctx, rb, specs)
	if err != nil {
		return nil, err
	}
	warnings = append(warnings, more...)

	outs := make([]*requestOutput, n)
	for i, s := range specs {
		outs[i] = &requestOutput{promptLen: s.promptLen, outputLen: s.outputLen}
	}
	fmt.Fprintf(r.cfg.Log, "bench: sending %d requests to %s%s\n", n, u, a.path())
	cpu0 := cpuSeconds()
	t0 := time.Now()
	if r.cfg.OnMeasure != nil {
		r.cfg.OnMeasure(t0)
	}
	r.dispatch(ctx, t0, reqs, outs, specs, gaps, planned)
	gathered := time.Since(t0).Seconds()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bench: run: %w", err)
	}
	cpu := cpuSeconds() - cpu0
	res := r.measured(ctx, outs, t0, gathered, cpu)
	res.Warnings = append(warnings, res.Warnings...)
	fmt.Fprintf(r.cfg.Log, "bench: %d/%d requests completed in %.2fs\n", res.Completed, n, res.Duration)
	return res, nil
}

// lookupModel asks the server for its model when none is configured; the
// warnings are the run's notes so far.
func (r *runner) lookupModel(ctx context.Context) ([]string, error) {
	var warnings []string
	if r.cfg.Model == "" {
		model, err := r.fetchModel(ctx)
		switch {
		case err != nil && (r.api == apiCompletions || isNetErr(err)):
			return nil, fmt.Errorf("bench: model lookup: %w (is the server up at %s? --model skips the lookup)", err, r.cfg.BaseURL)
		case err != nil:
			warnings = append(warnings, "model lookup: "+err.Error())
		}
		r.cfg.Model = model
	}
	if r.cfg.DatasetName == "random" {
		warnings = append(warnings, "dataset random: prompts are synthetic token ids, not ShareGPT text; lengths and seeding follow bench_serving")
	}
	return warnings, nil
}

// prepare warms the server up, flushes its cache when asked and opens
// the connections the first burst needs (compat mode sleeps a second
// instead, as bench_serving does).
func (r *runner) prepare(ctx context.Context, rb *requestBuilder, specs []promptSpec) ([]string, error) {
	cfg := r.cfg
	if err := r.warmup(ctx, rb, specs); err != nil {
		return nil, err
	}
	var warnings []string
	if cfg.FlushCache || (strings.Contains(cfg.Backend, "sgl-jax") && envTrue("SGLANG_JAX_IS_IN_CI")) {
		w, err := r.flushCache(ctx)
		if err != nil {
			return nil, fmt.Errorf("bench: flush cache: %w", err)
		}
		if w != "" {
			warnings = append(warnings, w)
		}
	}
	if cfg.Compat {
		if err := sleepCtx(ctx, time.Second); err != nil {
			return nil, fmt.Errorf("bench: run: %w", err)
		}
		return warnings, nil
	}
	// A paced run without a concurrency limit dials more on demand.
	conns := len(specs)
	if cfg.MaxConcurrency > 0 {
		conns = min(conns, cfg.MaxConcurrency)
	}
	if !cfg.infiniteRate() {
		conns = min(conns, 64)
	}
	if err := r.pool.fill(ctx, conns); err != nil {
		return nil, fmt.Errorf("bench: connect: %w", err)
	}
	return warnings, nil
}

// measured computes the result over the run's window and adds the
// server's info. Default window: t0 to the last response's end. Compat:
// bench_serving's window, which also holds the trailing Poisson sleep
// and, for sgl-jax backends, one GET /get_server_info.
func (r *runner) measured(ctx context.Context, outs []*requestOutput, t0 time.Time, gathered, cpu float64) *Result {
	cfg := r.cfg
	lastEnd := r.sec(t0)
	for _, o := range outs {
		lastEnd = math.Max(lastEnd, o.end)
	}
	exclInfo := lastEnd - r.sec(t0)
	if cfg.Compat {
		exclInfo = gathered
	}
	duration := exclInfo
	var info json.RawMessage
	sglJax := strings.Contains(cfg.Backend, "sgl-jax")
	if cfg.Compat && sglJax {
		info, _ = r.serverInfo(ctx)
		duration = time.Since(t0).Seconds()
	} else if cfg.Compat {
		duration = time.Since(t0).Seconds()
	}
	if info == nil {
		info, _ = r.serverInfo(ctx)
	}
	res := r.result(outs, math.Max(duration, 1e-9), exclInfo, cpu)
	res.ServerInfo = info
	if sglJax {
		res.AcceptLength = acceptLength(info)
	}
	return res
}

// dispatch sends the measured requests. Compat mode sleeps each drawn gap
// after launching a request, as bench_serving does; the default mode
// launches request i at t0 plus its planned offset.
func (r *runner) dispatch(ctx context.Context, t0 time.Time, reqs [][]byte, outs []*requestOutput, specs []promptSpec, gaps, planned []float64) {
	var sem *fifoSem
	if r.cfg.MaxConcurrency > 0 {
		sem = &fifoSem{free: r.cfg.MaxConcurrency}
	}
	var wg sync.WaitGroup
	launch := func(i int) {
		o := outs[i]
		o.sched = r.sec(t0) + planned[i]
		o.launched = r.sec(time.Now())
		var slot chan struct{}
		if sem != nil {
			slot = sem.enqueue() // in launch order, like asyncio's FIFO semaphore
		}
		wg.Go(func() {
			if slot != nil {
				select {
				case <-slot:
				case <-ctx.Done():
					o.err = "canceled while waiting for a concurrency slot"
					return
				}
				defer sem.release()
			}
			o.dispatched = r.sec(time.Now())
			r.do(ctx, reqs[i], o, specs[i].outputLen, nil)
		})
	}
	for i := range reqs {
		if r.cfg.Compat {
			launch(i)
			if gaps != nil && sleepCtx(ctx, secs(gaps[i])) != nil {
				break
			}
			continue
		}
		if d := time.Until(t0.Add(secs(planned[i]))); d > 0 && sleepCtx(ctx, d) != nil {
			break
		}
		launch(i)
	}
	wg.Wait()
}

// fifoSem is a counting semaphore that grants slots in enqueue order.
type fifoSem struct {
	mu      sync.Mutex
	free    int
	waiters []chan struct{}
}

var grantedSlot = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (s *fifoSem) enqueue() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.free > 0 && len(s.waiters) == 0 {
		s.free--
		return grantedSlot
	}
	c := make(chan struct{})
	s.waiters = append(s.waiters, c)
	return c
}

func (s *fifoSem) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.waiters) > 0 {
		close(s.waiters[0])
		s.waiters = s.waiters[1:]
		return
	}
	s.free++
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// sec converts an instant to seconds since the run's base instant.
func (r *runner) sec(t time.Time) float64 { return t.Sub(r.base).Seconds() }

// do sends one pre-rendered request and records its timing in o.
func (r *runner) do(ctx context.Context, raw []byte, o *requestOutput, wantTokens int, skew *skewRecorder) {
	o.sent = true
	defer func() { o.end = r.sec(time.Now()) }()
	var (
		c   *conn
		h   respHeader
		st  time.Time
		err error
	)
	for attempt := 0; ; attempt++ {
		if r.perRequest || attempt > 0 {
			st = time.Now() // compat: connection setup counts in TTFT
			c, err = r.d.dial(ctx)
			if !r.perRequest {
				st = time.Now()
			}
		} else {
			c, err = r.pool.get(ctx)
			st = time.Now()
		}
		if err != nil {
			o.start = r.sec(st)
			o.err = "connect: " + err.Error()
			return
		}
		if r.cfg.Timeout > 0 {
			_ = c.nc.SetDeadline(st.Add(r.cfg.Timeout)) // a dead conn fails the request itself
		} else {
			_ = c.nc.SetDeadline(time.Time{})
		}
		_, err = c.nc.Write(raw)
		if skew != nil {
			skew.writeDur = time.Since(st)
		}
		if err == nil {
			h, err = c.readHeader()
		}
		if err == nil {
			break
		}
		c.close()
		// An idle keep-alive connection the server already closed: resend.
		if c.reused && attempt < 2 && ctx.Err() == nil && retryable(err) {
			continue
		}
		o.start = r.sec(st)
		o.err = "send request: " + err.Error()
		return
	}
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(longAgo) })
	o.start = r.sec(st)
	o.headers = r.sec(time.Now())
	c.startBody(h)
	if h.status != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(c.lr, 4096))
		o.err = fmt.Sprintf("HTTP %d %s: %s", h.status, h.reason, bytes.TrimSpace(body))
		stop()
		c.close()
		return
	}
	if cap(o.itl) == 0 {
		o.itl = make([]float64, 0, wantTokens)
	}
	var p streamParser
	p.reset(r.api, r.cfg.Compat, o, st, skew)
	readErr := readStream(c, &p, time.Now)
	if readErr != nil && p.failure == "" {
		o.success = false
		o.err = "read response: " + readErr.Error()
		if ctx.Err() != nil {
			o.err = "canceled: " + ctx.Err().Error()
		}
	}
	reusable := !r.perRequest && o.success && c.bodyDone() && !h.close && !c.body.untilEOF
	if stop() && reusable {
		_ = c.nc.SetDeadline(time.Time{})
		r.pool.put(c)
	} else {
		c.close()
	}
}

// readStream feeds every body line to p, each stamped by now() as soon as
// it is complete, and closes p. It returns a read error, if any.
func readStream(c *conn, p *streamParser, now func() time.Time) error {
	var readErr error
	for {
		line, err := c.readLine()
		t := now()
		if err != nil && err != io.EOF {
			readErr = err
			break
		}
		if len(line) > 0 && !p.line(line, t) {
			break
		}
		if err != nil {
			break
		}
	}
	p.finish()
	return readErr
}

func retryable(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func isNetErr(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &oe)
}

// warmup sends cfg.Warmup concurrent copies of the first prompt with at
// most 32 output tokens, outside the semaphore, and fails if none succeeds.
// The default mode gives the warmup its own ids so it cannot seed the prefix
// cache for request 0.
func (r *runner) warmup(ctx context.Context, rb *requestBuilder, specs []promptSpec) error {
	w := r.cfg.Warmup
	if w == 0 {
		return nil
	}
	first := specs[0].firstID
	if !r.cfg.Compat {
		first = warmupFirstID(specs, r.cfg.VocabSize)
	}
	out := min(specs[0].outputLen, 32)
	raw := rb.request(first, specs[0].promptLen, out)
	fmt.Fprintf(r.cfg.Log, "bench: warmup with %d requests\n", w)
	outs := make([]requestOutput, w)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Go(func() { r.do(ctx, raw, &outs[i], out, nil) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bench: warmup: %w", err)
	}
	for _, o := range outs {
		if o.success {
			return nil
		}
	}
	return fmt.Errorf("bench: warmup: all %d requests to %s%s failed, first: %s", w, r.u, r.api.path(), outs[0].err)
}

func (r *runner) auxRequest(ctx context.Context, method, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, r.u.String()+path, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range r.cfg.Headers {
		req.Header.Set(k, v)
	}
	return r.aux.Do(req)
}

// fetchModel returns the first model id of GET /v1/models.
func (r *runner) fetchModel(ctx context.Context) (string, error) {
	resp, err := r.auxRequest(ctx, http.MethodGet, "/v1/models")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET /v1/models: HTTP %d", resp.StatusCode)
	}
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&list); err != nil {
		return "", fmt.Errorf("GET /v1/models: decode: %w", err)
	}
	if len(list.Data) == 0 || list.Data[0].ID == "" {
		return "", errors.New("GET /v1/models: no model listed")
	}
	return list.Data[0].ID, nil
}

// flushCache posts /flush_cache. A refused connection is an error; a non-200
// answer is returned as a warning (bench_serving ignores it).
func (r *runner) flushCache(ctx context.Context) (string, error) {
	resp, err := r.auxRequest(ctx, http.MethodPost, "/flush_cache")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // drain for reuse
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("flush cache: HTTP %d", resp.StatusCode), nil
	}
	return "", nil
}

// serverInfo returns the raw JSON of GET /get_server_info, or nil.
func (r *runner) serverInfo(ctx context.Context) (json.RawMessage, error) {
	resp, err := r.auxRequest(ctx, http.MethodGet, "/get_server_info")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil || resp.StatusCode != http.StatusOK || !json.Valid(body) {
		return nil, fmt.Errorf("GET /get_server_info: HTTP %d", resp.StatusCode)
	}
	return json.RawMessage(body), nil
}

// acceptLength reads internal_states[0].avg_spec_accept_length (of
// decode[0] for disaggregated servers), as bench_serving does.
func acceptLength(info json.RawMessage) *float64 {
	if info == nil {
		return nil
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(info, &top) != nil {
		return nil
	}
	if dec, ok := top["decode"]; ok {
		var list []map[string]json.RawMessage
		if json.Unmarshal(dec, &list) != nil || len(list) == 0 {
			return nil
		}
		top = list[0]
	}
	var states []struct {
		Accept *float64 `json:"avg_spec_accept_length"`
	}
	if json.Unmarshal(top["internal_states"], &states) != nil || len(states) == 0 {
		return nil
	}
	return states[0].Accept
}

// envTrue reads a variable of SGLang-JAX's own (not a tpuci setting):
// the client behaves as bench_serving.py does under it.
func envTrue(name string) bool {
	v := strings.ToLower(os.Getenv(name))
	return v == "true" || v == "1"
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// result assembles the Result from the measured requests.
func (r *runner) result(outs []*requestOutput, durS, exclInfo, cpu float64) *Result {
	m := calculateMetrics(outs, durS)
	res := r.headline(m, outs, durS, exclInfo, cpu)
	res.Mode, res.FixedQuirks = r.mode()
	r.clientSide(res, outs, m)
	r.warn(res, cpu, durS)
	if r.cfg.OutputDetails {
		details(res, outs, m)
	}
	return res
}

// headline is bench_serving's figures and the run's configuration.
func (r *runner) headline(m metrics, outs []*requestOutput, durS, exclInfo, cpu float64) *Result {
	c := &r.cfg
	res := &Result{
		Backend:                      c.Backend,
		DatasetName:                  c.DatasetName,
		RequestRate:                  Rate(math.Inf(1)),
		RandomInputLen:               c.InputLen,
		RandomOutputLen:              c.OutputLen,
		RandomRangeRatio:             c.RangeRatio,
		Duration:                     durS,
		Completed:                    m.completed,
		TotalInputTokens:             m.totalInput,
		TotalInputTextTokens:         m.totalInput,
		TotalOutputTokens:            m.totalOutput,
		TotalOutputTokensRetokenized: m.totalOutput,
		TotalCachedTokens:            m.totalCached,
		CacheHitRate:                 m.cacheHitRate,
		RequestThroughput:            m.requestThroughput,
		InputThroughput:              m.inputThroughput,
		OutputThroughput:             m.outputThroughput,
		TotalThroughput:              m.totalThroughput,
		MeanTTFTMs:                   m.ttft.mean,
		MedianTTFTMs:                 m.ttft.median,
		StdTTFTMs:                    m.ttft.std,
		P99TTFTMs:                    m.ttft.p99,
		MeanTPOTMs:                   m.tpot.mean,
		MedianTPOTMs:                 m.tpot.median,
		StdTPOTMs:                    m.tpot.std,
		P99TPOTMs:                    m.tpot.p99,
		MeanITLMs:                    m.itl.mean,
		MedianITLMs:                  m.itl.median,
		StdITLMs:                     m.itl.std,
		P95ITLMs:                     m.itl.p95,
		P99ITLMs:                     m.itl.p99,
		Concurrency:                  m.concurrency,
		MaxOutputTokensPerS:          m.maxOutputTokensPerS,
		MaxConcurrentRequests:        m.maxConcurrentRequests,

		NumPrompts:             c.NumPrompts,
		Seed:                   c.Seed,
		Warmup:                 c.Warmup,
		Failures:               []Failure{},
		P90TTFTMs:              m.ttft.p90,
		P95TTFTMs:              m.ttft.p95,
		MaxITLMs:               m.itl.max,
		PeakConcurrencyExact:   exactPeakConcurrency(outs),
		DurationExclServerInfo: exclInfo,
		ClientCPUSeconds:       cpu,
		Warnings:               []string{},
	}
	if c.Tag != "" {
		res.Tag = &c.Tag
	}
	if !c.infiniteRate() {
		res.RequestRate = Rate(c.RequestRate)
	}
	if c.MaxConcurrency > 0 {
		res.MaxConcurrency = &c.MaxConcurrency
	}
	if m.e2e.n > 0 {
		res.MeanE2ELatencyMs = ptr(m.e2e.mean)
		res.MedianE2ELatencyMs = ptr(m.e2e.median)
		res.StdE2ELatencyMs = ptr(m.e2e.std)
		res.P90E2ELatencyMs = ptr(m.e2e.p90)
		res.P99E2ELatencyMs = ptr(m.e2e.p99)
	}
	return res
}

// mode names the mode and the bench_serving quirks this run fixes.
func (r *runner) mode() (string, []string) {
	if r.cfg.Compat {
		return "compat", []string{QuirkAllFailedCrash, QuirkNaNInfinityJSON}
	}
	q := []string{QuirkPerRequestConnection, QuirkSequentialPoisson, QuirkServerInfoInDuration, QuirkWarmupPrefixHit}
	if r.api == apiGenerate {
		q = append(q, QuirkErrorChunkSuccess, QuirkNoTextNoTTFT)
	} else {
		q = append(q, QuirkUsageChunkCrash, QuirkRequestedTokens)
	}
	return "default", append(q, QuirkAllFailedCrash, QuirkNaNInfinityJSON)
}

// clientSide adds the failures and the client's own figures: latencies
// from the schedule, queueing, schedule lag and chunks per token.
func (r *runner) clientSide(res *Result, outs []*requestOutput, m metrics) {
	c := &r.cfg
	var lastTok, fromSchedTTFT, fromSchedE2E, queue, lag []float64
	tokenLines := 0
	for i, o := range outs {
		if o.sent {
			if o.dispatched > 0 {
				queue = append(queue, o.dispatched-o.launched)
			}
			lag = append(lag, o.start-o.sched)
		}
		if !o.success {
			res.Failed++
			if len(res.Failures) < maxFailuresListed {
				res.Failures = append(res.Failures, Failure{Request: i, Error: truncate([]byte(o.err), maxErrorLen)})
			} else {
				res.FailuresOmitted++
			}
			continue
		}
		tokenLines += o.tokenLines
		if o.lastToken > 0 {
			lastTok = append(lastTok, o.lastToken)
		}
		fromSchedTTFT = append(fromSchedTTFT, o.start+o.ttft-o.sched)
		fromSchedE2E = append(fromSchedE2E, o.start+o.latency-o.sched)
		if r.api == apiCompletions && !o.usageSeen && !c.DisableStream {
			res.UsageMissing++
		}
	}
	if s := summarizeMs(lastTok); s.n > 0 {
		res.MeanE2ELastTokenMs, res.MedianE2ELastTokenMs, res.P99E2ELastTokenMs = ptr(s.mean), ptr(s.median), ptr(s.p99)
	}
	s := summarizeMs(fromSchedTTFT)
	res.MeanTTFTFromScheduleMs, res.MedianTTFTFromScheduleMs, res.P99TTFTFromScheduleMs = s.mean, s.median, s.p99
	if s := summarizeMs(fromSchedE2E); s.n > 0 {
		res.MeanE2EFromScheduleMs, res.MedianE2EFromScheduleMs, res.P99E2EFromScheduleMs = ptr(s.mean), ptr(s.median), ptr(s.p99)
	}
	s = summarizeMs(queue)
	res.MeanClientQueueMs, res.MedianClientQueueMs, res.P99ClientQueueMs, res.MaxClientQueueMs = s.mean, s.median, s.p99, s.max
	s = summarizeMs(lag)
	res.MeanScheduleLagMs, res.MedianScheduleLagMs, res.P99ScheduleLagMs, res.MaxScheduleLagMs = s.mean, s.median, s.p99, s.max
	if m.totalOutput > 0 {
		res.ChunksPerToken = float64(tokenLines) / float64(m.totalOutput)
	}
}

// warn adds the warnings about figures the client may have distorted.
func (r *runner) warn(res *Result, cpu, durS float64) {
	c := &r.cfg
	if res.UsageMissing > 0 && !c.Compat {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d responses carried no usage; their requested max_tokens was counted", res.UsageMissing))
	}
	if cpu > 0.7*durS {
		res.Warnings = append(res.Warnings, fmt.Sprintf("client used %.0f%% of a CPU core; latencies may include client-side delay", 100*cpu/durS))
	}
	if !c.infiniteRate() && c.MaxConcurrency == 0 && res.P99ScheduleLagMs > 1 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("p99 schedule lag %.2f ms exceeds 1 ms; the client sent late", res.P99ScheduleLagMs))
	}
}

// details adds the per-request lists (--output-details).
func details(res *Result, outs []*requestOutput, m metrics) {
	res.InputLens = make([]int, len(outs))
	res.OutputLens = m.outputLens
	res.CachedTokens = make([]int, len(outs))
	res.TTFTs = make([]float64, len(outs))
	res.ITLs = make([][]float64, len(outs))
	res.GeneratedTexts = make([]string, len(outs))
	res.Errors = make([]string, len(outs))
	for i, o := range outs {
		res.InputLens[i] = o.promptLen
		res.CachedTokens[i] = o.cachedTokens
		res.ITLs[i] = o.itl
		if res.ITLs[i] == nil {
			res.ITLs[i] = []float64{}
		}
		if o.success {
			res.TTFTs[i] = o.ttft
		} else {
			res.Errors[i] = o.err
		}
	}
}

func ptr[T any](v T) *T { return &v }
