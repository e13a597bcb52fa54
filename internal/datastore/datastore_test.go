package datastore

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/settings"
	"github.com/sgl-project/tpuci/internal/workspace"
)

func workspaceWith(t *testing.T, env map[string]string, cfg *config.Config) *workspace.Workspace {
	t.Helper()
	set, err := settings.Parse(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	return &workspace.Workspace{Repo: filepath.Join(root, "repo"), Out: filepath.Join(root, "out"), Config: cfg, Settings: set}
}

func TestOpenResolves(t *testing.T) {
	ws := workspaceWith(t, nil, &config.Config{})
	s := Open(ws, nil)
	if want := filepath.Join(filepath.Dir(ws.Out), "tpuci-history"); s.Local != want || s.Git != nil || s.Sub != DefaultDir {
		t.Fatalf("defaults: %+v, want local %s, no repository, sub %s", s, want, DefaultDir)
	}

	cfg := &config.Config{}
	cfg.Nightly.History = "hist"
	cfg.Nightly.Git = config.NightlyGit{URL: "data", Branch: "results", Dir: "runs/", TokenEnv: "DATA_TOKEN", TraceURL: "https://example.com/data/"}
	ws = workspaceWith(t, map[string]string{"DATA_TOKEN": "t0ken"}, cfg)
	s = Open(ws, nil)
	if s.Local != filepath.Join(ws.Repo, "hist") || s.Sub != "runs" || s.TraceURL != "https://example.com/data" {
		t.Fatalf("configured store: %+v", s)
	}
	if g := s.Git; g == nil || g.URL != filepath.Join(ws.Repo, "data") || g.Branch != "results" || g.Token != "t0ken" ||
		g.Dir != filepath.Join(ws.Out, "nightly", "data-repo") {
		t.Fatalf("configured repository: %+v", s.Git)
	}

	ws = workspaceWith(t, map[string]string{"TPUCI_NIGHTLY_HISTORY": "/h", "TPUCI_NIGHTLY_GIT": "none"}, cfg)
	if s = Open(ws, nil); s.Local != "/h" || s.Git != nil {
		t.Fatalf("TPUCI_NIGHTLY_HISTORY=/h TPUCI_NIGHTLY_GIT=none: %+v", s)
	}
	ws = workspaceWith(t, map[string]string{"TPUCI_NIGHTLY_GIT": "https://host/data.git", "TPUCI_NIGHTLY_GIT_TOKEN": "x"}, &config.Config{})
	if g := Repo(ws, "/wc", nil); g == nil || g.URL != "https://host/data.git" || g.Token != "x" || g.Dir != "/wc" {
		t.Fatalf("TPUCI_NIGHTLY_GIT: %+v", g)
	}
}

// A record written through Update is read back from the data repository;
// the store's lock file is not committed; an unreachable repository
// falls back on the local store with a warning.
func TestUpdateReadAndFallback(t *testing.T) {
	needs.Tool(t, "git")
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data.git")
	if out, err := exec.Command("git", "init", "-q", "--bare", "-b", "main", data).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	ws := workspaceWith(t, map[string]string{"TPUCI_NIGHTLY_GIT": data}, &config.Config{})
	s := Open(ws, nil)
	err := s.Update(ctx, "add a record", func(dir string) error {
		if err := os.MkdirAll(filepath.Join(dir, "kind"), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, ".lock"), nil, 0o644); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "kind", "r.json"), []byte("{}"), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	reader := Open(workspaceWith(t, map[string]string{"TPUCI_NIGHTLY_GIT": data}, &config.Config{}), nil)
	dir, where := reader.Read(ctx, &log, "kind")
	if dir != filepath.Join(reader.Git.Dir, DefaultDir, "kind") || where != data+" (nightly/kind/)" || log.Len() != 0 {
		t.Fatalf("read %s (%s), log %q", dir, where, log.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "r.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(reader.Shared(), ".lock")); err == nil {
		t.Fatal("the lock file was committed")
	}

	gone := Open(workspaceWith(t, map[string]string{"TPUCI_NIGHTLY_GIT": filepath.Join(t.TempDir(), "missing.git")}, &config.Config{}), nil)
	dir, where = gone.Read(ctx, &log, "kind")
	if local := filepath.Join(gone.Local, "kind"); dir != local || where != local || !strings.HasPrefix(log.String(), "kind: git store: ") {
		t.Fatalf("unreachable repository: read %s (%s), log %q", dir, where, log.String())
	}
}
