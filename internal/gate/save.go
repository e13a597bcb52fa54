package gate

import (
	"fmt"
	"io"

	"github.com/sgl-project/tpuci/internal/report"
)

// header is written at the top of every timing baselines file.
const header = `tpuci baselines, one [[baseline]] per device kind, case and metric.
Written by go tool mage perf:baseline / pallas:baseline: review the printed diff before committing.
tolerance is a fraction (0.08 = 8%): latencies (*_ms) pass at or below value * (1 + tolerance),
throughputs pass at or above value * (1 - tolerance). Kernel entries without a tolerance use
their [[pallas.kernel]] tolerance.`

// Save records changes to f for review: it prints them, adds their table
// to res (when given) and writes the file unless dryRun (TPUCI_DRY_RUN).
func Save(w io.Writer, res *report.TargetResult, f *File, changes []Change, dryRun bool) error {
	PrintChanges(w, f.Path, changes)
	if len(changes) == 0 {
		return nil
	}
	if res != nil {
		res.Tables = append(res.Tables, ChangesTable("baseline changes in "+f.Path, changes))
	}
	if dryRun {
		fmt.Fprintln(w, "TPUCI_DRY_RUN is set: file not written")
		return nil
	}
	if err := f.Save(); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s: review it (git diff) and commit it\n", f.Path)
	return nil
}
