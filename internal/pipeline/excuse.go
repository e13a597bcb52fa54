package pipeline

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/durations"
	"github.com/sgl-project/tpuci/internal/failclass"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/triage"
)

// excuse ends a failed stage without an error when none of its failures
// gates, so that the stages after it still run: a quarantined test in
// force anywhere; on a change (not a run that records main's history),
// also a failure main already has and a known-flaky test that failed
// every retry. The record keeps its failed status and says why. The
// stage does not know the change's files; ci:finish does, and gates a
// failure in a file the change touches.
func (s *Session) excuse(ctx context.Context, st *Stage, err error) error {
	if err == nil || st.Partial || st.Status != report.Failed {
		return err
	}
	fs := triage.FailuresOf(st.TargetResult, "")
	if len(fs) == 0 {
		return err
	}
	q := triage.QuarantineOf(s.WS.Config)
	p := triage.PolicyOf(s.WS.Config)
	_, onMain := durations.Recording(s.WS.Settings)
	var h triage.History
	if !onMain {
		if h2, p2, lerr := triage.Load(ctx, s.WS, io.Discard); lerr == nil {
			h, p = h2, p2
		}
	}
	now := time.Now().UTC()
	counts := map[failclass.Class]int{}
	for _, f := range fs {
		if f.Passed {
			continue
		}
		d := triage.Decide(f, h, q, nil, p, now)
		if d.Gates || (onMain && d.Triage != failclass.Quarantined) {
			return err
		}
		counts[d.Triage]++
	}
	if len(counts) == 0 {
		return err
	}
	var parts []string
	for c, n := range counts {
		parts = append(parts, fmt.Sprintf("%d %s", n, c))
	}
	sort.Strings(parts)
	why := "its failures do not gate (" + strings.Join(parts, ", ") + "): the run goes on and can pass; " +
		"on a PR, ci:finish still gates those in files the change touches"
	st.Reason = strings.TrimPrefix(st.Reason+"; "+why, "; ")
	fmt.Fprintln(s.Log, report.Fit("    "+st.Target+": "+why))
	return nil
}
