package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sgl-project/tpuci/internal/ghactions"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/stages"
	"github.com/sgl-project/tpuci/internal/triage"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// write stores a finished stage: results JSON, JUnit XML, the Markdown
// summary of the session, and the stage's part of the step summary.
func (s *Session) write(st *report.TargetResult) error {
	var errs []string
	if err := report.WriteJSON(s.resultPath(st.Target), st); err != nil {
		errs = append(errs, err.Error())
	}
	x, err := report.JUnit(junitView(st))
	if err == nil {
		err = report.WriteFile(filepath.Join(s.WS.Out, "junit", workspace.FileName(st.Target)+".xml"), x)
	}
	if err != nil {
		errs = append(errs, err.Error())
	}
	if err := s.writeSummary(); err != nil {
		errs = append(errs, err.Error())
	}
	if err := s.GH.AppendSummary(report.Markdown("tpuci "+st.Target, []*report.TargetResult{st})); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return fmt.Errorf("reports: %s", strings.Join(errs, "; "))
	}
	return nil
}

// recorded are the stages whose tests the failure record keeps: every
// stage but lint, whose findings are no tests.
var recorded = stages.Names(func(st stages.Stage) bool { return st.Runs != stages.Lint })

// record adds a finished stage's tests to the failure record when the run
// records (a push to main, a schedule, TPUCI_RECORD_DURATIONS=1): every
// stage kind passes here. A stage cut short records nothing (its last
// test did not end on its own), and a failure to record only warns.
func (s *Session) record(ctx context.Context, st *report.TargetResult) {
	if st.Partial || !slices.Contains(recorded, st.Target) {
		return
	}
	triage.RecordStage(context.WithoutCancel(ctx), s.WS, st, s.Log)
}

// junitView is the stage as JUnit sees it: a stage that failed or was
// interrupted before any case finished still shows as one failed case.
func junitView(st *report.TargetResult) *report.TargetResult {
	if len(st.Cases) > 0 || (st.Status != report.Failed && st.Status != report.Errored) {
		return st
	}
	v := *st
	v.Cases = []report.Case{{Name: st.Target, Class: st.Target, Status: st.Status, Duration: st.Duration, Message: st.Reason}}
	return &v
}

func (s *Session) writeSummary() error {
	var notes []string
	if why := s.partialWhy(); why != "" {
		notes = append(notes, "**Partial run**: "+why+partialRest)
	}
	md := report.Markdown("tpuci summary", s.Stages(), notes...)
	return report.WriteFile(filepath.Join(s.WS.Out, "summary.md"), []byte(md))
}

const partialRest = "; the reports keep what finished, the rest was cut short or not run."

// partialWhy is why the run is partial (an interruption, or the whole
// job's timeout cutting a stage short), or "" for a whole run.
func (s *Session) partialWhy() string {
	if in := s.Interrupted(); in != nil {
		return in.Error()
	}
	for _, st := range s.Stages() {
		if st.Partial {
			return st.Reason
		}
	}
	return ""
}

// passedRecord finds a stage record that passed for this commit and config.
func (s *Session) passedRecord(name string) (*report.TargetResult, bool) {
	if strings.HasPrefix(s.WS.Commit, "nogit-") {
		return nil, false
	}
	data, err := os.ReadFile(s.resultPath(name))
	if err != nil {
		return nil, false
	}
	var rec report.TargetResult
	if json.Unmarshal(data, &rec) != nil {
		return nil, false
	}
	if rec.Status == report.Passed && rec.Commit == s.WS.Commit && rec.Config == s.WS.Config.Hash && rec.Inputs == inputsHash(s.WS) && rec.Partition == "" && rec.Only == "" && !rec.Partial {
		return &rec, true
	}
	return nil, false
}

// PrintSummary writes the closing table: every stage with its status,
// duration, failures and logs, the reasons of skipped and errored stages,
// the failures again, and whether the run is partial. summary.md is
// written again, for an interruption that came after the last stage.
func (s *Session) PrintSummary() {
	stages := s.Stages()
	if len(stages) == 0 {
		return
	}
	if err := s.writeSummary(); err != nil {
		fmt.Fprintf(s.Log, "tpuci: %v\n", err)
	}
	fmt.Fprintln(s.Out)
	rows := make([]report.SummaryRow, len(stages))
	for i, st := range stages {
		rows[i] = report.SummaryRow{TargetResult: st, Logs: "-"}
		if st.LogDir != "" {
			if _, err := os.Stat(st.LogDir); err == nil {
				rows[i].Logs = report.Path(st.LogDir)
			}
		}
	}
	_ = report.WriteSummary(s.Out, rows) // the terminal; the files are written already
	const perStage = 20
	var failures []string
	for _, st := range stages {
		for i, f := range st.Failures {
			if i == perStage {
				failures = append(failures, fmt.Sprintf("%s: ... and %d more (see %s)", st.Target, len(st.Failures)-perStage, report.Path(s.resultPath(st.Target))))
				break
			}
			failures = append(failures, st.Target+": "+f)
		}
	}
	if len(failures) > 0 {
		fmt.Fprintln(s.Out, "\nFailures:")
		for _, f := range failures {
			fmt.Fprintln(s.Out, report.Wrap("  - "+f, report.Width, "    "))
		}
	}
	if why := s.partialWhy(); why != "" {
		fmt.Fprintln(s.Out, "\n"+report.Wrap("Partial run: "+why+partialRest, report.Width, "  "))
	}
	fmt.Fprintf(s.Out, "\nReports: %s (summary.md, <target>.json, junit/)\n", report.Path(s.WS.Out))
}

// Flush writes what the guarded writers still hold (a line start that
// was blank when the run ended).
func (s *Session) Flush() {
	for _, w := range []io.Writer{s.Out, s.Log} {
		if g, ok := w.(*ghactions.Guard); ok {
			_ = g.Flush()
		}
	}
}
