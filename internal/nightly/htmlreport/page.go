// Package htmlreport renders the nightly report: one static HTML file
// with inline SVG plots and no scripts or external resources, so it opens
// from disk, from a CI artifact or from any static host.
package htmlreport

import (
	"bytes"
	"fmt"
	"html/template"
)

// Page is everything the report shows, in order: regressions first, then
// failed cases, then per model its plots and table, then the traces.
type Page struct {
	Title     string
	Night     string
	Generated string
	Facts     []Fact // commit, run, versions ...
	Stats     []Fact // cases ran, failed, regressions ...
	Healthy   bool

	Regressions []Regression
	Failures    []Failure
	Models      []Model
	Traces      []Trace
	TraceHelp   string
	Notes       []string
}

// Fact is a labelled value; Href makes the value a link.
type Fact struct {
	Label, Value, Href string
}

// Regression is one flagged metric with its own plot.
type Regression struct {
	Case, Metric, Kind, Change, Nights, Commits, Detail string
	Plot                                                *Plot
}

// Failure is a case that did not produce valid figures.
type Failure struct {
	Case, Status, Message string
}

// Model is one model's section.
type Model struct {
	Name, Server, Device string
	Plots                []Plot
	Table                Table
}

// Table is a table of cells.
type Table struct {
	Header []string
	Rows   [][]Cell
}

// Cell is one table cell: Class "bad", "good" or "muted" colours it; Href
// makes it a link.
type Cell struct {
	Text, Class, Href string
}

// Trace is a captured profiler trace.
type Trace struct {
	Model, Case, File, Href, Perfetto string
}

// Render writes the page.
func Render(p Page) ([]byte, error) {
	var buf bytes.Buffer
	if err := page.Execute(&buf, p); err != nil {
		return nil, fmt.Errorf("html report: render: %w", err)
	}
	return buf.Bytes(), nil
}

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"svg":    SVG,
	"colour": Colour,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1180px;padding:16px 24px;color:#1b1b1b}
h1{font-size:22px;margin:4px 0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
.facts,.stats{display:flex;flex-wrap:wrap;gap:6px 18px;margin:6px 0;color:#444}.stats span{background:#f3f4f6;border-radius:4px;padding:2px 8px}
.banner{padding:8px 12px;border-radius:6px;margin:10px 0;font-weight:600}.banner.ok{background:#e6f4ea;color:#136c2e}.banner.bad{background:#fdecea;color:#a31515}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f6f6f6}
td.bad{color:#a31515;font-weight:600}td.good{color:#136c2e}td.muted{color:#888}
.plots{display:flex;flex-wrap:wrap;gap:8px}.plots .plot{width:560px}.plot{max-width:100%;height:auto;border:1px solid #eee;background:#fff}
.plot .ptitle{font-size:13px;font-weight:600}.plot .tick,.plot .unit,.plot .reflabel{font-size:11px;fill:#555}
.plot .grid{stroke:#eee}.plot .axis{stroke:#999}.plot .ref{stroke-width:1.2}.plot .ref.baseline{stroke:#666;stroke-dasharray:2 3}
.plot .ref.threshold{stroke:#d55e00;stroke-dasharray:6 4}.plot .ref.floor{stroke:#a31515;stroke-dasharray:none}.plot .pt.bad{stroke:#a31515;stroke-width:2}
.legend{display:flex;flex-wrap:wrap;gap:2px 14px;font-size:12px;margin:0 0 10px}.legend i{display:inline-block;width:14px;height:3px;margin:0 4px 3px 0;vertical-align:middle}
.note{color:#555;font-size:13px}code{background:#f3f4f6;padding:0 3px;border-radius:3px}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<div class="facts">{{range .Facts}}<span>{{.Label}}: {{if .Href}}<a href="{{.Href}}">{{.Value}}</a>{{else}}<b>{{.Value}}</b>{{end}}</span>{{end}}</div>
<div class="stats">{{range .Stats}}<span>{{.Label}}: <b>{{.Value}}</b></span>{{end}}</div>
{{if .Healthy}}<div class="banner ok">Healthy: every case ran and nothing regressed.</div>{{else}}<div class="banner bad">Not healthy: {{len .Regressions}} regression(s), {{len .Failures}} failed case(s).</div>{{end}}

<h2 id="regressions">Regressions</h2>
{{if .Regressions}}
<table><tr><th>case</th><th>metric</th><th>kind</th><th>change</th><th>nights</th><th>first bad commits</th><th>detail</th></tr>
{{range .Regressions}}<tr><td>{{.Case}}</td><td>{{.Metric}}</td><td>{{.Kind}}</td><td class="bad">{{.Change}}</td><td>{{.Nights}}</td><td><code>{{.Commits}}</code></td><td>{{.Detail}}</td></tr>
{{end}}</table>
<div class="plots">{{range .Regressions}}{{if .Plot}}{{svg .Plot}}{{end}}{{end}}</div>
{{else}}<p>No regressions against recent nights or floors.</p>{{end}}

{{if .Failures}}<h2 id="failures">Failed cases</h2>
<table><tr><th>case</th><th>status</th><th>message</th></tr>
{{range .Failures}}<tr><td>{{.Case}}</td><td class="bad">{{.Status}}</td><td>{{.Message}}</td></tr>
{{end}}</table>{{end}}

{{range .Models}}<h2 id="model-{{.Name}}">{{.Name}}</h2>
<div class="facts"><span>server: <b>{{.Server}}</b></span><span>device: <b>{{.Device}}</b></span></div>
{{range .Plots}}<div class="plotbox">{{svg .}}
<div class="legend">{{range $i, $s := .Series}}<span><i style="background:{{colour $i}}"></i>{{$s.Label}}{{if $s.Flagged}} (regressed){{end}}</span>{{end}}</div></div>
{{end}}
<table><tr>{{range .Table.Header}}<th>{{.}}</th>{{end}}</tr>
{{range .Table.Rows}}<tr>{{range .}}<td{{if .Class}} class="{{.Class}}"{{end}}>{{if .Href}}<a href="{{.Href}}">{{.Text}}</a>{{else}}{{.Text}}{{end}}</td>{{end}}</tr>
{{end}}</table>
{{end}}

<h2 id="traces">Profiler traces</h2>
{{if .Traces}}<table><tr><th>model</th><th>case</th><th>trace file</th><th>Perfetto</th></tr>
{{range .Traces}}<tr><td>{{.Model}}</td><td>{{.Case}}</td><td><a href="{{.Href}}">{{.File}}</a></td><td>{{if .Perfetto}}<a href="{{.Perfetto}}">open in Perfetto</a>{{else}}<span class="muted">local file: see below</span>{{end}}</td></tr>
{{end}}</table>{{else}}<p>No trace was captured in this run.</p>{{end}}
<p class="note">{{.TraceHelp}}</p>

<h2 id="notes">How to read this report</h2>
{{range .Notes}}<p class="note">{{.}}</p>{{end}}
<p class="note">Generated {{.Generated}} by tpuci.</p>
</body>
</html>
`))
