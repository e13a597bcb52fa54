package namespaces

import (
	"context"
	"strings"

	"github.com/magefile/mage/mg"

	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/srvmap"
	"github.com/sgl-project/tpuci/internal/tinymodel"
	"github.com/sgl-project/tpuci/internal/workspace"
	"github.com/sgl-project/tpuci/targets"
)

// Depmap groups dependency-map targets.
type Depmap mg.Namespace

// Server records the checkout files SGLang-JAX's server loads, per model.
//
//	go tool mage depmap:server [-models=tiny-qwen3]
//
// Serves each generated model (every one by default) on the CPU with
// random weights (--load-format dummy) under the dependency recorder,
// sends one request, stops it and adds the files its processes loaded,
// with the commit, to the history store's depmap records. ci:plan then
// skips the e2e, perf and accuracy tests whose servers' architectures all
// have a fresh record when no changed file is in it. A server that does
// not get ready records nothing and fails the target.
//
// Environment: TPUCI_REPO, TPUCI_PYTHON (with SGLang-JAX's CPU dependencies).
func (Depmap) Server(ctx context.Context, models *string) (err error) {
	defer report.FitError(&err)
	names := tinymodel.Names()
	for i := range names {
		names[i] = strings.TrimPrefix(names[i], tinymodel.Scheme)
	}
	if models != nil && *models != "" {
		names = strings.Split(*models, ",")
	}
	return targets.Run(ctx, "depmap:server", func(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage) error {
		_, err := srvmap.Record(ctx, ws, st.Log, names)
		return err
	})
}
