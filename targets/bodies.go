package targets

import (
	"github.com/sgl-project/tpuci/internal/accuracy"
	"github.com/sgl-project/tpuci/internal/nightly"
	"github.com/sgl-project/tpuci/internal/pallas"
	"github.com/sgl-project/tpuci/internal/perf"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/stages"
)

// The bodies of targets whose capabilities arrive in later work.
func pallasBody() pipeline.Body { return pallas.Stage }
func perfBody() pipeline.Body   { return stages.WithSuites("perf", perf.Stage) }
func accuracyBody() pipeline.Body {
	return stages.WithSuites("accuracy", accuracy.Body)
}
func nightlyBody() pipeline.Body { return nightly.Body }
