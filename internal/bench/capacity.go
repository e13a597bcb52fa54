package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Capacity load: short prompts, long streamed outputs on /generate.
const (
	capacityInputLen  = 16
	capacityOutputLen = 256
)

// CapacityReport is the client's own measured capacity (bench doc §6).
// Arrival-to-timestamp delays need a server that embeds its send time as
// "ts" (Unix nanoseconds) in every stream line; without it they stay zero
// and TSSamples is 0. CPU is the whole process's (getrusage), so an
// in-process server is included in it.
type CapacityReport struct {
	Streams        int           // concurrent streams requested
	ActiveStreams  int64         // streams in flight when the window closed
	Window         time.Duration // measurement window
	Requests       int           // requests started in the window
	Failed         int           // requests that failed before the window closed
	Chunks         int64         // stream lines read in the window
	ChunksPerSec   float64       //
	CPUPerChunkUs  float64       // user+system CPU microseconds per chunk
	CPUUtilization float64       // CPU seconds per wall second
	TSSamples      int           // lines that carried a server "ts"
	DelayP50       time.Duration // arrival-to-timestamp delay, median
	DelayP99       time.Duration // arrival-to-timestamp delay, 99th percentile
	DelayMax       time.Duration //
	TTFTBias       time.Duration // median client share of TTFT: request write plus first-line delay
}

func (r CapacityReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-34s %d (active at end %d)\n", "streams:", r.Streams, r.ActiveStreams)
	fmt.Fprintf(&b, "%-34s %s, %d requests, %d failed\n", "window:", r.Window, r.Requests, r.Failed)
	fmt.Fprintf(&b, "%-34s %.0f (%d chunks)\n", "chunks/s:", r.ChunksPerSec, r.Chunks)
	fmt.Fprintf(&b, "%-34s %.2f (process at %.0f%% of a core)\n", "CPU us/chunk:", r.CPUPerChunkUs, 100*r.CPUUtilization)
	if r.TSSamples == 0 {
		fmt.Fprintf(&b, "%-34s n/a (server sends no \"ts\")\n", "arrival-to-timestamp delay:")
	} else {
		fmt.Fprintf(&b, "%-34s p50 %s, p99 %s, max %s (%d samples)\n", "arrival-to-timestamp delay:",
			r.DelayP50, r.DelayP99, r.DelayMax, r.TSSamples)
		fmt.Fprintf(&b, "%-34s %s\n", "TTFT bias (median):", r.TTFTBias)
	}
	return b.String()
}

// skewRecorder collects one stream worker's capacity figures.
type skewRecorder struct {
	deadline time.Time
	chunks   int64
	delays   []int64 // ns, client arrival minus server "ts"
	bias     []int64 // ns, write time plus first-token delay
	writeDur time.Duration
}

func (s *skewRecorder) observe(data []byte, now time.Time, firstToken bool) {
	if now.After(s.deadline) {
		return
	}
	s.chunks++
	ts, ok := intAt(data, lastValue(data, keyTS))
	if !ok || ts <= 0 {
		return
	}
	d := now.UnixNano() - ts
	s.delays = append(s.delays, d)
	if firstToken {
		s.bias = append(s.bias, d+int64(s.writeDur))
	}
}

