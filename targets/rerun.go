package targets

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/rerun"
	"github.com/sgl-project/tpuci/internal/stages"
)

// Rerun runs again only what failed in the last run in $TPUCI_OUT.
//
//	go tool mage rerun
//
// Reads the stage records ($TPUCI_OUT/<target>.json) and, for each stage
// that failed, runs again only its failed test files, or only the tests
// that failed in them (pytest and unittest cases); perf and accuracy
// their failed cases (TPUCI_CASES), pallas its failed kernels
// (TPUCI_KERNELS); lint, a stage that failed before naming a case and a
// stage without a filter (nightly, multiHost) whole, and it says which.
// Stages that passed, and the files and cases not run again, are carried
// over: the new record keeps their earlier results, marked as such. The
// earlier records, summary, JUnit and logs move to
// $TPUCI_OUT/attempts/<n>/ first; a case that failed there and passes now
// is a flaky pass, its earlier attempts in the record and in JUnit
// (Surefire's flakyFailure). With nothing failed it says so and runs
// nothing. Stages run in pipeline order, each after the ones it needs.
//
// Environment: TPUCI_OUT (the run to rerun), and the settings of that run
// (TPUCI_REPO, TPUCI_CONFIG, TPUCI_PYTHON); TPUCI_PARTITION, TPUCI_SUITE
// and TPUCI_SELECT do not narrow it further: the records name each file.
// In CI, TPUCI_RERUN_FROM does the same for one job (see the README).
//
// Outputs: as the stages', and $TPUCI_OUT/attempts/<n>/ with the earlier
// results.
func Rerun(ctx context.Context) (err error) {
	defer report.FitError(&err)
	s, err := pipeline.Current()
	if err != nil {
		return err
	}
	if err := oneTarget(s, "rerun"); err != nil {
		return err
	}
	out := s.WS.Out
	if s.WS.Settings.RerunFrom != "" {
		return fmt.Errorf("rerun: reruns what failed in $TPUCI_OUT (%s); TPUCI_RERUN_FROM=%s is for one target of a CI job: unset it",
			out, s.WS.Settings.RerunFrom)
	}
	recs, err := rerun.Records(out)
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return fmt.Errorf("rerun: no stage records in %s: run a target first (e.g. go tool mage unitTest1), or point TPUCI_OUT at the results of the run to rerun",
			report.Path(out))
	}
	var failed, states []string
	for _, r := range recs {
		states = append(states, r.Target+" "+string(r.Status))
		if sel := rerun.Select("", r, s.WS.Config); !sel.Nothing() {
			failed = append(failed, r.Target)
			fmt.Fprintln(s.Log, report.Fit(fmt.Sprintf("rerun: %s %s: running again %s", r.Target, r.Status, sel.Describe())))
		}
	}
	if len(failed) == 0 {
		fmt.Fprintln(s.Out, report.Wrap(fmt.Sprintf("rerun: nothing failed in the last run in %s (%s): nothing to run again",
			report.Path(out), strings.Join(states, ", ")), report.Width, "  "))
		return nil
	}
	dir, err := rerun.Move(out)
	if err != nil {
		return err
	}
	fmt.Fprintln(s.Log, report.Fit(fmt.Sprintf("rerun: the earlier results are kept in %s", report.Path(dir))))
	// The records order the stages; each runs after the recorded ones it
	// needs, and a stage not recorded is not run.
	s.WS.Settings.RerunFrom, s.WS.Settings.DepsFromWorkflow = dir, true
	var names []string
	for _, r := range recs {
		names = append(names, r.Target)
	}
	var steps []pipeline.Step
	for _, name := range names {
		needs := slices.DeleteFunc(slices.Clone(stages.NeedsOf(name)), func(n string) bool { return !slices.Contains(names, n) })
		steps = append(steps, pipeline.Step{Name: name, Fn: targetFuncs[name], Needs: needs})
	}
	err = s.Progressive(ctx, steps, invoke)
	s.PrintSummary()
	s.Flush()
	return summarized(s, s.ExitCode(err))
}
