package rerun

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/stages"
)

// Selection is what a stage runs again of an earlier attempt: its failed
// suite files (whole, or only the tests that failed), case names or
// kernels; the whole stage when its record cannot say what failed; or
// nothing, when nothing failed there.
type Selection struct {
	Target  string
	From    string               // the earlier attempt's directory, as the record names it
	Earlier *report.TargetResult // its record of the stage
	Whole   bool
	Files   []Pick   // suite files
	Cases   []string // perf and accuracy cases (TPUCI_CASES)
	Kernels []string // pallas kernels (TPUCI_KERNELS)
}

// Nothing reports a selection that reruns nothing: the stage is carried
// over.
func (s *Selection) Nothing() bool {
	return !s.Whole && len(s.Files) == 0 && len(s.Cases) == 0 && len(s.Kernels) == 0
}

// Describe says in a few words what the selection reruns.
func (s *Selection) Describe() string {
	var parts []string
	if s.Whole {
		return "the whole stage (its record does not name what failed, or the stage has no filter)"
	}
	if n := len(s.Files); n > 0 {
		var names []string
		for _, p := range s.Files {
			names = append(names, p.String())
		}
		parts = append(parts, fmt.Sprintf("%d file(s): %s", n, strings.Join(names, ", ")))
	}
	if n := len(s.Cases); n > 0 {
		parts = append(parts, fmt.Sprintf("%d case(s): %s", n, strings.Join(s.Cases, ", ")))
	}
	if n := len(s.Kernels); n > 0 {
		parts = append(parts, fmt.Sprintf("%d kernel(s): %s", n, strings.Join(s.Kernels, ", ")))
	}
	return strings.Join(parts, "; ")
}

// Select reads an earlier record of a stage: what failed there (and, in
// a partial record, what was not run) is run again. A passed stage, or
// one skipped for a reason of its own, reruns nothing; a stage that did
// not run because an upstream stage failed, or whose failure names no
// case, reruns whole, as do lint, nightly and multiHost (no filter).
func Select(from string, rec *report.TargetResult, cfg *config.Config) Selection {
	sel := Selection{Target: rec.Target, From: from, Earlier: rec}
	switch rec.Status {
	case report.Passed:
		return sel
	case report.Skipped:
		sel.Whole = strings.HasPrefix(rec.Reason, "not run")
		return sel
	}
	st, _ := stages.Get(rec.Target)
	suites := map[string]*config.Suite{}
	if cfg != nil && (st.Runs == stages.Suites || st.Runs == stages.CasesAndSuites) {
		for _, s := range cfg.SuitesFor(rec.Target) {
			suites[s.Name] = s
		}
	}
	whole := map[[2]string]bool{}
	found := false
	for _, c := range rec.Cases {
		if !again(c, rec.Partial) {
			continue
		}
		found = true
		if s, ok := suites[c.Class]; ok {
			path, test, ok := fileOf(c, s)
			if !ok {
				return Selection{Target: rec.Target, From: from, Earlier: rec, Whole: true}
			}
			sel.addFile(s.Name, path, test, whole)
			continue
		}
		switch {
		case rec.Target == "pallas" && strings.HasPrefix(c.Class, "pallas."):
			if k := strings.TrimPrefix(c.Class, "pallas."); !slices.Contains(sel.Kernels, k) {
				sel.Kernels = append(sel.Kernels, k)
			}
		case st.Runs == stages.CasesAndSuites && (c.Class == rec.Target || strings.HasPrefix(c.Class, rec.Target+".")):
			if !slices.Contains(sel.Cases, c.Name) {
				sel.Cases = append(sel.Cases, c.Name)
			}
		default:
			return Selection{Target: rec.Target, From: from, Earlier: rec, Whole: true}
		}
	}
	if !found {
		sel.Whole = true
	}
	for i, p := range sel.Files {
		if whole[[2]string{p.Suite, p.Path}] {
			sel.Files[i].Tests = nil
		}
	}
	return sel
}

// again reports an earlier case to run again: it failed, or the record is
// partial and it was not run.
func again(c report.Case, partial bool) bool {
	switch c.Status {
	case report.Failed, report.Errored:
		return true
	case report.Skipped:
		return partial && strings.HasPrefix(c.Message, "not run")
	}
	return false
}

// fileOf is the suite file a case belongs to and, for a case of a test in
// it, the test's name in the file ("" for the file's own case).
func fileOf(c report.Case, s *config.Suite) (path, test string, ok bool) {
	listed := func(p string) bool {
		return slices.ContainsFunc(s.Files, func(f config.File) bool { return f.Path == p })
	}
	switch {
	case listed(c.Name):
		return c.Name, "", true
	case listed(c.File):
		// A test name that could not be passed on as one (spaces in a
		// parameter id, a leading dash) reruns its whole file.
		test := report.TestInFile(c.Name, c.File)
		if checkTest(test) != nil {
			test = ""
		}
		return c.File, test, true
	}
	return "", "", false
}

