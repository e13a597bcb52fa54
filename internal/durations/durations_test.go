package durations

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/settings"
)

func TestMediansOfTheLastRuns(t *testing.T) {
	d := Dir{Root: filepath.Join(t.TempDir(), "durations")}
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i, m := range []float64{100, 1, 2, 3, 4} { // the oldest run is an outlier
		if err := d.Add(Run{Commit: "c", Date: day.AddDate(0, 0, i), Event: "main", Target: "unitTest1",
			Minutes: map[string]float64{"a.py": m, "b.py": float64(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Add(Run{Date: day.AddDate(0, 0, 9), Target: "e2e", Minutes: map[string]float64{"c.py": 5}}); err != nil {
		t.Fatal(err)
	}
	runs, err := d.Runs()
	if err != nil || len(runs) != 6 || runs[0].Minutes["a.py"] != 100 {
		t.Fatalf("runs %v %v", runs, err)
	}
	got := Medians(runs, 4)
	want := map[string]Figure{"a.py": {2.5, 4}, "b.py": {2.5, 4}, "c.py": {5, 1}}
	for f, w := range want {
		if got[f] != w {
			t.Errorf("%s: %+v, want %+v", f, got[f], w)
		}
	}
	if m := Medians(runs, 5)["a.py"]; m.Minutes != 3 {
		t.Errorf("last 5: %+v", m)
	}
}

func TestBadRecordsAreNamed(t *testing.T) {
	d := Dir{Root: t.TempDir()}
	if err := d.Add(Run{Date: time.Now(), Target: "x", Minutes: map[string]float64{"a.py": -1}}); err == nil {
		t.Error("negative minutes recorded")
	}
	bad := filepath.Join(d.Root, "broken.json")
	os.WriteFile(bad, []byte("{"), 0o644)
	if _, err := d.Runs(); err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "delete the file") {
		t.Errorf("corrupt record: %v", err)
	}
	if runs, err := (Dir{Root: filepath.Join(d.Root, "none")}).Runs(); err != nil || runs != nil {
		t.Errorf("missing store: %v %v", runs, err)
	}
}

func TestRecordingOnlyOnMainAndSchedules(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main"}, "main"},
		{map[string]string{"GITHUB_EVENT_NAME": "schedule"}, "nightly"},
		{map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/feature"}, ""},
		{map[string]string{"GITHUB_EVENT_NAME": "pull_request"}, ""},
		{map[string]string{"TPUCI_RECORD_DURATIONS": "1"}, "manual"},
	}
	for _, c := range cases {
		s, err := settings.Parse(func(k string) string { return c.env[k] })
		if err != nil {
			t.Fatal(err)
		}
		ev, ok := Recording(s)
		if ev != c.want || ok != (c.want != "") {
			t.Errorf("%v: %q %v", c.env, ev, ok)
		}
	}
}
