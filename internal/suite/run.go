package suite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bitfield/script"

	"github.com/sgl-project/tpuci/internal/compiles"
	"github.com/sgl-project/tpuci/internal/durations"
	"github.com/sgl-project/tpuci/internal/failclass"
	"github.com/sgl-project/tpuci/internal/ghactions"
	"github.com/sgl-project/tpuci/internal/proc"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/textline"
)

// Runner executes a plan.
type Runner struct {
	Repo     string
	GH       *ghactions.Provider
	Out      io.Writer // streamed output (verbose) and failure tails
	Log      io.Writer // progress lines
	Verbose  bool      // stream every file's output
	ShmClean []string  // /dev/shm prefixes removed after each file
	ShmRoot  string    // "/dev/shm" except in tests
	Grace    time.Duration
	// Retries bounds the retries of a file whose suite sets no reruns:
	// the [triage] policy's.
	Retries int
	// KnownFlaky says whether a test (a file, or file::case) flakes on
	// main at or above the policy's rate; nil: none does.
	KnownFlaky func(test string) bool
}

// Result is the outcome of a whole plan.
type Result struct {
	Cases     []report.Case
	Failures  []string
	Durations map[string]durations.Measure // file -> minutes of its last attempt that ran to its end
	Compiles  []FileCompiles               // in plan order, files with accounting
}

// FileCompiles is one test file's JAX compile accounting.
type FileCompiles struct {
	File    string
	Summary compiles.Summary
}

// sharedFiles are the files more than one suite of the plan runs.
func sharedFiles(p *Plan) map[string]bool {
	suites := map[string]string{}
	shared := map[string]bool{}
	for _, j := range p.Jobs {
		if s, ok := suites[j.File.Path]; ok && s != j.Suite {
			shared[j.File.Path] = true
		}
		suites[j.File.Path] = j.Suite
	}
	return shared
}

// Run executes every job, even after failures, and stops early only when
// ctx is cancelled; the partial result is returned in that case too.
func (r *Runner) Run(ctx context.Context, p *Plan) (*Result, error) {
	res := &Result{Durations: map[string]durations.Measure{}}
	start := time.Now()
	doneMinutes := 0.0
	failed := 0
	shared := sharedFiles(p)
	for i, job := range p.Jobs {
		if ctx.Err() != nil {
			for _, rest := range p.Jobs[i:] {
				res.Cases = append(res.Cases, report.Case{Name: rest.File.Path, Class: rest.Suite, File: rest.File.Path,
					Status: report.Skipped, Message: "not run: interrupted"})
			}
			return res, context.Cause(ctx)
		}
		cases, fails, m := r.runJob(ctx, job)
		res.Cases = append(res.Cases, cases...)
		for _, c := range cases {
			if c.Compiles != nil {
				res.Compiles = append(res.Compiles, FileCompiles{File: job.File.Path, Summary: *c.Compiles})
			}
		}
		for _, f := range fails {
			if shared[job.File.Path] {
				f = job.Suite + ": " + f // the same file fails in each suite that runs it
			}
			res.Failures = append(res.Failures, f)
		}
		if len(fails) > 0 {
			failed++
		}
		if m != nil {
			res.Durations[job.File.Path] = *m
		}
		doneMinutes += job.Minutes
		r.progress(i+1, len(p.Jobs), failed, start, doneMinutes, p.Minutes)
	}
	return res, nil
}

// progress prints files done, failures and an ETA scaled from the estimates.
func (r *Runner) progress(done, total, failed int, start time.Time, doneMin, totalMin float64) {
	eta := "-"
	if doneMin > 0 && done < total {
		elapsed := time.Since(start)
		left := time.Duration(float64(elapsed) * (totalMin - doneMin) / doneMin)
		eta = report.Round(left)
	}
	fmt.Fprintf(r.Log, "    progress: %d/%d files, %d failed, elapsed %s, ETA %s\n", done, total, failed, report.Round(time.Since(start)), eta)
}

