package triage

// The API the suite runner, ci:finish and the quarantine command share.
// Bodies marked TODO(i25-core) are filled by the triage core; callers may
// rely on the signatures and the documented behaviour now.

import (
	"context"
	"io"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// PolicyOf reads [triage] from the config, defaults filled in.
func PolicyOf(c *config.Config) Policy { return Policy{} } // TODO(i25-core)

// QuarantineOf lists the config's [[quarantine]] entries.
func QuarantineOf(c *config.Config) []Quarantine { return nil } // TODO(i25-core)

// Build derives main's history from the record's runs (oldest first):
// per test its latest commit verdict on main and its flaky and total
// commit verdicts over the policy's window ending at now. Only runs whose
// Ref is main or nightly count.
func Build(runs []Run, now time.Time, p Policy) History { return History{} } // TODO(i25-core)

// KnownFlaky says whether a test (file, or file::case; a file is also
// known flaky when one of its cases is) flakes on main at or above the
// policy's rate.
func (h History) KnownFlaky(test string, p Policy) bool { return false } // TODO(i25-core)

// Decide classes one failure of the run being triaged. changed are the
// files the change touches (nil on main and on schedules); now dates the
// quarantine entries.
func Decide(f Failure, h History, q []Quarantine, changed []string, p Policy, now time.Time) Decision {
	return Decision{Failure: f, Triage: "new", Gates: !f.Passed} // TODO(i25-core)
}

// Judge is the run's outcome from its decisions (worst first: a gating
// new failure, then infrastructure to rerun, then main's own failures);
// ExitCode is 1 when the outcome blocks under the policy, else 0.
func Judge(ds []Decision, p Policy) (Outcome, int) { return Green, 0 } // TODO(i25-core)

// EntriesOf turns a stage's record into the failure record's entries:
// one per file and one per case JUnit or unittest names, with the
// outcome (flaky for a pass after failed attempts), the class of a
// failure and its fingerprint.
func EntriesOf(tr *report.TargetResult) []Entry { return nil } // TODO(i25-core)

// FailuresOf lists the failed and flaky-passed tests of a stage's record,
// for Decide; job names the workflow job (or "" locally).
func FailuresOf(tr *report.TargetResult, job string) []Failure { return nil } // TODO(i25-core)

// Stores are where the failure record lives: the workspace's history
// store (the durations' and the nightly's), under Subdir.
type Stores struct{}

// Open resolves the stores of a workspace.
func Open(ws *workspace.Workspace, log io.Writer) Stores { return Stores{} } // TODO(i25-core)

// Record adds a run to the local store and to the data repository.
func (s Stores) Record(ctx context.Context, r Run) error { return nil } // TODO(i25-core)

// Runs reads the shared record (the data repository's when there is one)
// and names where it read.
func (s Stores) Runs(ctx context.Context, log io.Writer) ([]Run, string, error) {
	return nil, "", nil // TODO(i25-core)
}

// Load is Build over the shared record as of now, with the workspace's
// policy: what the suite runner asks KnownFlaky and ci:finish decides on.
func Load(ctx context.Context, ws *workspace.Workspace, log io.Writer) (History, Policy, error) {
	return History{}, Policy{}, nil // TODO(i25-core)
}
