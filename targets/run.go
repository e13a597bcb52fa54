package targets

import (
	"context"
	"fmt"

	"github.com/magefile/mage/mg"

	"github.com/sgl-project/tpuci/internal/pipeline"
)

// stage runs a target's body after its dependencies, recording a target
// whose dependency failed as not run, and prints the summary at the end
// of the target the user asked for.
func stage(ctx context.Context, name string, body pipeline.Body, deps ...any) error {
	s, err := pipeline.Current()
	if err != nil {
		return err
	}
	if err := Deps(ctx, deps...); err != nil {
		return finish(ctx, s, s.Fail(name, err))
	}
	return finish(ctx, s, s.Run(ctx, name, body))
}

// finish prints the summary after the target the user asked for and gives
// its error the run's exit code (130 after SIGINT, 143 after SIGTERM).
func finish(ctx context.Context, s *pipeline.Session, err error) error {
	if pipeline.IsDependency(ctx) {
		return err
	}
	s.PrintSummary()
	s.Flush()
	return s.ExitCode(err)
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
