package targets

import (
	"os"
	"path/filepath"

	"github.com/sgl-project/tpuci/internal/server"
	"github.com/sgl-project/tpuci/internal/simserver"
)

// The compiled tpuci binary doubles as the simulated server: started
// through a link named tpuci-simserver it serves instead of running mage,
// so perf and accuracy need no Go toolchain or module at run time.
func init() {
	if filepath.Base(os.Args[0]) == server.SimCommand {
		os.Exit(simserver.Main(os.Args[1:], os.Stderr))
	}
	server.EnableSelfExec()
}
