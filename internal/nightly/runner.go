package nightly

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/bench"
	"github.com/sgl-project/tpuci/internal/compiles"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/eval"
	"github.com/sgl-project/tpuci/internal/nightly/history"
	"github.com/sgl-project/tpuci/internal/nightly/matrix"
	"github.com/sgl-project/tpuci/internal/perf"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/server"
	"github.com/sgl-project/tpuci/internal/textline"
)

// Servers starts the server of a launch profile (server.Manager).
type Servers interface {
	Get(ctx context.Context, p *config.Server) (*server.Instance, error)
	Stop(name string)
}

// Meta is what every record of a run shares.
type Meta struct {
	Night    string
	Commit   string
	Branch   string
	RunID    string
	RunURL   string
	Versions history.Versions
	Device   func(*config.Server) string // baseline device of a profile
}

// Runner runs matrix cases and turns each into a history record.
type Runner struct {
	Servers    Servers
	Datasets   *eval.Store // nil: evaluations fail with a clear message
	Meta       Meta
	LogDir     string // bench results and logs per case
	TraceDir   string // traces: <TraceDir>/<model>/
	TraceSteps int
	Log        io.Writer
	// Record is called with each record as soon as its case ends, so a
	// crash later loses nothing (the stage writes it to the local store).
	Record func(history.Record)
	// Compiles is the servers' compile-accounting hook (nil: none); each
	// case records what its server compiled while it ran.
	Compiles *compiles.Hook

	bench func(ctx context.Context, cfg bench.Config) (*bench.Result, error) // tests replace it
}

// Recorded metrics of a perf case (the judged ones and context for them).
var perfMetrics = []string{
	"median_ttft_ms", "p99_ttft_ms", "median_itl_ms", "p99_itl_ms", "median_tpot_ms", "median_e2e_latency_ms",
	"input_throughput", "output_throughput", "request_throughput", "total_throughput",
}

// Run runs the cases in order, each even after others failed, and stops
// starting new ones when ctx ends. It returns one record per case run.
func (r *Runner) Run(ctx context.Context, cases []matrix.Case) []history.Record {
	if r.Log == nil {
		r.Log = io.Discard
	}
	if r.bench == nil {
		r.bench = bench.Run
	}
	broken := map[string]string{} // profile -> why it did not start
	datasets := map[string]*eval.Dataset{}
	var out []history.Record
	for i, c := range cases {
		if ctx.Err() != nil {
			break
		}
		rec := r.runCase(ctx, c, broken, datasets)
		if ctx.Err() != nil && rec.Status != history.OK {
			break // interrupted: not a result
		}
		out = append(out, rec)
		if r.Record != nil {
			r.Record(rec)
		}
		if i+1 == len(cases) || cases[i+1].Server.Name != c.Server.Name {
			r.Servers.Stop(c.Server.Name) // free the chips for the next profile
		}
	}
	return out
}

func (r *Runner) base(c matrix.Case) history.Record {
	return history.Record{
		SchemaVersion: history.SchemaVersion, Night: r.Meta.Night, Case: c.Key, Kind: c.Kind, Model: c.Model,
		Status: history.OK, Judged: c.Metrics, Commit: r.Meta.Commit, Branch: r.Meta.Branch,
		RunID: r.Meta.RunID, RunURL: r.Meta.RunURL, Device: r.device(c.Server), Profile: ProfileOf(c.Server),
		Versions: r.Meta.Versions,
		Params: history.Params{Concurrency: c.Concurrency, InputLen: c.InputLen, OutputLen: c.OutputLen, NumPrompts: c.NumPrompts,
			Dataset: c.Dataset, Samples: c.Samples},
	}
}

func (r *Runner) device(s *config.Server) string {
	if r.Meta.Device != nil {
		return r.Meta.Device(s)
	}
	return s.Device
}

