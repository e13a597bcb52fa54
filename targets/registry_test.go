package targets

import (
	"testing"

	"github.com/sgl-project/tpuci/internal/stages"
)

// Every stage of the registry is a mage target, so that its dependencies
// and pr can run it.
func TestEveryStageHasATarget(t *testing.T) {
	for _, name := range stages.All() {
		if targetFuncs[name] == nil {
			t.Errorf("stage %s has no mage target in targetFuncs", name)
		}
	}
	if len(targetFuncs) != len(stages.All()) {
		t.Errorf("targetFuncs has %d targets, the registry %d stages", len(targetFuncs), len(stages.All()))
	}
}
