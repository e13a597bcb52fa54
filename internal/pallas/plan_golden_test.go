package pallas

import (
	"flag"
	"testing"

	"github.com/sgl-project/tpuci/internal/casestage/casestagetest"
	"github.com/sgl-project/tpuci/internal/config"
)

var update = flag.Bool("update", false, "rewrite testdata/plan.golden")

// The pallas plan of the bundled example on each test host and partition.
func TestPlanGolden(t *testing.T) {
	casestagetest.Golden(t, casestagetest.Example(t), planJob, func(k config.Kernel) string { return k.Name + " " + k.File }, *update)
}
