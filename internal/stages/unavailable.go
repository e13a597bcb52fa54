package stages

import (
	"context"

	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Unavailable is the body of a target whose capability is not built yet:
// it says so plainly instead of passing.
func Unavailable(what string) pipeline.Body {
	return func(context.Context, *workspace.Workspace, *pipeline.Stage) error {
		return pipeline.Skip("not available yet: %s", what)
	}
}
