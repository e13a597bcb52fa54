package nightly

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/nightly/history"
	"github.com/sgl-project/tpuci/internal/nightly/matrix"
	"github.com/sgl-project/tpuci/internal/release/guard"
	"github.com/sgl-project/tpuci/internal/settings"
)

func TestScheduled(t *testing.T) {
	for env, want := range map[string]bool{"GITHUB_EVENT_NAME=schedule": true, "GITHUB_EVENT_NAME=push": false,
		"TPUCI_NIGHTLY_SCHEDULED=1": true, "TPUCI_NIGHTLY_SCHEDULED=0": false, "": false} {
		k, v, _ := strings.Cut(env, "=")
		st, err := settings.Parse(func(s string) string {
			if s == k {
				return v
			}
			return ""
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Nightly.Scheduled; got != want {
			t.Errorf("%q: %v", env, got)
		}
	}
}

func cases(keys ...string) []matrix.Case {
	var out []matrix.Case
	for _, k := range keys {
		out = append(out, matrix.Case{Key: k})
	}
	return out
}

func TestCoverage(t *testing.T) {
	all := cases("perf/m/a", "perf/m/b", "accuracy/m/gsm8k")
	night := []history.Record{{Case: "perf/m/a", Status: history.OK}, {Case: "accuracy/m/gsm8k", Status: history.Failed}, {Case: "perf/old/x", Status: history.OK}}
	cov := CoverageOf(all, night)
	if cov.Cases != 3 || cov.Ran != 2 || cov.OK != 1 || cov.Failed != 1 || Complete(cov) {
		t.Errorf("%+v", cov)
	}
	night = append(night, history.Record{Case: "perf/m/b", Status: history.OK})
	if !Complete(CoverageOf(all, night)) {
		t.Error("complete night not complete")
	}
}

// The status record is the one the release gate reads: a healthy night
// passes it, an unhealthy one fails it but keeps the last healthy night.
func TestStatusForTheReleaseGate(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	meta := Meta{Night: "2026-03-01", Commit: "abc", RunID: "7", RunURL: "https://example.invalid/runs/7", Versions: history.Versions{Tpuci: "devel"}}
	ok := history.Record{Case: "perf/m/a", Status: history.OK, RecordedAt: now.Format(time.RFC3339), Seconds: 60}
	cov := history.Coverage{Cases: 1, Ran: 1, OK: 1, Pct: 100}
	healthy := BuildStatus(meta, cov, []Verdict{{Record: ok}}, nil, now)
	if healthy.Status != history.Healthy || healthy.LatestSuccess == nil || healthy.LatestSuccess.RunID != "7" || healthy.Seconds != 60 {
		t.Fatalf("%+v", healthy)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "status.json")
	if err := history.WriteStatus(path, healthy); err != nil {
		t.Fatal(err)
	}
	res, err := guard.CheckNightly(context.Background(), guard.GateOptions{Source: path, Now: now.Add(time.Hour)})
	if err != nil || !res.Allows() {
		t.Fatalf("gate refused a healthy night: %+v %v", res, err)
	}

	meta.RunID, meta.Night = "8", "2026-03-02"
	bad := ok
	bad.Status, bad.Error = history.Failed, "only 3 of 12 requests completed"
	unhealthy := BuildStatus(meta, history.Coverage{Cases: 1, Ran: 1, Failed: 1, Pct: 100}, []Verdict{{Record: bad}}, healthy, now.Add(24*time.Hour))
	if unhealthy.Status != history.Unhealthy || unhealthy.Conclusion != "failure" || unhealthy.LatestSuccess.RunID != "7" ||
		len(unhealthy.FailedCases) != 1 {
		t.Fatalf("%+v", unhealthy)
	}
	if err := history.WriteStatus(path, unhealthy); err != nil {
		t.Fatal(err)
	}
	res, err = guard.CheckNightly(context.Background(), guard.GateOptions{Source: path, Now: now.Add(25 * time.Hour)})
	if err != nil || res.Allows() || !strings.Contains(strings.Join(res.Reasons, ";"), "unhealthy") {
		t.Fatalf("gate passed an unhealthy night: %+v %v", res, err)
	}
}

func TestJudgeRules(t *testing.T) {
	j := Judge{Rules: config.NightlyRegression{PerfThresholdPct: 7}, Floors: []config.NightlyFloor{{Cases: "perf/m/*", Metric: "output_throughput", Value: 50}}}
	r := j.Rule("perf/m/c4-i1-o32", matrix.Perf, "output_throughput")
	if r.ThresholdPct != 7 || r.Direction != 1 || r.Floor == nil || *r.Floor != 50 {
		t.Errorf("%+v", r)
	}
	r = j.Rule("accuracy/m/gsm8k", matrix.Accuracy, "score")
	if r.ThresholdPct != DefaultAccuracyThresholdPct || r.Floor != nil || r.Direction != 1 {
		t.Errorf("%+v", r)
	}
	if r := j.Rule("perf/m/c4-i1-o1", matrix.Perf, "median_ttft_ms"); r.Direction != -1 {
		t.Errorf("%+v", r)
	}
}
