package datastore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type rec struct {
	N int `json:"n"`
}

func TestRecordsAddAndReadInDateOrder(t *testing.T) {
	d := Records[rec]{Root: filepath.Join(t.TempDir(), "kind"), Kind: "kind"}
	if got, err := d.All(nil); err != nil || got != nil {
		t.Fatalf("missing directory: %v, %v; want none", got, err)
	}
	day := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, n := range []int{3, 1, 2} {
		k := Key{Date: day.Add(time.Duration(n) * time.Minute), Commit: "0123456789abcdef", Target: "unit/Test 1.x"}
		if err := d.Add(k, rec{N: n}); err != nil {
			t.Fatal(err)
		}
	}
	// A record being written (its dot-file) is not read.
	if err := os.WriteFile(filepath.Join(d.Root, ".partial.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := d.All(nil)
	if err != nil || len(got) != 3 || got[0].N != 1 || got[2].N != 3 {
		t.Fatalf("All = %v, %v; want 1, 2, 3", got, err)
	}
	names, _ := filepath.Glob(filepath.Join(d.Root, "2026*.json"))
	if len(names) != 3 || !strings.Contains(names[0], "-0123456789ab-unit_Test_1_x-") {
		t.Fatalf("file names %v: want date, 12-digit commit and a safe target", names)
	}

	refuse := errors.New("refused")
	_, err = d.All(func(r *rec) error {
		if r.N == 2 {
			return refuse
		}
		return nil
	})
	if !errors.Is(err, refuse) || !strings.Contains(err.Error(), "kind: ") || !strings.Contains(err.Error(), "delete the file") {
		t.Fatalf("refused record: %v; want the kind, its file and the way out", err)
	}
}