// runJob runs one file, retrying a failed attempt only when the retry
// policy allows (retryOf), and keeps each earlier attempt's log as
// <log>.attemptN.log.
func (r *Runner) runJob(ctx context.Context, job Job) ([]report.Case, []string, *durations.Measure) {
	if err := os.MkdirAll(filepath.Dir(job.LogFile), 0o755); err != nil {
		msg := fmt.Sprintf("%s: create log dir: %v", job.File.Path, err)
		return []report.Case{{Name: job.File.Path, Class: job.Suite, Status: report.Errored, Message: msg}}, []string{msg}, nil
	}
	title := fmt.Sprintf("%s [%s]", job.File.Path, job.Suite)
	if r.GH != nil {
		r.GH.Group(title)
	}
	var (
		out     outcomeInfo
		earlier []tried
		total   time.Duration
	)
	bound := r.bound(job)
	for attempt := 0; ; attempt++ {
		out = r.attempt(ctx, job, attempt)
		total += out.o.Duration
		r.cleanShm()
		if out.err == nil || ctx.Err() != nil {
			break
		}
		cases := r.parseCases(job, out)
		retry := r.retryOf(job, out, cases)
		if !retry.ok || attempt >= bound {
			r.notRetried(job, out, retry, attempt, bound)
			break
		}
		status := report.Failed
		if out.o.Crashed() {
			status = report.Errored
		}
		kept := keepAttemptLog(job.LogFile, attempt+1)
		earlier = append(earlier, tried{cases: cases, file: report.Attempt{Status: status, Message: r.why(job, out),
			Output: out.tail, Log: kept, Duration: out.o.Duration, Class: string(retry.class), Rule: retry.rule}})
		fmt.Fprintln(r.Log, report.Fit(fmt.Sprintf("    %s: %s; retry %d/%d: %s (log kept as %s)",
			job.File.Path, out.o.Describe(), attempt+1, bound, retry, report.Path(kept))))
	}
	if r.GH != nil {
		r.GH.EndGroup()
	}
	cases, fails := r.classify(job, out, earlier, total)
	r.addCompiles(job, cases)
	status := "ok"
	if len(fails) > 0 {
		status = "FAILED"
		r.showTail(job, out.tail)
		r.annotate(job, cases)
	}
	rr := ""
	if len(earlier) > 0 {
		rr = fmt.Sprintf(", %d retried", len(earlier))
		if len(fails) == 0 {
			rr += ": flaky pass"
		}
	}
	fmt.Fprintf(r.Log, "  %s %s %s (est. %.1fm%s)\n", status, job.File.Path, report.Round(total), job.Minutes, rr)
	return cases, fails, measure(job, out.o)
}

// tried is an earlier attempt of a file: how the file ended and the
// cases it reported.
type tried struct {
	file  report.Attempt
	cases []report.Case
}

// bound is how many times a file may be retried: its suite's reruns when
// set, else the policy's retries.
func (r *Runner) bound(job Job) int {
	if job.Reruns > 0 {
		return job.Reruns
	}
	return r.Retries
}

// retry is the decision on one failed attempt.
type retry struct {
	ok    bool
	class failclass.Class // infra, flaky, timeout; "" for a test failure
	rule  string          // the infrastructure rule, or the known-flaky test
	line  string          // the log line the rule matched
}

func (d retry) String() string {
	switch d.class {
	case failclass.Infra:
		return fmt.Sprintf("infra, rule %s: %s", d.rule, textline.Clip(textline.Safe(d.line), 60))
	case failclass.Flaky:
		return "flaky, known flaky on main: " + d.rule
	case failclass.Timeout:
		return "timeout"
	}
	return "a test failure (no infrastructure rule matched, not known flaky)"
}

