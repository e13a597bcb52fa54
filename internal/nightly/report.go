package nightly

import (
	"fmt"
	"math"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/nightly/history"
	"github.com/sgl-project/tpuci/internal/nightly/htmlreport"
	"github.com/sgl-project/tpuci/internal/nightly/matrix"
	"github.com/sgl-project/tpuci/internal/nightly/regress"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/textline"
)

// PlotNights is how many nights the report's plots show.
const PlotNights = 30

// MaxRegressionPlots caps the regression plots (a global slowdown flags
// every metric of the matrix).
const MaxRegressionPlots = 24

// Trace is a captured trace of a run.
type Trace struct {
	Model, Case string
	Path        string // local file
	URL         string // public URL when published
}

// Summary is what a run produced, for the report and the digest.
type Summary struct {
	Meta      Meta
	Verdicts  []Verdict                   // this run's cases
	History   map[string][]history.Record // by case, for plots
	Traces    []Trace
	Servers   map[string]string // model -> launch profile
	Devices   map[string]string // model -> device
	Coverage  history.Coverage  // of the whole matrix on this night
	Status    string            // what happened to the status record
	ReportDir string            // where the HTML file goes (links are relative to it)
	Generated time.Time
}

// Flags lists every flag of the run.
func (s *Summary) Flags() []Flagged {
	var out []Flagged
	for i := range s.Verdicts {
		out = append(out, s.Verdicts[i].Flags()...)
	}
	return out
}

// Failed lists the run's records without valid figures.
func (s *Summary) Failed() []history.Record {
	var out []history.Record
	for _, v := range s.Verdicts {
		if v.Record.Status != history.OK {
			out = append(out, v.Record)
		}
	}
	return out
}

// Page builds the HTML report.
func (s *Summary) Page() htmlreport.Page {
	flags := s.Flags()
	failed := s.Failed()
	p := htmlreport.Page{
		Title:     "tpuci nightly " + s.Meta.Night,
		Night:     s.Meta.Night,
		Generated: s.Generated.UTC().Format(time.RFC3339),
		Healthy:   len(flags) == 0 && len(failed) == 0 && len(s.Verdicts) > 0,
		Facts: []htmlreport.Fact{
			{Label: "night", Value: s.Meta.Night},
			{Label: "commit", Value: shortSHA(s.Meta.Commit)},
			{Label: "tpuci", Value: s.Meta.Versions.Tpuci},
		},
		Stats: []htmlreport.Fact{
			{Label: "cases run", Value: strconv.Itoa(len(s.Verdicts))},
			{Label: "failed", Value: strconv.Itoa(len(failed))},
			{Label: "regressions", Value: strconv.Itoa(len(flags))},
			{Label: "matrix coverage tonight", Value: fmt.Sprintf("%d of %d (%.1f%%)", s.Coverage.Ran, s.Coverage.Cases, s.Coverage.Pct)},
			{Label: "status record", Value: s.Status},
		},
		TraceHelp: "Traces are Chrome-trace JSON (the simulator) or xprof files (SGLang-JAX). A published trace opens in Perfetto " +
			"with the link. A local file: open https://ui.perfetto.dev, choose \"Open trace file\" and pick it (or drag it onto the page); " +
			"xprof .xplane.pb files open in TensorBoard's profile plugin instead.",
		Notes: []string{
			"Regressions: each judged metric of a case is compared with the median of its previous nights (up to the baseline window). " +
				"A night is flagged when it is worse by more than the threshold and the change also exceeds min_z times the window's noise " +
				"(1.4826 x MAD); a run of bad nights is judged as a whole, and a shift the last nights share is caught by their median. " +
				"Nights gives how long the regression has lasted; commits is the last good night's commit..the first bad night's commit.",
			"Model plots show every case relative to its own median (100%): the dashed orange line is the regression threshold on the " +
				"side that is worse for the metric. Regression plots show absolute values with the median, the threshold and any floor.",
			"Failed cases produced no valid figures (requests failed, the server died or did not start); they are recorded too.",
		},
	}
	if s.Meta.RunURL != "" {
		p.Facts = append(p.Facts, htmlreport.Fact{Label: "run", Value: s.Meta.RunID, Href: s.Meta.RunURL})
	} else if s.Meta.RunID != "" {
		p.Facts = append(p.Facts, htmlreport.Fact{Label: "run", Value: s.Meta.RunID})
	}
	if s.Meta.Versions.Package != "" {
		p.Facts = append(p.Facts, htmlreport.Fact{Label: "package", Value: s.Meta.Versions.Package})
	}
	for i, f := range flags {
		reg := htmlreport.Regression{
			Case: f.Case, Metric: f.Metric, Kind: f.Flag.Kind, Change: fmt.Sprintf("%+.1f%%", f.Flag.ChangePct),
			Nights: strconv.Itoa(f.Flag.Nights), Commits: f.Flag.Commits(), Detail: regress.Describe(f.Metric, f.Flag),
		}
		if i < MaxRegressionPlots {
			plot := s.flagPlot(f)
			reg.Plot = &plot
		}
		p.Regressions = append(p.Regressions, reg)
	}
	if len(flags) > MaxRegressionPlots {
		p.Notes = append(p.Notes, fmt.Sprintf("Only the first %d of %d regressions have their own plot; the model plots show them all.", MaxRegressionPlots, len(flags)))
	}
	for _, r := range failed {
		p.Failures = append(p.Failures, htmlreport.Failure{Case: r.Case, Status: r.Status, Message: r.Error})
	}
	for _, model := range s.models() {
		p.Models = append(p.Models, s.modelSection(model))
	}
	for _, t := range s.Traces {
		ht := htmlreport.Trace{Model: t.Model, Case: t.Case, File: filepath.Base(t.Path), Href: s.rel(t.Path)}
		if t.URL != "" {
			ht.Href = t.URL
			ht.Perfetto = "https://ui.perfetto.dev/#!/?url=" + url.QueryEscape(t.URL)
		}
		p.Traces = append(p.Traces, ht)
	}
	return p
}

