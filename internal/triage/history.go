package triage

import (
	"sort"
	"strings"
	"time"
)

// OnMain says whether a run's results speak for main: pushes to main and
// scheduled (nightly) runs; pull requests and manual runs do not.
func OnMain(r Run) bool { return r.Ref == "main" || r.Ref == "nightly" }

// commitVerdicts folds the record into commit verdicts: per test, one
// verdict per commit of main, over every run of that commit (a file that
// failed in one run and passed in a rerun of the same commit is flaky),
// ordered by the time of the commit's last run.
func commitVerdicts(runs []Run) map[string][]Verdict {
	type agg struct {
		v                     Verdict
		passed, failed, flaky bool
		failRunID, failRunURL string
	}
	byKey := map[[2]string]*agg{}
	var order [][2]string
	sorted := append([]Run(nil), runs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Date.Before(sorted[j].Date) })
	for _, r := range sorted {
		if !OnMain(r) {
			continue
		}
		for _, e := range r.Entries {
			if e.Outcome != Passed && e.Outcome != Failed && e.Outcome != Flaky {
				continue
			}
			k := [2]string{e.Test, r.Commit}
			a := byKey[k]
			if a == nil {
				a = &agg{v: Verdict{Test: e.Test, Commit: r.Commit}}
				byKey[k] = a
				order = append(order, k)
			}
			a.v.Date, a.v.RunID, a.v.RunURL = r.Date, r.RunID, r.RunURL
			switch e.Outcome {
			case Passed:
				a.passed = true
			case Failed:
				a.failed = true
			case Flaky:
				a.flaky = true
			}
			if e.Outcome != Passed && e.Fingerprint != "" {
				a.v.Fingerprint, a.failRunID, a.failRunURL = e.Fingerprint, r.RunID, r.RunURL
			}
		}
	}
	out := map[string][]Verdict{}
	for _, k := range order {
		a := byKey[k]
		switch {
		case a.flaky || a.failed && a.passed:
			a.v.Outcome = Flaky
		case a.failed:
			a.v.Outcome = Failed
			// The run that failed is the evidence, not a later one.
			a.v.RunID, a.v.RunURL = a.failRunID, a.failRunURL
		default:
			a.v.Outcome = Passed
		}
		out[k[0]] = append(out[k[0]], a.v)
	}
	for t := range out {
		vs := out[t]
		sort.SliceStable(vs, func(i, j int) bool { return vs[i].Date.Before(vs[j].Date) })
	}
	return out
}

// Build derives main's history from the record's runs: per test its latest
// commit verdict on main and its flaky and total commit verdicts over the
// policy's window ending at now (verdicts younger than FlakyWindow, at most
// the last FlakyVerdicts of them). Only runs whose Ref is main or nightly
// count.
func Build(runs []Run, now time.Time, p Policy) History {
	h := History{Latest: map[string]Verdict{}, Flakes: map[string]FlakeStat{}}
	for test, vs := range commitVerdicts(runs) {
		h.Latest[test] = vs[len(vs)-1]
		win := window(vs, now, p)
		if len(win) == 0 {
			continue
		}
		st := FlakeStat{Verdicts: len(win)}
		for _, v := range win {
			if v.Outcome == Flaky {
				st.Flaky++
			}
		}
		h.Flakes[test] = st
	}
	return h
}

// window is the verdicts (oldest first) the flake rate counts at now.
func window(vs []Verdict, now time.Time, p Policy) []Verdict {
	var in []Verdict
	for _, v := range vs {
		if v.Date.After(now) || p.FlakyWindow > 0 && now.Sub(v.Date) > p.FlakyWindow {
			continue
		}
		in = append(in, v)
	}
	if p.FlakyVerdicts > 0 && len(in) > p.FlakyVerdicts {
		in = in[len(in)-p.FlakyVerdicts:]
	}
	return in
}

// FlakyUnder says whether the counts reach the policy's criterion: at least
// FlakyMin flaky verdicts that are at least FlakyRate of the verdicts.
func (s FlakeStat) FlakyUnder(p Policy) bool {
	return s.Verdicts > 0 && s.Flaky >= max(p.FlakyMin, 1) && float64(s.Flaky) >= p.FlakyRate*float64(s.Verdicts)
}

// Rate is the share of flaky verdicts.
func (s FlakeStat) Rate() float64 {
	if s.Verdicts == 0 {
		return 0
	}
	return float64(s.Flaky) / float64(s.Verdicts)
}

// KnownFlaky says whether a test (file, or file::case; a file is also
// known flaky when one of its cases is) flakes on main at or above the
// policy's rate.
func (h History) KnownFlaky(test string, p Policy) bool {
	if h.Flakes[test].FlakyUnder(p) {
		return true
	}
	for t, s := range h.Flakes {
		if strings.HasPrefix(t, test+"::") && s.FlakyUnder(p) {
			return true
		}
	}
	return false
}

// flakyFor is KnownFlaky for a failure, with the test whose counts
// decide: its own, one of its cases', or, for a case, its file's (a file
// that flakes as a whole flakes in its cases).
func (h History) flakyFor(test string, p Policy) (string, FlakeStat, bool) {
	if s := h.Flakes[test]; s.FlakyUnder(p) {
		return test, s, true
	}
	var keys []string
	for t := range h.Flakes {
		if strings.HasPrefix(t, test+"::") {
			keys = append(keys, t)
		}
	}
	sort.Strings(keys)
	for _, t := range keys {
		if s := h.Flakes[t]; s.FlakyUnder(p) {
			return t, s, true
		}
	}
	if file, _, ok := strings.Cut(test, "::"); ok && h.Flakes[file].FlakyUnder(p) {
		return file, h.Flakes[file], true
	}
	return "", FlakeStat{}, false
}
