package proc

import (
	"sync"
	"syscall"
)

// live holds every running child so StopAll can end them on exit paths
// that bypass contexts (a second Ctrl-C, a fatal error).
var live = struct {
	sync.Mutex
	m map[*Process]struct{}
}{m: map[*Process]struct{}{}}

func track(p *Process) {
	live.Lock()
	live.m[p] = struct{}{}
	live.Unlock()
}

func untrack(p *Process) {
	live.Lock()
	delete(live.m, p)
	live.Unlock()
}

// Running counts the children started through this package that are alive.
func Running() int {
	live.Lock()
	defer live.Unlock()
	return len(live.m)
}

// StopAll kills the process group of every live child at once.
func StopAll() {
	live.Lock()
	ps := make([]*Process, 0, len(live.m))
	for p := range live.m {
		ps = append(ps, p)
	}
	live.Unlock()
	for _, p := range ps {
		if p.cmd.Process != nil {
			killGroup(p.cmd.Process.Pid, syscall.SIGKILL)
		}
	}
}
