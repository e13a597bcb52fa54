package namespaces

import (
	"context"

	"github.com/magefile/mage/mg"

	"github.com/sgl-project/tpuci/internal/nightly"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
)

// Nightly groups nightly-matrix helper targets.
type Nightly mg.Namespace

// List prints the nightly matrix's case keys by server, with what each measures.
//
//	go tool mage nightly:list
//
// Keys look like perf/qwen3-8b-tp1/c64-i4096-o1024 (max concurrency,
// input and output length) and accuracy/qwen3-8b-tp1/gsm8k.
//
// Environment:
//
//	TPUCI_CASES=glob,glob      list only matching cases (* within a key segment, ** across them)
//	TPUCI_NIGHTLY_MODELS=a,b   list only these models' cases
//	TPUCI_PARTITION=ID/COUNT   list one CI job's share (whole models per job)
//	TPUCI_CHIPS=N              chip count override (cases needing more are shown as skipped)
func (Nightly) List(ctx context.Context) (err error) {
	defer report.FitError(&err)
	s, err := pipeline.Current()
	if err != nil {
		return err
	}
	return nightly.List(s.Out, s.WS, s.WS.Settings.Partition)
}
