package bench

import (
	"math"
	"sort"
)

// requestOutput is what one request measured. Clock points are seconds
// since the run's base instant; durations are seconds.
type requestOutput struct {
	sent         bool // the request reached the send step
	success      bool
	err          string
	promptLen    int
	outputLen    int // tokens counted for throughput and TPOT (bench_serving's output_len)
	ttft         float64
	latency      float64 // start to the last line read (bench_serving's E2E)
	itl          []float64
	cachedTokens int
	tokenLines   int  // lines that carried new tokens
	usageSeen    bool // an OpenAI usage block gave the output length

	sched      float64 // planned arrival
	launched   float64 // task created (after the arrival sleep)
	dispatched float64 // concurrency slot acquired
	start      float64 // clock start (bench_serving's st)
	headers    float64 // response headers received
	lastToken  float64 // start to the last token-bearing line, 0 if none
	end        float64 // request finished, success or not
}

// metrics are bench_serving's calculate_metrics results.
type metrics struct {
	completed             int
	totalInput            int
	totalOutput           int
	totalCached           int
	cacheHitRate          float64
	requestThroughput     float64
	inputThroughput       float64
	outputThroughput      float64
	totalThroughput       float64
	ttft, tpot, itl, e2e  summary
	concurrency           float64
	maxOutputTokensPerS   float64
	maxConcurrentRequests int
	outputLens            []int // per request, 0 for failures
}

// calculateMetrics mirrors bench_serving's calculate_metrics for successful
// requests: input tokens are the client's target prompt lengths, output
// tokens what the request recorded, TPOT per request with more than one
// output token, ITL pooled over all requests, and the per-second bucket
// peaks.
func calculateMetrics(outs []*requestOutput, durS float64) metrics {
	var m metrics
	var ttfts, tpots, itls, e2es []float64
	m.outputLens = make([]int, len(outs))
	nITL := 0
	for _, o := range outs {
		nITL += len(o.itl)
	}
	itls = make([]float64, 0, nITL)
	for i, o := range outs {
		if !o.success {
			continue
		}
		m.completed++
		m.outputLens[i] = o.outputLen
		m.totalOutput += o.outputLen
		m.totalInput += o.promptLen
		m.totalCached += o.cachedTokens
		if o.outputLen > 1 {
			tpots = append(tpots, (o.latency-o.ttft)/float64(o.outputLen-1))
		}
		itls = append(itls, o.itl...)
		ttfts = append(ttfts, o.ttft)
		e2es = append(e2es, o.latency)
	}
	if m.totalInput > 0 {
		m.cacheHitRate = float64(m.totalCached) / float64(m.totalInput)
	}
	m.requestThroughput = float64(m.completed) / durS
	m.inputThroughput = float64(m.totalInput) / durS
	m.outputThroughput = float64(m.totalOutput) / durS
	m.totalThroughput = float64(m.totalInput+m.totalOutput) / durS
	m.ttft = summarizeMs(ttfts)
	m.tpot = summarizeMs(tpots)
	m.itl = summarizeMs(itls)
	m.e2e = summarizeMs(e2es)
	m.concurrency = sum(e2es) / durS
	m.maxOutputTokensPerS, m.maxConcurrentRequests = bucketPeaks(outs)
	return m
}

// bucketPeaks is bench_serving's per-second bucket estimate of the peak
// output token rate and the peak number of concurrent requests. A request
// counts in every bucket from its start second to its end second inclusive,
// which over-counts; see exactPeakConcurrency for the true peak.
func bucketPeaks(outs []*requestOutput) (float64, int) {
	minStart, maxEnd := math.Inf(1), math.Inf(-1)
	for _, o := range outs {
		if o.success {
			minStart = math.Min(minStart, o.start)
			maxEnd = math.Max(maxEnd, o.start+o.latency)
		}
	}
	if math.IsInf(minStart, 1) {
		return 0, 0
	}
	n := int(math.Ceil(maxEnd-minStart)) + 1
	tokens := make([]int, n)
	conc := make([]int, n)
	for _, o := range outs {
		if !o.success {
			continue
		}
		t := o.start + o.ttft
		count := func(t float64) {
			if b := int(t - minStart); b >= 0 && b < n {
				tokens[b]++
			}
		}
		count(t)
		for _, gap := range o.itl {
			t += gap
			count(t)
		}
		from := int(o.start - minStart)
		to := min(int(o.start+o.latency-minStart)+1, n)
		for s := from; s < to; s++ {
			conc[s]++
		}
	}
	maxTok, maxConc := 0, 0
	for i := range n {
		maxTok = max(maxTok, tokens[i])
		maxConc = max(maxConc, conc[i])
	}
	return float64(maxTok), maxConc
}

// exactPeakConcurrency is the largest number of requests in flight at one
// instant (sweep line over start and end events; an end at the same instant
// as a start is processed first).
func exactPeakConcurrency(outs []*requestOutput) int {
	type event struct {
		t     float64
		delta int
	}
	ev := make([]event, 0, 2*len(outs))
	for _, o := range outs {
		if !o.sent {
			continue
		}
		end := o.end
		if o.success {
			end = o.start + o.latency
		}
		ev = append(ev, event{o.start, 1}, event{end, -1})
	}
	sort.Slice(ev, func(i, j int) bool {
		if ev[i].t != ev[j].t {
			return ev[i].t < ev[j].t
		}
		return ev[i].delta < ev[j].delta
	})
	cur, peak := 0, 0
	for _, e := range ev {
		cur += e.delta
		peak = max(peak, cur)
	}
	return peak
}
