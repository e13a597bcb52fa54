// Package nightly is tpuci's nightly target: it expands the [nightly]
// matrix (perf points and accuracy evaluations per model), runs this
// job's share of it against the models' servers, records every case's
// result with its commit, device, launch profile and versions in the
// history stores (a local directory and, when configured, a shared git
// data repository), judges each metric against its recent nights and its
// floor, writes the nightly status record after a complete scheduled
// night, and renders a static HTML report and a Markdown digest.
//
// Outputs under $TPUCI_OUT/nightly/: report.html, digest.md,
// results.json, nightly-status.json (complete scheduled nights only),
// traces/<model>/ and per-case bench results in logs/nightly/.
package nightly

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/accuracy"
	"github.com/sgl-project/tpuci/internal/casestage"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/datastore/gitstore"
	"github.com/sgl-project/tpuci/internal/eval"
	"github.com/sgl-project/tpuci/internal/ghactions"
	"github.com/sgl-project/tpuci/internal/nightly/history"
	"github.com/sgl-project/tpuci/internal/nightly/htmlreport"
	"github.com/sgl-project/tpuci/internal/nightly/matrix"
	"github.com/sgl-project/tpuci/internal/nightly/regress"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/perf"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/release/version"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Environment of the nightly target.
const (
	EnvCases     = "TPUCI_CASES"             // glob,glob: run only these cases
	EnvDate      = "TPUCI_NIGHTLY_DATE"      // YYYY-MM-DD: the night results belong to (default: today, UTC)
	EnvScheduled = "TPUCI_NIGHTLY_SCHEDULED" // 1: a scheduled run (as GITHUB_EVENT_NAME=schedule)
	EnvModels    = "TPUCI_NIGHTLY_MODELS"    // name,name: run only these models' cases (ci:matrix nightly sets it per job)
)

// historyNights is how many nights of history are read for judging and plots.
const historyNights = 60

// Plan is the share of the matrix a job runs.
type Plan struct {
	All     []matrix.Case // the whole matrix
	Run     []matrix.Case // this job's cases this host can run
	Skipped []report.Case // this job's cases this host cannot run
	Others  int           // cases of other partitions
}

// PlanFor selects this job's cases: TPUCI_CASES globs, then
// TPUCI_NIGHTLY_MODELS, then the partition (whole models), then the
// host's chips.
func PlanFor(ws *workspace.Workspace, part partition.Spec) (*Plan, error) {
	all, err := matrix.Build(ws.Config)
	if err != nil {
		return nil, err
	}
	globs, err := matrix.ParseGlobs(strings.Join(ws.Settings.Cases, ","))
	if err != nil {
		return nil, err
	}
	sel, err := matrix.Select(all, globs)
	if err != nil {
		return nil, err
	}
	if sel, err = matrix.SelectModels(sel, strings.Join(ws.Settings.Nightly.Models, ",")); err != nil {
		return nil, err
	}
	mine, others, err := matrix.Partition(sel, part)
	if err != nil {
		return nil, err
	}
	p := &Plan{All: all, Others: len(others)}
	for _, c := range mine {
		if ok, why := ws.Chips.Enough(c.Server.Chips); !ok {
			p.Skipped = append(p.Skipped, report.Case{Name: c.Key, Class: "nightly." + c.Model, Status: report.Skipped, Message: why})
			continue
		}
		p.Run = append(p.Run, c)
	}
	return p, nil
}

// job is the plan as the case-stage skeleton takes it.
func (p *Plan) job() casestage.Plan[matrix.Case] {
	if p == nil {
		return casestage.Plan[matrix.Case]{}
	}
	return casestage.Plan[matrix.Case]{Run: p.Run, Skipped: p.Skipped}
}

// List prints the matrix's case keys (after TPUCI_CASES and the
// partition): one table per server, titled with its device and chips,
// with what each case measures; then the cases not run here and why.
func List(w io.Writer, ws *workspace.Workspace, part partition.Spec) error {
	if len(ws.Config.Nightly.Models) == 0 {
		fmt.Fprintln(w, "no nightly matrix configured (add [[nightly.model]] blocks)")
		return nil
	}
	p, err := PlanFor(ws, part)
	if err != nil {
		return err
	}
	excluded, err := matrix.Excluded(ws.Config)
	if err != nil {
		return err
	}
	for _, t := range serverTables(p.Run, ws) {
		fmt.Fprint(w, report.Text(t)+"\n")
	}
	notRun := report.Table{Title: "not run here", Header: []string{"CASE", "WHY"}}
	for _, s := range p.Skipped {
		notRun.Rows = append(notRun.Rows, []string{s.Name, "skipped: " + s.Message})
	}
	for _, c := range excluded {
		notRun.Rows = append(notRun.Rows, []string{c.Key, "excluded: " + c.Excluded + " (server " + c.Server.Name + ")"})
	}
	if len(notRun.Rows) > 0 {
		fmt.Fprint(w, report.Text(notRun)+"\n")
	}
	fmt.Fprintln(w, report.Wrap(listFooter(p, len(excluded)), report.Width, "  "))
	return nil
}

