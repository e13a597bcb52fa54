package perf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/bench"
	"github.com/sgl-project/tpuci/internal/compiles"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/gate"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/server"
	"github.com/sgl-project/tpuci/internal/textline"
)

// DefaultCaseTimeout bounds one case's benchmark when the case sets none.
const DefaultCaseTimeout = 30 * time.Minute

// RecordCommand writes perf baselines.
const RecordCommand = "go tool mage perf:baseline"

// Extra is what a perf case adds to the results JSON (report.Case.Extra).
type Extra struct {
	Device         string `json:"device"`
	Server         string `json:"server"`
	NumPrompts     int    `json:"num_prompts"`
	Completed      int    `json:"completed"`
	Failed         int    `json:"failed"`
	Recompilations int    `json:"recompilations"`
	// CompilesWhileMeasuring are the JAX compiles the server's processes
	// recorded while this case measured (tpuci's own accounting).
	CompilesWhileMeasuring int                `json:"compiles_while_measuring,omitempty"`
	Metrics                map[string]float64 `json:"metrics,omitempty"`
	Verdicts               []gate.Verdict     `json:"verdicts,omitempty"`
	Result                 string             `json:"result,omitempty"` // the bench result JSON file
}

// Runner runs planned cases against servers from a Manager.
type Runner struct {
	Servers   *server.Manager
	Baselines *gate.File // nil: measure without judging
	LogDir    string
	Log       io.Writer // progress lines
	// bench runs one benchmark; tests replace it.
	bench  func(ctx context.Context, cfg bench.Config) (*bench.Result, error)
	device string // the last one announced
}

// Outcome is the result of a Runner.
type Outcome struct {
	Cases    []report.Case
	Verdicts []gate.Verdict
	Failures []string
}

// Run runs every planned case, each even after others failed, and stops
// only when ctx ends.
func (r *Runner) Run(ctx context.Context, plan []Planned) Outcome {
	if r.Log == nil {
		r.Log = io.Discard
	}
	if r.bench == nil {
		r.bench = bench.Run
	}
	var out Outcome
	broken := map[string]string{} // profile -> why its server could not start
	for i, p := range plan {
		if ctx.Err() != nil {
			break
		}
		c, vs, fails := r.runCase(ctx, p, broken)
		out.Cases = append(out.Cases, c)
		out.Verdicts = append(out.Verdicts, vs...)
		out.Failures = append(out.Failures, fails...)
		if i+1 == len(plan) || plan[i+1].Server.Name != p.Server.Name {
			r.Servers.Stop(p.Server.Name) // free the chips for the next profile
			// The server's whole accounting goes on its last case.
			out.Cases[len(out.Cases)-1].Compiles = r.serverCompiles(p.Server.Name)
		}
	}
	return out
}

// caseRun is one case's report as it is filled in.
type caseRun struct {
	name  string
	start time.Time
	c     report.Case
	ex    *Extra
	fails []string
	log   io.Writer
}

func (cr *caseRun) fail(msg string) {
	cr.c.Status = report.Failed
	cr.fails = append(cr.fails, cr.name+": "+msg)
}

func (cr *caseRun) finish() (report.Case, []gate.Verdict, []string) {
	cr.c.Duration = time.Since(cr.start)
	cr.c.Message = strings.Join(trimPrefix(cr.fails, cr.name+": "), "; ")
	status := map[report.Status]string{report.Passed: "pass", report.Skipped: "skip"}[cr.c.Status]
	if status == "" {
		status = "FAIL"
	}
	fmt.Fprintf(cr.log, "    %s %s (%s)\n", status, cr.name, report.Round(cr.c.Duration))
	if cr.c.Status == report.Skipped {
		return cr.c, cr.ex.Verdicts, nil // the message; not a failure
	}
	return cr.c, cr.ex.Verdicts, cr.fails
}

// announce prints a case's header, after the device when it differs
// from the previous case's (cases share it, and it is long). The server
// names itself when it starts.
func (r *Runner) announce(p Planned) {
	if p.Device != r.device {
		fmt.Fprintln(r.Log, report.Fit("    device: "+p.Device))
		r.device = p.Device
	}
	pc := p.Case
	fmt.Fprintln(r.Log, report.Fit(fmt.Sprintf("    case %s: %d prompts, in/out %d/%d, max concurrency %d",
		pc.Name, pc.NumPrompts, pc.InputLen, pc.OutputLen, pc.MaxConcurrency)))
}

