package htmlreport

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/nightly/htmlreport/headless"
)

func samplePage() Page {
	nights := []string{"2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"}
	plot := func(title string, flagged bool) Plot {
		return Plot{Title: title, Unit: "% of median", Nights: nights,
			Series: []Series{
				{Label: "c8-i1024-o1024", Values: []float64{100, 101, 99, 100}},
				{Label: "c64-i1024-o1024 <b>", Values: []float64{100, math.NaN(), 99, 115}, Flagged: flagged},
			},
			Lines: []Line{{Value: 100, Label: "median", Kind: Baseline}, {Value: 108, Label: "+8%", Kind: Threshold}}}
	}
	reg := plot("perf/m/c64-i1024-o1024 median_itl_ms", true)
	return Page{
		Title: "tpuci nightly 2026-01-04", Night: "2026-01-04", Generated: "now",
		Facts: []Fact{{Label: "commit", Value: "abc"}, {Label: "run", Value: "42", Href: "https://example.invalid/run/42"}},
		Stats: []Fact{{Label: "cases", Value: "4"}},
		Regressions: []Regression{{Case: "perf/m/c64-i1024-o1024", Metric: "median_itl_ms", Kind: "drift", Change: "+15.0%",
			Nights: "1", Commits: "a..b", Detail: "<script>alert(1)</script>", Plot: &reg}},
		Failures: []Failure{{Case: "accuracy/m/gsm8k", Status: "error", Message: "server did not start"}},
		Models: []Model{
			{Name: "m", Server: "sim", Device: "sim", Plots: []Plot{plot("m median_itl_ms", true), plot("m output_throughput", false)},
				Table: Table{Header: []string{"case", "value"}, Rows: [][]Cell{{{Text: "c8"}, {Text: "1", Class: "bad"}}}}},
			{Name: "n", Server: "sim2", Device: "sim", Plots: []Plot{plot("n score", false)}},
		},
		Traces:    []Trace{{Model: "m", Case: "perf/m/c64-i1024-o1024", File: "t.json", Href: "traces/m/t.json", Perfetto: "https://ui.perfetto.dev/#!/?url=https%3A%2F%2Fexample.invalid%2Ft.json"}},
		TraceHelp: "Open https://ui.perfetto.dev and drop the file in.",
		Notes:     []string{"Plots show each case relative to its median."},
	}
}

func TestRenderStructureAndEscaping(t *testing.T) {
	out, err := Render(samplePage())
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if n := strings.Count(s, "<svg"); n != 4 {
		t.Errorf("%d plots, want 4 (1 regression + 3 model plots)", n)
	}
	if strings.Contains(s, "<script>alert") || strings.Contains(s, "o1024 <b>") {
		t.Error("text is not escaped")
	}
	// The NaN breaks the flagged series into a lone point and a segment.
	if n := strings.Count(s, "<polyline"); n != 8 {
		t.Errorf("%d polylines", n)
	}
	for _, want := range []string{`id="regressions"`, "open in Perfetto", `class="ref threshold"`, "(regressed)", `href="traces/m/t.json"`} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Index(s, `id="regressions"`) > strings.Index(s, `id="model-m"`) {
		t.Error("regressions do not come first")
	}
}

func TestNiceTicks(t *testing.T) {
	got := niceTicks(93.2, 117.5, 5)
	if len(got) < 3 || got[0] > 93.2 || got[len(got)-1] < 117.5-10 {
		t.Errorf("ticks %v", got)
	}
	for _, v := range got {
		if v != math.Round(v) {
			t.Errorf("tick %v is not round", v)
		}
	}
}

var svgRe = regexp.MustCompile(`<svg[^>]*class="plot"`)

// The report renders in a real browser: the plots are in the DOM and the
// page logs no console error. A page with a broken script is caught, so
// the check can fail.
func TestRendersInHeadlessChromium(t *testing.T) {
	if _, err := headless.Binary(); err != nil {
		needs.Missing(t, err)
	}
	dir := t.TempDir()
	out, err := Render(samplePage())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := headless.Load(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(svgRe.FindAllString(res.DOM, -1)); n != 4 {
		t.Errorf("DOM has %d plots, want 4", n)
	}
	if n := strings.Count(res.DOM, "<polyline"); n < 6 {
		t.Errorf("DOM has %d polylines", n)
	}
	if len(res.Errors) > 0 {
		t.Errorf("console errors: %q", res.Errors)
	}

	broken := filepath.Join(dir, "broken.html")
	os.WriteFile(broken, []byte(`<!DOCTYPE html><html><body><p>x</p><script>undefinedFunction()</script></body></html>`), 0o644)
	res, err = headless.Load(context.Background(), broken)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0], "Uncaught ReferenceError") {
		t.Errorf("a page with an uncaught error: errors %q; stderr:\n%s", res.Errors, res.Log)
	}
}

func TestNoChromium(t *testing.T) {
	t.Setenv("TPUCI_CHROMIUM", "")
	t.Setenv("PATH", t.TempDir())
	if _, err := headless.Binary(); !errors.Is(err, headless.ErrNoChromium) {
		t.Errorf("error %v", err)
	}
}