// serverTables are the run cases, one table per run of cases on the same
// server: server, device and chips are the model's, said once.
func serverTables(run []matrix.Case, ws *workspace.Workspace) []report.Table {
	var tables []report.Table
	for i, c := range run {
		if i == 0 || c.Server.Name != run[i-1].Server.Name {
			tables = append(tables, report.Table{
				Title:  fmt.Sprintf("server %s: device %s, %d chip(s)", c.Server.Name, perf.Device(c.Server, ws.Chips), c.Server.Chips),
				Header: []string{"CASE", "MEASURES", "SIZE"}})
		}
		t := &tables[len(tables)-1]
		t.Rows = append(t.Rows, []string{c.Key, strings.Join(c.Metrics, ", "), size(c)})
	}
	return tables
}

// size is how much a case asks: prompts (and a trace) or questions.
func size(c matrix.Case) string {
	if c.Kind == matrix.Perf {
		s := fmt.Sprintf("%d prompts", c.NumPrompts)
		if c.Trace {
			s += ", trace"
		}
		return s
	}
	if c.Samples > 0 {
		return fmt.Sprintf("%d questions", c.Samples)
	}
	return "all questions"
}

// listFooter counts the matrix and this job's share of it.
func listFooter(p *Plan, excluded int) string {
	perfN, allPerf := 0, excluded
	for _, c := range p.Run {
		if c.Kind == matrix.Perf {
			perfN++
		}
	}
	for _, c := range p.All {
		if c.Kind == matrix.Perf {
			allPerf++
		}
	}
	s := fmt.Sprintf("%d perf points in the matrix, %d excluded (a model cannot serve them); ", allPerf, excluded)
	s += fmt.Sprintf("%d cases here (%d perf, %d accuracy) of %d runnable in the matrix", len(p.Run), perfN, len(p.Run)-perfN, len(p.All))
	if p.Others > 0 {
		s += fmt.Sprintf("; %d in other partitions", p.Others)
	}
	if len(p.Skipped) > 0 {
		s += fmt.Sprintf("; %d need more chips than this host has", len(p.Skipped))
	}
	return s
}

// MetaOf is the metadata of a run's records.
func MetaOf(ws *workspace.Workspace, night string, started time.Time) Meta {
	m := Meta{Night: night, Commit: ws.Commit, Branch: ws.Settings.GitHub.RefName, RunID: ws.Settings.GitHub.RunID,
		Versions: history.Versions{Tpuci: TpuciVersion(), Go: goVersion()},
		Device:   func(s *config.Server) string { return perf.Device(s, ws.Chips) }}
	if m.RunID == "" {
		m.RunID = "local-" + started.UTC().Format("20060102T150405Z")
	} else if srv, repo := ws.Settings.GitHub.ServerURL, ws.Settings.GitHub.Repository; srv != "" && repo != "" {
		m.RunURL = srv + "/" + repo + "/actions/runs/" + m.RunID
	}
	if vf := ws.Config.Repo.VersionFile; vf != "" {
		if v, _, err := version.ReadFile(filepath.Join(ws.Repo, vf)); err == nil {
			m.Versions.Package = v
		}
	}
	return m
}

// Body is the nightly target: the case-stage skeleton with the nightly
// matrix as its plan; its run records every result as it comes, then
// publishes, judges and reports (finish), after an interrupt too.
func Body(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage) error {
	var plan *Plan
	t := casestage.Target[matrix.Case]{
		Name: "nightly",
		Plan: func(ws *workspace.Workspace, part partition.Spec) (casestage.Plan[matrix.Case], error) {
			var err error
			plan, err = PlanFor(ws, part)
			return plan.job(), err
		},
		Server: func(c matrix.Case) *config.Server { return c.Server },
		Run:    func(ctx context.Context, j *casestage.Job[matrix.Case]) error { return runNight(ctx, j, plan) },
	}
	if len(ws.Config.Nightly.Models) == 0 {
		t.Unconfigured = "no nightly matrix configured (add [[nightly.model]] blocks to [nightly])"
	}
	return casestage.Run(ctx, ws, st, t)
}

