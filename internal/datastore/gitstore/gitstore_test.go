package gitstore

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/nightly/history"
)

func bare(t *testing.T) string {
	t.Helper()
	needs.Tool(t, "git")
	dir := filepath.Join(t.TempDir(), "data.git")
	if out, err := exec.Command("git", "init", "-q", "--bare", "-b", "main", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	return dir
}

func record(writer, i int) history.Record {
	return history.Record{SchemaVersion: 1, Night: "2026-01-06", Model: "m", Case: fmt.Sprintf("perf/m/w%d-%d", writer, i),
		Kind: "perf", Status: history.OK, Metrics: map[string]float64{"output_throughput": float64(i)}}
}

func put(recs ...history.Record) func(string) error {
	return func(root string) error { return history.Dir{Root: filepath.Join(root, "nightly")}.Put(recs) }
}

func remoteRecords(t *testing.T, url string) []history.Record {
	t.Helper()
	r := &Repo{URL: url, Dir: filepath.Join(t.TempDir(), "reader")}
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	recs, warns, err := history.Dir{Root: filepath.Join(r.Dir, "nightly")}.Load(0, "")
	if err != nil || len(warns) > 0 {
		t.Fatal(err, warns)
	}
	return recs
}

// Two writers pushing to one data repository at once both succeed and
// every record of both is there afterwards, although they write the same
// file (same night and model).
func TestConcurrentWritersLoseNothing(t *testing.T) {
	url := bare(t)
	const writers, each = 2, 6
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	retried := make([]int, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &Repo{URL: url, Dir: filepath.Join(t.TempDir(), fmt.Sprint("w", w))}
			for i := range each {
				res, err := r.Update(context.Background(), fmt.Sprintf("writer %d record %d", w, i), put(record(w, i)), "nightly/.lock")
				if err != nil {
					errs <- err
					return
				}
				retried[w] += res.Attempts - 1
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	recs := remoteRecords(t, url)
	if len(recs) != writers*each {
		t.Fatalf("%d records on the remote, want %d: %v", len(recs), writers*each, recs)
	}
	t.Logf("replays after rejected pushes: %v", retried)
}

// A push that loses the race is replayed on the new tip: both changes
// are kept, and the lock file is never committed.
func TestRejectedPushIsReplayed(t *testing.T) {
	url := bare(t)
	ctx := context.Background()
	a := &Repo{URL: url, Dir: filepath.Join(t.TempDir(), "a")}
	b := &Repo{URL: url, Dir: filepath.Join(t.TempDir(), "b")}
	if _, err := a.Update(ctx, "seed", put(record(0, 0)), "nightly/.lock"); err != nil {
		t.Fatal(err)
	}
	a.beforePush = func() {
		a.beforePush = nil
		if _, err := b.Update(ctx, "b wins the race", put(record(1, 0)), "nightly/.lock"); err != nil {
			t.Error(err)
		}
	}
	res, err := a.Update(ctx, "a loses the race", put(record(0, 1)), "nightly/.lock")
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempts != 2 || !res.Changed {
		t.Errorf("result %+v, want a replayed second push", res)
	}
	if n := len(remoteRecords(t, url)); n != 3 {
		t.Errorf("%d records, want 3", n)
	}
	files, _ := exec.Command("git", "--git-dir", url, "ls-tree", "-r", "--name-only", "main").Output()
	if strings.Contains(string(files), ".lock") {
		t.Errorf("lock file committed:\n%s", files)
	}
	log, _ := exec.Command("git", "--git-dir", url, "log", "--format=%s", "main").Output()
	if got := strings.Fields(strings.ReplaceAll(string(log), " ", "_")); len(got) != 3 {
		t.Errorf("commits %q, want 3", got)
	}
	// Nothing new: no commit.
	res, err = b.Update(ctx, "same again", put(record(1, 0)), "nightly/.lock")
	if err != nil || res.Changed {
		t.Errorf("unchanged update: %+v %v", res, err)
	}
}

func TestUnreachableRepository(t *testing.T) {
	needs.Tool(t, "git")
	r := &Repo{URL: filepath.Join(t.TempDir(), "missing.git"), Dir: filepath.Join(t.TempDir(), "w")}
	_, err := r.Update(context.Background(), "x", put(record(0, 0)))
	if err == nil || !strings.HasPrefix(err.Error(), "git store: git ls-remote:") {
		t.Errorf("error %v", err)
	}
}

func TestRedact(t *testing.T) {
	if got := Redact("https://user:tok@github.com/o/r.git"); got != "https://***@github.com/o/r.git" {
		t.Error(got)
	}
}