func (r *Runner) runCase(ctx context.Context, c matrix.Case, broken map[string]string, datasets map[string]*eval.Dataset) (rec history.Record) {
	start := time.Now()
	rec = r.base(c)
	fail := func(status, msg string) {
		if rec.Status == history.OK || status == history.Error {
			rec.Status = status
		}
		if rec.Error != "" {
			rec.Error += "; "
		}
		rec.Error += msg
	}
	defer func() {
		rec.RecordedAt = time.Now().UTC().Format(time.RFC3339)
		rec.Seconds = math.Round(time.Since(start).Seconds()*1000) / 1000
		line := fmt.Sprintf("    %-4s %s (%s)", strings.ToUpper(rec.Status), c.Key, report.Round(time.Since(start)))
		if rec.Status == history.OK {
			var parts []string
			for _, m := range c.Metrics {
				if v, ok := rec.Metrics[m]; ok {
					parts = append(parts, fmt.Sprintf("%s %s", m, report.Number(v)))
				}
			}
			line += ": " + strings.Join(parts, ", ")
		} else {
			line += ": " + rec.Error
		}
		fmt.Fprintln(r.Log, line)
	}()

	if why, ok := broken[c.Server.Name]; ok {
		fail(history.Error, "not run: "+why)
		return rec
	}
	in, err := r.Servers.Get(ctx, c.Server)
	if err != nil {
		var se *server.Error
		if errors.As(err, &se) {
			broken[c.Server.Name] = se.Summary()
			fail(history.Error, se.Summary()+" (log "+se.LogFile+")")
		} else {
			broken[c.Server.Name] = err.Error()
			fail(history.Error, err.Error())
		}
		return rec
	}
	cctx, cancel := context.WithTimeoutCause(ctx, c.Timeout, fmt.Errorf("case timed out after %s (raise [nightly].case_timeout)", c.Timeout))
	defer cancel()
	switch c.Kind {
	case matrix.Perf:
		r.runPerf(cctx, c, in, &rec, fail)
	case matrix.Accuracy:
		r.runAccuracy(cctx, c, in, &rec, fail, datasets)
	}
	if ctx.Err() == nil && cctx.Err() != nil {
		fail(history.Failed, context.Cause(cctx).Error())
	}
	r.addCompiles(&rec, c.Server.Name, start)
	// A server that died while measuring fails this case; the next case
	// of the profile starts it again.
	if err := in.Alive(); err != nil {
		var se *server.Error
		if errors.As(err, &se) {
			fail(history.Failed, se.Summary()+" while measuring (log "+in.LogFile+")")
		} else {
			fail(history.Failed, err.Error())
		}
	}
	return rec
}

func (r *Runner) runPerf(ctx context.Context, c matrix.Case, in *server.Instance, rec *history.Record, fail func(string, string)) {
	name := fileName(c.Key)
	logf, err := os.Create(filepath.Join(r.LogDir, name+".log"))
	if err != nil {
		fail(history.Error, fmt.Sprintf("create log: %v", err))
		return
	}
	defer logf.Close()
	pc := config.PerfCase{Name: c.Key, NumPrompts: c.NumPrompts, InputLen: c.InputLen, OutputLen: c.OutputLen, MaxConcurrency: c.Concurrency}
	cfg := perf.BenchConfig(pc, in.BaseURL, logf)
	cfg.VocabSize = in.VocabSize // 0 (the default) unless the model is generated
	res, err := r.bench(ctx, cfg)
	if err != nil {
		fail(history.Failed, "benchmark: "+err.Error())
		return
	}
	// The trace comes from one more wave of the same workload, so the
	// profiler does not perturb the measured figures.
	if c.Trace && r.TraceDir != "" && ctx.Err() == nil {
		if tr := r.startTrace(ctx, c, in, logf); tr != nil {
			wave := pc
			wave.NumPrompts = min(c.NumPrompts, c.Concurrency)
			cfg := perf.BenchConfig(wave, in.BaseURL, logf)
			cfg.VocabSize = in.VocabSize
			cfg.Warmup = 0
			_, berr := r.bench(ctx, cfg)
			path, terr := tr.stop(ctx)
			switch {
			case terr != nil:
				fmt.Fprintf(r.Log, "    warning: %s: no trace: %v\n", c.Key, terr)
			case berr != nil:
				fmt.Fprintf(r.Log, "    warning: %s: traced wave: %v\n", c.Key, berr)
				rec.Trace = path
			default:
				rec.Trace = path
			}
		}
	}
	if data, err := json.MarshalIndent(res, "", "  "); err == nil {
		_ = report.WriteFile(filepath.Join(r.LogDir, name+".json"), append(data, '\n'))
	}
	res.WriteTable(logf)
	rec.Params.Completed, rec.Params.Failed = res.Completed, res.Failed
	rec.Metrics = map[string]float64{}
	for _, m := range perfMetrics {
		if v, ok := res.Metric(m); ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
			rec.Metrics[m] = v
		}
	}
	if res.Completed != c.NumPrompts {
		msg := fmt.Sprintf("only %d of %d requests completed", res.Completed, c.NumPrompts)
		if len(res.Failures) > 0 {
			msg += " (first failure: " + textline.FirstClipped(res.Failures[0].Error, 240) + ")"
		}
		fail(history.Failed, msg)
	}
	for _, m := range c.Metrics {
		if _, ok := rec.Metrics[m]; !ok {
			fail(history.Failed, fmt.Sprintf("the benchmark result has no %s", m))
		}
	}
}

