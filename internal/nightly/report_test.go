package nightly

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/nightly/history"
	"github.com/sgl-project/tpuci/internal/nightly/htmlreport"
	"github.com/sgl-project/tpuci/internal/nightly/htmlreport/headless"
	"github.com/sgl-project/tpuci/internal/nightly/matrix"
)

// syntheticNights builds n nights of records for a perf model (two
// points) and an evaluation; from night slowFrom on the model's perf is
// 15% slower. Values carry 1.5% noise.
func syntheticNights(n, slowFrom int) []history.Record {
	rng := rand.New(rand.NewPCG(3, 4))
	var out []history.Record
	for i := 1; i <= n; i++ {
		night := fmt.Sprintf("2026-01-%02d", i)
		slow := 1.0
		if slowFrom > 0 && i >= slowFrom {
			slow = 1.15
		}
		noise := func() float64 { return 1 + 0.015*rng.NormFloat64() }
		for _, p := range []struct {
			key     string
			metrics map[string]float64
		}{
			{"perf/m/c16-i256-o1", map[string]float64{"median_ttft_ms": 150 * slow * noise(), "input_throughput": 33000 / slow * noise()}},
			{"perf/m/c16-i256-o32", map[string]float64{"median_itl_ms": 13 * slow * noise(), "output_throughput": 1100 / slow * noise()}},
			{"accuracy/m/gsm8k", map[string]float64{"score": 0.8}},
		} {
			kind := matrix.Perf
			if strings.HasPrefix(p.key, "accuracy") {
				kind = matrix.Accuracy
			}
			var judged []string
			for m := range p.metrics {
				judged = append(judged, m)
			}
			out = append(out, history.Record{SchemaVersion: 1, Night: night, Case: p.key, Kind: kind, Model: "m", Status: history.OK,
				Metrics: p.metrics, Judged: judged, Commit: fmt.Sprintf("sha%02d", i)})
		}
	}
	return out
}

func summaryAt(t *testing.T, recs []history.Record, night string, dir string) *Summary {
	t.Helper()
	j := Judge{Rules: config.NightlyRegression{PerfThresholdPct: 8, MinZ: 2}}
	by := ByCase(recs)
	var vs []Verdict
	for _, r := range recs {
		if r.Night == night {
			vs = append(vs, j.Case(r, by[r.Case]))
		}
	}
	return &Summary{Meta: Meta{Night: night, Commit: "sha", RunID: "1"}, Verdicts: vs, History: by, ReportDir: dir, Generated: time.Now(),
		Coverage: history.Coverage{Cases: 3, Ran: 3, OK: 3, Pct: 100}, Status: "not written", Servers: map[string]string{"m": "sim"}, Devices: map[string]string{"m": "sim"},
		Traces: []Trace{{Model: "m", Case: "perf/m/c16-i256-o32", Path: filepath.Join(dir, "traces", "m", "t.trace.json")}}}
}

// On the first slow night every perf metric is flagged with its size, the
// nights affected and the commit range; the flat score is not.
func TestSummaryFlagsTheSlowNight(t *testing.T) {
	recs := syntheticNights(8, 6)
	for night := 1; night <= 5; night++ {
		if f := summaryAt(t, recs, fmt.Sprintf("2026-01-%02d", night), t.TempDir()).Flags(); len(f) > 0 {
			t.Fatalf("night %d flagged: %+v", night, f)
		}
	}
	s := summaryAt(t, recs, "2026-01-06", t.TempDir())
	flags := s.Flags()
	got := map[string]string{}
	for _, f := range flags {
		got[f.Metric] = fmt.Sprintf("%.0f %d %s", f.Flag.ChangePct, f.Flag.Nights, f.Flag.Commits())
		if f.Flag.Nights != 1 || f.Flag.Commits() != "sha05..sha06" {
			t.Errorf("%s %s: %s", f.Case, f.Metric, describe(f))
		}
	}
	if len(flags) != 4 || got["score"] != "" {
		t.Fatalf("flags %v", got)
	}
	tables := s.Tables()
	if tables[1].Title != "nightly regressions" || len(tables[1].Rows) != 4 {
		t.Errorf("digest tables %+v", tables)
	}
	if s := summaryAt(t, recs, "2026-01-08", t.TempDir()); len(s.Flags()) != 4 || s.Flags()[0].Flag.Nights != 3 {
		t.Errorf("night 8: %+v", s.Flags())
	}
}

var svgRe = regexp.MustCompile(`<svg[^>]*class="plot"`)

// The report of a slow night renders in headless Chromium with its
// regression plots first and one plot per model and metric.
func TestReportRendersInChromium(t *testing.T) {
	dir := t.TempDir()
	s := summaryAt(t, syntheticNights(8, 6), "2026-01-07", dir)
	os.MkdirAll(filepath.Join(dir, "traces", "m"), 0o755)
	os.WriteFile(s.Traces[0].Path, []byte(`{"traceEvents":[]}`), 0o644)
	page, err := htmlreport.Render(s.Page())
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	// 4 regression plots + 5 model plots (4 perf metrics and the score).
	if n := strings.Count(html, "<svg"); n != 9 {
		t.Errorf("%d plots, want 9", n)
	}
	for _, want := range []string{`href="traces/m/t.trace.json"`, "ui.perfetto.dev", "sha05..sha06", "REGRESSED", "not written"} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, page, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := headless.Binary(); err != nil {
		needs.Missing(t, err)
	}
	res, err := headless.Load(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(svgRe.FindAllString(res.DOM, -1)); n != 9 {
		t.Errorf("rendered DOM has %d plots, want 9", n)
	}
	if n := strings.Count(res.DOM, "<polyline"); n < 9 {
		t.Errorf("rendered DOM has %d polylines", n)
	}
	if len(res.Errors) > 0 {
		t.Errorf("console errors: %q", res.Errors)
	}
}
