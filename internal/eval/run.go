package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Options configure a run against one server.
type Options struct {
	BaseURL     string        // http://127.0.0.1:PORT (without /v1)
	Model       string        // model id; empty: the first of /v1/models
	MaxTokens   int           // 0: 2048, SGLang-JAX's default
	Temperature float64       // 0 in every SGLang-JAX accuracy test
	Concurrency int           // requests in flight; 0: 32
	Timeout     time.Duration // per request; 0: 10 minutes
	Retries     int           // extra attempts after a transport error; 0: 4, <0: none
	Backoff     time.Duration // first retry delay, doubled each time; 0: 500ms
	Client      *http.Client  // nil: a pooled client sized for Concurrency
	// Progress, if set, is called after each answered question.
	Progress func(done, total int)
}

// Outcome is what happened to one question.
type Outcome struct {
	Index     int     `json:"index"` // position in the dataset
	Source    string  `json:"source"`
	Subject   string  `json:"subject,omitempty"`
	Answer    string  `json:"answer"`
	Extracted string  `json:"extracted"`
	Correct   bool    `json:"correct"`
	Error     string  `json:"error,omitempty"`
	Attempts  int     `json:"attempts"`
	LatencyMS float64 `json:"latency_ms"`
	Response  string  `json:"response"`
}

// Result is the outcome of a run.
type Result struct {
	Dataset  string             `json:"dataset"`
	Model    string             `json:"model"`
	Asked    int                `json:"n"`        // questions selected
	Answered int                `json:"answered"` // outcomes recorded (less than Asked when stopped early)
	Correct  int                `json:"correct"`
	Errors   int                `json:"errors"` // questions the server answered with an error (scored wrong)
	Score    float64            `json:"score"`
	Std      float64            `json:"std"`    // population standard deviation of per-question scores
	Stderr   float64            `json:"stderr"` // standard error of the score
	Metrics  map[string]float64 `json:"metrics,omitempty"`
	Duration time.Duration      `json:"duration_ns"`
	Partial  bool               `json:"partial,omitempty"`
	Outcomes []Outcome          `json:"-"`
}

// ErrUnreachable wraps the error that stopped a run because the server
// could not be reached even after retries.
var ErrUnreachable = errors.New("server unreachable")

// Run asks every question with bounded concurrency and scores the answers.
// It always returns a Result; when ctx ends or the server becomes
// unreachable the Result is partial (scored over the questions answered)
// and the error says why.
func Run(ctx context.Context, t *Task, qs []Question, opt Options) (*Result, error) {
	start := time.Now()
	res := &Result{Dataset: t.Name, Model: opt.Model, Asked: len(qs)}
	if len(qs) == 0 {
		return res, fmt.Errorf("eval: %s: no questions to ask", t.Name)
	}
	opt = withDefaults(opt)
	c := &chatClient{
		base: strings.TrimRight(opt.BaseURL, "/"), model: opt.Model, maxTokens: opt.MaxTokens,
		temperature: opt.Temperature, timeout: opt.Timeout, retries: opt.Retries, backoff: opt.Backoff, http: opt.Client,
	}
	if c.model == "" {
		m, err := servedModel(ctx, c.http, c.base)
		if err != nil {
			res.Partial = true
			return res, fmt.Errorf("eval: %s: %w: %w", t.Name, ErrUnreachable, err)
		}
		c.model, res.Model = m, m
	}

	rctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	outcomes := make([]*Outcome, len(qs))
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for w := 0; w < min(opt.Concurrency, len(qs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				o, err := askOne(rctx, c, t, qs[i])
				if err != nil {
					stop(err)
					continue
				}
				mu.Lock()
				outcomes[i] = o
				done++
				n := done
				mu.Unlock()
				if opt.Progress != nil {
					opt.Progress(n, len(qs))
				}
			}
		}()
	}
