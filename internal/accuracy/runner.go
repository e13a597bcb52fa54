package accuracy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/eval"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/server"
	"github.com/sgl-project/tpuci/internal/textline"
)

// Servers starts the server of a launch profile (server.Manager).
type Servers interface {
	Get(ctx context.Context, p *config.Server) (*server.Instance, error)
}

// Runner runs planned cases and judges them.
type Runner struct {
	Servers   Servers
	Store     *eval.Store
	Baselines *Baselines
	OutDir    string // per-case results: <OutDir>/<case>.json and .jsonl
	Commit    string
	Log       io.Writer // progress lines
	// Group and EndGroup fold a case's log lines on GitHub; may be nil.
	Group    func(title string)
	EndGroup func()
}

// Report is what the stage shows: one JUnit case per evaluation case, the
// verdict table and failure lines.
type Report struct {
	Cases    []report.Case
	Table    report.Table
	Failures []string
	Results  []*CaseResult
}

// TableHeader is the verdict table's header.
var TableHeader = []string{"case", "model", "device", "dataset", "n", "score ± stderr", "baseline", "allowed drop", "threshold", "margin", "verdict", "time"}

// Run runs the cases in order. Every case gets a result even when it
// fails to start; after ctx ends the remaining cases are recorded as not
// run. Results are written as each case ends.
func (r *Runner) Run(ctx context.Context, cases []Case) *Report {
	rep := &Report{Table: report.Table{Title: "accuracy verdicts", Header: TableHeader}}
	if r.Log == nil {
		r.Log = io.Discard
	}
	r.Log = &syncWriter{w: r.Log} // progress comes from the request workers
	datasets := map[string]*eval.Dataset{}
	for _, c := range cases {
		if ctx.Err() != nil {
			rep.Cases = append(rep.Cases, report.Case{Name: c.Name, Class: "accuracy." + c.Dataset, Status: report.Skipped,
				Message: "not run: " + context.Cause(ctx).Error()})
			continue
		}
		if r.Group != nil {
			r.Group("accuracy: " + c.Name)
		}
		res, rc, qs := r.runCase(ctx, c, datasets)
		if r.EndGroup != nil {
			r.EndGroup()
		}
		if err := WriteResult(r.OutDir, res, qs); err != nil {
			fmt.Fprintf(r.Log, "    warning: %v\n", err)
		}
		rc.Extra = res
		rep.Cases = append(rep.Cases, rc)
		rep.Results = append(rep.Results, res)
		rep.Table.Rows = append(rep.Table.Rows, row(res, rc.Duration))
		if rc.Status == report.Failed || rc.Status == report.Errored {
			rep.Failures = append(rep.Failures, fmt.Sprintf("%s: %s", c.Name, rc.Message))
		}
		fmt.Fprintln(r.Log, report.Fit(fmt.Sprintf("    %s: %s: %s", c.Name, strings.ToUpper(res.Verdict.Status), rc.Message)))
	}
	return rep
}

// tooFew says why n questions cannot stand for the case: fewer than its
// baseline was recorded on (a cut or partial dataset would be judged on a
// different test). eval.Select refuses fewer than the case's samples.
func (r *Runner) tooFew(c Case, n int) string {
	if b, ok := r.Baselines.Find(c.Key()); ok && b.N > n {
		return fmt.Sprintf("dataset %s gives %d questions, fewer than the %d its baseline in %s was recorded on: restore the full dataset (or record a new baseline)", c.Dataset, n, b.N, r.Baselines.Path)
	}
	return ""
}

