package pallas

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/casestage"
	"github.com/sgl-project/tpuci/internal/compare"
	"github.com/sgl-project/tpuci/internal/compiles"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/report"
)

// Comparison runs each kernel of the base revision and of the working
// tree in turn, round after round (A B A B ...), on this host, and judges
// every case's time_ms change against its kernel's tolerance.
type Comparison struct {
	Head, Base *Runner // Baselines nil: they measure only
	// BaseKernels are the base's [[pallas.kernel]] blocks, by name.
	BaseKernels []config.Kernel
	Rounds      int
	LogDir      string
	// Describe names the base in messages, e.g. "HEAD~1 (1a2b3c4d5e6f)".
	Describe string
}

// CompareOutcome is what a Comparison found.
type CompareOutcome struct {
	Cases    []report.Case
	Rows     []compare.Row
	Failures []string
	Wall     time.Duration // both sides
	BaseWall time.Duration // the base side alone
	// late counts each side's compiles after warm-up per kernel, over
	// every round; headCompiles is the head's first round, per kernel.
	late         [2]map[string]int
	headCompiles map[string]compiles.Summary
}

// addLate adds one run's compiles after warm-up to a side's counts.
func (o *CompareOutcome) addLate(side int, per map[string]compiles.Summary) {
	if o.late[side] == nil {
		o.late[side] = map[string]int{}
	}
	for k, s := range per {
		o.late[side][k] += len(s.AfterWarmup)
	}
}

// Run runs the rounds and judges.
func (c *Comparison) Run(ctx context.Context, kernels []config.Kernel) CompareOutcome {
	var out CompareOutcome
	var samples compare.Samples
	if c.Head.Log == nil {
		c.Head.Log = io.Discard
	}
	start := time.Now()
	headFailed := map[string]bool{}
	for round := 1; round <= c.Rounds && ctx.Err() == nil; round++ {
		fmt.Fprintf(c.Head.Log, "    round %d of %d\n", round, c.Rounds)
		for _, k := range kernels {
			i := slices.IndexFunc(c.BaseKernels, func(b config.Kernel) bool { return b.Name == k.Name })
			if i >= 0 {
				t0 := time.Now()
				c.Base.LogDir = filepath.Join(c.LogDir, fmt.Sprintf("base-%d", round))
				b := c.Base.Run(ctx, []config.Kernel{c.BaseKernels[i]})
				out.BaseWall += time.Since(t0)
				for _, t := range b.Timings {
					samples.Add(compare.BaseSide, t.CaseName(), Metric, t.TimeMs)
				}
				out.addLate(compare.BaseSide, b.Compiles)
			}
			c.Head.LogDir = filepath.Join(c.LogDir, fmt.Sprintf("head-%d", round))
			h := c.Head.Run(ctx, []config.Kernel{k})
			for _, t := range h.Timings {
				samples.Add(compare.HeadSide, t.CaseName(), Metric, t.TimeMs)
			}
			out.addLate(compare.HeadSide, h.Compiles)
			if s, ok := h.Compiles[k.Name]; ok && round == 1 {
				if out.headCompiles == nil {
					out.headCompiles = map[string]compiles.Summary{}
				}
				out.headCompiles[k.Name] = s
			}
			if len(h.Failures) > 0 && !headFailed[k.Name] { // report a broken kernel once
				headFailed[k.Name] = true
				out.Failures = append(out.Failures, h.Failures...)
				for _, hc := range h.Cases {
					if hc.Status == report.Failed {
						out.Cases = append(out.Cases, hc)
					}
				}
			}
		}
	}
	out.Wall = time.Since(start)
	c.judge(kernels, &samples, &out)
	return out
}

func (c *Comparison) judge(kernels []config.Kernel, samples *compare.Samples, out *CompareOutcome) {
	tol := map[string]float64{}
	for _, k := range kernels {
		tol[k.Name] = k.Tolerance
	}
	for _, key := range samples.Keys() {
		kernel, caseKey, _ := strings.Cut(key.Case, "/")
		base, head := samples.Get(key)
		cs := report.Case{Name: key.Case, Class: "pallas." + kernel, Status: report.Skipped}
		if len(head) == 0 {
			continue // the head no longer has this case
		}
		if len(base) == 0 {
			cs.Message = fmt.Sprintf("no measurement of the base %s (a new case, or its kernel failed there): nothing to compare", c.Describe)
			out.Cases = append(out.Cases, cs)
			continue
		}
		res := compare.Judge(Metric, base, head, -1, tol[kernel])
		row := compare.Row{Case: key.Case, Result: res}
		if out.late[compare.HeadSide] != nil {
			row.Recompilations = fmt.Sprintf("%d/%d", out.late[compare.BaseSide][kernel], out.late[compare.HeadSide][kernel])
		}
		out.Rows = append(out.Rows, row)
		if s, ok := out.headCompiles[kernel]; ok { // once per kernel
			cs.Compiles = &s
			delete(out.headCompiles, kernel)
		}
		cs.Extra = &Extra{Device: c.Head.Device, Kernel: kernel, Case: caseKey, TimeMs: res.Head, Compare: &row}
		cs.Status, cs.Message = res.Status(), res.Explain()
		if cs.Status == report.Failed {
			cs.Message += " than the base " + c.Describe
			out.Failures = append(out.Failures, key.Case+": "+cs.Message)
		}
		out.Cases = append(out.Cases, cs)
	}
}

// compareStage is the pallas stage in comparison mode: the base revision
// in a git worktree under $TPUCI_OUT/compare, interleaved with the
// working tree for rounds rounds.
func compareStage(ctx context.Context, j *casestage.Job[config.Kernel], kernels []config.Kernel, ref string, rounds int) error {
	ws, st := j.WS, j.St
	base, err := compare.Checkout(ctx, ws.Repo, ref, filepath.Join(ws.Out, "compare", "pallas-base"), ws.Getenv)
	if err != nil {
		return fmt.Errorf("pallas: %w", err)
	}
	defer base.Close()
	baseCfg, note, err := compare.BaseConfig(ws.Repo, ws.Config, base)
	if err != nil {
		return fmt.Errorf("pallas: %w", err)
	}
	device := Device(ws.Config, ws.Chips)
	env := append(ws.Env(), ws.Chips.Env(1)...)
	fmt.Fprintln(st.Log, report.Fit(fmt.Sprintf("    comparing %d kernel benchmarks with %s at %s, %d rounds interleaved, device %s; %s",
		len(kernels), base.Describe(), base.Root, rounds, device, note)))
	headHook, err := installHook(ws, "pallas")
	if err != nil {
		return err
	}
	baseHook, err := installHook(ws, "pallas-base")
	if err != nil {
		return err
	}
	c := &Comparison{
		Head:        &Runner{Repo: ws.Repo, Python: ws.Python, Env: env, Device: device, Log: st.Log, Hook: headHook},
		Base:        &Runner{Repo: base.Root, Python: ws.Python, Env: env, Device: device, Log: st.Log, Hook: baseHook},
		BaseKernels: baseCfg.Pallas.Kernels, Rounds: rounds, LogDir: st.LogDir, Describe: base.Describe(),
	}
	out := c.Run(ctx, kernels)
	title := fmt.Sprintf("pallas: working tree vs %s, %d rounds A B A B on this host (device %s; %d%% intervals; %s, of which the base %s)",
		base.Describe(), rounds, device, int(compare.Confidence*100), report.Round(out.Wall), report.Round(out.BaseWall))
	j.Add(out.Cases, out.Failures, compare.Table(title, out.Rows))
	return nil
}
