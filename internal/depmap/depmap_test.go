package depmap

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestLatestRecordPerTest(t *testing.T) {
	d := Dir{Root: t.TempDir()}
	old := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if err := d.Add(Record{Commit: "aaa", Date: old, Tests: map[string][]string{"t1.py": {"a.py"}, "t2.py": {"b.py"}}}); err != nil {
		t.Fatal(err)
	}
	if err := d.Add(Record{Commit: "bbb", Date: old.Add(time.Hour), Tests: map[string][]string{"t1.py": {"c.py"}}}); err != nil {
		t.Fatal(err)
	}
	m, err := d.Load()
	if err != nil {
		t.Fatal(err)
	}
	if e := m["t1.py"]; e.Commit != "bbb" || !slices.Equal(e.Modules, []string{"c.py"}) {
		t.Errorf("t1: %+v", e)
	}
	if e := m["t2.py"]; e.Commit != "aaa" {
		t.Errorf("t2: %+v", e)
	}
	os.WriteFile(filepath.Join(d.Root, "bad.json"), []byte("{"), 0o644)
	if _, err := d.Load(); err == nil {
		t.Error("a corrupt record loads")
	}
}

func TestCollectMergesProcessesOfATest(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "runs", "test%2Fsrt%2Ftest_a.py")
	os.MkdirAll(sub, 0o755)
	os.WriteFile(filepath.Join(sub, "1.txt"), []byte("x.py\ny.py\n"), 0o644)
	os.WriteFile(filepath.Join(sub, "2.txt"), []byte("y.py\nz.py\n"), 0o644) // a server it started
	got, err := Collect(dir)
	if err != nil || !slices.Equal(got["test/srt/test_a.py"], []string{"x.py", "y.py", "z.py"}) {
		t.Fatalf("%v %v", got, err)
	}
}
