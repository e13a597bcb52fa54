package pipeline

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// setParentDeathSignal makes the kernel send us SIGTERM when the process
// that started us exits (mage's launcher does not forward SIGTERM).
func setParentDeathSignal() {
	if os.Getppid() == 1 {
		return
	}
	_ = unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0, 0, 0)
}
