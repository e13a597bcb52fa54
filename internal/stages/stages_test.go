package stages

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/chips"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/workspace"
)

func stageFor(t *testing.T, target string) *pipeline.Stage {
	var log bytes.Buffer
	return &pipeline.Stage{Stage: &report.Stage{Target: target, LogDir: t.TempDir()}, Out: &log, Log: &log}
}

func workspaceWith(t *testing.T, python string, host chips.Info, suites ...config.Suite) *workspace.Workspace {
	repo := t.TempDir()
	os.MkdirAll(filepath.Join(repo, "t"), 0o755)
	os.WriteFile(filepath.Join(repo, "t", "test_ok.py"), []byte("def test_ok():\n    assert True\n"), 0o644)
	return &workspace.Workspace{Repo: repo, Python: python, Chips: host, Out: t.TempDir(),
		Config: &config.Config{Suites: suites}, Getenv: func(string) string { return "" }}
}

func pytestSuite(chipsN int) config.Suite {
	return config.Suite{Name: "s", Target: "unitTest1", Chips: chipsN, Partitions: 1, TimeoutPerFile: config.Duration{Duration: time.Minute},
		Files: []config.File{{Path: "t/test_ok.py", Minutes: 1, Runner: "pytest"}}}
}

// An interpreter without pytest is a missing tool (skipped locally with
// the install command, failed in CI), not a test failure. The interpreter
// runs with -S, so no site-packages (and no pytest) are importable.
func TestPytestMissingIsAMissingTool(t *testing.T) {
	real := needs.FirstTool(t, "/usr/bin/python3", "python3")
	py := filepath.Join(t.TempDir(), "python3")
	if err := os.WriteFile(py, []byte("#!/bin/sh\nexec "+real+" -S \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ws := workspaceWith(t, py, chips.Info{CPU: true}, pytestSuite(1))
	err := Suites("unitTest1")(context.Background(), ws, stageFor(t, "unitTest1"))
	var missing *pipeline.MissingTool
	if !errors.As(err, &missing) || !strings.Contains(missing.Install, "pip install pytest") {
		t.Fatalf("want a missing pytest with its install command, got %v", err)
	}
}

// A suite needing more chips than a TPU host has is skipped with the reason.
func TestSuiteNeedingMoreChipsIsSkipped(t *testing.T) {
	ws := workspaceWith(t, "/usr/bin/python3", chips.Info{Count: 1, Kind: "v6e-1", Source: "test"}, pytestSuite(4))
	st := stageFor(t, "unitTest1")
	err := Suites("unitTest1")(context.Background(), ws, st)
	var skip *pipeline.SkipError
	if !errors.As(err, &skip) || !strings.Contains(skip.Reason, "no suite fits this host") {
		t.Fatalf("want a skip, got %v", err)
	}
	if len(st.Cases) != 1 || !strings.Contains(st.Cases[0].Message, "needs 4 chips, host has 1") {
		t.Fatalf("cases: %+v", st.Cases)
	}
}

func TestNoSuitesIsSkippedWithReason(t *testing.T) {
	ws := workspaceWith(t, "/usr/bin/python3", chips.Info{CPU: true})
	err := Suites("e2e")(context.Background(), ws, stageFor(t, "e2e"))
	var skip *pipeline.SkipError
	if !errors.As(err, &skip) || !strings.Contains(skip.Reason, `target = "e2e"`) {
		t.Fatalf("got %v", err)
	}
}
