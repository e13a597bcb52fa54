package nightly

import (
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"time"

	"github.com/sgl-project/tpuci/internal/nightly/history"
	"github.com/sgl-project/tpuci/internal/nightly/matrix"
)

// CoverageOf counts the matrix's cases that have a record on the night.
func CoverageOf(all []matrix.Case, night []history.Record) history.Coverage {
	in := map[string]bool{}
	for _, c := range all {
		in[c.Key] = true
	}
	cov := history.Coverage{Cases: len(all)}
	for _, r := range night {
		if !in[r.Case] {
			continue
		}
		cov.Ran++
		if r.Status == history.OK {
			cov.OK++
		} else {
			cov.Failed++
		}
	}
	if cov.Cases > 0 {
		cov.Pct = math.Round(1000*float64(cov.Ran)/float64(cov.Cases)) / 10
	}
	return cov
}

// Complete reports whether every case of the matrix ran on the night.
func Complete(c history.Coverage) bool { return c.Cases > 0 && c.Ran == c.Cases }

// BuildStatus is the status record of a complete night: healthy when
// every case has valid figures and nothing regressed. The last healthy
// night carries over from prev when this one is not healthy.
func BuildStatus(meta Meta, cov history.Coverage, verdicts []Verdict, prev *history.Status, now time.Time) *history.Status {
	st := &history.Status{
		SchemaVersion: history.SchemaVersion, UpdatedAt: now.UTC().Format(time.RFC3339), WorkflowName: "tpuci nightly",
		RunID: meta.RunID, RunURL: meta.RunURL, HeadSHA: meta.Commit, HeadBranch: meta.Branch,
		Night: meta.Night, Coverage: cov, Tpuci: meta.Versions.Tpuci,
		FailedCases: []string{}, Regressions: []history.StatusFlag{},
	}
	var first, last time.Time
	for _, v := range verdicts {
		r := v.Record
		if r.Status != history.OK {
			st.FailedCases = append(st.FailedCases, r.Case)
		}
		for _, f := range v.Flags() {
			st.Regressions = append(st.Regressions, history.StatusFlag{Case: f.Case, Metric: f.Metric, Kind: f.Flag.Kind,
				ChangePct: math.Round(f.Flag.ChangePct*10) / 10, Nights: f.Flag.Nights, Commits: f.Flag.Commits()})
		}
		if at, err := time.Parse(time.RFC3339, r.RecordedAt); err == nil {
			begin := at.Add(-time.Duration(r.Seconds * float64(time.Second)))
			if first.IsZero() || begin.Before(first) {
				first = begin
			}
			if at.After(last) {
				last = at
			}
		}
	}
	slices.Sort(st.FailedCases)
	if !first.IsZero() {
		st.StartedAt = first.UTC().Format(time.RFC3339)
		st.Seconds = math.Round(last.Sub(first).Seconds())
	}
	if Complete(cov) && len(st.FailedCases) == 0 && len(st.Regressions) == 0 {
		st.Status, st.Conclusion = history.Healthy, "success"
		st.LatestSuccess = &history.LatestSuccess{RunID: meta.RunID, RunURL: meta.RunURL, CompletedAt: st.UpdatedAt, Night: meta.Night, HeadSHA: meta.Commit}
	} else {
		st.Status, st.Conclusion = history.Unhealthy, "failure"
		if prev != nil {
			st.LatestSuccess = prev.LatestSuccess
		}
	}
	return st
}

// TpuciVersion is the version of the tpuci module in this binary: its
// module version when it is a dependency, else its VCS revision, else
// "devel".
func TpuciVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	const mod = "github.com/sgl-project/tpuci"
	for _, d := range info.Deps {
		if d.Path == mod && d.Version != "" && d.Version != "(devel)" {
			return d.Version
		}
	}
	if info.Main.Path == mod && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "devel-" + rev
}

// goVersion is the Go toolchain tpuci was built with.
func goVersion() string { return runtime.Version() }
