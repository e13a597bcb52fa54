package pipeline

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// parentDeathSignal is what the kernel sends us when the process that
// started us (mage's launcher) exits, and what tpuci's launcher (cmd/mage)
// relays a SIGTERM as. It is not SIGTERM, so a SIGTERM sent to the whole
// group (which also reaches the launcher) is not counted twice.
const parentDeathSignal = syscall.SIGHUP

// setParentDeathSignal asks the kernel for parentDeathSignal when our
// parent exits (mage's own launcher dies of a SIGTERM without forwarding
// it; tpuci's launcher may be killed).
func setParentDeathSignal() {
	if os.Getppid() == 1 {
		return
	}
	_ = unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(parentDeathSignal), 0, 0, 0)
}
