package triage

import (
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
	Test    string // file, or file::case
	Reason  string
	Owner   string
	Issue   string
	Expires time.Time
	Line    int // in tpuci.toml
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
