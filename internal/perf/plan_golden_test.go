package perf

import (
	"flag"
	"testing"

	"github.com/sgl-project/tpuci/internal/casestage/casestagetest"
)

var update = flag.Bool("update", false, "rewrite testdata/plan.golden")

// The perf plan of the bundled example on each test host and partition.
func TestPlanGolden(t *testing.T) {
	casestagetest.Golden(t, casestagetest.Example(t), planJob, func(p Planned) string { return p.Case.Name + " on " + p.Server.Name + " (" + p.Device + ")" }, *update)
}
