// Package failclass is tpuci's one table of failure classes: what a run's
// end means and whether running it again can help. The multi-host stage
// classifies ranks with it; the suite runner and ci:finish triage test
// files and cases with the same classes and the same infrastructure
// rules (rules.go), so a workflow reads one taxonomy and one retry
// decision whatever failed.
package failclass

import (
	"fmt"
	"slices"
	"strings"
)

// Class is a kind of run end.
type Class string

// The classes, as the JSON, the step outputs and the README name them.
const (
	Passed    Class = "passed"
	Infra     Class = "infra"      // the machines or the cluster failed, not the code
	Threshold Class = "threshold"  // the code ran and missed a gate (accuracy, perf)
	CaseCrash Class = "case-crash" // the code under test crashed or exited unexpectedly
	Readiness Class = "readiness"  // the ranks never all started (scheduling, image, quota)
	Timeout   Class = "timeout"    // a test file ran past its timeout
	// The triage classes of a failed test against main and the record.
	NewFailure  Class = "new"         // fails here only: likely this change
	MainFailing Class = "main"        // the same failure is main's latest result for the test
	Flaky       Class = "flaky"       // the test flakes on main at or above the configured rate
	Quarantined Class = "quarantined" // a [[quarantine]] entry mutes it: it runs, it does not gate
)

// Info documents a class.
type Info struct {
	Class   Class
	Retry   bool   // running again may pass
	Meaning string // one line, for the README and -h
}

// Table lists the classes; Retry is the recommendation a workflow reads.
var Table = []Info{
	{Passed, false, "every rank exited 0 and the Job is Complete"},
	{Infra, true, "a rank reported an infrastructure error (exit 10), was evicted, or was " +
		"killed (137/143) with no tagged code on any rank; the hardware or cluster, not the code"},
	{Threshold, false, "a rank's case missed its gate (exit 20): the code is slower or worse"},
	{CaseCrash, false, "a rank's case crashed (exit 30), was OOMKilled, or exited with a code " +
		"outside the table"},
	{Readiness, true, "not every rank's pod became Ready before the deadline (FailedScheduling, " +
		"image pull, quota); nothing ran"},
	{Timeout, false, "a test file ran past its timeout and was killed with its process tree"},
	{NewFailure, false, "fails here and not on main's latest result for the test, and is not known " +
		"flaky: likely this change"},
	{MainFailing, false, "main's latest result for the test failed with the same fingerprint; " +
		"does not block a PR that does not touch the test"},
	{Flaky, true, "flaky verdicts on main at or above [triage] flaky_rate over the window; " +
		"retried, a pass on a retry is a flaky pass"},
	{Quarantined, false, "a [[quarantine]] entry names the test: it runs and is reported, it " +
		"does not gate"},
}

// Of returns the table entry of c; an unknown class is a crash, not retried.
func Of(c Class) Info {
	if i := slices.IndexFunc(Table, func(i Info) bool { return i.Class == c }); i >= 0 {
		return Table[i]
	}
	return Info{Class: CaseCrash, Meaning: "unknown class " + string(c)}
}

// The exit codes a case runner tags its end with (SGLang-JAX's
// suite_runner.py uses the same numbers, in single- and multi-host runs).
const (
	CodeInfra     = 10
	CodeThreshold = 20
	CodeCrash     = 30
	// CodeKilled and CodeTerminated are SIGKILL and SIGTERM: a rank killed
	// because a peer died (the collective hung up, the Job was torn down).
	CodeKilled     = 137
	CodeTerminated = 143
)

// ForExitCode maps one process's exit code to its class; tagged reports
// whether the code is one of the table's own (10, 20, 30).
func ForExitCode(code int) (c Class, tagged bool) {
	switch code {
	case 0:
		return Passed, false
	case CodeInfra:
		return Infra, true
	case CodeThreshold:
		return Threshold, true
	case CodeCrash:
		return CaseCrash, true
	case CodeKilled, CodeTerminated:
		return Infra, false
	}
	return CaseCrash, false
}

// tagRank orders tagged codes when several ranks carry one: the case's
// own verdict (crash, then threshold) outranks an infrastructure report.
var tagRank = map[int]int{CodeCrash: 3, CodeThreshold: 2, CodeInfra: 1}

// Rank is one process of a multi-process run, as the classifier sees it.
type Rank struct {
	Index    int
	Exited   bool // it ran to an end; ExitCode is valid
	ExitCode int
	Reason   string // the container's terminated reason: OOMKilled, Evicted, Error
}