// rel makes a local path relative to the report when it is below it.
func (s *Summary) rel(path string) string {
	if r, err := filepath.Rel(s.ReportDir, path); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return filepath.ToSlash(path)
}

func (s *Summary) models() []string {
	var out []string
	for _, v := range s.Verdicts {
		if !slices.Contains(out, v.Record.Model) {
			out = append(out, v.Record.Model)
		}
	}
	return out
}

// nights is the x axis: the last PlotNights nights with a record of any
// of the cases, up to this night.
func (s *Summary) nights(cases []string) []string {
	var out []string
	for _, c := range cases {
		for _, r := range s.History[c] {
			if r.Night <= s.Meta.Night && !slices.Contains(out, r.Night) {
				out = append(out, r.Night)
			}
		}
	}
	if !slices.Contains(out, s.Meta.Night) {
		out = append(out, s.Meta.Night)
	}
	slices.Sort(out)
	if len(out) > PlotNights {
		out = out[len(out)-PlotNights:]
	}
	return out
}

// values is a case's metric on each night (NaN where there is none).
func (s *Summary) values(c, metric string, nights []string, cur history.Record) []float64 {
	by := map[string]float64{}
	for _, r := range s.History[c] {
		if v, ok := r.Usable(metric); ok {
			by[r.Night] = v
		}
	}
	if v, ok := cur.Usable(metric); ok {
		by[cur.Night] = v
	}
	out := make([]float64, len(nights))
	for i, n := range nights {
		if v, ok := by[n]; ok {
			out[i] = v
		} else {
			out[i] = math.NaN()
		}
	}
	return out
}

func (s *Summary) flagPlot(f Flagged) htmlreport.Plot {
	nights := s.nights([]string{f.Case})
	var cur history.Record
	for _, v := range s.Verdicts {
		if v.Record.Case == f.Case {
			cur = v.Record
		}
	}
	vals := s.values(f.Case, f.Metric, nights, cur)
	p := htmlreport.Plot{Title: f.Case + " " + f.Metric, Unit: unit(f.Metric), Nights: nights,
		Series: []htmlreport.Series{{Label: f.Case, Values: vals, Flagged: true}}}
	rule := f.Verdict.Rule
	if f.Flag.Kind == regress.Drift {
		base := f.Flag.Baseline
		p.Lines = append(p.Lines,
			htmlreport.Line{Value: base, Label: "median", Kind: htmlreport.Baseline},
			htmlreport.Line{Value: base * (1 - float64(rule.Direction)*rule.ThresholdPct/100), Label: fmt.Sprintf("%+.0f%%", -float64(rule.Direction)*rule.ThresholdPct), Kind: htmlreport.Threshold})
	}
	if rule.Floor != nil {
		p.Lines = append(p.Lines, htmlreport.Line{Value: *rule.Floor, Label: "floor", Kind: htmlreport.FloorLine})
	}
	return p
}

func (s *Summary) modelSection(model string) htmlreport.Model {
	m := htmlreport.Model{Name: model, Server: s.Servers[model], Device: s.Devices[model]}
	var vs []*Verdict
	var cases []string
	for i := range s.Verdicts {
		if s.Verdicts[i].Record.Model == model {
			vs = append(vs, &s.Verdicts[i])
			cases = append(cases, s.Verdicts[i].Record.Case)
		}
	}
	nights := s.nights(cases)
	// One plot per judged metric, every case relative to its median.
	var metrics []string
	for _, v := range vs {
		for _, mt := range v.Record.Judged {
			if !slices.Contains(metrics, mt) {
				metrics = append(metrics, mt)
			}
		}
	}
	for _, metric := range metrics {
		if plot, ok := s.metricPlot(model, metric, vs, nights); ok {
			m.Plots = append(m.Plots, plot)
		}
	}
	m.Table = htmlreport.Table{Header: []string{"case", "status", "metric", "tonight", "median", "change", "z", "history", "verdict", "trace"}}
	for _, v := range vs {
		m.Table.Rows = append(m.Table.Rows, s.caseRows(v)...)
	}
	return m
}