// runNight runs the night's cases, recording each result locally as it
// comes, frees the chips and finishes.
func runNight(ctx context.Context, j *casestage.Job[matrix.Case], plan *Plan) error {
	ws, st := j.WS, j.St
	started := time.Now()
	night, err := history.Night(ws.Settings.Nightly.Date, started)
	if err != nil {
		return err
	}
	meta := MetaOf(ws, night, started)
	stores := openStores(ws, st.Log)
	if stores.Git != nil && stores.Git.Token != "" {
		st.GH.Mask(stores.Git.Token)
	}
	traceDir := filepath.Join(ws.Out, "nightly", "traces")
	_ = os.RemoveAll(traceDir) // traces of an earlier run in this output directory
	if err := os.MkdirAll(traceDir, 0o755); err != nil {
		return fmt.Errorf("nightly: create %s: %w", traceDir, err)
	}
	fmt.Fprintf(st.Log, "    night %s, %d cases (of %d in the matrix), commit %s; %s\n", night, len(plan.Run), len(plan.All), shortSHA(meta.Commit), stores.Describe())
	var datasets *eval.Store
	if needsDatasets(plan.Run) {
		if datasets, err = accuracy.NewStore(ws); err != nil {
			return err
		}
		datasets.Log = st.Log
	}
	var localErr error
	r := &Runner{
		Servers: j.Servers, Datasets: datasets, Meta: meta, LogDir: st.LogDir, TraceDir: traceDir,
		TraceSteps: ws.Config.Nightly.TraceSteps, Log: st.Log, Compiles: j.Servers.Compiles(),
		Record: func(rec history.Record) {
			if err := stores.local().Put([]history.Record{rec}); err != nil && localErr == nil {
				localErr = err
				fmt.Fprintf(st.Log, "    error: %v\n", err)
			}
		},
	}
	recs := r.Run(ctx, plan.Run)
	j.Release()
	return finish(ctx, ws, st, plan, meta, stores, recs, localErr)
}

func describe(f Flagged) string { return regress.Describe(f.Metric, f.Flag) }

func ghError(title, msg string) ghactions.Annotation {
	return ghactions.Annotation{Level: "error", Title: title, Msg: msg}
}

func needsDatasets(cs []matrix.Case) bool {
	for _, c := range cs {
		if c.Kind == matrix.Accuracy {
			return true
		}
	}
	return false
}

// finish publishes, judges, writes the status and the report. It runs
// after an interrupt too, so recorded results are never lost.
func finish(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage, plan *Plan, meta Meta, stores nightStores, recs []history.Record, localErr error) error {
	var problems []error
	if localErr != nil {
		problems = append(problems, localErr)
	}
	traces, published, errs := publish(ctx, st, meta, stores, recs)
	problems = append(problems, errs...)
	source := stores.shared()
	if !published {
		source = stores.local()
	}
	hist, warns, err := source.Load(historyNights, meta.Night)
	for _, w := range warns {
		fmt.Fprintf(st.Log, "    warning: %s\n", w)
	}
	if err != nil {
		problems = append(problems, err)
	}
	judge := Judge{Rules: ws.Config.Nightly.Regression, Floors: ws.Config.Nightly.Floors}
	byCase := ByCase(hist)
	verdicts := make([]Verdict, 0, len(recs))
	for _, r := range recs {
		verdicts = append(verdicts, judge.Case(r, byCase[r.Case]))
	}
	cov, status, errs := nightStatus(ctx, ws, st, plan, meta, stores, source, judge, hist)
	problems = append(problems, errs...)
	out := filepath.Join(ws.Out, "nightly")
	sum := &Summary{Meta: meta, Verdicts: verdicts, History: byCase, Traces: traces, Coverage: cov, Status: status,
		ReportDir: out, Generated: time.Now(), Servers: map[string]string{}, Devices: map[string]string{}}
	for _, c := range plan.Run {
		sum.Servers[c.Model] = c.Server.Name
		sum.Devices[c.Model] = perf.Device(c.Server, ws.Chips)
	}
	if err := writeOutputs(out, sum); err != nil {
		problems = append(problems, err)
	}
	reportNight(st, sum, out)
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return errors.Join(problems...)
}

