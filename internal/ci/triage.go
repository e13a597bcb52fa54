package ci

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/failclass"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/triage"
)

// Triage is ci:finish's answer to "is this failure mine?": a class for
// every failed (or flaky-passed) test of the jobs' stage records, the
// failed jobs nothing can be triaged for, and the run's verdict.
type Triage struct {
	Event      string                  `json:"event"`
	Decisions  []triage.Decision       `json:"decisions"`
	Untriaged  []Untriaged             `json:"untriaged,omitempty"`
	Quarantine []triage.Quarantine     `json:"quarantine,omitempty"`
	History    string                  `json:"history"` // where main's history was read, or why it was not
	Policy     triage.Policy           `json:"policy"`
	Outcome    triage.Outcome          `json:"outcome"`
	ExitCode   int                     `json:"exit_code"`
	Changed    int                     `json:"changed_files"`
	Counts     map[failclass.Class]int `json:"counts"`
}

// Untriaged is a failed job whose failure no stage record explains.
type Untriaged struct {
	Job  string `json:"job"`
	Kind string `json:"kind"` // see the Untriaged kinds
	Why  string `json:"why"`
}

// Kinds of untriaged failures, and the verdict each gives.
const (
	NoRecord = "no-record" // the job ended before tpuci wrote its record: infrastructure, rerun
	NoTest   = "no-test"   // the stage failed without a test to triage: this change
)

// TriageInput is what the triage judges besides the jobs' rows and
// records: main's history, the policy, the quarantine, and the time that
// dates the quarantine entries.
type TriageInput struct {
	History    triage.History
	Policy     triage.Policy
	Quarantine []triage.Quarantine
	Source     string // where the history was read
	Now        time.Time
}

// PR reports whether the gate's event is a change under review, whose
// failures are judged against main (a push to main or a schedule is main
// itself: its failures are red whatever main did before).
func (g Gate) PR() bool { return g.Event == EventPR || g.Event == EventLocal }

// changedFiles are the files the triage treats as touched: the plan's
// list, and, when it is cut short or unknown, every failed test's file
// too (a failure main has then blocks, as on a change to its test).
func changedFiles(g Gate, ds []triage.Failure) []string {
	if !g.PR() {
		return nil
	}
	out := slices.Clone(g.Changed)
	if out == nil {
		out = []string{}
	}
	if g.Unknown != "" || g.ChangedOmitted > 0 {
		for _, f := range ds {
			out = append(out, f.File)
		}
	}
	return out
}

// TriageRows classes every failure of the records, lets a failed job
// pass the gate when each of its failures is one that does not gate
// (already failing on main in a test the change does not touch,
// quarantined, a flaky pass), and gives the verdict and exit code. rows
// are updated in place.
//
// Exit code 1 when any row is not ok after that (a new failure, an
// infrastructure failure to rerun, a timeout or threshold miss, a job
// without a stage record, a cancelled or skipped required job, a blocked
// plan), or when Judge says the outcome blocks; else 0.
func TriageRows(rows []Row, g Gate, recs map[string][]JobRecord, in TriageInput) *Triage {
	t := &Triage{Event: g.Event, Quarantine: in.Quarantine, History: in.Source, Policy: in.Policy, Counts: map[failclass.Class]int{}}
	var all []triage.Failure
	byJob := map[string][]triage.Failure{}
	for _, r := range rows {
		for _, rec := range recs[r.Job] {
			fs := triage.FailuresOf(rec.Result, r.Job)
			byJob[r.Job] = append(byJob[r.Job], fs...)
			all = append(all, fs...)
		}
	}
	changed := changedFiles(g, all)
	t.Changed = len(g.Changed) + g.ChangedOmitted
	decided := map[string][]triage.Decision{}
	for _, r := range rows {
		for _, f := range byJob[r.Job] {
			d := triage.Decide(f, in.History, in.Quarantine, changed, in.Policy, in.Now)
			if !g.PR() && d.Triage == failclass.MainFailing && !d.Passed {
				// On main the failure is main's own red, whatever came before.
				d.Gates = true
				d.Why = joinWhy(d.Why, "a run of main itself: main's failures count")
			}
			decided[r.Job] = append(decided[r.Job], d)
			t.Decisions = append(t.Decisions, d)
			if !d.Passed {
				t.Counts[d.Triage]++
			} else {
				t.Counts[FlakyPass]++
			}
		}
	}
	for i := range rows {
		r := &rows[i]
		if r.Result != Failure || r.Target == "" {
			continue // the coordinator's own row says why
		}
		if u, ok := untriaged(r, g, recs[r.Job], decided[r.Job]); ok {
			t.Untriaged = append(t.Untriaged, u)
			r.Why = joinWhy(r.Why, u.Why)
			continue
		}
		if why, excused := excuse(decided[r.Job]); excused {
			r.OK = true
			r.Why = why
		}
	}
	out, code := triage.Judge(t.Decisions, in.Policy)
	for _, u := range t.Untriaged {
		if u.Kind == NoTest {
			out = worst(out, triage.ChangeFailing)
		} else {
			out = worst(out, triage.InfraRerun)
		}
	}
	for _, r := range rows {
		if !r.OK {
			code = 1
		}
	}
	t.Outcome, t.ExitCode = out, code
	return t
}

