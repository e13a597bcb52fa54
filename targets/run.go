package targets

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/magefile/mage/mg"

	"github.com/sgl-project/tpuci/internal/accuracy"
	"github.com/sgl-project/tpuci/internal/nightly"
	"github.com/sgl-project/tpuci/internal/pallas"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/perf"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/stages"
	"github.com/sgl-project/tpuci/internal/suite"
	"github.com/sgl-project/tpuci/internal/textline"
)

// stage runs a target's body after the stages it needs (the registry's
// Needs, through mage so that each runs once per process), recording a
// target whose dependency failed as not run, and prints the summary at the
// end of the target the user asked for.
func stage(ctx context.Context, name string, body pipeline.Body) error {
	s, err := pipeline.Current()
	if err != nil {
		return report.TerminalError(err, false)
	}
	deps := make([]any, 0, len(stages.NeedsOf(name)))
	for _, n := range stages.NeedsOf(name) {
		deps = append(deps, targetFuncs[n])
	}
	if err := check(ctx, s, name); err != nil {
		return finish(ctx, s, s.Refuse(name, err))
	}
	if err := Deps(ctx, deps...); err != nil {
		return finish(ctx, s, s.Fail(name, err))
	}
	return finish(ctx, s, s.Run(ctx, name, body))
}

// checks verify a target's settings against the configuration before
// any target runs (its dependencies included), so that a bad TPUCI_SUITE,
// TPUCI_PARTITION or TPUCI_SELECT fails at once instead of after lint.
var checks = map[string]pipeline.Check{
	"unitTest1": suite.Check("unitTest1", true),
	"e2e":       suite.Check("e2e", true),
	"unitTest4": suite.Check("unitTest4", true),
	"perf":      suite.CheckWithSuites("perf", perf.Check),
	"accuracy":  suite.CheckWithSuites("accuracy", accuracy.Check),
	"pallas":    pallas.Check,
	"nightly":   nightly.Check,
}

// check runs name's check with the share it would run: the whole target
// as a dependency, TPUCI_PARTITION's share when the user asked for it.
func check(ctx context.Context, s *pipeline.Session, name string) error {
	part := s.WS.Settings.Partition
	if pipeline.IsDependency(ctx) {
		part = partition.Spec{}
	}
	if c := checks[name]; c != nil {
		if err := c(s.WS, part); err != nil {
			return err
		}
	}
	// TPUCI_ONLY narrows the target asked for, not its dependencies.
	if !pipeline.IsDependency(ctx) && slices.Contains(stages.RunSuites(), name) {
		return suite.CheckOnly(name)(s.WS, part)
	}
	return nil
}

// oneTarget refuses TPUCI_ONLY for a run of several targets (pr, rerun):
// it names files of one target.
func oneTarget(s *pipeline.Session, what string) error {
	if len(s.WS.Settings.Only) == 0 {
		return nil
	}
	only := strings.Join(s.WS.Settings.Only, ",")
	path, _, _ := strings.Cut(s.WS.Settings.Only[0], "::")
	next := "`go tool mage ci:plan -explain` lists the files each target runs"
	if ts := suite.TargetsOf(s.WS.Config, path); len(ts) > 0 {
		next = fmt.Sprintf("run the target that has it: TPUCI_ONLY=%s go tool mage %s", only, ts[0])
	}
	return fmt.Errorf("%s: TPUCI_ONLY=%s names test files of one target, and %s runs several: %s", what, textline.Safe(only), what, next)
}

// checkAll runs the checks of every step of a progressive run before the
// first starts; each refused target is recorded with its reason.
func checkAll(ctx context.Context, s *pipeline.Session, steps []pipeline.Step) error {
	var errs []error
	for _, st := range steps {
		if err := check(pipeline.AsDependency(ctx), s, st.Name); err != nil {
			errs = append(errs, s.Refuse(st.Name, err))
		}
	}
	return errors.Join(errs...)
}

// targetFuncs maps each stage of the registry to its mage target, for
// dependencies and pr (filled in init: the targets refer to it).
var targetFuncs map[string]any

func init() {
	targetFuncs = map[string]any{"lint": Lint, "unitTest1": UnitTest1, "e2e": E2e, "pallas": Pallas,
		"perf": Perf, "unitTest4": UnitTest4, "accuracy": Accuracy, "nightly": Nightly,
		"multiHost": MultiHost}
}

// prSteps are the PR stages of the registry, in its order, with their needs.
func prSteps() []pipeline.Step {
	var steps []pipeline.Step
	for _, name := range stages.PR() {
		steps = append(steps, pipeline.Step{Name: name, Fn: targetFuncs[name], Needs: stages.NeedsOf(name)})
	}
	return steps
}

// finish prints the summary after the target the user asked for and gives
// its error the run's exit code (130 after SIGINT, 143 after SIGTERM).
func finish(ctx context.Context, s *pipeline.Session, err error) error {
	if pipeline.IsDependency(ctx) {
		return err
	}
	s.PrintSummary()
	s.Flush()
	return summarized(s, s.ExitCode(err))
}

// summarized is a target's error as mage prints it after the summary:
// cut to one line when the summary showed it (its footnotes, the failures
// and the records hold the whole text), else wrapped to the terminal.
func summarized(s *pipeline.Session, err error) error {
	return report.TerminalError(err, len(s.Stages()) > 0)
}

// Deps runs upstream targets through mage (so each runs once per process)
// unless TPUCI_DEPS=workflow says the CI workflow already ordered them.
func Deps(ctx context.Context, deps ...any) error {
	if len(deps) == 0 {
		return nil
	}
	if s, err := pipeline.Current(); err == nil && s.WS.Settings.DepsFromWorkflow {
		return nil
	}
	for _, d := range deps {
		if err := invoke(pipeline.AsDependency(ctx), d); err != nil {
			return err
		}
	}
	return nil
}

// invoke runs one target as a mage dependency and turns mage's panic on
// failure back into an error.
func invoke(ctx context.Context, fn any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	mg.SerialCtxDeps(ctx, fn)
	return nil
}

// Run runs a body as a stage with no dependencies and prints the summary;
// helper targets in other packages use it.
func Run(ctx context.Context, name string, body pipeline.Body) error {
	return stage(ctx, name, body)
}