feed:
	for i := range qs {
		select {
		case jobs <- i:
		case <-rctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()

	score(res, t, qs, outcomes)
	res.Duration = time.Since(start)
	if res.Answered < res.Asked {
		res.Partial = true
		cause := context.Cause(rctx)
		if ctx.Err() != nil {
			cause = context.Cause(ctx)
		}
		if cause == nil {
			cause = errors.New("stopped early")
		}
		return res, fmt.Errorf("eval: %s: %d of %d questions answered: %w", t.Name, res.Answered, res.Asked, cause)
	}
	return res, nil
}

func withDefaults(o Options) Options {
	if o.MaxTokens <= 0 {
		o.MaxTokens = 2048
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 32
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	switch {
	case o.Retries == 0:
		o.Retries = 4
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.Backoff <= 0 {
		o.Backoff = 500 * time.Millisecond
	}
	if o.Client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.Proxy = nil // model servers are local; never go through a proxy
		tr.MaxIdleConnsPerHost = o.Concurrency
		tr.MaxConnsPerHost = 0
		o.Client = &http.Client{Transport: tr}
	}
	return o
}

// askOne asks one question. It returns an error only when the run must
// stop: the server is unreachable or the context ended.
func askOne(ctx context.Context, c *chatClient, t *Task, q Question) (*Outcome, error) {
	begin := time.Now()
	text, attempts, err := c.ask(ctx, q.Prompt, q.Images)
	o := &Outcome{Index: q.Index, Source: q.Source, Subject: q.Subject, Answer: q.Answer, Attempts: attempts, Response: text,
		LatencyMS: math.Round(float64(time.Since(begin).Microseconds())/10) / 100}
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	var te *transportError
	if errors.As(err, &te) {
		return nil, fmt.Errorf("%w: %s after %d attempts: %v", ErrUnreachable, c.base, attempts, te.err)
	}
	if err != nil {
		o.Error = oneLine(err.Error())
		return o, nil
	}
	if q.FewShot {
		o.Extracted = ExtractDirectChoice(text, len(q.Choices), multichoiceRE(len(q.Choices)))
	} else {
		o.Extracted = t.Extract(text)
	}
	o.Correct = t.Grade(o.Extracted, q.Answer)
	return o, nil
}

// score fills in the statistics from the recorded outcomes.
func score(res *Result, t *Task, qs []Question, outcomes []*Outcome) {
	var vals []float64
	cats := map[string][]float64{}
	for i, o := range outcomes {
		if o == nil {
			continue
		}
		res.Outcomes = append(res.Outcomes, *o)
		v := 0.0
		if o.Correct {
			v = 1
			res.Correct++
		}
		if o.Error != "" {
			res.Errors++
		}
		vals = append(vals, v)
		if t.category != nil {
			if cat := t.category(qs[i].Example); cat != "" {
				cats[cat] = append(cats[cat], v)
			}
		}
	}
	res.Answered = len(vals)
	res.Score, res.Std, res.Stderr = Stats(vals)
	if len(cats) > 0 {
		res.Metrics = map[string]float64{}
		names := make([]string, 0, len(cats))
		for n := range cats {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			m, _, _ := Stats(cats[n])
			res.Metrics[n] = m
		}
	}
}

// Stats returns the mean, the population standard deviation (numpy's
// std, which SGLang-JAX reports as score:std) and the standard error of
// the mean (sample standard deviation over sqrt(n)).
func Stats(vals []float64) (mean, std, stderr float64) {
	n := float64(len(vals))
	if n == 0 {
		return 0, 0, 0
	}
	for _, v := range vals {
		mean += v
	}
	mean /= n
	var ss float64
	for _, v := range vals {
		ss += (v - mean) * (v - mean)
	}
	std = math.Sqrt(ss / n)
	if n > 1 {
		stderr = math.Sqrt(ss/(n-1)) / math.Sqrt(n)
	}
	return mean, std, stderr
}