// untriaged says why a failed job cannot be judged by its tests: no
// record at all, fewer records than the plan's jobs of its target, or a
// failed stage with no test to triage.
func untriaged(r *Row, g Gate, recs []JobRecord, ds []triage.Decision) (Untriaged, bool) {
	u := Untriaged{Job: r.Job}
	artifacts := map[string]bool{}
	for _, rec := range recs {
		artifacts[rec.Artifact] = true
	}
	failed := slices.ContainsFunc(ds, func(d triage.Decision) bool { return !d.Passed })
	switch want := g.Entries[r.Target]; {
	case len(recs) == 0:
		u.Kind, u.Why = NoRecord, "no stage record: the job ended before tpuci wrote one (runner lost, set-up failed); rerun it"
	case want > len(artifacts):
		u.Kind, u.Why = NoRecord, fmt.Sprintf("%d of its %d jobs wrote no stage record (runner lost, set-up failed); rerun them", want-len(artifacts), want)
	case failed:
		return u, false
	default:
		for _, rec := range recs {
			if rec.Result.Status == report.Failed || rec.Result.Status == report.Errored {
				u.Kind, u.Why = NoTest, fmt.Sprintf("%s failed: %s", rec.Result.Target, firstOf(rec.Result))
				return u, true
			}
		}
		u.Kind, u.Why = NoRecord, "the job failed but its stage records passed (a step after tpuci failed?); rerun it"
	}
	return u, true
}

func firstOf(tr *report.TargetResult) string {
	switch {
	case len(tr.Failures) > 0:
		return tr.Failures[0]
	case tr.Reason != "":
		return tr.Reason
	}
	return "no reason recorded"
}

// excuse says whether every failure of a job is one that does not gate,
// and how the row says so.
func excuse(ds []triage.Decision) (string, bool) {
	counts := map[failclass.Class]int{}
	failed := 0
	for _, d := range ds {
		if d.Passed {
			continue
		}
		if d.Gates {
			return "", false
		}
		failed++
		counts[d.Triage]++
	}
	if failed == 0 {
		return "", false
	}
	return "failed only on tests that do not gate: " + countText(counts), true
}

// countText is "1 main, 2 quarantined" in the table's class order.
func countText(counts map[failclass.Class]int) string {
	var parts []string
	seen := map[failclass.Class]bool{}
	for _, info := range failclass.Table {
		if n := counts[info.Class]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, classWords(info.Class)))
			seen[info.Class] = true
		}
	}
	var rest []string
	for c, n := range counts {
		if !seen[c] && n > 0 {
			rest = append(rest, fmt.Sprintf("%d %s", n, classWords(c)))
		}
	}
	sort.Strings(rest)
	return strings.Join(append(parts, rest...), ", ")
}

// classWords names a triage class in a sentence.
func classWords(c failclass.Class) string {
	switch c {
	case failclass.MainFailing:
		return "already failing on main"
	case failclass.NewFailure:
		return "new"
	case failclass.Flaky:
		return "known flaky"
	case failclass.Infra:
		return "infrastructure"
	}
	return string(c)
}

// outcomeRank orders the outcomes from best to worst.
var outcomeRank = map[triage.Outcome]int{triage.Green: 0, triage.OnlyMainReds: 1, triage.InfraRerun: 2, triage.ChangeFailing: 3}

func worst(a, b triage.Outcome) triage.Outcome {
	if outcomeRank[b] > outcomeRank[a] {
		return b
	}
	return a
}

func joinWhy(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// Verdict is the line ci:finish ends with. On a change: the outcome
// ("fails because of this change", "fails only on what main already
// fails", "infrastructure: rerun"), or "passed". On main and schedules:
// red or green.
func (t *Triage) Verdict() string {
	if t.Event != EventPR && t.Event != EventLocal {
		if t.ExitCode != 0 {
			return "red"
		}
		return "green"
	}
	return string(t.Outcome)
}

// Red lists what makes a run of main red: the files of the failures that
// gate and the jobs nothing explains, sorted and unique.
func (t *Triage) Red() []string {
	set := map[string]bool{}
	for _, d := range t.Decisions {
		if d.Gates && !d.Passed {
			set[cmp.Or(d.File, d.Test)] = true
		}
	}
	for _, u := range t.Untriaged {
		set[u.Job+" ("+u.Kind+")"] = true
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}
