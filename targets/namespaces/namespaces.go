// Package namespaces holds tpuci's helper targets (config:, suite:,
// release:, ...). Import it with //mage:import next to package targets.
package namespaces

//mage:multiline
import (
	"context"
	"fmt"
	"os"

	"github.com/magefile/mage/mg"

	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/settings"
	"github.com/sgl-project/tpuci/internal/suite"
)

// Config groups configuration targets.
type Config mg.Namespace

// Show prints the resolved configuration (after defaults) and where it came from.
//
//	go tool mage config:show
//
// Environment: TPUCI_CONFIG, TPUCI_REPO (see the README).
func (Config) Show(ctx context.Context) (err error) {
	defer report.FitError(&err)
	s, err := pipeline.Current()
	if err != nil {
		return err
	}
	return s.WS.ShowConfig(s.Out)
}

// Suite groups suite targets.
type Suite mg.Namespace

// List prints a suite's files in execution order with estimates, per partition.
//
//	go tool mage suite:list SUITE [-part=ID/COUNT]
//
// go tool mage suite:list unit-test-tpu-v6e-1 shows every partition of
// the suite's configured matrix size; -part=2/5 (or TPUCI_PARTITION)
// shows one. TPUCI_DURATIONS balances on measured minutes.
func (Suite) List(ctx context.Context, name string, part *string) (err error) {
	defer report.FitError(&err)
	s, err := pipeline.Current()
	if err != nil {
		return err
	}
	spec := s.WS.Settings.Partition
	if part != nil {
		if spec, err = settings.ParsePartition(*part); err != nil {
			return fmt.Errorf("suite:list: -part: %w", err)
		}
	}
	return suite.List(s.Out, s.WS, name, spec)
}

// Import prints an SGLang-JAX run_suite.py as tpuci TOML, without running it.
//
//	go tool mage suite:import PATH
func (Suite) Import(ctx context.Context, path string) (err error) {
	defer report.FitError(&err)
	return suite.Import(os.Stdout, path)
}

var _ = fmt.Sprint
