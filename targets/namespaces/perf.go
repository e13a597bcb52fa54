package namespaces

import (
	"context"
	"path/filepath"

	"github.com/magefile/mage/mg"

	"github.com/sgl-project/tpuci/internal/pallas"
	"github.com/sgl-project/tpuci/internal/perf"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/targets"
)

// Perf groups serving-benchmark helper targets.
type Perf mg.Namespace

// Baseline records perf results as baselines; prints the diff (old -> new, % change).
//
//	go tool mage perf:baseline [-from=FILE]
//
// Reads $TPUCI_OUT/perf.json (-from=FILE picks another results file) and
// writes the measured metrics of every case that ran cleanly (all requests
// completed, no recompilation) into [perf].baselines under the case's
// device kind. Existing entries keep their tolerance; new ones take
// [perf.tolerances]. With the embedded SGLang-JAX default and no file
// yet, it starts from tpuci's built-in baselines.
//
// Environment:
//
//	TPUCI_DRY_RUN=1  print the changes without writing the file
//	TPUCI_OUT        where perf.json is
//
// Outputs: the changed baselines file (review with git diff and commit it).
func (Perf) Baseline(ctx context.Context, from *string) (err error) {
	defer report.FitError(&err)
	return targets.Run(ctx, "perf:baseline", perf.BaselineBody(perfOptArg(from)))
}

// Pallas groups kernel-benchmark helper targets.
type Pallas mg.Namespace

// Baseline records kernel timings as baselines; prints the diff (old -> new, % change).
//
//	go tool mage pallas:baseline [-from=FILE]
//
// Reads $TPUCI_OUT/pallas.json (-from=FILE picks another results file)
// and writes every case's time_ms into [pallas].baselines under this
// host's device kind; new entries use their kernel's tolerance.
//
// Environment:
//
//	TPUCI_DRY_RUN=1  print the changes without writing the file
//	TPUCI_OUT        where pallas.json is
//
// Outputs: the changed baselines file (review with git diff and commit it).
func (Pallas) Baseline(ctx context.Context, from *string) (err error) {
	defer report.FitError(&err)
	return targets.Run(ctx, "pallas:baseline", pallas.BaselineBody(perfOptArg(from)))
}

// Bench groups measurements of tpuci itself.
type Bench mg.Namespace

// Client measures the capacity of tpuci's benchmark client against the simulator.
//
//	go tool mage bench:client
//
// Starts tpuci-simserver (the tpuci binary itself, linked into $TPUCI_OUT/bin) with a 10 ms decode
// step and streams requests back to back: prints chunks/s, CPU per chunk,
// the arrival-to-timestamp delay and the client's TTFT bias.
//
// Environment:
//
//	TPUCI_BENCH_STREAMS=256          concurrent streams
//	TPUCI_BENCH_DURATION=10s         measurement window
//	TPUCI_BENCH_SERVING=<file>       also run SGLang-JAX's bench_serving.py on the same workload
//	                                 and print both (needs TPUCI_PYTHON with its dependencies)
//
// Offline, Debian's /usr/bin/python3 runs bench_serving.py with
// PYTHONPATH=internal/bench/testdata/compat/shims (stub transformers,
// datasets and pybase64).
//
// Outputs: figures on stdout; the simulator's log in $TPUCI_OUT/logs/bench-client/.
func (Bench) Client(ctx context.Context) (err error) {
	defer report.FitError(&err)
	s, err := pipeline.Current()
	if err != nil {
		return err
	}
	return perf.ClientBench(ctx, s.Out, clientOptions(s))
}

func clientOptions(s *pipeline.Session) perf.ClientOptions {
	ws := s.WS
	set := ws.Settings
	o := perf.ClientOptions{LogDir: ws.LogDir("bench-client"), BinDir: filepath.Join(ws.Out, "bin"),
		BenchServing: set.BenchServing, Python: ws.Python, Streams: set.BenchStreams, Duration: set.BenchDuration}
	return o
}

func perfOptArg(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
