// Package hostlock makes tpuci runs on one host take turns with the chips.
package hostlock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// DefaultPath is the host-wide lock file.
const DefaultPath = "/tmp/tpuci-tpu.lock"

// Lock is a held host lock.
type Lock struct{ f *os.File }

// Acquire takes the lock at path, waiting up to wait (0: fail at once).
// While waiting, notify is called once with who holds it.
func Acquire(ctx context.Context, path, owner string, wait time.Duration, notify func(holder string)) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("host lock: create %s: %w", filepath.Dir(path), err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("host lock: open %s: %w", path, err)
	}
	deadline := time.Now().Add(wait)
	told := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("host lock: lock %s: %w", path, err)
		}
		holder := readHolder(path)
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("host lock: the TPUs are in use by %s (lock %s); wait for it, or set TPUCI_LOCK_WAIT=30m to queue", holder, path)
		}
		if !told && notify != nil {
			notify(holder)
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("host lock: waiting for %s: %w", holder, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d: %s since %s\n", os.Getpid(), owner, time.Now().Format(time.RFC3339))), 0)
	return &Lock{f: f}, nil
}

func readHolder(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(strings.TrimSpace(string(b))) == 0 {
		return "another tpuci run"
	}
	return strings.TrimSpace(string(b))
}

// Release frees the lock.
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	_ = l.f.Truncate(0)
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
	l.f = nil
}