func (s *Selection) addFile(suite, path, test string, whole map[[2]string]bool) {
	i := slices.IndexFunc(s.Files, func(p Pick) bool { return p.Suite == suite && p.Path == path })
	if i < 0 {
		s.Files = append(s.Files, Pick{Suite: suite, Path: path})
		i = len(s.Files) - 1
	}
	if test == "" {
		whole[[2]string{suite, path}] = true
	} else if !slices.Contains(s.Files[i].Tests, test) {
		s.Files[i].Tests = append(s.Files[i].Tests, test)
	}
}

// Covers reports whether the selection runs an earlier case again.
func (s *Selection) Covers(c report.Case) bool {
	if s.Whole {
		return true
	}
	for _, p := range s.Files {
		if p.Suite != c.Class || (c.Name != p.Path && c.File != p.Path) {
			continue
		}
		if p.Tests == nil || c.Name == p.Path {
			return true
		}
		return slices.Contains(p.Tests, report.TestInFile(c.Name, p.Path))
	}
	if s.Target == "pallas" && slices.Contains(s.Kernels, strings.TrimPrefix(c.Class, "pallas.")) {
		return true
	}
	return (c.Class == s.Target || strings.HasPrefix(c.Class, s.Target+".")) && slices.Contains(s.Cases, c.Name)
}

// Merge completes a stage that reran a selection: each case that ran
// again carries its earlier attempts (so a pass now is a flaky pass), and
// every earlier case the selection did not run is carried over, marked
// with label (where the earlier results are kept). It returns the number
// carried over.
func Merge(now *report.TargetResult, sel Selection, label string) int {
	type key struct{ class, name string }
	index := map[key]int{}
	for i, c := range now.Cases {
		index[key{c.Class, c.Name}] = i
	}
	carried := 0
	var orphans []report.Case
	for _, e := range sel.Earlier.Cases {
		if !sel.Covers(e) {
			e.CarriedOver = label
			now.Cases = append(now.Cases, e)
			carried++
			continue
		}
		prior := priorAttempts(e)
		if len(prior) == 0 {
			continue
		}
		if i, ok := index[key{e.Class, e.Name}]; ok {
			now.Cases[i].Attempts = append(prior, now.Cases[i].Attempts...)
			now.Cases[i].Reruns = len(now.Cases[i].Attempts)
			continue
		}
		orphans = append(orphans, e)
	}
	for _, e := range orphans {
		adopt(now, e, priorAttempts(e))
	}
	return carried
}

// priorAttempts are an earlier case's own earlier attempts and, when it
// failed, the case itself.
func priorAttempts(e report.Case) []report.Attempt {
	prior := slices.Clone(e.Attempts)
	if e.Status == report.Failed || e.Status == report.Errored {
		prior = append(prior, report.Attempt{Status: e.Status, Message: e.Message, Output: e.Output, Log: e.Log, Duration: e.Duration})
	}
	return prior
}

// adopt gives an earlier failure that has no case of its name in the
// rerun (a file that crashed before its tests reported, whose tests now
// report) to the cases of its file: each that failed again carries it;
// if none failed, the file's own case passes with it (a flaky pass). A
// failure whose file or case did not run at all is dropped from the
// merged record: the earlier record keeps it.
func adopt(now *report.TargetResult, e report.Case, prior []report.Attempt) {
	unit := e.Name // a file's own case is named by its path
	if !strings.HasSuffix(e.Name, ".py") && e.File != "" {
		unit = e.File
	}
	var mine []int
	failedAgain := false
	for i, c := range now.Cases {
		if c.Class == e.Class && c.CarriedOver == "" && (c.File == unit || c.Name == unit) {
			mine = append(mine, i)
			failedAgain = failedAgain || c.Status == report.Failed || c.Status == report.Errored
		}
	}
	switch {
	case len(mine) == 0:
		return
	case failedAgain:
		for _, i := range mine {
			if c := &now.Cases[i]; c.Status == report.Failed || c.Status == report.Errored {
				c.Attempts = append(slices.Clone(prior), c.Attempts...)
				c.Reruns = len(c.Attempts)
			}
		}
	default:
		now.Cases = append(now.Cases, report.Case{Name: e.Name, Class: e.Class, File: e.File, Status: report.Passed,
			Attempts: prior, Reruns: len(prior), Message: "passed on the rerun"})
	}
}

// CarryOver makes a stage the earlier record of it, every case marked:
// nothing failed there, so nothing runs again. Its logs are the earlier
// attempt's, where Load found them: this run wrote none.
func CarryOver(now *report.TargetResult, sel Selection, label string) {
	rec := sel.Earlier
	now.Cases = nil
	for _, c := range rec.Cases {
		c.CarriedOver = label
		now.Cases = append(now.Cases, c)
	}
	now.Tables = rec.Tables
	now.Status = rec.Status
	now.Commit, now.Config, now.Inputs = rec.Commit, rec.Config, rec.Inputs
	now.LogDir = rec.LogDir
	why := fmt.Sprintf("carried over from %s: %s there, nothing rerun", label, rec.Status)
	if rec.Reason != "" {
		why += " (" + rec.Reason + ")"
	}
	now.Reason = why
}
