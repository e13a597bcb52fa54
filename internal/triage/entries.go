package triage

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/sgl-project/tpuci/internal/failclass"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/textline"
)

// A case's name in the record. A suite's test file is its path and a test
// in it path::name (pytest's Class::test, unittest's Class.test); a gate's
// case is <target>:<case>, a Pallas timing pallas:<kernel>::<case>.
type named struct {
	test  string // the file, file::case, or <target>:<case>
	group string // the file (or kernel) the test belongs to; test for a file
	file  string // the file a change touches to touch the test
}

// nameOf names a case; gate says it is a gate's verdict (perf, accuracy,
// pallas, nightly, multiHost), not a test of a suite file, so that its
// failure is a threshold missed unless a process ended. ok is false for a
// case that is no test (a rank of a multi-host case, a placeholder of a
// stage that did not run).
func nameOf(target string, c *report.Case) (n named, gate, ok bool) {
	kind, rest, _ := strings.Cut(c.Class, ".")
	switch {
	case kind == "pallas":
		kernel := rest
		n.group = "pallas:" + kernel
		n.test = n.group
		if c.Name != kernel {
			n.test += "::" + c.Name
		}
		n.file = c.File
		if n.file == "" {
			n.file = n.group
		}
		return n, true, kernel != ""
	case kind == "multiHost" && rest != "", kind == "accuracy" && rest == "baseline":
		return n, false, false
	case kind == "perf" || kind == "accuracy" || kind == "nightly" || kind == "multiHost":
		n.test, n.group, n.file = kind+":"+c.Name, kind+":"+c.Name, c.File
		if n.file == "" {
			n.file = n.test
		}
		return n, true, c.Name != ""
	}
	file := c.File
	if file == "" {
		file = c.Name
	}
	if file == "" || c.Class == target {
		return n, false, false
	}
	n.group, n.file, n.test = file, file, file
	if c.Name != file && c.Name != "" {
		n.test = file + "::" + report.TestInFile(c.Name, file)
	}
	return n, false, true
}

var (
	// timedOut is how tpuci says a process or case ran past its timeout.
	timedOut = regexp.MustCompile(`\btimed out after\b`)
	// exitCode finds "exit code N" in a message, for the exit-10 rule.
	exitCode = regexp.MustCompile(`\bexit code (\d+)\b`)
	// processEnd is a gate case that ended as a process, not on a verdict.
	processEnd = regexp.MustCompile(`\b(exit code \d+|killed by signal|interrupted|exited before|printed no timing)`)
)

// classOf is the class of a failed attempt, from its message and log:
// a timeout (tpuci's "timed out after"), an infrastructure rule's match,
// a gate's missed threshold, else a crash of the code under test. A
// multi-host case carries its own class ahead of its message.
func classOf(gate bool, status report.Status, msg, output string) failclass.Class {
	if timedOut.MatchString(msg) {
		return failclass.Timeout
	}
	if head, _, ok := strings.Cut(msg, " (retry: "); ok {
		for _, c := range []failclass.Class{failclass.Infra, failclass.Readiness, failclass.Threshold, failclass.CaseCrash} {
			if head == string(c) {
				return c
			}
		}
	}
	code := -1
	if m := exitCode.FindStringSubmatch(msg); m != nil {
		code, _ = strconv.Atoi(m[1])
	}
	if _, _, ok := failclass.MatchInfra(output+"\n"+msg, code); ok {
		return failclass.Infra
	}
	if gate && status == report.Failed && !processEnd.MatchString(msg) {
		return failclass.Threshold
	}
	return failclass.CaseCrash
}

// attempt is what a case's entry says about it.
type attempt struct {
	outcome       string
	class         failclass.Class
	message       string // the first error line, as printed
	output        string
	status        report.Status // the case's own
	attempts, ret int
}

// judgeCase is one case's outcome, and, when it failed (or failed before
// it passed), the class and first line of that failure.
func judgeCase(gate bool, c *report.Case) (attempt, bool) {
	a := attempt{attempts: len(c.Attempts) + 1, ret: len(c.Attempts), status: c.Status}
	switch {
	case c.Status == report.Failed || c.Status == report.Errored:
		a.outcome = Failed
		a.message, a.output = textline.First(c.Message), c.Output
		a.class = classOf(gate, c.Status, c.Message, c.Output)
	case c.Flaky():
		last := c.Attempts[len(c.Attempts)-1]
		a.outcome = Flaky
		a.message, a.output = textline.First(last.Message), last.Output
		a.class = classOf(gate, last.Status, last.Message, last.Output)
	case c.Status == report.Passed:
		a.outcome = Passed
	default:
		return a, false
	}
	return a, true
}

// testResult is one test of a stage: its name and its outcome.
type testResult struct {
	named
	attempt
}

// fileResult is a file (or kernel, or gate case) with its own result and
// those of its tests.
type fileResult struct {
	own   *testResult
	tests []testResult
	gate  bool
}