// Capacity measures how much streaming load this client sustains against
// baseURL's /generate: streams workers send requests back to back for dur,
// and the report gives chunks/s, CPU per chunk, and (with a "ts"-embedding
// server) the arrival-to-timestamp delay and the client's TTFT bias.
func Capacity(ctx context.Context, baseURL string, streams int, dur time.Duration) (CapacityReport, error) {
	rep := CapacityReport{Streams: streams, Window: dur}
	if streams < 1 || dur <= 0 {
		return rep, errors.New("bench: capacity: streams must be at least 1 and the duration positive")
	}
	cfg := Config{BaseURL: baseURL, Backend: "sgl-jax", NumPrompts: streams,
		InputLen: capacityInputLen, OutputLen: capacityOutputLen, RangeRatio: 1, Model: "capacity"}
	a, u, err := cfg.normalize()
	if err != nil {
		return rep, fmt.Errorf("bench: capacity: %w", err)
	}
	r := &runner{cfg: cfg, api: a, u: u, d: newDialer(u, cfg.MaxLineBytes), base: time.Now()}
	r.pool = &pool{d: r.d}
	defer r.pool.closeAll()
	if err := r.pool.fill(ctx, streams); err != nil {
		return rep, fmt.Errorf("bench: capacity: connect: %w", err)
	}
	rb, err := newRequestBuilder(&r.cfg, a, u)
	if err != nil {
		return rep, fmt.Errorf("bench: capacity: %w", err)
	}
	specs, _ := buildPrompts(&r.cfg)
	raws := make([][]byte, streams)
	for w := range raws {
		raws[w] = rb.request(specs[w].firstID, capacityInputLen, capacityOutputLen)
	}
	stats, end := r.drive(ctx, raws, time.Now().Add(dur))
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("bench: capacity: %w", err)
	}
	rep.summarize(stats, end)
	if rep.Requests > 0 && rep.Failed == rep.Requests {
		return rep, fmt.Errorf("bench: capacity: all %d requests to %s/generate failed", rep.Requests, baseURL)
	}
	return rep, nil
}

// streamStats is what one capacity stream saw.
type streamStats struct {
	rec             *skewRecorder
	started, failed int
}

// windowEnd is sampled when the window closes: the CPU the client used
// during it and the streams still in flight.
type windowEnd struct {
	cpu    float64 // CPU seconds
	active int64
}

// drive sends each raw request back to back on its own stream until
// deadline.
func (r *runner) drive(ctx context.Context, raws [][]byte, deadline time.Time) ([]streamStats, windowEnd) {
	runCtx, cancel := context.WithDeadline(ctx, deadline.Add(time.Millisecond))
	defer cancel()
	var active atomic.Int64
	stats := make([]streamStats, len(raws))
	cpu0 := cpuSeconds()
	atEnd := make(chan windowEnd, 1)
	go func() { // sample CPU and active streams when the window closes
		_ = sleepCtx(ctx, time.Until(deadline)) // cancelled: sample now
		atEnd <- windowEnd{cpuSeconds() - cpu0, active.Load()}
	}()
	var wg sync.WaitGroup
	for w, raw := range raws {
		st := &stats[w]
		st.rec = &skewRecorder{deadline: deadline, delays: make([]int64, 0, 1024)}
		wg.Go(func() {
			var o requestOutput
			for time.Now().Before(deadline) && runCtx.Err() == nil {
				o = requestOutput{itl: o.itl[:0]}
				st.started++
				active.Add(1)
				r.do(runCtx, raw, &o, capacityOutputLen, st.rec)
				active.Add(-1)
				if !o.success && runCtx.Err() == nil {
					st.failed++
				}
			}
		})
	}
	wg.Wait()
	return stats, <-atEnd
}

// summarize fills the report from the streams' records.
func (rep *CapacityReport) summarize(stats []streamStats, end windowEnd) {
	var delays, bias []int64
	for _, st := range stats {
		rep.Chunks += st.rec.chunks
		rep.Requests += st.started
		rep.Failed += st.failed
		delays = append(delays, st.rec.delays...)
		bias = append(bias, st.rec.bias...)
	}
	rep.ActiveStreams = end.active
	secs := rep.Window.Seconds()
	rep.ChunksPerSec = float64(rep.Chunks) / secs
	rep.CPUUtilization = end.cpu / secs
	if rep.Chunks > 0 {
		rep.CPUPerChunkUs = end.cpu * 1e6 / float64(rep.Chunks)
	}
	rep.TSSamples = len(delays)
	if len(delays) > 0 {
		slices.Sort(delays)
		rep.DelayP50 = time.Duration(pct(delays, 50))
		rep.DelayP99 = time.Duration(pct(delays, 99))
		rep.DelayMax = time.Duration(delays[len(delays)-1])
	}
	if len(bias) > 0 {
		slices.Sort(bias)
		rep.TTFTBias = time.Duration(pct(bias, 50))
	}
}

func pct(sorted []int64, p float64) int64 {
	f := make([]float64, len(sorted))
	for i, v := range sorted {
		f[i] = float64(v)
	}
	return int64(percentileSorted(f, p))
}
