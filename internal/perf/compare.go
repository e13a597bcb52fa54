package perf

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/casestage"
	"github.com/sgl-project/tpuci/internal/compare"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
)

// comparison holds both sides of a perf A/B run.
type comparison struct {
	head, base         *Runner
	headPlan, basePlan [][]Planned // per server group, base groups aligned with head groups
	rounds             int
	logDir             string
}

type sideTotals struct{ recompilations [2]map[string]int }

// run runs every group of base then head, round after round, and gathers
// each case's metrics per side.
func (c *comparison) run(ctx context.Context, log io.Writer) (*compare.Samples, sideTotals, Outcome, time.Duration) {
	var samples compare.Samples
	tot := sideTotals{recompilations: [2]map[string]int{{}, {}}}
	var headOut Outcome
	var baseWall time.Duration
	seenFail := map[string]bool{}
	for round := 1; round <= c.rounds && ctx.Err() == nil; round++ {
		fmt.Fprintf(log, "    round %d of %d\n", round, c.rounds)
		for g := range c.headPlan {
			t0 := time.Now()
			c.base.LogDir = filepath.Join(c.logDir, fmt.Sprintf("base-%d", round))
			_ = os.MkdirAll(c.base.LogDir, 0o755)
			collect(&samples, &tot, compare.BaseSide, c.base.Run(ctx, c.basePlan[g]))
			baseWall += time.Since(t0)
			c.head.LogDir = filepath.Join(c.logDir, fmt.Sprintf("head-%d", round))
			_ = os.MkdirAll(c.head.LogDir, 0o755)
			h := c.head.Run(ctx, c.headPlan[g])
			collect(&samples, &tot, compare.HeadSide, h)
			for _, hc := range h.Cases {
				if hc.Status == report.Failed && !seenFail[hc.Name] {
					seenFail[hc.Name] = true
					headOut.Cases = append(headOut.Cases, hc)
					headOut.Failures = append(headOut.Failures, hc.Name+": "+hc.Message)
				}
			}
		}
	}
	return &samples, tot, headOut, baseWall
}

func collect(s *compare.Samples, tot *sideTotals, side int, o Outcome) {
	for _, c := range o.Cases {
		ex, ok := c.Extra.(*Extra)
		if !ok {
			continue
		}
		tot.recompilations[side][c.Name] += ex.Recompilations
		for _, m := range sortedKeys(ex.Metrics) {
			s.Add(side, c.Name, m, ex.Metrics[m])
		}
	}
}

func sortedKeys(m map[string]float64) []string { return slices.Sorted(maps.Keys(m)) }

// compareStage is the perf stage in comparison mode: the base revision's
// servers, started from its git worktree with its own configuration, and
// the working tree's, case groups interleaved for rounds rounds.
func compareStage(ctx context.Context, j *casestage.Job[Planned], ref string, rounds int) error {
	ws, st, plan := j.WS, j.St, j.Cases
	base, err := compare.Checkout(ctx, ws.Repo, ref, filepath.Join(ws.Out, "compare", "perf-base"), ws.Getenv)
	if err != nil {
		return fmt.Errorf("perf: %w", err)
	}
	defer base.Close()
	baseCfg, note, err := compare.BaseConfig(ws.Repo, ws.Config, base)
	if err != nil {
		return fmt.Errorf("perf: %w", err)
	}
	c := &comparison{rounds: rounds, logDir: st.LogDir}
	for _, g := range groups(plan) {
		var hg, bg []Planned
		for _, p := range g {
			bp, why := basePlanned(baseCfg, p)
			if why != "" {
				st.Cases = append(st.Cases, report.Case{Name: p.Case.Name, Class: "perf." + p.Server.Name, Status: report.Skipped, Message: why + " in " + base.Describe() + ": nothing to compare"})
				continue
			}
			hg, bg = append(hg, p), append(bg, bp)
		}
		if len(hg) > 0 {
			c.headPlan, c.basePlan = append(c.headPlan, hg), append(c.basePlan, bg)
		}
	}
	headMgr, baseMgr := j.Servers, pipeline.Servers(ws, st, base.Root, filepath.Join(st.LogDir, "base"))
	defer baseMgr.Close()
	c.head, c.base = &Runner{Servers: headMgr, Log: st.Log}, &Runner{Servers: baseMgr, Log: st.Log}
	fmt.Fprintln(st.Log, report.Fit(fmt.Sprintf("    comparing %d perf cases with %s at %s, %d rounds interleaved; %s", len(plan), base.Describe(), base.Root, rounds, note)))
	start := time.Now()
	samples, tot, headOut, baseWall := c.run(ctx, st.Log)
	wall := time.Since(start)
	j.Add(headOut.Cases, headOut.Failures)
	rows := judgeCases(ws.Config, samples, tot, base.Describe(), st)
	title := fmt.Sprintf("perf: working tree vs %s, %d rounds A B A B on this host (%d%% intervals; %s, of which the base %s)",
		base.Describe(), rounds, int(compare.Confidence*100), report.Round(wall), report.Round(baseWall))
	j.Add(nil, nil, compare.Table(title, rows))
	return nil
}