// retryOf applies the retry policy to a failed attempt: a timeout is
// class timeout and is not retried; an attempt whose log matches an
// infrastructure rule (failclass.MatchInfra) is, as is a file known to
// flake on main (the file itself or one of the cases that failed); any
// other failure is the code's and is not.
func (r *Runner) retryOf(job Job, out outcomeInfo, cases []report.Case) retry {
	if out.o.TimedOut {
		return retry{class: failclass.Timeout}
	}
	if rule, line, ok := failclass.MatchInfra(out.log, out.o.ExitCode); ok {
		return retry{ok: true, class: failclass.Infra, rule: rule.Name, line: line}
	}
	if r.KnownFlaky == nil {
		return retry{}
	}
	tests := []string{job.File.Path}
	for _, c := range cases {
		if c.Status == report.Failed || c.Status == report.Errored {
			tests = append(tests, job.File.Path+"::"+report.TestInFile(c.Name, job.File.Path))
		}
	}
	for _, t := range tests {
		if r.KnownFlaky(t) {
			return retry{ok: true, class: failclass.Flaky, rule: t}
		}
	}
	return retry{}
}

// notRetried says why a failed file is not run again, when the policy
// could have retried it.
func (r *Runner) notRetried(job Job, out outcomeInfo, d retry, attempt, bound int) {
	switch {
	case bound == 0:
		return
	case d.ok:
		fmt.Fprintln(r.Log, report.Fit(fmt.Sprintf("    %s: %s; not retried: %d of %d retries used (%s)",
			job.File.Path, out.o.Describe(), attempt, bound, d)))
	default:
		fmt.Fprintln(r.Log, report.Fit(fmt.Sprintf("    %s: %s; not retried: %s", job.File.Path, out.o.Describe(), d)))
	}
}

// measure is what the last attempt says about the file's duration: its
// time if it ran to its end, its timeout as a lower bound if it timed
// out, nothing if it was interrupted.
func measure(job Job, o proc.Outcome) *durations.Measure {
	switch {
	case o.Canceled || o.ExitCode == -1 && o.Signal == "" && !o.TimedOut:
		return nil
	case o.TimedOut:
		return &durations.Measure{Minutes: job.Timeout.Minutes(), LowerBound: true}
	}
	return &durations.Measure{Minutes: o.Duration.Minutes()}
}

// keepAttemptLog renames the log of a finished attempt to
// <log without .log>.attemptN.log and returns the new path.
func keepAttemptLog(log string, n int) string {
	kept := strings.TrimSuffix(log, ".log") + fmt.Sprintf(".attempt%d.log", n)
	if err := os.Rename(log, kept); err != nil {
		return log
	}
	return kept
}

type outcomeInfo struct {
	o    proc.Outcome
	err  error
	log  string // whole log text of the last attempt
	tail string
}

func (r *Runner) attempt(ctx context.Context, job Job, attempt int) outcomeInfo {
	f, err := os.Create(job.LogFile)
	if err != nil {
		return outcomeInfo{o: proc.Outcome{ExitCode: -1}, err: fmt.Errorf("create log %s: %w", job.LogFile, err)}
	}
	defer f.Close()
	fmt.Fprintf(f, "$ %s\n(cwd %s, attempt %d, timeout %s)\n", job.Cmd, job.Cmd.Dir, attempt+1, job.Timeout)
	var w io.Writer = f
	if r.Verbose {
		w = io.MultiWriter(f, r.Out)
	}
	if job.JUnit != "" {
		os.Remove(job.JUnit)
	}
	if job.Compiles != "" { // a rerun counts its own compiles only
		os.RemoveAll(job.Compiles)
	}
	c := job.Cmd
	c.Stdout, c.Stderr = w, nil
	c.Grace = r.Grace
	o, err := proc.Run(ctx, c)
	var ee *proc.ExitError
	if err != nil && !errors.As(err, &ee) {
		fmt.Fprintf(f, "tpuci: %v\n", err)
	}
	fmt.Fprintf(f, "\ntpuci: %s after %s\n", o.Describe(), report.Round(o.Duration))
	f.Close()
	text, _ := os.ReadFile(job.LogFile)
	last, _ := script.Echo(string(text)).Last(40).String()
	return outcomeInfo{o: o, err: err, log: string(text), tail: strings.TrimRight(last, "\n")}
}

