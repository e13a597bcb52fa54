package triage

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/sgl-project/tpuci/internal/datastore"
	"github.com/sgl-project/tpuci/internal/durations"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Stores are where the failure record lives: the workspace's history
// store (the durations' and the nightly's), under Subdir in its local
// directory and, when it has one, in its git data repository.
type Stores struct{ store *datastore.Store }

// Open resolves the stores of a workspace.
func Open(ws *workspace.Workspace, log io.Writer) Stores {
	return Stores{datastore.Open(ws, log)}
}

// Record adds a run to the local store and to the data repository.
func (s Stores) Record(ctx context.Context, r Run) error {
	return s.store.Add(ctx, Subdir, fmt.Sprintf("failures: %s of %s (%s)", r.Target, r.Commit, r.Ref), func(dir string) error {
		return Dir{Root: dir}.Add(r)
	})
}

// Runs reads the shared record (the data repository's when there is one,
// the local store's if it cannot be fetched) and names where it read.
func (s Stores) Runs(ctx context.Context, log io.Writer) ([]Run, string, error) {
	dir, where := s.store.Read(ctx, log, Subdir)
	runs, err := Dir{Root: dir}.Runs()
	return runs, where, err
}

// Load is Build over the shared record as of now, with the workspace's
// policy: what the suite runner asks KnownFlaky and ci:finish decides on.
func Load(ctx context.Context, ws *workspace.Workspace, log io.Writer) (History, Policy, error) {
	p := PolicyOf(ws.Config)
	runs, where, err := Open(ws, log).Runs(ctx, log)
	if err != nil {
		return History{}, p, err
	}
	h := Build(runs, time.Now(), p)
	fmt.Fprintln(log, report.Fit(fmt.Sprintf("triage: main's failure record has %d runs and %d tests with a result (%s)",
		len(runs), len(h.Latest), where)))
	return h, p, nil
}

// RunOf is the record of a finished stage in the run a workspace
// describes: its commit, the ref as Recording names it (main, nightly,
// manual), the GitHub event, run id and attempt, and the runner
// (RUNNER_NAME, else the host's name).
func RunOf(ws *workspace.Workspace, ref string, tr *report.TargetResult) Run {
	gh := ws.Settings.GitHub
	r := Run{Commit: ws.Commit, Ref: ref, Event: gh.EventName, RunID: gh.RunID, Target: tr.Target,
		Partition: tr.Partition, Date: time.Now().UTC(), Entries: EntriesOf(tr)}
	if r.Event == "" {
		r.Event = "local"
	}
	r.Attempt, _ = strconv.Atoi(gh.RunAttempt)
	if gh.RunID != "" && gh.ServerURL != "" && gh.Repository != "" {
		r.RunURL = gh.ServerURL + "/" + gh.Repository + "/actions/runs/" + gh.RunID
	}
	r.Runner = ws.Settings.Value("RUNNER_NAME")
	if r.Runner == "" {
		r.Runner, _ = os.Hostname()
	}
	return r
}

// RecordStage adds a finished stage to the failure record when the run
// records (durations.Recording: a push to main, a schedule, or
// TPUCI_RECORD_DURATIONS=1). A stage without tests adds nothing; a
// failure to record only warns on log.
func RecordStage(ctx context.Context, ws *workspace.Workspace, tr *report.TargetResult, log io.Writer) {
	ref, ok := durations.Recording(ws.Settings)
	if !ok || tr == nil {
		return
	}
	r := RunOf(ws, ref, tr)
	if len(r.Entries) == 0 {
		return
	}
	if err := Open(ws, log).Record(ctx, r); err != nil {
		fmt.Fprintln(log, report.Fit(fmt.Sprintf("    warning: failure record not written: %v", err)))
		return
	}
	failed := 0
	for _, e := range r.Entries {
		if e.Outcome != Passed {
			failed++
		}
	}
	fmt.Fprintln(log, report.Fit(fmt.Sprintf("    recorded %d test results of %s (%d not passed; %s run)",
		len(r.Entries), tr.Target, failed, ref)))
}
