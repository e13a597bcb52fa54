package triage

import (
	"fmt"
	"slices"
	"time"

	"github.com/sgl-project/tpuci/internal/failclass"
)

// Policy holds the [triage] settings the decision uses.
type Policy struct {
	FlakyWindow     time.Duration // verdicts younger than this count
	FlakyVerdicts   int           // at most the last N commit verdicts count
	FlakyMin        int           // a test is known flaky with at least this many flaky verdicts
	FlakyRate       float64       // and at least this share of its verdicts
	Retries         int           // automatic retries of infra and known-flaky failures
	MainRedBlocks   bool          // a failure main already has blocks a PR that does not touch it
	UnquarantineRun int           // clean first attempts on main before a quarantine removal is proposed
}

// Verdict is a test's result on one commit, over all its runs there:
// passed, failed, or flaky (failed and passed on one commit).
type Verdict struct {
	Test        string
	Commit      string
	Outcome     string
	Fingerprint string // of its last failure
	RunID       string
	RunURL      string
	Date        time.Time
}

// Latest is main's latest verdict for a test.
type Latest = Verdict

// FlakeStat counts a test's commit verdicts on main in the window.
type FlakeStat struct {
	Flaky    int `json:"flaky"`
	Verdicts int `json:"verdicts"`
}

// History is what the record says about main: each test's latest
// verdict and its flake counts, as of a time.
type History struct {
	Latest map[string]Verdict
	Flakes map[string]FlakeStat
}

// Failure is one failed (or flaky-passed) test of the run being triaged.
type Failure struct {
	Target      string
	Job         string
	Test        string // file or file::case
	File        string
	Class       failclass.Class // from the run: infra, timeout, threshold or case-crash
	Fingerprint string
	Message     string
	Passed      bool // passed on a retry: a flaky pass, reported, never gating
	Retries     int
}

// Quarantine is a [[quarantine]] entry as the decision needs it.
type Quarantine struct {
	Test    string    `json:"test"` // file, or file::case
	Reason  string    `json:"reason"`
	Owner   string    `json:"owner"`
	Issue   string    `json:"issue"`
	Expires time.Time `json:"expires"` // its last day, 00:00 UTC
	Line    int       `json:"line"`    // in tpuci.toml
}

// Decision is the class of one failure and whether it gates.
type Decision struct {
	Failure
	Triage failclass.Class `json:"triage"`
	Gates  bool            `json:"gates"`
	Why    string          `json:"why"`
	Main   *Verdict        `json:"main,omitempty"` // main's latest verdict, when it is the evidence
}

// Outcome of a whole run, as ci:finish says it.
type Outcome string

// The outcomes, from best to worst.
const (
	Green         Outcome = "passed"
	OnlyMainReds  Outcome = "fails only on what main already fails"
	InfraRerun    Outcome = "infrastructure: rerun"
	ChangeFailing Outcome = "fails because of this change"
)