// Verdict is a classified run: its class, the retry recommendation, and
// why, naming the rank the class comes from (-1: none).
type Verdict struct {
	Class Class  `json:"class"`
	Retry bool   `json:"retry"`
	Rank  int    `json:"rank"`
	Why   string `json:"why"`
}

// New is a verdict of class c with the table's retry recommendation, for
// an end that Classify does not judge (an interrupted run).
func New(c Class, rank int, why string) Verdict { return verdict(c, rank, "%s", why) }

func verdict(c Class, rank int, format string, args ...any) Verdict {
	return Verdict{Class: c, Retry: Of(c).Retry, Rank: rank, Why: fmt.Sprintf(format, args...)}
}

// Classify judges a multi-rank run. ready says whether every rank
// started; complete whether the run's own success condition holds.
//
//  1. Not every rank started: readiness.
//  2. Complete and every rank 0: passed.
//  3. Rank 0 exited with a code other than 137/143: its class.
//  4. Rank 0 killed, absent or still running: the highest tagged code of
//     the other ranks (30 > 20 > 10) names the class and the rank.
//  5. Otherwise an evicted or OOMKilled rank; else infra (killed from
//     outside, e.g. preemption or the deadline).
func Classify(ranks []Rank, ready, complete bool) Verdict {
	if !ready {
		return verdict(Readiness, -1, "not every rank's pod became Ready")
	}
	byIndex := slices.Clone(ranks)
	slices.SortFunc(byIndex, func(a, b Rank) int { return a.Index - b.Index })
	if complete && allZero(byIndex) {
		return verdict(Passed, -1, "every rank exited 0")
	}
	var r0 *Rank
	if len(byIndex) > 0 && byIndex[0].Index == 0 {
		r0 = &byIndex[0]
	}
	if r0 != nil && r0.Exited && r0.ExitCode != CodeKilled && r0.ExitCode != CodeTerminated {
		if r0.Reason == "OOMKilled" {
			return verdict(CaseCrash, 0, "rank 0 was OOMKilled")
		}
		c, _ := ForExitCode(r0.ExitCode)
		if c != Passed {
			return verdict(c, 0, "rank 0 exited %d", r0.ExitCode)
		}
	}
	best := -1
	for i, r := range byIndex {
		if r.Exited && tagRank[r.ExitCode] > 0 && (best < 0 || tagRank[r.ExitCode] > tagRank[byIndex[best].ExitCode]) {
			best = i
		}
	}
	r0what := "rank 0 has no exit code"
	if r0 != nil && r0.Exited {
		r0what = fmt.Sprintf("rank 0 exited %d", r0.ExitCode)
	}
	if best >= 0 {
		r := byIndex[best]
		c, _ := ForExitCode(r.ExitCode)
		if r0 != nil && r0.Exited && r0.ExitCode == 0 {
			return verdict(c, r.Index, "rank %d exited %d", r.Index, r.ExitCode)
		}
		return verdict(c, r.Index, "%s, killed by a peer's death: rank %d exited %d", r0what, r.Index,
			r.ExitCode)
	}
	for _, r := range byIndex {
		switch {
		case r.Reason == "OOMKilled":
			return verdict(CaseCrash, r.Index, "%s; rank %d was OOMKilled", r0what, r.Index)
		case strings.Contains(r.Reason, "Evict") || r.Reason == "Preempting":
			return verdict(Infra, r.Index, "%s; rank %d was %s", r0what, r.Index, r.Reason)
		case r.Exited && r.ExitCode != 0 && r.ExitCode != CodeKilled && r.ExitCode != CodeTerminated:
			return verdict(CaseCrash, r.Index, "%s; rank %d exited %d", r0what, r.Index, r.ExitCode)
		}
	}
	return verdict(Infra, -1, "%s and no rank carries a tagged code", r0what)
}

func allZero(ranks []Rank) bool {
	for _, r := range ranks {
		if !r.Exited || r.ExitCode != 0 {
			return false
		}
	}
	return true
}

// Markdown renders the class table and the exit-code rules, for the
// README and -h (a test keeps the README's copy current).
func Markdown() string {
	var b strings.Builder
	b.WriteString("| class | retry | meaning |\n|---|---|---|\n")
	for _, i := range Table {
		retry := "no"
		if i.Retry {
			retry = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", i.Class, retry, i.Meaning)
	}
	return b.String()
}
