package history

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func rec(night, model, key string, v float64) Record {
	return Record{SchemaVersion: SchemaVersion, Night: night, Case: "perf/" + model + "/" + key, Kind: "perf", Model: model,
		Status: OK, Metrics: map[string]float64{"output_throughput": v}, Commit: "c" + night}
}

func TestPutReplacesAndLoads(t *testing.T) {
	d := Dir{Root: t.TempDir()}
	if err := d.Put([]Record{rec("2026-01-01", "m", "a", 1), rec("2026-01-01", "m", "b", 2), rec("2026-01-02", "m", "a", 3)}); err != nil {
		t.Fatal(err)
	}
	// A re-run of one case replaces its record for that night.
	if err := d.Put([]Record{rec("2026-01-01", "m", "a", 10)}); err != nil {
		t.Fatal(err)
	}
	recs, warns, err := d.Load(0, "")
	if err != nil || len(warns) > 0 {
		t.Fatal(err, warns)
	}
	var got []string
	for _, r := range recs {
		got = append(got, fmt.Sprintf("%s %s %g", r.Night, r.Case, r.Metrics["output_throughput"]))
	}
	want := "2026-01-01 perf/m/a 10|2026-01-01 perf/m/b 2|2026-01-02 perf/m/a 3"
	if strings.Join(got, "|") != want {
		t.Errorf("got %q\nwant %q", strings.Join(got, "|"), want)
	}
	recs, _, _ = d.Load(1, "2026-01-01")
	if len(recs) != 2 || recs[0].Night != "2026-01-01" {
		t.Errorf("Load(1, 2026-01-01) = %v", recs)
	}
	data, _ := os.ReadFile(filepath.Join(d.Root, "nights", "2026-01-01", "m.jsonl"))
	if n := strings.Count(string(data), "\n"); n != 2 {
		t.Errorf("file has %d lines:\n%s", n, data)
	}
}

// Writers in parallel (each with its own lock) lose nothing.
func TestConcurrentPut(t *testing.T) {
	d := Dir{Root: t.TempDir()}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				if err := d.Put([]Record{rec("2026-02-01", "m", fmt.Sprintf("w%d-%d", w, i), 1)}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	recs, _, err := d.Night("2026-02-01")
	if err != nil || len(recs) != 80 {
		t.Fatalf("%d records, want 80 (%v)", len(recs), err)
	}
}

func TestBadLinesAreSkippedWithWarnings(t *testing.T) {
	d := Dir{Root: t.TempDir()}
	if err := d.Put([]Record{rec("2026-01-01", "m", "a", 1)}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(d.Root, "nights", "2026-01-01", "m.jsonl")
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprintln(f, `{"schema_version": 9, "night": "2026-01-01", "case": "x", "model": "m", "status": "ok"}`)
	fmt.Fprintln(f, `not json`)
	f.Close()
	recs, warns, err := d.Load(0, "")
	if err != nil || len(recs) != 1 || len(warns) != 2 {
		t.Fatalf("recs %d warns %q err %v", len(recs), warns, err)
	}
	if !strings.Contains(warns[0], "m.jsonl:2") || !strings.Contains(warns[0], "schema_version 9") {
		t.Errorf("warning %q does not name file:line and the reason", warns[0])
	}
}

func TestPutRejectsBadRecords(t *testing.T) {
	d := Dir{Root: t.TempDir()}
	for _, r := range []Record{
		{SchemaVersion: 1, Night: "26-1-1", Case: "x", Model: "m", Status: OK},
		{SchemaVersion: 1, Night: "2026-01-01", Case: "x", Model: "../m", Status: OK},
		{SchemaVersion: 1, Night: "2026-01-01", Case: "x", Model: "m", Status: "great"},
	} {
		if err := d.Put([]Record{r}); err == nil {
			t.Errorf("accepted %+v", r)
		}
	}
}

func TestNight(t *testing.T) {
	at := time.Date(2026, 3, 4, 23, 30, 0, 0, time.FixedZone("x", -5*3600))
	if n, _ := Night("", at); n != "2026-03-05" {
		t.Errorf("night %s, want the UTC date 2026-03-05", n)
	}
	if n, _ := Night("2026-01-31", at); n != "2026-01-31" {
		t.Errorf("override ignored: %s", n)
	}
	if _, err := Night("2026-02-30", at); err == nil {
		t.Error("impossible date accepted")
	}
}

func TestStatusRoundTrip(t *testing.T) {
	d := Dir{Root: t.TempDir()}
	if s, err := d.Status(); s != nil || err != nil {
		t.Fatalf("empty store: %v %v", s, err)
	}
	want := &Status{SchemaVersion: 1, Status: Healthy, RunID: "7", LatestSuccess: &LatestSuccess{RunID: "7", CompletedAt: "2026-01-01T00:00:00Z"}}
	if err := d.PutStatus(want); err != nil {
		t.Fatal(err)
	}
	got, err := d.Status()
	if err != nil || got.RunID != "7" || got.LatestSuccess.RunID != "7" {
		t.Fatalf("%+v %v", got, err)
	}
}
