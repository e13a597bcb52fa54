package namespaces

import (
	"context"

	"github.com/magefile/mage/mg"

	"github.com/sgl-project/tpuci/internal/accuracy"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/targets"
)

// Accuracy groups accuracy-gate helper targets.
type Accuracy mg.Namespace

// Baseline records accuracy results as baselines; prints the diff (old -> new).
//
//	go tool mage accuracy:baseline [-from=FILE]
//
// Reads the per-case results of an accuracy run ($TPUCI_OUT/accuracy/ by
// default; -from=FILE_OR_DIR picks others) and writes the scores of
// complete runs to the baselines file ([accuracy].baselines, default
// tpuci/baselines/accuracy.toml; created from tpuci's built-in SGLang-JAX
// baselines when missing). Entries keep their allowed drop. Interrupted
// runs and runs with failed requests are not recorded.
//
// Environment:
//
//	TPUCI_DRY_RUN=1  print the changes without writing the file
//	TPUCI_OUT        where the accuracy results are
//
// Outputs: the changed baselines file (review with git diff and commit it),
// $TPUCI_OUT/accuracy:baseline.json and summary.md.
func (Accuracy) Baseline(ctx context.Context, from *string) (err error) {
	defer report.FitError(&err)
	f := ""
	if from != nil {
		f = *from
	}
	return targets.Run(ctx, "accuracy:baseline", accuracy.BaselineBody(f))
}
