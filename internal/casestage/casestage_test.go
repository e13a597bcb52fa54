package casestage

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/chips"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/server"
	"github.com/sgl-project/tpuci/internal/settings"
	"github.com/sgl-project/tpuci/internal/workspace"
)

var (
	sim  = &config.Server{Name: "sim", Command: []string{server.SimCommand}}
	real = &config.Server{Name: "real"} // SGLang-JAX's launch_server
)

func setup(t *testing.T, python string, host chips.Info) (*workspace.Workspace, *pipeline.Stage, *bytes.Buffer) {
	s := settings.Defaults()
	s.LockFile = filepath.Join(t.TempDir(), "tpu.lock")
	ws := &workspace.Workspace{Repo: t.TempDir(), Out: t.TempDir(), Python: python, Chips: host,
		Config: &config.Config{}, Getenv: func(string) string { return "" }, Settings: s}
	var log bytes.Buffer
	st := &pipeline.Stage{TargetResult: &report.TargetResult{Target: "perf", LogDir: t.TempDir()}, Out: &log, Log: &log}
	return ws, st, &log
}

func target(run []*config.Server, body func(context.Context, *Job[*config.Server]) error) Target[*config.Server] {
	return Target[*config.Server]{
		Name: "perf",
		Plan: func(*workspace.Workspace, partition.Spec) (Plan[*config.Server], error) {
			return Plan[*config.Server]{Run: run, Skipped: []report.Case{{Name: "far", Status: report.Skipped, Message: "in another partition"}}}, nil
		},
		Server: func(s *config.Server) *config.Server { return s },
		Run:    body,
	}
}

func noop(context.Context, *Job[*config.Server]) error { return nil }

func TestNothingToRunIsSkippedWithTheReason(t *testing.T) {
	ws, st, _ := setup(t, "/usr/bin/python3", chips.Info{CPU: true})
	var skip *pipeline.SkipError
	if err := Run(context.Background(), ws, st, Target[*config.Server]{Unconfigured: "no perf cases configured"}); !errors.As(err, &skip) || skip.Reason != "no perf cases configured" {
		t.Fatalf("unconfigured: %v", err)
	}
	err := Run(context.Background(), ws, st, target(nil, noop))
	if !errors.As(err, &skip) || !strings.Contains(skip.Reason, "no perf case to run here") {
		t.Fatalf("empty plan: %v", err)
	}
	if len(st.Cases) != 1 || st.Cases[0].Name != "far" {
		t.Fatalf("the plan's skipped cases are reported: %+v", st.Cases)
	}
}

func TestPythonIsNeededOnlyForLaunchServer(t *testing.T) {
	ws, st, _ := setup(t, "", chips.Info{CPU: true})
	var missing *pipeline.MissingTool
	if err := Run(context.Background(), ws, st, target([]*config.Server{sim, real}, noop)); !errors.As(err, &missing) || !strings.Contains(missing.Tool, "server real") {
		t.Fatalf("launch_server without python: %v", err)
	}
	if err := Run(context.Background(), ws, st, target([]*config.Server{sim}, noop)); err != nil {
		t.Fatalf("the simulator needs no python: %v", err)
	}
	kernels := Target[string]{Name: "pallas", Run: func(context.Context, *Job[string]) error { return nil },
		Plan: func(*workspace.Workspace, partition.Spec) (Plan[string], error) {
			return Plan[string]{Run: []string{"gmm"}}, nil
		}}
	if err := Run(context.Background(), ws, st, kernels); !errors.As(err, &missing) || !strings.Contains(missing.Tool, "pallas cases") {
		t.Fatalf("cases without servers run the interpreter: %v", err)
	}
}

// The chip lock is held while the run part runs, only on a TPU host and
// only when a case uses real chips; it is free when Run returns.
func TestChipLockOnlyForRealChips(t *testing.T) {
	tpu := chips.Info{Count: 1, Kind: "v6e-1", Source: "test"}
	for _, tc := range []struct {
		name   string
		host   chips.Info
		run    []*config.Server
		locked bool
	}{
		{"tpu host, launch_server", tpu, []*config.Server{sim, real}, true},
		{"tpu host, simulator only", tpu, []*config.Server{sim}, false},
		{"cpu host", chips.Info{CPU: true}, []*config.Server{real}, false},
	} {
		ws, st, _ := setup(t, "/usr/bin/python3", tc.host)
		held := ""
		err := Run(context.Background(), ws, st, target(tc.run, func(context.Context, *Job[*config.Server]) error {
			b, _ := os.ReadFile(ws.Settings.LockFile)
			held = string(b)
			return nil
		}))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := strings.Contains(held, "tpuci perf"); got != tc.locked {
			t.Errorf("%s: lock held during the run = %v (lock file %q), want %v", tc.name, got, held, tc.locked)
		}
		if b, _ := os.ReadFile(ws.Settings.LockFile); len(b) != 0 {
			t.Errorf("%s: lock still held after Run: %q", tc.name, b)
		}
	}
}

// An interrupt ends the run with its cause, whatever the run part
// returned; what the run part added stays in the stage.
func TestInterruptEndsWithItsCause(t *testing.T) {
	ws, st, log := setup(t, "/usr/bin/python3", chips.Info{CPU: true})
	cause := errors.New("interrupted by SIGTERM")
	ctx, cancel := context.WithCancelCause(context.Background())
	err := Run(ctx, ws, st, target([]*config.Server{sim}, func(_ context.Context, j *Job[*config.Server]) error {
		j.Add([]report.Case{{Name: "done", Status: report.Passed}}, nil,
			report.Table{Title: "verdicts", Header: []string{"case", "verdict"}, Rows: [][]string{{"done", "pass"}}})
		cancel(cause)
		j.Release()
		j.Release() // a second release does nothing
		return nil
	}))
	if !errors.Is(err, cause) {
		t.Fatalf("want the interrupt's cause, got %v", err)
	}
	if len(st.Cases) != 2 || st.Cases[1].Name != "done" || len(st.Tables) != 1 || !strings.Contains(log.String(), "case  verdict") {
		t.Fatalf("the run part's outcome is kept: cases %+v tables %+v output %q", st.Cases, st.Tables, log)
	}
}