// addCompiles puts the file's compile accounting on its own case, else
// on its first: one case per file carries it. Unreadable records only warn.
func (r *Runner) addCompiles(job Job, cases []report.Case) {
	if job.Compiles == "" || len(cases) == 0 {
		return
	}
	got, err := compiles.Collect(job.Compiles)
	if err != nil {
		fmt.Fprintln(r.Log, report.Fit(fmt.Sprintf("    warning: %s: %v", job.File.Path, err)))
		return
	}
	s := got[job.File.Path]
	at := 0
	for i, c := range cases {
		if c.Name == job.File.Path {
			at = i
		}
	}
	cases[at].Compiles = &s
}

// why is a failed attempt's one-line reason: how it ended and the first
// line of the error it printed last.
func (r *Runner) why(job Job, out outcomeInfo) string {
	msg := fmt.Sprintf("%s: %s", job.File.Path, out.o.Describe())
	if reason := errorReason(out.log); reason != "" {
		msg += ": " + reason
	}
	return msg
}

// parseCases reads an attempt's cases from pytest's JUnit or unittest's
// verbose output; a plain script reports none.
func (r *Runner) parseCases(job Job, out outcomeInfo) []report.Case {
	var cases []report.Case
	if job.JUnit != "" {
		cases = parseJUnit(job.JUnit, job.Suite)
		for i, c := range cases {
			// pytest names files from its rootdir (python/ when that holds
			// the pyproject.toml); reports name them from the repository.
			if c.File != job.File.Path && strings.HasSuffix(job.File.Path, "/"+c.File) {
				cases[i].File = job.File.Path
			}
		}
	} else if len(job.File.Methods) > 0 {
		cases = parseUnittest(out.log, job.Suite, job.File.Path)
		addUnittestReasons(cases, out.log, r.Repo, job.File.Path)
	}
	return cases
}

// classify builds the report cases for a job: per test case from pytest's
// JUnit or unittest's verbose output, else one case for the file. A file
// that was retried also gets a file case carrying the earlier attempts,
// and each case the earlier attempts in which it failed.
func (r *Runner) classify(job Job, out outcomeInfo, earlier []tried, took time.Duration) ([]report.Case, []string) {
	var files []report.Attempt
	for _, t := range earlier {
		files = append(files, t.file)
	}
	fileCase := report.Case{Name: job.File.Path, Class: job.Suite, File: job.File.Path, Duration: took, Reruns: len(earlier),
		Attempts: files, Log: job.LogFile, Status: report.Passed}
	cases := r.parseCases(job, out)
	for i := range cases {
		cases[i].Log = job.LogFile // each case names its file's log
		if len(earlier) > 0 {
			cases[i].Reruns = len(earlier)
			cases[i].Attempts = caseAttempts(cases[i], earlier)
		}
	}
	if out.err == nil {
		if len(cases) == 0 || len(earlier) > 0 {
			cases = append(cases, fileCase)
		}
		return cases, nil
	}
	why := r.why(job, out)
	if len(earlier) > 0 {
		why += fmt.Sprintf(" (after %d retries; earlier logs: %s)", len(earlier), attemptLogs(files))
	}
	var fails []string
	for _, c := range cases {
		if failed(c.Status) {
			fails = append(fails, fmt.Sprintf("%s: %s", where(c), textline.First(c.Message)))
		}
	}
	if len(fails) == 0 || out.o.Crashed() {
		fileCase.Status = report.Failed
		if out.o.Crashed() {
			fileCase.Status = report.Errored
		}
		fileCase.Message = why
		fileCase.Output = out.tail
		fileCase.File, fileCase.Line = locate(out.log, r.Repo, job.File.Path)
		cases = append(cases, fileCase)
		fails = append([]string{why}, fails...)
	}
	return cases, fails
}