// metricPlot is one metric of a model over the nights, each case as a
// percentage of its median, with the threshold and floors; ok is false
// when no case has values to plot.
func (s *Summary) metricPlot(model, metric string, vs []*Verdict, nights []string) (htmlreport.Plot, bool) {
	plot := htmlreport.Plot{Title: model + " " + metric + " (% of each case's median)", Unit: "% of median", Nights: nights}
	thr := 0.0
	dir := matrix.Direction(metric)
	var floors []htmlreport.Line
	for _, v := range vs {
		if !slices.Contains(v.Record.Judged, metric) {
			continue
		}
		vals := s.values(v.Record.Case, metric, nights, v.Record)
		ref := caseMedian(v, metric, vals)
		if !(ref > 0) {
			continue
		}
		ser := htmlreport.Series{Label: label(v.Record)}
		for i, x := range vals {
			ser.Values = append(ser.Values, 100*x/ref)
			ser.Titles = append(ser.Titles, fmt.Sprintf("%s %s %s: %s (%+.1f%% of median %s)", v.Record.Case, metric, nights[i], report.Number(x), 100*x/ref-100, report.Number(ref)))
		}
		rule := Judge{}.Rule(v.Record.Case, v.Record.Kind, metric)
		for _, mv := range v.Metrics {
			if mv.Metric == metric {
				rule = mv.Rule
				ser.Flagged = len(mv.Analysis.Flags) > 0
			}
		}
		thr = math.Max(thr, rule.ThresholdPct)
		// A floor far below (or above) the values would flatten the
		// plot; the table and the regression plots show it anyway.
		if rule.Floor != nil && 100**rule.Floor/ref > 50 && 100**rule.Floor/ref < 150 {
			floors = append(floors, htmlreport.Line{Value: 100 * *rule.Floor / ref, Label: "floor " + label(v.Record), Kind: htmlreport.FloorLine})
		}
		plot.Series = append(plot.Series, ser)
	}
	if len(plot.Series) == 0 {
		return plot, false
	}
	if thr == 0 {
		thr = regress.DefaultThresholdPct
	}
	plot.Lines = append(plot.Lines, htmlreport.Line{Value: 100, Label: "median", Kind: htmlreport.Baseline},
		htmlreport.Line{Value: 100 - float64(dir)*thr, Label: fmt.Sprintf("%+.0f%%", -float64(dir)*thr), Kind: htmlreport.Threshold})
	plot.Lines = append(plot.Lines, floors...)
	return plot, true
}

// caseRows are a case's rows of the model table: one per judged metric,
// or one saying why the case has none.
func (s *Summary) caseRows(v *Verdict) [][]htmlreport.Cell {
	r := v.Record
	trace := htmlreport.Cell{}
	for _, t := range s.Traces {
		if t.Case == r.Case {
			trace = htmlreport.Cell{Text: filepath.Base(t.Path), Href: s.rel(t.Path)}
			if t.URL != "" {
				trace = htmlreport.Cell{Text: "open in Perfetto", Href: "https://ui.perfetto.dev/#!/?url=" + url.QueryEscape(t.URL)}
			}
		}
	}
	if r.Status != history.OK || len(v.Metrics) == 0 {
		return [][]htmlreport.Cell{{{Text: r.Case}, {Text: r.Status, Class: "bad"}, {Text: "–"}, {Text: "–"},
			{Text: "–"}, {Text: "–"}, {Text: "–"}, {Text: "–"}, {Text: r.Error, Class: "bad"}, trace}}
	}
	var rows [][]htmlreport.Cell
	for _, mv := range v.Metrics {
		rows = append(rows, append(metricCells(r, mv), trace))
	}
	return rows
}

