package pipeline

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// parentDeathSignal is what the kernel sends us when the process that
// started us (mage's launcher) exits. It is not SIGTERM, so a SIGTERM sent
// to the whole group (which also kills the launcher) is not counted twice.
const parentDeathSignal = syscall.SIGHUP

// setParentDeathSignal asks the kernel for parentDeathSignal when our
// parent exits (mage's launcher dies of a SIGTERM without forwarding it).
func setParentDeathSignal() {
	if os.Getppid() == 1 {
		return
	}
	_ = unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(parentDeathSignal), 0, 0, 0)
}
