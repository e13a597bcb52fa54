package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sgl-project/tpuci/internal/proc"
)

// ExitError carries the exit code a run ends with; mage's generated main
// exits with ExitStatus() of the error a target returns.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string   { return e.Err.Error() }
func (e *ExitError) Unwrap() error   { return e.Err }
func (e *ExitError) ExitStatus() int { return e.Code }

// Interrupt is why a run was stopped from outside, with the conventional
// exit code (128 + signal number).
type Interrupt struct {
	Signal os.Signal
	Code   int
	Why    string
}

func (i *Interrupt) Error() string { return "interrupted by " + i.Why }

// ErrJobTimeout ends the stages when the whole job's timeout (mage -t) is
// about to pass, early enough to stop the children and write the reports.
var ErrJobTimeout = errors.New("the whole job's timeout (mage -t) was reached")

// jobTimeoutMargin is how long before mage's own deadline the stages stop:
// mage exits at its deadline without waiting for the target.
const jobTimeoutMargin = 5 * time.Second

// sigName is the signal's name, SIGTERM rather than "terminated".
func sigName(sig os.Signal) string {
	if n, ok := sig.(syscall.Signal); ok && unix.SignalName(n) != "" {
		return unix.SignalName(n)
	}
	return sig.String()
}

func interruptOf(sig os.Signal) *Interrupt {
	name := sigName(sig)
	switch sig {
	case os.Interrupt:
		return &Interrupt{Signal: sig, Code: 130, Why: name}
	case parentDeathSignal:
		return &Interrupt{Signal: sig, Code: 143, Why: name + ": `go tool mage` relayed a SIGTERM, the parent process exited or the terminal hung up"}
	}
	return &Interrupt{Signal: sig, Code: 143, Why: name}
}

// ownSignals makes this session the only receiver of SIGINT: mage's
// generated main registers its own SIGINT handler per target, which exits
// 5 seconds after the first SIGINT, or at once on a second, before the
// reports are written. (Mage does not watch SIGTERM.)
func (s *Session) ownSignals() {
	if s.sigCh == nil {
		return
	}
	signal.Reset(os.Interrupt)
	signal.Notify(s.sigCh, os.Interrupt, syscall.SIGTERM, parentDeathSignal)
}

// watchSignals turns SIGINT, SIGTERM and the parent's exit into
// cancellation of every stage, and asks the kernel to tell us when our
// parent (the mage launcher) dies, so that no child outlives tpuci.
func (s *Session) watchSignals() {
	setParentDeathSignal()
	ctx, cancel := context.WithCancelCause(context.Background())
	s.sig = ctx
	s.sigCh = make(chan os.Signal, 4)
	s.ownSignals()
	go func() {
		first := interruptOf(<-s.sigCh)
		s.ownSignals()
		fmt.Fprintf(s.Log, "\ntpuci: %s: stopping children and writing reports\n", first.Why)
		s.mu.Lock()
		s.interrupt = first
		s.mu.Unlock()
		cancel(first)
		// A second SIGINT or SIGTERM kills the children at once; reports
		// are still written. The parent's exit or relay (SIGHUP) after a
		// group-wide signal is the same event, not a second one.
		absorbed := false
		for sig := range s.sigCh {
			if sig == parentDeathSignal || (first.Signal == parentDeathSignal && sig == syscall.SIGTERM && !absorbed) {
				absorbed = true
				continue
			}
			fmt.Fprintf(s.Log, "tpuci: %s again: killing children now\n", sigName(sig))
			proc.StopAll()
		}
	}()
}

// ExitCode wraps a target's error with the run's exit code: 130 after
// SIGINT, 143 after SIGTERM, 1 for any other failure.
func (s *Session) ExitCode(err error) error {
	var in *Interrupt
	if why := s.Interrupted(); why != nil && errors.As(why, &in) {
		if err == nil {
			err = why
		}
		return &ExitError{Code: in.Code, Err: err}
	}
	return err
}
