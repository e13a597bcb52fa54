package suite

import (
	"context"
	"errors"
	"fmt"

	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// WithSuites runs a case target's cases and then the suites given that
// target (the suite files no case covers, such as a PR suite's test the
// cases do not replace). A matrix job runs one side only: a suite job
// (TPUCI_SUITE set) its suite, a case job (a partition) its cases;
// TPUCI_ONLY names suite files, so it runs the suites only.
func WithSuites(target string, cases pipeline.Body) pipeline.Body {
	suites := Suites(target)
	return func(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage) error {
		if len(ws.Settings.Suites) > 0 || len(ws.Settings.Only) > 0 && !pipeline.IsDependency(ctx) {
			return suites(ctx, ws, st)
		}
		caseErr := cases(ctx, ws, st)
		if !st.Partition.Whole() || len(ws.Config.SuitesFor(target)) == 0 || ctx.Err() != nil {
			return caseErr
		}
		var caseSkip *pipeline.SkipError
		casesSkipped := errors.As(caseErr, &caseSkip)
		suiteErr := suites(ctx, ws, st)
		var skip *pipeline.SkipError
		var missing *pipeline.MissingTool
		switch {
		case casesSkipped:
			if errors.As(suiteErr, &skip) {
				return pipeline.Skip("%s; %s", caseSkip.Reason, skip.Reason)
			}
			st.Cases = append(st.Cases, report.Case{Name: target + " cases", Class: target, Status: report.Skipped, Message: caseSkip.Reason})
			return suiteErr
		case errors.As(suiteErr, &skip), errors.As(suiteErr, &missing) && !ws.CI:
			st.Cases = append(st.Cases, report.Case{Name: target + " suites", Class: target, Status: report.Skipped, Message: suiteErr.Error()})
			fmt.Fprintln(st.Log, report.Fit(fmt.Sprintf("    suites of %s not run: %v", target, suiteErr)))
			return caseErr
		case caseErr != nil:
			return errors.Join(caseErr, suiteErr)
		}
		return suiteErr
	}
}