// judgeCases turns samples into one case per perf case (failed when a
// metric is slower beyond its tolerance, or the head recompiles more).
func judgeCases(cfg *config.Config, s *compare.Samples, tot sideTotals, describe string, st *pipeline.Stage) []compare.Row {
	var rows []compare.Row
	byCase := map[string][]string{}
	var order []string
	status := map[string]report.Status{}
	for _, k := range s.Keys() {
		b, h := s.Get(k)
		if len(h) == 0 {
			continue
		}
		if _, ok := status[k.Case]; !ok {
			order = append(order, k.Case)
			status[k.Case] = report.Passed
		}
		tol, ok := cfg.Perf.Tolerances[k.Metric]
		if !ok || len(b) == 0 {
			why := "no measurement of the base"
			if !ok {
				why = fmt.Sprintf("no tolerance for %s: set [perf.tolerances] %s = 0.08", k.Metric, k.Metric)
			}
			byCase[k.Case] = append(byCase[k.Case], k.Metric+": "+why)
			if status[k.Case] == report.Passed {
				status[k.Case] = report.Skipped
			}
			continue
		}
		res := compare.Judge(k.Metric, b, h, config.MetricDirection(k.Metric), tol)
		rc := fmt.Sprintf("%d/%d", tot.recompilations[0][k.Case], tot.recompilations[1][k.Case])
		rows = append(rows, compare.Row{Case: k.Case, Result: res, Recompilations: rc})
		byCase[k.Case] = append(byCase[k.Case], res.Explain())
		switch res.Status() {
		case report.Failed:
			status[k.Case] = report.Failed
			st.Failures = append(st.Failures, k.Case+": "+res.Explain()+" than the base "+describe)
		case report.Skipped:
			if status[k.Case] == report.Passed {
				status[k.Case] = report.Skipped
			}
		}
	}
	for _, name := range order {
		if r := tot.recompilations; r[1][name] > r[0][name] {
			status[name] = report.Failed
			msg := fmt.Sprintf("%d JIT recompilation(s) while measuring, the base %s had %d", r[1][name], describe, r[0][name])
			byCase[name] = append(byCase[name], msg)
			st.Failures = append(st.Failures, name+": "+msg)
		}
		st.Cases = append(st.Cases, report.Case{Name: name, Class: "perf", Status: status[name], Message: strings.Join(byCase[name], "; ")})
	}
	return rows
}

// basePlanned is a head case as the base revision runs it: the base's own
// case and server profile of the same names.
func basePlanned(baseCfg *config.Config, p Planned) (Planned, string) {
	for _, pc := range baseCfg.Perf.Cases {
		if pc.Name != p.Case.Name {
			continue
		}
		srv, ok := baseCfg.Server(pc.Server)
		if !ok {
			return Planned{}, "no server " + pc.Server
		}
		return Planned{Case: pc, Server: srv, Device: p.Device}, ""
	}
	return Planned{}, "no case " + p.Case.Name
}

// groups splits a plan into runs of one server profile.
func groups(plan []Planned) [][]Planned {
	var out [][]Planned
	for i, p := range plan {
		if i == 0 || plan[i-1].Server.Name != p.Server.Name {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], p)
	}
	return out
}
