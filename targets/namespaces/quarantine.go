package namespaces

//mage:multiline
import (
	"context"

	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/triage"
)

// Quarantine proposes [[quarantine]] entries to add and remove, from the failure record.
//
//	go tool mage ci:quarantine
//
// Reads the failure record that runs on main and scheduled runs write to
// the history store (TPUCI_NIGHTLY_HISTORY, or the data repository of
// TPUCI_NIGHTLY_GIT). Proposes an entry for every test flaky on main at
// or above [triage] flaky_min and flaky_rate over the window (flaky_days,
// flaky_verdicts), never for a test whose last 3 verdicts failed (broken,
// not flaky), and the removal of every entry whose test passed its first
// attempt on main unquarantine_after times in a row. Prints TOML to paste
// into tpuci.toml (owner and issue left to fill in) and writes
// $TPUCI_OUT/quarantine.json.
func (CI) Quarantine(ctx context.Context) (err error) {
	defer report.FitError(&err)
	s, err := pipeline.Current()
	if err != nil {
		return err
	}
	ctx, stop := s.Context(ctx)
	defer stop()
	return triage.RunQuarantine(ctx, s.WS, s.Out, s.Log)
}
