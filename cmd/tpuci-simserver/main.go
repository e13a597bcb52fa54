// Command tpuci-simserver runs the simulated SGLang-JAX server. It accepts
// the flags of python -m sgl_jax.launch_server (unmodelled ones are ignored
// with a warning) plus --sim-* knobs; see --help.
package main

import (
	"os"

	"github.com/sgl-project/tpuci/internal/simserver"
)

func main() {
	os.Exit(simserver.Main(os.Args[1:], os.Stderr))
}
