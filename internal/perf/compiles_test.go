package perf

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/bench"
	"github.com/sgl-project/tpuci/internal/compiles"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/server"
)

// serverEvent appends a compile event to dir as a server process of
// profile would record it, at start.
func serverEvent(t *testing.T, dir, profile, fn, shapes string, start time.Time) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "4242.jsonl"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ts := float64(start.UnixNano()) / 1e9
	fmt.Fprintf(f, `{"v":1,"kind":"compile","case":%q,"pid":4242,"fn":%q,"shapes":%q,"start":%f,"end":%f,"dur":0.5,"cache":"off"}`+"\n",
		profile, fn, shapes, ts, ts+0.5)
}

// The simulator records no compiles: its cases pass with no accounting.
// With compiles recorded for its profile (as a JAX server's hook would),
// one before the measured window (precompile) passes and one inside it
// fails the case naming the function and shapes; the server's whole
// accounting lands on its last case.
func TestServerCompileWhileMeasuringFailsByName(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and launches the simulator")
	}
	hook, err := compiles.Install(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	cwd, _ := os.Getwd()
	var log bytes.Buffer
	mgr := server.NewManager(server.Options{Repo: t.TempDir(), LogDir: t.TempDir(), BinDir: t.TempDir(), BuildDir: cwd,
		Log: &log, Compiles: hook})
	t.Cleanup(mgr.Close)
	prof := &config.Server{Name: "sim", Model: "Qwen/Qwen3-8B", TP: 1, Command: []string{server.SimCommand}}
	dir := hook.CaseDir("sim")
	calls := 0
	r := &Runner{Servers: mgr, LogDir: t.TempDir(), Log: &log,
		bench: func(ctx context.Context, cfg bench.Config) (*bench.Result, error) {
			calls++
			if calls == 1 { // precompile, before any window opens
				serverEvent(t, dir, "sim", "jit(extend)", "(int32[64],)", time.Now().Add(-time.Second))
			}
			cfg.OnMeasure(time.Now())
			if calls == 3 {
				serverEvent(t, dir, "sim", "jit(decode)", "(int32[16],)", time.Now())
			}
			return &bench.Result{Completed: cfg.NumPrompts}, nil
		}}
	var plan []Planned
	for _, name := range []string{"a", "b", "c"} {
		plan = append(plan, Planned{Case: config.PerfCase{Name: name, Server: "sim", NumPrompts: 2, InputLen: 8, OutputLen: 8,
			MaxConcurrency: 1}, Server: prof, Device: "cpu"})
	}
	out := r.Run(context.Background(), plan)
	if len(out.Cases) != 3 || out.Cases[0].Status != report.Passed || out.Cases[1].Status != report.Passed {
		t.Fatalf("cases %+v\n%s", out.Cases, log.String())
	}
	c := out.Cases[2]
	if c.Status != report.Failed || !strings.Contains(c.Message, "server sim compiled 1 time(s) after warm-up: jit(decode) (int32[16],) while measuring") {
		t.Fatalf("last case %s %q\n%s", c.Status, c.Message, log.String())
	}
	if c.Compiles == nil || c.Compiles.Compiles != 2 || out.Cases[0].Compiles != nil || c.Extra.(*Extra).CompilesWhileMeasuring != 1 {
		t.Fatalf("compiles %+v %+v", c.Compiles, out.Cases[0].Compiles)
	}
	got, err := compiles.Collect(dir) // tpuci marked each window
	if err != nil || got["sim"].WarmedUp.IsZero() {
		t.Fatalf("marks: %+v %v", got, err)
	}
}
