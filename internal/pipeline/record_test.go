package pipeline

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/triage"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Every stage kind that runs tests adds them to the failure record on a
// push to main, through Run; lint, pull requests and runs cut short do not.
func TestStagesRecordFailures(t *testing.T) {
	perf := func(_ context.Context, _ *workspace.Workspace, st *Stage) error {
		st.Cases = []report.Case{
			{Name: "p1", Class: "perf.sim", Status: report.Failed, Message: "median_ttft_ms 120.5 > limit 110"},
			{Name: "t/s.py", Class: "perf-suite", File: "t/s.py", Status: report.Passed},
		}
		return nil
	}
	for _, tc := range []struct {
		name    string
		target  string
		event   string
		partial bool
		want    []string
	}{
		{"perf on main", "perf", "push", false, []string{"perf:p1 failed threshold", "t/s.py passed "}},
		{"pallas on main", "pallas", "push", false, []string{"perf:p1 failed threshold", "t/s.py passed "}},
		{"multiHost on a schedule", "multiHost", "schedule", false, []string{"perf:p1 failed threshold", "t/s.py passed "}},
		{"lint records nothing", "lint", "push", false, nil},
		{"a pull request records nothing", "perf", "pull_request", false, nil},
		{"a stage cut short records nothing", "perf", "push", true, nil},
	} {
		repo := newRepo(t)
		hist := filepath.Join(t.TempDir(), "history")
		s, log := session(t, repo, map[string]string{"GITHUB_EVENT_NAME": tc.event, "GITHUB_REF": "refs/heads/main",
			"TPUCI_NIGHTLY_HISTORY": hist})
		body := perf
		if tc.partial {
			body = func(ctx context.Context, ws *workspace.Workspace, st *Stage) error {
				st.Partial = true
				return perf(ctx, ws, st)
			}
		}
		_ = s.Run(context.Background(), tc.target, body)
		runs, err := triage.Dir{Root: filepath.Join(hist, triage.Subdir)}.Runs()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range runs {
			if r.Target != tc.target || r.Commit != s.WS.Commit {
				t.Errorf("%s: run %+v", tc.name, r)
			}
			for _, e := range r.Entries {
				got = append(got, e.Test+" "+e.Outcome+" "+string(e.Class))
			}
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: recorded %q, want %q\n%s", tc.name, got, tc.want, log)
		}
	}
}