// metricCells are the cells of one metric's row, before its trace.
func metricCells(r history.Record, mv MetricVerdict) []htmlreport.Cell {
	a := mv.Analysis
	muted := htmlreport.Cell{Text: "–", Class: "muted"}
	row := []htmlreport.Cell{{Text: r.Case}, {Text: r.Status, Class: "good"}, {Text: mv.Metric}, {Text: report.Number(a.Latest)}, muted, muted, muted}
	if a.Baseline != nil {
		row[4] = htmlreport.Cell{Text: report.Number(*a.Baseline)}
	}
	if a.ChangePct != nil {
		row[5] = htmlreport.Cell{Text: fmt.Sprintf("%+.1f%%", *a.ChangePct)}
	}
	if a.Z != nil {
		row[6] = htmlreport.Cell{Text: fmt.Sprintf("%.1f", *a.Z)}
	}
	row = append(row, htmlreport.Cell{Text: fmt.Sprintf("%d nights", a.History)})
	switch {
	case len(a.Flags) > 0:
		var d []string
		for _, f := range a.Flags {
			d = append(d, regress.Describe(mv.Metric, f))
		}
		return append(row, htmlreport.Cell{Text: "REGRESSED: " + strings.Join(d, "; "), Class: "bad"})
	case !a.Judged:
		return append(row, htmlreport.Cell{Text: fmt.Sprintf("not judged yet (%d of %d nights of history)", a.History, minNights(mv.Rule)), Class: "muted"})
	}
	return append(row, htmlreport.Cell{Text: "ok", Class: "good"})
}

func minNights(r regress.Rule) int {
	if r.MinNights > 0 {
		return r.MinNights
	}
	return regress.DefaultMinNights
}

// caseMedian is the reference a case's plot is normalised to: the median
// of its history window, else of the values shown.
func caseMedian(v *Verdict, metric string, vals []float64) float64 {
	for _, mv := range v.Metrics {
		if mv.Metric == metric && mv.Analysis.Baseline != nil {
			return *mv.Analysis.Baseline
		}
	}
	var xs []float64
	for _, x := range vals {
		if !math.IsNaN(x) {
			xs = append(xs, x)
		}
	}
	return regress.Median(xs)
}

// label names a case inside its model's plot: the point or the dataset.
func label(r history.Record) string {
	if i := strings.LastIndex(r.Case, "/"); i >= 0 {
		return r.Case[i+1:]
	}
	return r.Case
}

func unit(metric string) string {
	switch {
	case strings.HasSuffix(metric, "_ms"):
		return "ms"
	case strings.Contains(metric, "throughput"):
		return "tokens/s"
	}
	return metric
}

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// Tables are the Markdown digest of a run (stage tables: summary.md and
// the GitHub step summary): the night at a glance, regressions, failed
// cases and one line per model.
func (s *Summary) Tables() []report.Table {
	flags := s.Flags()
	failed := s.Failed()
	verdict := "healthy"
	if len(flags) > 0 || len(failed) > 0 {
		verdict = "NOT HEALTHY"
	}
	out := []report.Table{{
		Title:  "nightly " + s.Meta.Night,
		Header: []string{"night", "commit", "cases run", "failed", "regressions", "matrix coverage", "verdict", "status record"},
		Rows: [][]string{{s.Meta.Night, shortSHA(s.Meta.Commit), strconv.Itoa(len(s.Verdicts)), strconv.Itoa(len(failed)),
			strconv.Itoa(len(flags)), fmt.Sprintf("%d/%d (%.1f%%)", s.Coverage.Ran, s.Coverage.Cases, s.Coverage.Pct), verdict, s.Status}},
	}}
	if len(flags) > 0 {
		t := report.Table{Title: "nightly regressions", Header: []string{"case", "metric", "kind", "tonight", "median/floor", "change", "nights", "first bad commits"}}
		for _, f := range flags {
			t.Rows = append(t.Rows, []string{f.Case, f.Metric, f.Flag.Kind, report.Number(f.Flag.Value), report.Number(f.Flag.Baseline),
				fmt.Sprintf("%+.1f%%", f.Flag.ChangePct), strconv.Itoa(f.Flag.Nights), f.Flag.Commits()})
		}
		out = append(out, t)
	}
	if len(failed) > 0 {
		t := report.Table{Title: "nightly failed cases", Header: []string{"case", "status", "message"}}
		for _, r := range failed {
			t.Rows = append(t.Rows, []string{r.Case, r.Status, textline.FirstClipped(r.Error, 240)})
		}
		out = append(out, t)
	}
	t := report.Table{Title: "nightly models", Header: []string{"model", "server", "device", "cases", "ok", "failed", "regressed", "not judged yet"}}
	for _, model := range s.models() {
		var n, ok, bad, reg, young int
		for _, v := range s.Verdicts {
			if v.Record.Model != model {
				continue
			}
			n++
			if v.Record.Status == history.OK {
				ok++
			} else {
				bad++
			}
			if len(v.Flags()) > 0 {
				reg++
			}
			for _, mv := range v.Metrics {
				if !mv.Analysis.Judged {
					young++
					break
				}
			}
		}
		t.Rows = append(t.Rows, []string{model, s.Servers[model], s.Devices[model], strconv.Itoa(n), strconv.Itoa(ok), strconv.Itoa(bad), strconv.Itoa(reg), strconv.Itoa(young)})
	}
	return append(out, t)
}
