package triage

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/settings"
	"github.com/sgl-project/tpuci/internal/workspace"
)

func workspaceWith(t *testing.T, env map[string]string) *workspace.Workspace {
	t.Helper()
	set, err := settings.Parse(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	return &workspace.Workspace{Repo: filepath.Join(root, "repo"), Out: filepath.Join(root, "out"),
		Config: &config.Config{}, Settings: set, Commit: "abc123"}
}

func TestRecordStage(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		records bool
		ref     string
	}{
		{"push to main", map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main",
			"GITHUB_RUN_ID": "991", "GITHUB_RUN_ATTEMPT": "2", "RUNNER_NAME": "v6e-1-runner-7",
			"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r"}, true, "main"},
		{"schedule", map[string]string{"GITHUB_EVENT_NAME": "schedule"}, true, "nightly"},
		{"by hand", map[string]string{"TPUCI_RECORD_DURATIONS": "1"}, true, "manual"},
		{"pull request", map[string]string{"GITHUB_EVENT_NAME": "pull_request"}, false, ""},
		{"push to a branch", map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/x"}, false, ""},
	} {
		ws := workspaceWith(t, tc.env)
		var log bytes.Buffer
		tr := suiteStage()
		tr.Partition = "1/2"
		RecordStage(context.Background(), ws, tr, &log)
		runs, where, err := Open(ws, &log).Runs(context.Background(), &log)
		if err != nil {
			t.Fatal(err)
		}
		if !tc.records {
			if len(runs) != 0 {
				t.Errorf("%s: recorded %d runs", tc.name, len(runs))
			}
			continue
		}
		if len(runs) != 1 || !strings.HasSuffix(where, Subdir) {
			t.Fatalf("%s: %d runs in %s\n%s", tc.name, len(runs), where, log.String())
		}
		r := runs[0]
		if r.Ref != tc.ref || r.Commit != "abc123" || r.Target != "unitTest1" || r.Partition != "1/2" ||
			len(r.Entries) != len(EntriesOf(suiteStage())) || r.Runner == "" {
			t.Errorf("%s: run %+v", tc.name, r)
		}
		if tc.ref == "main" && (r.RunID != "991" || r.Attempt != 2 || r.Runner != "v6e-1-runner-7" || r.Event != "push" ||
			r.RunURL != "https://github.com/o/r/actions/runs/991") {
			t.Errorf("%s: identity %+v", tc.name, r)
		}
		if host, _ := os.Hostname(); tc.ref == "manual" && (r.Runner != host || r.Event != "local") {
			t.Errorf("%s: runner %q event %q", tc.name, r.Runner, r.Event)
		}
		if !strings.Contains(log.String(), "recorded 11 test results of unitTest1 (9 not passed; "+tc.ref+" run)") {
			t.Errorf("%s: log %q", tc.name, log.String())
		}
	}
}

// A record that cannot be written only warns: the stage's result stands.
func TestRecordStageWarns(t *testing.T) {
	ws := workspaceWith(t, map[string]string{"TPUCI_RECORD_DURATIONS": "1"})
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ws.Settings.Nightly.History = blocker // a file where the store's directory should be
	var log bytes.Buffer
	RecordStage(context.Background(), ws, suiteStage(), &log)
	if !strings.Contains(log.String(), "warning: failure record not written") {
		t.Errorf("log %q", log.String())
	}
}

func TestLoadBuildsFromTheStore(t *testing.T) {
	ws := workspaceWith(t, nil)
	s := Open(ws, nil)
	ago := func(h int) time.Time { return time.Now().UTC().Add(-time.Duration(h) * time.Hour) } // Load counts to now
	for _, r := range []Run{mainRun("c1", ago(48), ent("a.py", Failed, "f")), mainRun("c1", ago(47), ent("a.py", Passed, "")),
		mainRun("c2", ago(24), ent("a.py", Failed, "f")), mainRun("c2", ago(23), ent("a.py", Passed, ""))} {
		if err := s.Record(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	var log bytes.Buffer
	h, p, err := Load(context.Background(), ws, &log)
	if err != nil {
		t.Fatal(err)
	}
	if !h.KnownFlaky("a.py", p) || h.Latest["a.py"].Commit != "c2" || !strings.Contains(log.String(), "has 4 runs and 1 tests with a result") {
		t.Errorf("history %+v, log %q", h, log.String())
	}
}
