package nightly

import (
	"flag"
	"testing"

	"github.com/sgl-project/tpuci/internal/casestage"
	"github.com/sgl-project/tpuci/internal/casestage/casestagetest"
	"github.com/sgl-project/tpuci/internal/nightly/matrix"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/workspace"
)

var update = flag.Bool("update", false, "rewrite testdata/plan.golden")

// The nightly plan of the bundled example on each test host and partition.
func TestPlanGolden(t *testing.T) {
	casestagetest.Golden(t, casestagetest.Example(t), func(ws *workspace.Workspace, part partition.Spec) (casestage.Plan[matrix.Case], error) {
		p, err := PlanFor(ws, part)
		return p.job(), err
	}, func(c matrix.Case) string { return c.Key + " on " + c.Server.Name }, *update)
}