// publish pushes the night's traces and results to the git data
// repository, when there is one; published says the shared store has them.
func publish(ctx context.Context, st *pipeline.Stage, meta Meta, stores nightStores, recs []history.Record) (traces []Trace, published bool, problems []error) {
	local := map[string]string{}
	for _, r := range recs {
		if r.Trace != "" {
			traces = append(traces, Trace{Model: r.Model, Case: r.Case, Path: r.Trace})
			local[r.Trace] = r.Model
		}
	}
	if stores.Git == nil || len(recs) == 0 {
		return traces, stores.Git == nil, nil
	}
	urls, err := stores.publishTraces(ctx, meta.Night, local, "nightly "+meta.Night+": traces of run "+meta.RunID)
	if err != nil {
		problems = append(problems, fmt.Errorf("nightly: publish traces: %w", err))
	}
	for i := range traces {
		traces[i].URL = urls[traces[i].Path]
	}
	shared := make([]history.Record, len(recs))
	for i, r := range recs {
		shared[i] = r
		if u := urls[r.Trace]; u != "" {
			shared[i].Trace = u
		} else if r.Trace != "" {
			shared[i].Trace = filepath.Base(r.Trace) // the run's artifact has it
		}
	}
	msg := fmt.Sprintf("nightly %s: %d results from run %s (%s)", meta.Night, len(recs), meta.RunID, shortSHA(meta.Commit))
	if err := stores.publish(ctx, shared, msg); err != nil {
		return traces, false, append(problems, fmt.Errorf("nightly: record results in %s: %w (they are in the local store %s)", gitstore.Redact(stores.Git.URL), err, stores.Local))
	}
	fmt.Fprintf(st.Log, "    recorded %d results in %s\n", len(recs), gitstore.Redact(stores.Git.URL))
	return traces, true, problems
}

// nightStatus judges the night as a whole (all jobs so far) and writes
// the status record the release gate reads, when the night may have one.
func nightStatus(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage, plan *Plan, meta Meta, stores nightStores, source history.Dir, judge Judge, hist []history.Record) (history.Coverage, string, []error) {
	var tonight []history.Record
	for _, h := range hist {
		if h.Night == meta.Night {
			tonight = append(tonight, h)
		}
	}
	cov := CoverageOf(plan.All, tonight)
	if note := statusNote(ctx, ws, cov); note != "" {
		fmt.Fprintf(st.Log, "    nightly status %s\n", note)
		return cov, note, nil
	}
	keys := map[string]bool{}
	for _, c := range plan.All {
		keys[c.Key] = true
	}
	var inMatrix []history.Record
	for _, h := range tonight {
		if keys[h.Case] {
			inMatrix = append(inMatrix, h)
		}
	}
	prev, err := source.Status()
	if err != nil {
		fmt.Fprintf(st.Log, "    warning: previous status: %v\n", err)
	}
	s := BuildStatus(meta, cov, judge.JudgeAll(inMatrix, hist), prev, time.Now())
	path := filepath.Join(ws.Out, "nightly", history.StatusFile)
	var problems []error
	if err := history.WriteStatus(path, s); err != nil {
		problems = append(problems, err)
	}
	if err := stores.local().PutStatus(s); err != nil {
		problems = append(problems, err)
	}
	if err := stores.publishStatus(ctx, s, fmt.Sprintf("nightly %s: status %s (run %s)", meta.Night, s.Status, meta.RunID)); err != nil {
		problems = append(problems, fmt.Errorf("nightly: publish status: %w", err))
	}
	fmt.Fprintf(st.Log, "    nightly status %s: %s\n", s.Status, path)
	tellNight(ctx, ws, st, stores, meta, s)
	return cov, "written: " + s.Status, problems
}

// reportNight puts the night's tables, cases and failures in the stage.
func reportNight(st *pipeline.Stage, sum *Summary, out string) {
	st.Tables = append(st.Tables, sum.Tables()...)
	for i := range sum.Verdicts {
		st.Cases = append(st.Cases, caseOf(&sum.Verdicts[i], st.LogDir))
	}
	for _, f := range sum.Flags() {
		msg := f.Case + ": regressed: " + describe(f)
		st.Failures = append(st.Failures, msg)
		if st.GH.Active {
			st.GH.Annotate(ghError("nightly regression: "+f.Case, msg))
		}
	}
	for _, r := range sum.Failed() {
		st.Failures = append(st.Failures, r.Case+": "+r.Status+": "+r.Error)
	}
	fmt.Fprintf(st.Out, "nightly %s: %d cases, %d failed, %d regressions; report %s\n", sum.Meta.Night, len(sum.Verdicts), len(sum.Failed()), len(sum.Flags()), filepath.Join(out, "report.html"))
}

