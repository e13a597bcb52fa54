package hostlock

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestSecondRunQueuesOrFails(t *testing.T) {
	path := t.TempDir() + "/lock"
	a, err := Acquire(context.Background(), path, "first", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(context.Background(), path, "second", 0, nil)
	if err == nil || !strings.Contains(err.Error(), "first") || !strings.Contains(err.Error(), "TPUCI_LOCK_WAIT") {
		t.Fatalf("want clear message naming the holder, got %v", err)
	}
	notified := ""
	time.AfterFunc(300*time.Millisecond, a.Release)
	b, err := Acquire(context.Background(), path, "third", 5*time.Second, func(h string) { notified = h })
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	if !strings.Contains(notified, "first") {
		t.Fatalf("waiter was not told who holds the lock: %q", notified)
	}
}
