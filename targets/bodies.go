package targets

import (
	"github.com/sgl-project/tpuci/internal/accuracy"
	"github.com/sgl-project/tpuci/internal/nightly"
	"github.com/sgl-project/tpuci/internal/pallas"
	"github.com/sgl-project/tpuci/internal/perf"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/suite"
)

// The bodies of the case targets: pallas and nightly run their cases; perf
// and accuracy run their cases, then the suite files no case covers.
func pallasBody() pipeline.Body   { return pallas.Body }
func perfBody() pipeline.Body     { return suite.WithSuites("perf", perf.Body) }
func accuracyBody() pipeline.Body { return suite.WithSuites("accuracy", accuracy.Body) }
func nightlyBody() pipeline.Body  { return nightly.Body }
