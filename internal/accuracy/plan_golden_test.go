package accuracy

import (
	"flag"
	"testing"

	"github.com/sgl-project/tpuci/internal/casestage/casestagetest"
)

var update = flag.Bool("update", false, "rewrite testdata/plan.golden")

// The accuracy plan of the bundled example on each test host and partition.
func TestPlanGolden(t *testing.T) {
	casestagetest.Golden(t, casestagetest.Example(t), planJob, func(c Case) string { return c.Name + " on " + c.Server.Name + " (" + c.Device + ")" }, *update)
}