// results groups a stage's cases by file, in the order they ran.
func results(tr *report.TargetResult) ([]string, map[string]*fileResult) {
	var order []string
	files := map[string]*fileResult{}
	for i := range tr.Cases {
		c := &tr.Cases[i]
		n, gate, ok := nameOf(tr.Target, c)
		if !ok {
			continue
		}
		a, ran := judgeCase(gate, c)
		if !ran {
			continue
		}
		f := files[n.group]
		if f == nil {
			f = &fileResult{gate: gate}
			files[n.group] = f
			order = append(order, n.group)
		}
		r := testResult{n, a}
		if n.test == n.group {
			f.own = &r
		} else {
			f.tests = append(f.tests, r)
		}
	}
	return order, files
}

// fingerprint of a test's failure; a file failed by one of its tests is
// fingerprinted by that test and its error line.
func (r testResult) fingerprint() string {
	if r.outcome == Passed {
		return ""
	}
	return Fingerprint(r.test, r.message)
}

func (r testResult) entry() Entry {
	e := Entry{Test: r.test, File: r.file, Outcome: r.outcome, Attempts: r.attempts}
	if r.outcome != Passed {
		e.Class, e.Fingerprint = r.class, r.fingerprint()
		e.Message = textline.Clip(Normalize(r.message), 200)
	}
	return e
}

// whole is a file's own result: its own case when it failed or stands
// alone, else what its tests add up to (failed when one failed, flaky
// when one flaked).
func (f *fileResult) whole(group string) testResult {
	if f.own != nil && (f.own.outcome == Failed || len(f.tests) == 0) {
		return *f.own
	}
	w := testResult{named: named{test: group, group: group}, attempt: attempt{outcome: Passed, attempts: 1}}
	if f.own != nil {
		w.named, w.attempt = f.own.named, f.own.attempt
	} else {
		w.file = f.tests[0].file
	}
	var flaky *testResult
	for i := range f.tests {
		t := &f.tests[i]
		switch {
		case t.outcome == Failed:
			w.outcome, w.class = Failed, t.class
			w.message, w.output = caseOf(t.test)+": "+t.message, t.output
			return w
		case t.outcome == Flaky && flaky == nil:
			flaky = t
		}
	}
	if flaky != nil && w.outcome == Passed {
		w.outcome, w.class = Flaky, flaky.class
		w.message, w.output = caseOf(flaky.test)+": "+flaky.message, flaky.output
	}
	return w
}

func caseOf(test string) string {
	_, c, _ := strings.Cut(test, "::")
	return c
}

// EntriesOf turns a stage's record into the failure record's entries:
// one per file and one per case JUnit or unittest names (gate stages: one
// per case, Pallas kernels with their timings), with the outcome (flaky
// for a pass after failed attempts), the class of a failure and its
// fingerprint. Skipped tests are left out.
func EntriesOf(tr *report.TargetResult) []Entry {
	if tr == nil {
		return nil
	}
	// A rerun's record carries over what it did not run again: those
	// results are an earlier attempt's, already recorded.
	ran := *tr
	ran.Cases = nil
	for _, c := range tr.Cases {
		if c.CarriedOver == "" {
			ran.Cases = append(ran.Cases, c)
		}
	}
	order, files := results(&ran)
	var out []Entry
	for _, g := range order {
		f := files[g]
		out = append(out, f.whole(g).entry())
		for _, t := range f.tests {
			out = append(out, t.entry())
		}
	}
	return out
}

// FailuresOf lists the failed and flaky-passed tests of a stage's record,
// for Decide; job names the workflow job (or "" locally). A failed test
// of a file stands for the file; the file itself is listed when no test
// of it failed or its process crashed. A stage that failed before it
// ran any case is one failure named after the target.
func FailuresOf(tr *report.TargetResult, job string) []Failure {
	if tr == nil {
		return nil
	}
	order, files := results(tr)
	var out []Failure
	add := func(r testResult) {
		out = append(out, Failure{Target: tr.Target, Job: job, Test: r.test, File: r.file, Class: r.class,
			Fingerprint: r.fingerprint(), Message: r.message, Passed: r.outcome == Flaky, Retries: r.ret})
	}
	for _, g := range order {
		f := files[g]
		failed := 0
		for _, t := range f.tests {
			if t.outcome != Passed {
				add(t)
			}
			if t.outcome == Failed {
				failed++
			}
		}
		// A file whose process crashed or timed out after a test failed
		// failed twice: both are listed.
		if own := f.own; own != nil && own.outcome != Passed && (failed == 0 || own.status == report.Errored) {
			add(*own)
		}
	}
	if len(out) == 0 && len(order) == 0 && (tr.Status == report.Failed || tr.Status == report.Errored) {
		msg := tr.Reason
		if msg == "" && len(tr.Failures) > 0 {
			msg = tr.Failures[0]
		}
		out = append(out, Failure{Target: tr.Target, Job: job, Test: tr.Target, Class: classOf(false, tr.Status, msg, ""),
			Fingerprint: Fingerprint(tr.Target, msg), Message: textline.First(msg)})
	}
	return out
}
