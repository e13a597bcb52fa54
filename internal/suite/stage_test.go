package suite

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/chips"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/jaxenv/jaxenvtest"
	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/settings"
	"github.com/sgl-project/tpuci/internal/workspace"
)

func stageFor(t *testing.T, target string) *pipeline.Stage {
	var log bytes.Buffer
	return &pipeline.Stage{TargetResult: &report.TargetResult{Target: target, LogDir: t.TempDir()}, Out: &log, Log: &log}
}

func workspaceWith(t *testing.T, python string, host chips.Info, suites ...config.Suite) *workspace.Workspace {
	repo := t.TempDir()
	os.MkdirAll(filepath.Join(repo, "t"), 0o755)
	os.WriteFile(filepath.Join(repo, "t", "test_ok.py"), []byte("def test_ok():\n    assert True\n"), 0o644)
	return &workspace.Workspace{Repo: repo, Python: python, Chips: host, Out: t.TempDir(),
		Config: &config.Config{Suites: suites}, Getenv: func(string) string { return "" }, Settings: settings.Defaults()}
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

// The example's CPU unit suite with an interpreter that has no pytest:
// its standard-library files run and pass, and only the pytest file is
// skipped, by name, with the install command.
func TestExampleWithoutPytestRunsStandardLibraryFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the example's unit tests")
	}
	py := ""
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		lp := filepath.Join(dir, "python3")
		if _, err := os.Stat(lp); err == nil && exec.Command(lp, "-c", "import pytest").Run() != nil {
			py = lp
			break
		}
	}
	if py == "" {
		t.Skip("no python3 without pytest on this host")
	}
	repo, _ := filepath.Abs("../example/repo")
	py = jaxenvtest.Python(t, py, repo)
	vars := map[string]string{"TPUCI_REPO": repo, "TPUCI_OUT": t.TempDir(), "TPUCI_PYTHON": py, "TPUCI_SUITE": "unit-test-cpu"}
	cwd, _ := os.Getwd()
	ws, err := workspace.Resolve(func(k string) string { return vars[k] }, cwd)
	if err != nil {
		t.Fatal(err)
	}
	st := stageFor(t, "unitTest1")
	if err := Suites("unitTest1")(context.Background(), ws, st); err != nil {
		t.Fatalf("%v\n%s", err, st.Out)
	}
	status := map[string]report.Status{}
	for _, c := range st.Cases {
		if c.File != "" {
			status[c.File] = c.Status
		}
		if c.Status == report.Skipped && !strings.Contains(c.Message, "pytest for "+py+" is not available") {
			t.Errorf("skip message %q", c.Message)
		}
	}
	if status["python/sgl_jax/test/test_sampling_params.py"] != report.Skipped ||
		status["python/sgl_jax/test/test_common_utils.py"] != report.Passed || status["python/sgl_jax/test/test_update_kv_cache.py"] != report.Passed {
		t.Fatalf("statuses %v\n%s", status, st.Out)
	}
}

// A case target runs its cases, then the files of its suites that no case
// covers; a matrix job runs one side only.
func TestWithSuitesRunsCasesThenUncoveredFiles(t *testing.T) {
	needs.Tool(t, "/usr/bin/python3")
	s := config.Suite{Name: "acc-4", Target: "accuracy", Chips: 0, Partitions: 1, TimeoutPerFile: config.Duration{Duration: time.Minute},
		Files: []config.File{{Path: "t/test_ok.py", Minutes: 1, Runner: "python"}, {Path: "t/covered.py", Minutes: 1, Runner: "python", CoveredBy: "accuracy:c"}}}
	cases := func(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage) error {
		st.Cases = append(st.Cases, report.Case{Name: "c", Status: report.Passed})
		return nil
	}
	run := func(suites []string, part string) []string {
		ws := workspaceWith(t, "/usr/bin/python3", chips.Info{CPU: true}, s)
		os.WriteFile(filepath.Join(ws.Repo, "t", "covered.py"), []byte("raise SystemExit(1)\n"), 0o644)
		ws.Settings.Suites = suites
		st := stageFor(t, "accuracy")
		spec, err := settings.ParsePartition(part)
		if err != nil {
			t.Fatal(err)
		}
		st.Partition = spec
		if err := WithSuites("accuracy", cases)(context.Background(), ws, st); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range st.Cases {
			names = append(names, c.Name)
		}
		return names
	}
	if got := strings.Join(run(nil, ""), ","); !strings.HasPrefix(got, "c,") || !strings.Contains(got, "test_ok") || strings.Contains(got, "covered") {
		t.Errorf("local run: %s", got)
	}
	if got := strings.Join(run(nil, "0/2"), ","); got != "c" {
		t.Errorf("case job: %s", got)
	}
	if got := strings.Join(run([]string{"acc-4"}, "0/1"), ","); strings.Contains(got, "c,") || !strings.Contains(got, "test_ok") {
		t.Errorf("suite job: %s", got)
	}
}