// runCase starts (or reuses) the case's server, measures and judges.
func (r *Runner) runCase(ctx context.Context, p Planned, broken map[string]string) (report.Case, []gate.Verdict, []string) {
	pc := p.Case
	ex := &Extra{Device: p.Device, Server: p.Server.Name, NumPrompts: pc.NumPrompts}
	cr := &caseRun{name: pc.Name, start: time.Now(), ex: ex, log: r.Log,
		c: report.Case{Name: pc.Name, Class: "perf." + p.Server.Name, Status: report.Passed, Extra: ex}}
	if why, ok := broken[p.Server.Name]; ok {
		cr.fail("not run: " + why)
		return cr.finish()
	}
	r.announce(p)
	in, err := r.Servers.Get(ctx, p.Server)
	if err != nil {
		broken[p.Server.Name] = err.Error()
		var se *server.Error
		if errors.As(err, &se) {
			broken[p.Server.Name] = se.Summary()
			cr.c.Output, cr.c.Log = strings.Join(se.Tail, "\n"), se.LogFile
		}
		cr.fail(err.Error())
		return cr.finish()
	}
	cr.c.Log = in.LogFile
	if res := r.measure(ctx, p, in, cr); res != nil {
		r.judge(p, res, cr)
	}
	return cr.finish()
}

// measure runs the case's benchmark against in. It returns nil when the
// run broke (interrupted, timed out, recompiled, the server died, or a
// request failed): the figures of a broken run mean nothing.
func (r *Runner) measure(ctx context.Context, p Planned, in *server.Instance, cr *caseRun) *bench.Result {
	pc := p.Case
	missesBefore := in.CacheMisses()
	timeout := pc.Timeout.Duration
	if timeout <= 0 {
		timeout = DefaultCaseTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	logf, err := os.Create(filepath.Join(r.LogDir, pc.Name+".log"))
	if err != nil {
		cr.fail(fmt.Sprintf("create log: %v", err))
		return nil
	}
	defer logf.Close()
	cfg := BenchConfig(pc, in.BaseURL, logf)
	cfg.VocabSize = in.VocabSize // 0 (the client's default) unless the model is generated
	var opened time.Time
	cfg.OnMeasure = func(at time.Time) {
		opened = at
		r.mark(p.Server.Name, "measure_start", at)
	}
	res, err := r.bench(cctx, cfg)
	if !opened.IsZero() {
		r.mark(p.Server.Name, "measure_end", time.Now())
	}
	if ctx.Err() != nil {
		cr.fail("interrupted")
		return nil
	}
	if err != nil || res.Completed != pc.NumPrompts {
		// A server that hit a fatal error may still be on its way out.
		select {
		case <-in.Done():
		case <-time.After(2 * time.Second):
		}
	}
	healthy := r.serverHealth(p, in, in.CacheMisses()-missesBefore, cr)
	if !opened.IsZero() && !r.compiledWhileMeasuring(p, in, opened, cr) {
		healthy = false
	}
	if err != nil {
		if cctx.Err() != nil {
			err = fmt.Errorf("timed out after %s (set [[perf.case]] timeout)", timeout)
		}
		if healthy {
			cr.fail("benchmark: " + err.Error())
		}
		return nil
	}
	cr.ex.Completed, cr.ex.Failed = res.Completed, res.Failed
	if data, err := json.MarshalIndent(res, "", "  "); err == nil {
		cr.ex.Result = filepath.Join(r.LogDir, pc.Name+".json")
		_ = report.WriteFile(cr.ex.Result, append(data, '\n'))
	}
	res.WriteTable(logf)
	if res.Completed != pc.NumPrompts {
		cr.fail(fmt.Sprintf("only %d of %d requests completed%s", res.Completed, pc.NumPrompts, failureReasons(res)))
	}
	if !healthy || res.Completed != pc.NumPrompts {
		return nil
	}
	return res
}

// serverHealth fails the case for JIT recompilations while measuring and
// for a server that died; it reports whether neither happened.
func (r *Runner) serverHealth(p Planned, in *server.Instance, misses int, cr *caseRun) bool {
	cr.ex.Recompilations = misses
	dead := in.Alive()
	if misses > 0 && dead == nil {
		cr.c.Output = strings.Join(in.Tail(server.TailLines), "\n")
	}
	if misses > 0 {
		cr.fail(fmt.Sprintf("%d JIT recompilation(s) (cache misses) on server %s while measuring: precompilation does not cover this workload (log %s)", misses, p.Server.Name, in.LogFile))
	}
	if dead != nil {
		var se *server.Error
		if errors.As(dead, &se) {
			cr.c.Output = strings.Join(se.Tail, "\n")
			if misses == 0 {
				cr.fail(se.Summary() + " while measuring (log " + in.LogFile + ")")
			}
		} else {
			cr.fail(dead.Error())
		}
	}
	return misses == 0 && dead == nil
}

// judge records the case's metrics and, with baselines, judges each one.
// Baselines of other devices only make the case skipped, not failed.
func (r *Runner) judge(p Planned, res *bench.Result, cr *caseRun) {
	pc := p.Case
	cr.ex.Metrics = map[string]float64{}
	judge := gate.Judge{File: r.Baselines, Device: p.Device, Record: RecordCommand}
	otherDevice := ""
	for _, m := range pc.Metrics {
		v, ok := res.Metric(m)
		if !ok {
			cr.fail(fmt.Sprintf("metric %s: the benchmark result has no numeric key %q (see %s)", m, m, cr.ex.Result))
			continue
		}
		cr.ex.Metrics[m] = v
		if r.Baselines == nil { // measuring only: a comparison judges later
			continue
		}
		vd := judge.Check(pc.Name, m, v, 0)
		cr.ex.Verdicts = append(cr.ex.Verdicts, vd)
		switch {
		case vd.OtherDevice:
			otherDevice = vd.Message
		case !vd.Pass:
			cr.fail(vd.Message)
		}
	}
	if otherDevice != "" && cr.c.Status == report.Passed {
		cr.c.Status = report.Skipped
		cr.fails = []string{pc.Name + ": " + otherDevice}
	}
}

// BenchConfig is the bench client configuration of a case. Unset range
// ratio, warmup and backend take bench_serving's CI values (1, 1, sgl-jax).
func BenchConfig(pc config.PerfCase, baseURL string, log io.Writer) bench.Config {
	cfg := bench.Config{
		BaseURL:        baseURL,
		Backend:        pc.Backend,
		NumPrompts:     pc.NumPrompts,
		InputLen:       pc.InputLen,
		OutputLen:      pc.OutputLen,
		RangeRatio:     pc.RangeRatio,
		MaxConcurrency: pc.MaxConcurrency,
		RequestRate:    pc.RequestRate,
		Seed:           pc.Seed,
		Warmup:         pc.Warmup,
		Log:            log,
	}
	if cfg.Backend == "" {
		cfg.Backend = "sgl-jax"
	}
	if cfg.RangeRatio == 0 {
		cfg.RangeRatio = 1
	}
	if cfg.Warmup == 0 {
		cfg.Warmup = 1
	}
	if cfg.RequestRate == 0 {
		cfg.RequestRate = math.Inf(1)
	}
	return cfg
}

func failureReasons(res *bench.Result) string {
	if len(res.Failures) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("; failures: ")
	for i, f := range res.Failures {
		if i == 3 {
			fmt.Fprintf(&b, "; ... %d more", res.Failed-3)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "request %d: %s", f.Request, textline.FirstClipped(f.Error, 200))
	}
	return b.String()
}

func trimPrefix(ss []string, p string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.TrimPrefix(s, p)
	}
	return out
}