func (r *Runner) runAccuracy(ctx context.Context, c matrix.Case, in *server.Instance, rec *history.Record, fail func(string, string), datasets map[string]*eval.Dataset) {
	task, err := eval.Lookup(c.Dataset)
	if err != nil {
		fail(history.Error, err.Error())
		return
	}
	if r.Datasets == nil {
		fail(history.Error, "no dataset store")
		return
	}
	ds, ok := datasets[c.Dataset]
	if !ok {
		if ds, err = r.Datasets.Load(ctx, c.Dataset); err != nil {
			fail(history.Error, err.Error())
			return
		}
		datasets[c.Dataset] = ds
	}
	qs, err := eval.Select(task, ds, c.Samples, c.Seed, c.Shots)
	if err != nil {
		fail(history.Error, err.Error())
		return
	}
	rec.Params.Questions = len(qs)
	res, err := eval.Run(ctx, task, qs, eval.Options{BaseURL: in.BaseURL, Model: c.Server.Model, MaxTokens: c.MaxTokens, Concurrency: c.EvalConcurrency})
	if res != nil {
		rec.Params.Answered = res.Answered
		rec.Metrics = map[string]float64{"score": res.Score, "stderr": res.Stderr}
		for k, v := range res.Metrics {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				rec.Metrics[k] = v
			}
		}
		if res.Errors > 0 {
			fail(history.Failed, fmt.Sprintf("%d of %d requests failed", res.Errors, res.Asked))
		}
		if res.Partial {
			fail(history.Failed, fmt.Sprintf("answered %d of %d questions", res.Answered, res.Asked))
		}
	}
	if err != nil {
		fail(history.Failed, textline.FirstClipped(err.Error(), 240))
	}
}

// ProfileOf identifies a launch profile in records.
func ProfileOf(s *config.Server) history.Profile {
	h := sha256.New()
	for _, part := range [][]string{s.Command, s.Args} {
		for _, a := range part {
			h.Write([]byte(a))
			h.Write([]byte{0})
		}
		h.Write([]byte{1})
	}
	keys := make([]string, 0, len(s.Env))
	for k := range s.Env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\x00", k, s.Env[k])
	}
	return history.Profile{Name: s.Name, Model: s.Model, Chips: s.Chips, TP: s.TP, EP: s.EP, ArgsHash: hex.EncodeToString(h.Sum(nil))[:12]}
}

// fileName turns a case key into a file name.
func fileName(key string) string { return strings.ReplaceAll(key, "/", "__") }

// addCompiles records, as judged metrics, what the case's server compiled
// from the case's start (its server's start and precompile included when
// it started for this case). A server without JAX records nothing.
func (r *Runner) addCompiles(rec *history.Record, profile string, from time.Time) {
	if r.Compiles == nil {
		return
	}
	dir := r.Compiles.CaseDir(profile)
	all, err := compiles.Collect(dir)
	if err == nil && all[profile].Processes == 0 {
		return
	}
	var got map[string]compiles.Summary
	if err == nil {
		got, err = compiles.Between(dir, from, time.Now())
	}
	if err != nil {
		fmt.Fprintln(r.Log, report.Fit(fmt.Sprintf("    warning: %s: %v", rec.Case, err)))
		return
	}
	s := got[profile]
	if rec.Metrics == nil {
		rec.Metrics = map[string]float64{}
	}
	rec.Metrics[CompilesMetric] = float64(s.Compiles)
	rec.Metrics[CompileSecondsMetric] = s.CompileSeconds
	rec.Judged = append(slices.Clone(rec.Judged), CompilesMetric, CompileSecondsMetric)
}