// statusNote says why no status record is written, or "" to write one.
func statusNote(ctx context.Context, ws *workspace.Workspace, cov history.Coverage) string {
	switch {
	case ctx.Err() != nil:
		return "not written: interrupted"
	case !ws.Settings.Nightly.Scheduled:
		return "not written: not a scheduled run (GITHUB_EVENT_NAME=schedule or " + EnvScheduled + "=1)"
	case !Complete(cov):
		return fmt.Sprintf("not written: %d of %d matrix cases have run tonight", cov.Ran, cov.Cases)
	}
	return ""
}

// writeOutputs writes report.html, digest.md and results.json.
func writeOutputs(dir string, sum *Summary) error {
	page, err := htmlreport.Render(sum.Page())
	if err != nil {
		return err
	}
	if err := report.WriteFile(filepath.Join(dir, "report.html"), page); err != nil {
		return fmt.Errorf("nightly: write report: %w", err)
	}
	var md strings.Builder
	for _, t := range sum.Tables() {
		md.WriteString(markdown(t))
	}
	md.WriteString("Report: " + filepath.Join(dir, "report.html") + "\n")
	if err := report.WriteFile(filepath.Join(dir, "digest.md"), []byte(md.String())); err != nil {
		return fmt.Errorf("nightly: write digest: %w", err)
	}
	type result struct {
		Record history.Record `json:"record"`
		Judged []struct {
			Metric   string `json:"metric"`
			Analysis any    `json:"analysis"`
		} `json:"judged"`
	}
	var results []result
	for _, v := range sum.Verdicts {
		res := result{Record: v.Record}
		for _, m := range v.Metrics {
			res.Judged = append(res.Judged, struct {
				Metric   string `json:"metric"`
				Analysis any    `json:"analysis"`
			}{m.Metric, m.Analysis})
		}
		results = append(results, res)
	}
	if err := report.WriteJSON(filepath.Join(dir, "results.json"), map[string]any{"schema_version": history.SchemaVersion, "night": sum.Meta.Night, "results": results}); err != nil {
		return fmt.Errorf("nightly: write results: %w", err)
	}
	return nil
}

// markdown renders a table for digest.md.
func markdown(t report.Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n| %s |\n|%s\n", t.Title, strings.Join(t.Header, " | "), strings.Repeat(" --- |", len(t.Header)))
	for _, r := range t.Rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = strings.ReplaceAll(c, "|", "\\|")
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
	}
	b.WriteString("\n")
	return b.String()
}

// caseOf is a verdict as a JUnit case: failed when the case produced no
// valid figures or regressed.
func caseOf(v *Verdict, logDir string) report.Case {
	r := v.Record
	c := report.Case{Name: r.Case, Class: "nightly." + r.Model, Status: report.Passed,
		Duration: time.Duration(r.Seconds * float64(time.Second)), Extra: r}
	if r.Kind == matrix.Perf {
		c.Log = filepath.Join(logDir, fileName(r.Case)+".log")
	}
	var msgs []string
	if r.Status != history.OK {
		c.Status = report.Failed
		msgs = append(msgs, r.Status+": "+r.Error)
	}
	for _, f := range v.Flags() {
		c.Status = report.Failed
		msgs = append(msgs, "regressed: "+describe(f))
	}
	if len(msgs) == 0 {
		var parts []string
		for _, m := range v.Metrics {
			s := m.Metric + " " + report.Number(m.Analysis.Latest)
			if m.Analysis.ChangePct != nil {
				s += fmt.Sprintf(" (%+.1f%% vs median)", *m.Analysis.ChangePct)
			} else {
				s += " (no history yet)"
			}
			parts = append(parts, s)
		}
		msgs = append(msgs, strings.Join(parts, ", "))
	}
	c.Message = strings.Join(msgs, "; ")
	return c
}

// Check plans this job's cases without running anything, so that a bad
// glob, model name or partition fails before any work.
func Check(ws *workspace.Workspace, part partition.Spec) error {
	_, err := PlanFor(ws, part)
	return err
}