// runCase evaluates one case. The outcomes slice is nil when no question
// was asked.
func (r *Runner) runCase(ctx context.Context, c Case, datasets map[string]*eval.Dataset) (*CaseResult, report.Case, []eval.Outcome) {
	start := time.Now()
	res := &CaseResult{
		SchemaVersion: SchemaVersion, Type: "accuracy", Case: c.Name, Dataset: c.Dataset, Model: c.Server.Model,
		Server: c.Server.Name, Device: c.Device, Samples: c.Samples, Seed: c.Seed, Shots: c.Shots,
		StartedAt: stamp(start), Commit: r.Commit, Concurrency: concurrency(c),
		GenerationConfig: map[string]any{"temperature": 0.0, "max_tokens": maxTokens(c)},
		Verdict:          Verdict{Status: Error},
	}
	rc := report.Case{Name: c.Name, Class: "accuracy." + c.Dataset, File: r.Baselines.Path}
	fail := func(msg string, output string) (*CaseResult, report.Case, []eval.Outcome) {
		res.Error, res.Verdict.Message = msg, msg
		res.FinishedAt = stamp(time.Now())
		res.DurationSeconds = seconds(time.Since(start))
		rc.Status, rc.Message, rc.Output, rc.Duration = report.Errored, msg, output, time.Since(start)
		return res, rc, nil
	}

	qs, err := r.questions(ctx, c, datasets, res)
	if err != nil {
		return fail(err.Error(), "")
	}
	fmt.Fprintln(r.Log, report.Fit(fmt.Sprintf("    %s: %d %s questions (seed %d) on server %s", c.Name, len(qs), c.Task.Title, c.Seed, c.Server.Name)))
	in, err := r.Servers.Get(ctx, c.Server)
	if err != nil {
		var se *server.Error
		if errors.As(err, &se) {
			res.ServerLog, rc.Log = se.LogFile, se.LogFile
			return fail(se.Summary(), strings.Join(se.Tail, "\n"))
		}
		return fail(err.Error(), "")
	}
	res.ServerLog, rc.Log = in.LogFile, in.LogFile

	cctx, cancel := context.WithTimeoutCause(ctx, c.Timeout(), fmt.Errorf("case timed out after %s (raise timeout in its [[accuracy.case]])", c.Timeout()))
	defer cancel()
	step := max(len(qs)/4, 1)
	out, runErr := eval.Run(cctx, c.Task, qs, eval.Options{
		BaseURL: in.BaseURL, Model: c.Server.Model, MaxTokens: maxTokens(c), Concurrency: concurrency(c),
		Progress: func(done, total int) {
			if done%step == 0 && done < total {
				fmt.Fprintf(r.Log, "    %s: %d/%d answered\n", c.Name, done, total)
			}
		},
	})
	res.Answered, res.Correct, res.Errors = out.Answered, out.Correct, out.Errors
	res.Score, res.Std, res.Stderr, res.Metrics = out.Score, out.Std, out.Stderr, out.Metrics
	res.Partial = out.Partial
	res.FinishedAt, res.DurationSeconds = stamp(time.Now()), seconds(time.Since(start))
	rc.Duration = time.Since(start)
	outcomes := out.Outcomes
	if outcomes == nil {
		outcomes = []eval.Outcome{} // still write the (empty) outcomes file
	}

	if runErr != nil {
		msg := textline.Joined(runErr.Error())
		if errors.Is(runErr, eval.ErrUnreachable) {
			if alive := inAlive(in); alive != "" {
				msg += "; " + alive
			}
		}
		res.Error = msg
		res.Verdict = Verdict{Status: Error, Score: out.Score, Stderr: out.Stderr, Message: msg}
		rc.Status, rc.Message = report.Errored, msg
		return res, rc, outcomes
	}
	rc.Status, rc.Message, res.Verdict = judged(c, out, r.Baselines)
	return res, rc, outcomes
}

// questions loads the case's dataset (once per run) and selects its
// questions; a case with too few is an error.
func (r *Runner) questions(ctx context.Context, c Case, datasets map[string]*eval.Dataset, res *CaseResult) ([]eval.Question, error) {
	ds, ok := datasets[c.Dataset]
	if !ok {
		var err error
		if ds, err = r.Store.Load(ctx, c.Dataset); err != nil {
			return nil, err
		}
		datasets[c.Dataset] = ds
	}
	res.DatasetFiles = ds.Files
	qs, err := eval.Select(c.Task, ds, c.Samples, c.Seed, c.Shots)
	if err != nil {
		return nil, err
	}
	res.N = len(qs)
	if msg := r.tooFew(c, len(qs)); msg != "" {
		return nil, errors.New(msg)
	}
	return qs, nil
}

// judged is a finished evaluation's verdict and its report status.
func judged(c Case, out *eval.Result, b *Baselines) (report.Status, string, Verdict) {
	v := Judge(out.Score, out.Stderr, c.Key(), b)
	if out.Errors > 0 {
		v.Message += fmt.Sprintf("; %d of %d requests failed and count as wrong (first: %s)", out.Errors, out.Asked, firstError(out.Outcomes))
	}
	switch v.Status {
	case Pass:
		return report.Passed, v.Message, v
	case OtherDevice:
		return report.Skipped, v.Message, v
	}
	return report.Failed, v.Message, v
}

// inAlive says how the server ended when it is gone.
func inAlive(in *server.Instance) string {
	var se *server.Error
	if err := in.Alive(); errors.As(err, &se) {
		return se.Summary()
	}
	return ""
}

func firstError(os []eval.Outcome) string {
	for _, o := range os {
		if o.Error != "" {
			return o.Error
		}
	}
	return ""
}

func row(r *CaseResult, d time.Duration) []string {
	opt := func(p *float64) string {
		if p == nil {
			return "–"
		}
		return f4(*p)
	}
	margin := "–"
	if r.Verdict.Margin != nil {
		margin = signed(*r.Verdict.Margin)
	}
	n := strconv.Itoa(r.N)
	if r.Answered != r.N {
		n = fmt.Sprintf("%d of %d", r.Answered, r.N)
	}
	score := "–"
	if r.Answered > 0 {
		score = f4(r.Score) + " ± " + f4(r.Stderr)
	}
	drop := "–"
	if r.Verdict.Baseline != nil {
		drop = f4(r.Verdict.AllowedDrop)
	}
	return []string{r.Case, r.Model, r.Device, r.Dataset, n, score, opt(r.Verdict.Baseline), drop, opt(r.Verdict.Threshold), margin,
		strings.ToUpper(r.Verdict.Status), report.Round(d)}
}

func concurrency(c Case) int {
	if c.Concurrency > 0 {
		return c.Concurrency
	}
	return 32
}

func maxTokens(c Case) int {
	if c.MaxTokens > 0 {
		return c.MaxTokens
	}
	return 2048
}

func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }

// syncWriter serialises writes from concurrent workers.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