func failed(s report.Status) bool { return s == report.Failed || s == report.Errored }

// caseAttempts are the earlier attempts of a case: each in which it
// failed, with its own message; for a case that failed in the end, also
// each in which the file ended before the case reported (a crash, an
// infrastructure failure), with the file's.
func caseAttempts(c report.Case, earlier []tried) []report.Attempt {
	var out []report.Attempt
	for _, t := range earlier {
		i := slices.IndexFunc(t.cases, func(e report.Case) bool { return e.Name == c.Name })
		switch {
		case i >= 0 && failed(t.cases[i].Status):
			e := t.cases[i]
			a := t.file
			a.Status, a.Message, a.Duration = e.Status, e.Message, e.Duration
			if e.Output != "" {
				a.Output = e.Output
			}
			out = append(out, a)
		case i < 0 && failed(c.Status):
			out = append(out, t.file)
		}
	}
	return out
}

// where names a failed case by its file and line, then by its name in
// the file: the path once.
func where(c report.Case) string {
	if c.File == "" {
		return c.Name
	}
	loc := c.File
	if c.Line > 0 {
		loc = fmt.Sprintf("%s:%d", c.File, c.Line)
	}
	return loc + ": " + report.TestInFile(c.Name, c.File)
}

func attemptLogs(a []report.Attempt) string {
	var logs []string
	for _, x := range a {
		logs = append(logs, x.Log)
	}
	return strings.Join(logs, ", ")
}

// addUnittestReasons gives unittest cases the reason and line of their
// failure report.
func addUnittestReasons(cases []report.Case, log, repo, file string) {
	reports := unittestFailures(log, repo, file)
	for i := range cases {
		if f, ok := reports[cases[i].Name]; ok {
			if f.reason != "" {
				cases[i].Message = f.reason
			}
			cases[i].Line = f.line
		}
	}
}

func (r *Runner) showTail(job Job, t string) {
	if r.Verbose || t == "" {
		return
	}
	fmt.Fprintf(r.Out, "---- %s\n%s\n---- end of the log's last lines ----\n", report.Path(job.LogFile), strings.TrimRight(t, "\n"))
}

// annotate puts one annotation per failed case at its failing line.
func (r *Runner) annotate(job Job, cases []report.Case) {
	if r.GH == nil {
		return
	}
	for _, c := range cases {
		if c.Status != report.Failed && c.Status != report.Errored {
			continue
		}
		file := c.File
		if file == "" {
			file = job.File.Path
		}
		r.GH.Annotate(ghactions.Annotation{File: file, Line: c.Line, Title: "tpuci " + job.Suite, Msg: annotation(c, file)})
	}
}

// annotation is a failed case's message at its file: the file case's
// name and message start with the path the annotation already names.
func annotation(c report.Case, file string) string {
	msg := strings.TrimPrefix(textline.First(c.Message), file+": ")
	if c.Name == file {
		return msg
	}
	return report.TestInFile(c.Name, file) + ": " + msg
}

// cleanShm removes model caches left in /dev/shm by a test file.
func (r *Runner) cleanShm() {
	root := r.ShmRoot
	if root == "" {
		root = "/dev/shm"
	}
	for _, prefix := range r.ShmClean {
		matches, _ := filepath.Glob(filepath.Join(root, prefix+"*"))
		for _, m := range matches {
			if st, err := os.Stat(m); err == nil && st.IsDir() {
				if err := os.RemoveAll(m); err != nil {
					fmt.Fprintf(r.Log, "    warning: clean %s: %v\n", m, err)
				}
			}
		}
	}
}

var _ = bytes.MinRead
