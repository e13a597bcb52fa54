// Command mage is `go tool mage` for tpuci: mage's own command line, whose
// runs end with an exit code when they are interrupted.
//
// The go command forwards every signal to the tool it runs and exits 0
// when the tool dies of one (cmd/go/internal/tool: an ExitError of a
// signalled process has ExitCode -1). Mage's launcher catches no signal
// while it compiles the magefile and only SIGINT while the targets run, so
// a SIGINT during the compile step and a SIGTERM at any time ended
// `go tool mage` with 0. This launcher compiles the magefile like
// `mage -compile`, runs the result itself and dies of neither: it relays
// SIGTERM and SIGHUP to the targets as SIGHUP (tpuci counts it with a
// SIGTERM the whole group got as one event), runs no target after a signal
// during the compile step, and exits 128+signal when it was signalled
// before the targets could answer.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/magefile/mage/mage"
	"golang.org/x/sys/unix"
)

func main() {
	// The go command's own exit (e.g. a SIGKILL) reaches the targets too.
	_ = unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGHUP), 0, 0, 0)
	l := &launcher{signalled: make(chan struct{})}
	sigs := make(chan os.Signal, 8)
	// Before any child starts: the go command starts its tool before it
	// handles signals, so a SIGINT ignored by the shell (a background job
	// of a script) would stay ignored by the compiler and the targets.
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go l.relay(sigs)
	os.Exit(l.main(os.Args[1:]))
}

// launcher tracks the first signal and the compiled magefile's process.
type launcher struct {
	mu        sync.Mutex
	first     os.Signal
	signalled chan struct{} // closed with first set
	child     *os.Process
}

// signalGrace bounds the wait, after the compile step failed, for the
// signal that may have made it fail: the compiler dies of a Ctrl-C as
// this process receives it, and the two race.
const signalGrace = 2 * time.Second

func (l *launcher) main(args []string) int {
	if _, cmd, err := mage.Parse(io.Discard, io.Discard, args); err == nil && cmd == mage.Version {
		// mage would print this module's version, not its own.
		fmt.Printf("Mage Build Tool %s, in tpuci's launcher\nbuilt with: %s\n", mageVersion(), runtime.Version())
		return 0
	}
	if !isRun(args) {
		return l.exit(mage.ParseAndRun(os.Stdout, os.Stderr, os.Stdin, args), false)
	}
	inv, _, _ := mage.Parse(os.Stderr, os.Stdout, args)
	inv.Stderr, inv.Stdin = os.Stderr, os.Stdin
	exe, err := compile(inv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tpuci: compile the magefile: %v\n", err)
		return l.exit(1, false)
	}
	code, ran, err := l.run(inv, exe)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tpuci: run the compiled magefile: %v\n", err)
	}
	return l.exit(code, ran)
}

func mageVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == "github.com/magefile/mage" {
				return d.Version
			}
		}
	}
	return "(unknown)"
}

// isRun tells a run of targets from mage's other commands (-l, -h,
// -compile, -clean, ...), which mage runs unchanged.
func isRun(args []string) bool {
	inv, cmd, err := mage.Parse(io.Discard, io.Discard, args)
	return err == nil && cmd == mage.None && !inv.List && !inv.Help && !inv.Autocomplete
}

// compile builds the magefile as `mage -compile` does, into a binary per
// magefile directory: checkouts with the same magefile would share (and
// overwrite) the one mage names after the magefile's hash.
func compile(inv mage.Invocation) (string, error) {
	dir, err := filepath.Abs(inv.Dir)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(dir))
	exe, err := filepath.Abs(filepath.Join(inv.CacheDir, "tpuci-"+hex.EncodeToString(sum[:8]), "mage"))
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(exe), 0o755); err != nil {
		return "", err
	}
	c := inv
	c.CompileOut, c.Force, c.Args = exe, true, nil
	if code := mage.Invoke(c); code != 0 {
		return "", fmt.Errorf("mage exited %d", code)
	}
	return exe, nil
}

// run runs the compiled magefile with the environment mage's launcher
// gives it, unless a signal came first; it returns the exit code.
func (l *launcher) run(inv mage.Invocation, exe string) (code int, ran bool, err error) {
	cmd := exec.Command(exe, inv.Args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Dir = workDir(inv)
	cmd.Env = append(os.Environ(), mageEnv(inv)...)
	if ran, err := l.start(cmd); !ran {
		return 1, false, err
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return 1, true, err
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), true, nil
	}
	return cmd.ProcessState.ExitCode(), true, nil
}

// start starts cmd unless a signal came first, atomically with respect
// to relay, so that a signal is either seen here or relayed.
func (l *launcher) start(cmd *exec.Cmd) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.first != nil {
		return false, nil
	}
	if err := cmd.Start(); err != nil {
		return false, err
	}
	l.child = cmd.Process
	return true, nil
}

// relay records the first signal and passes SIGTERM and SIGHUP on to the
// targets as SIGHUP. SIGINT is not passed on: a Ctrl-C reaches the whole
// process group, targets included, and the go command forwards it here
// as well, so passing it on would count one Ctrl-C twice.
func (l *launcher) relay(sigs <-chan os.Signal) {
	for sig := range sigs {
		l.mu.Lock()
		if l.first == nil {
			l.first = sig
			close(l.signalled)
		}
		child := l.child
		l.mu.Unlock()
		if child != nil && sig != syscall.SIGINT {
			_ = child.Signal(syscall.SIGHUP)
		}
	}
}

// exit is the targets' exit code, or 128+signal when a signal came before
// they could answer: during the compile step, or a SIGINT that reached
// only the go command and this launcher while the targets ran to the end.
func (l *launcher) exit(code int, ran bool) int {
	if !ran && code != 0 {
		select {
		case <-l.signalled:
		case <-time.After(signalGrace):
		}
	}
	l.mu.Lock()
	sig := l.first
	l.mu.Unlock()
	if sig == nil || (ran && code != 0) {
		return code
	}
	name := unix.SignalName(sig.(syscall.Signal))
	if ran {
		fmt.Fprintf(os.Stderr, "tpuci: %s reached `go tool mage` but not the targets (send it to the process group, as Ctrl-C does); they ran to the end\n", name)
	} else {
		fmt.Fprintf(os.Stderr, "tpuci: %s during mage's compile step: stopped there\n", name)
	}
	return 128 + int(sig.(syscall.Signal))
}

// workDir is where mage's launcher runs the targets: -w, else -d, else ".".
func workDir(inv mage.Invocation) string {
	switch {
	case inv.WorkDir != "":
		return inv.WorkDir
	case inv.Dir != "":
		return inv.Dir
	}
	return "."
}

// mageEnv is what mage's launcher tells the compiled magefile of its flags.
func mageEnv(inv mage.Invocation) []string {
	var env []string
	if inv.Verbose {
		env = append(env, "MAGEFILE_VERBOSE=1")
	}
	if inv.Debug {
		env = append(env, "MAGEFILE_DEBUG=1")
	}
	if inv.GoCmd != "" {
		env = append(env, "MAGEFILE_GOCMD="+inv.GoCmd)
	}
	if inv.Timeout > 0 {
		env = append(env, "MAGEFILE_TIMEOUT="+inv.Timeout.String())
	}
	return env
}