// Decide classes one failure of the run being triaged; the first rule that
// matches wins:
//
//  1. quarantined: an entry in force names the test and the change does
//     not touch the test's file (a change to it is judged as any other);
//  2. infrastructure: the run classed it infra (or readiness: nothing
//     ran); a rerun, not the code;
//  3. already failing on main: main's latest verdict of the test failed
//     with the same fingerprint (timeouts and thresholds too);
//  4. a timeout or threshold keeps its class;
//  5. known flaky on main at or above the policy's rate;
//  6. new.
//
// changed are the files the change touches (nil on main and on
// schedules); now dates the quarantine entries. A flaky pass
// (Failure.Passed) is classed the same way and never gates. Main's own
// failures and known flakes gate only when the change touches the test's
// file, or, for main's failures, under Policy.MainRedBlocks.
func Decide(f Failure, h History, q []Quarantine, changed []string, p Policy, now time.Time) Decision {
	d := Decision{Failure: f}
	touched := f.File != "" && slices.Contains(changed, f.File)
	pass := ""
	if f.Passed {
		pass = fmt.Sprintf("passed on retry %d; ", max(f.Retries, 1))
	}
	if i := slices.IndexFunc(q, func(e Quarantine) bool { return e.Covers(f.Test) && e.Holds(now) }); i >= 0 && !touched {
		e := q[i]
		d.Triage = failclass.Quarantined
		d.Why = fmt.Sprintf("%squarantined until %s (%s, %s): %s", pass, e.Expires.Format(time.DateOnly),
			e.Owner, e.Issue, e.Reason)
		return d
	}
	if f.Class == failclass.Infra || f.Class == failclass.Readiness {
		d.Triage, d.Gates = failclass.Infra, !f.Passed
		d.Why = pass + "infrastructure, not the code: rerun"
		if f.Message != "" {
			d.Why += " (" + f.Message + ")"
		}
		return d
	}
	if m, ok := h.Latest[f.Test]; ok && m.Outcome == Failed && m.Fingerprint != "" && m.Fingerprint == f.Fingerprint {
		d.Triage, d.Main = failclass.MainFailing, &m
		d.Gates = !f.Passed && (touched || p.MainRedBlocks)
		d.Why = pass + "main fails the same at " + short(m.Commit)
		if m.RunID != "" {
			d.Why += " (run " + m.RunID + ")"
		}
		switch {
		case touched:
			d.Why += "; the change touches " + f.File
		case p.MainRedBlocks:
			d.Why += "; [triage] main_red_blocks"
		}
		return d
	}
	if f.Class == failclass.Timeout || f.Class == failclass.Threshold {
		d.Triage, d.Gates = f.Class, !f.Passed
		d.Why = pass + string(f.Class) + mainWas(h, f.Test)
		return d
	}
	if t, s, ok := h.flakyFor(f.Test, p); ok {
		d.Triage, d.Gates = failclass.Flaky, !f.Passed && touched
		d.Why = fmt.Sprintf("%sknown flaky on main: %d of %d verdicts", pass, s.Flaky, s.Verdicts)
		if t != f.Test {
			d.Why += " of " + t
		}
		if touched {
			d.Why += "; the change touches " + f.File
		}
		return d
	}
	d.Triage, d.Gates = failclass.NewFailure, !f.Passed
	d.Why = pass + "new" + mainWas(h, f.Test)
	return d
}

// mainWas says what main's latest verdict of the test was, as evidence
// that the failure is not main's.
func mainWas(h History, test string) string {
	m, ok := h.Latest[test]
	switch {
	case !ok:
		return ": no result on main"
	case m.Outcome == Failed:
		return ": main fails differently at " + short(m.Commit)
	}
	return ": main " + m.Outcome + " at " + short(m.Commit)
}

func short(commit string) string {
	if len(commit) > 10 {
		return commit[:10]
	}
	return commit
}

// Judge is the run's outcome from its decisions, the worst of: the change
// fails (a gating failure that is not main's), infrastructure to rerun,
// only main's own failures (and known flakes), green. ExitCode: 1 when the
// change fails or infrastructure failed (rerun), 1 for main's failures
// only under MainRedBlocks, else 0. Flaky passes and quarantined tests
// never count.
func Judge(ds []Decision, p Policy) (Outcome, int) {
	var change, infra, mainRed bool
	for _, d := range ds {
		if d.Passed {
			continue
		}
		switch d.Triage {
		case failclass.Quarantined:
		case failclass.Infra:
			infra = true
		case failclass.MainFailing:
			if d.Gates && !p.MainRedBlocks {
				change = true // the change touches the test main fails
			} else {
				mainRed = true
			}
		case failclass.Flaky:
			if d.Gates {
				change = true
			} else {
				mainRed = true
			}
		default:
			if d.Gates {
				change = true
			}
		}
	}
	switch {
	case change:
		return ChangeFailing, 1
	case infra:
		return InfraRerun, 1
	case mainRed && p.MainRedBlocks:
		return OnlyMainReds, 1
	case mainRed:
		return OnlyMainReds, 0
	}
	return Green, 0
}