// mark writes a compile-accounting mark for a server profile's
// processes; without a hook it does nothing, and a failure only warns.
func (r *Runner) mark(profile, mark string, at time.Time) {
	h := r.Servers.Compiles()
	if h == nil {
		return
	}
	if err := compiles.Mark(h.CaseDir(profile), profile, mark, at); err != nil {
		fmt.Fprintln(r.Log, report.Fit("    warning: "+err.Error()))
	}
}

// compiledWhileMeasuring fails the case when its server compiled after the
// measured window opened (a cache miss in SGLang-JAX's sense), naming the
// functions and shapes; it reports whether none did. A server without JAX
// (the simulator) records nothing and passes.
func (r *Runner) compiledWhileMeasuring(p Planned, in *server.Instance, opened time.Time, cr *caseRun) bool {
	s := r.serverCompiles(p.Server.Name)
	if s == nil {
		return true
	}
	var late compiles.Summary
	for _, c := range s.AfterWarmup {
		if !c.At.Before(opened) {
			late.AfterWarmup = append(late.AfterWarmup, c)
		}
	}
	cr.ex.CompilesWhileMeasuring = len(late.AfterWarmup)
	if err := late.CheckWarm(); err != nil {
		cr.fail(fmt.Sprintf("server %s %v while measuring (log %s)", p.Server.Name, err, in.LogFile))
		return false
	}
	return true
}

// serverCompiles is what a profile's server processes compiled so far;
// nil without a hook or when no process recorded anything (no JAX).
func (r *Runner) serverCompiles(profile string) *compiles.Summary {
	h := r.Servers.Compiles()
	if h == nil {
		return nil
	}
	got, err := compiles.Collect(h.CaseDir(profile))
	if err != nil {
		fmt.Fprintln(r.Log, report.Fit(fmt.Sprintf("    warning: server %s: %v", profile, err)))
		return nil
	}
	s, ok := got[profile]
	if !ok || s.Processes == 0 {
		return nil
	}
	return &s
}
