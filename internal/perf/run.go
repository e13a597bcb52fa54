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
	Device         string             `json:"device"`
	Server         string             `json:"server"`
	NumPrompts     int                `json:"num_prompts"`
	Completed      int                `json:"completed"`
	Failed         int                `json:"failed"`
	Recompilations int                `json:"recompilations"`
	Metrics        map[string]float64 `json:"metrics,omitempty"`
	Verdicts       []gate.Verdict     `json:"verdicts,omitempty"`
	Result         string             `json:"result,omitempty"` // the bench result JSON file
}

// Runner runs planned cases against servers from a Manager.
type Runner struct {
	Servers   *server.Manager
	Baselines *gate.File // nil: measure without judging
	LogDir    string
	Log       io.Writer // progress lines
	// bench runs one benchmark; tests replace it.
	bench func(ctx context.Context, cfg bench.Config) (*bench.Result, error)
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
		}
	}
	return out
}

func (r *Runner) runCase(ctx context.Context, p Planned, broken map[string]string) (report.Case, []gate.Verdict, []string) {
	pc := p.Case
	start := time.Now()
	ex := &Extra{Device: p.Device, Server: p.Server.Name, NumPrompts: pc.NumPrompts}
	c := report.Case{Name: pc.Name, Class: "perf." + p.Server.Name, Status: report.Passed, Extra: ex}
	var fails []string
	fail := func(msg string) {
		c.Status = report.Failed
		fails = append(fails, pc.Name+": "+msg)
	}
	finish := func() (report.Case, []gate.Verdict, []string) {
		c.Duration = time.Since(start)
		c.Message = strings.Join(trimPrefix(fails, pc.Name+": "), "; ")
		status := map[report.Status]string{report.Passed: "pass", report.Skipped: "skip"}[c.Status]
		if status == "" {
			status = "FAIL"
		}
		fmt.Fprintf(r.Log, "    %s %s (%s)\n", status, pc.Name, report.Round(c.Duration))
		return c, ex.Verdicts, fails
	}

	if why, ok := broken[p.Server.Name]; ok {
		fail("not run: " + why)
		return finish()
	}
	fmt.Fprintf(r.Log, "    case %s: %d prompts, in/out %d/%d, max concurrency %d on %s (%s)\n",
		pc.Name, pc.NumPrompts, pc.InputLen, pc.OutputLen, pc.MaxConcurrency, p.Server.Name, p.Device)
	in, err := r.Servers.Get(ctx, p.Server)
	if err != nil {
		var se *server.Error
		if errors.As(err, &se) {
			broken[p.Server.Name] = se.Summary()
			c.Output = strings.Join(se.Tail, "\n")
			c.Log = se.LogFile
		} else {
			broken[p.Server.Name] = err.Error()
		}
		fail(err.Error())
		return finish()
	}
	c.Log = in.LogFile
	missesBefore := in.CacheMisses()

	timeout := pc.Timeout.Duration
	if timeout <= 0 {
		timeout = DefaultCaseTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	logPath := filepath.Join(r.LogDir, pc.Name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		fail(fmt.Sprintf("create log: %v", err))
		return finish()
	}
	defer logf.Close()
	res, err := r.bench(cctx, BenchConfig(pc, in.BaseURL, logf))
	if ctx.Err() != nil {
		fail("interrupted")
		return finish()
	}
	if err != nil || res.Completed != pc.NumPrompts {
		// A server that hit a fatal error may still be on its way out.
		select {
		case <-in.Done():
		case <-time.After(2 * time.Second):
		}
	}
	misses := in.CacheMisses() - missesBefore
	ex.Recompilations = misses
	dead := in.Alive()
	if misses > 0 && dead == nil {
		c.Output = strings.Join(in.Tail(server.TailLines), "\n")
	}
	if misses > 0 {
		fail(fmt.Sprintf("%d JIT recompilation(s) (cache misses) on server %s while measuring: precompilation does not cover this workload (log %s)", misses, p.Server.Name, in.LogFile))
	}
	if dead != nil {
		var se *server.Error
		if errors.As(dead, &se) {
			c.Output = strings.Join(se.Tail, "\n")
			if misses == 0 {
				fail(se.Summary() + " while measuring (log " + in.LogFile + ")")
			}
		} else {
			fail(dead.Error())
		}
	}
	if err != nil {
		if cctx.Err() != nil {
			err = fmt.Errorf("timed out after %s (set [[perf.case]] timeout)", timeout)
		}
		if dead == nil && misses == 0 {
			fail("benchmark: " + err.Error())
		}
		return finish()
	}
	ex.Completed, ex.Failed = res.Completed, res.Failed
	if data, err := json.MarshalIndent(res, "", "  "); err == nil {
		ex.Result = filepath.Join(r.LogDir, pc.Name+".json")
		_ = report.WriteFile(ex.Result, append(data, '\n'))
	}
	res.WriteTable(logf)
	if res.Completed != pc.NumPrompts {
		fail(fmt.Sprintf("only %d of %d requests completed%s", res.Completed, pc.NumPrompts, failureReasons(res)))
	}
	if misses > 0 || dead != nil || res.Completed != pc.NumPrompts {
		return finish() // the figures of a broken run mean nothing
	}
	if r.Baselines == nil { // measuring only: a comparison judges later
		ex.Metrics = map[string]float64{}
		for _, m := range pc.Metrics {
			if v, ok := res.Metric(m); ok {
				ex.Metrics[m] = v
			} else {
				fail(fmt.Sprintf("metric %s: the benchmark result has no numeric key %q (see %s)", m, m, ex.Result))
			}
		}
		return finish()
	}
	judge := gate.Judge{File: r.Baselines, Device: p.Device, Record: RecordCommand}
	ex.Metrics = map[string]float64{}
	otherDevice := ""
	for _, m := range pc.Metrics {
		v, ok := res.Metric(m)
		if !ok {
			fail(fmt.Sprintf("metric %s: the benchmark result has no numeric key %q (see %s)", m, m, ex.Result))
			continue
		}
		ex.Metrics[m] = v
		vd := judge.Check(pc.Name, m, v, 0)
		ex.Verdicts = append(ex.Verdicts, vd)
		switch {
		case vd.OtherDevice:
			otherDevice = vd.Message
		case !vd.Pass:
			fail(vd.Message)
		}
	}
	if otherDevice != "" && c.Status == report.Passed {
		c.Status = report.Skipped
		fails = []string{pc.Name + ": " + otherDevice} // the message; not a failure
		c, vs, _ := finish()
		return c, vs, nil
	}
	return finish()
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
