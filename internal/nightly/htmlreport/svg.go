package htmlreport

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Plot is a line chart of nightly values: one series per case, nights on
// the x axis, and horizontal reference lines (baseline, thresholds,
// floors).
type Plot struct {
	Title  string
	Unit   string   // y axis label
	Nights []string // x axis, oldest first
	Series []Series
	Lines  []Line
}

// Series is one line: Values[i] belongs to Nights[i]; NaN is a night
// without a value (the line breaks there).
type Series struct {
	Label   string
	Values  []float64
	Titles  []string // tooltip per point (may be shorter than Values)
	Flagged bool     // drawn thick and red-marked
}

// Line kinds.
const (
	Baseline  = "baseline"
	Threshold = "threshold"
	FloorLine = "floor"
)

// Line is a horizontal reference line.
type Line struct {
	Value float64
	Label string
	Kind  string // Baseline, Threshold or FloorLine
}

// Palette of series colours (colour-blind friendly).
var palette = []string{"#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000", "#7f7f7f", "#8c564b"}

// Colour is the colour of series i.
func Colour(i int) string { return palette[i%len(palette)] }

const (
	plotW, plotH                   = 720, 260
	padL, padR, padT, padB float64 = 64, 110, 28, 40
)

// SVG renders the plot as an inline <svg> element.
func SVG(p Plot) template.HTML {
	sc, ticks := newScale(p)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		plotW, plotH, plotW, plotH, esc(p.Title))
	fmt.Fprintf(&b, `<title>%s</title>`, esc(p.Title))
	fmt.Fprintf(&b, `<text x="%g" y="16" class="ptitle">%s</text>`, padL, esc(p.Title))
	axes(&b, p, sc, ticks)
	// Reference lines.
	for _, l := range p.Lines {
		fmt.Fprintf(&b, `<line class="ref %s" x1="%s" y1="%s" x2="%s" y2="%s"><title>%s</title></line>`,
			esc(l.Kind), f(padL), f(sc.y(l.Value)), f(padL+innerW), f(sc.y(l.Value)), esc(l.Label+": "+tickLabel(l.Value)))
		fmt.Fprintf(&b, `<text class="reflabel %s" x="%s" y="%s">%s</text>`, esc(l.Kind), f(padL+innerW+4), f(sc.y(l.Value)+4), esc(l.Label))
	}
	for si, s := range p.Series {
		series(&b, s, Colour(si), p.Nights, sc)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // #nosec: every text above is escaped
}

// The plot area inside the padding.
const innerW, innerH = plotW - padL - padR, plotH - padT - padB

// scale maps nights and values to plot coordinates.
type scale struct {
	lo, hi float64
	n      int // nights
}

// newScale fits the values and reference lines, with a margin, to round
// ticks.
func newScale(p Plot) (scale, []float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range p.Series {
		for _, v := range s.Values {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	for _, l := range p.Lines {
		lo, hi = math.Min(lo, l.Value), math.Max(hi, l.Value)
	}
	if math.IsInf(lo, 0) {
		lo, hi = 0, 1
	}
	if hi-lo < 1e-9*math.Max(1, math.Abs(hi)) {
		lo, hi = lo-math.Max(1, math.Abs(lo))*0.05, hi+math.Max(1, math.Abs(hi))*0.05
	}
	span := hi - lo
	lo, hi = lo-span*0.08, hi+span*0.08
	ticks := niceTicks(lo, hi, 5)
	if len(ticks) > 0 {
		lo, hi = math.Min(lo, ticks[0]), math.Max(hi, ticks[len(ticks)-1])
	}
	return scale{lo: lo, hi: hi, n: len(p.Nights)}, ticks
}

func (sc scale) x(i int) float64 {
	if sc.n <= 1 {
		return padL + innerW/2
	}
	return padL + innerW*float64(i)/float64(sc.n-1)
}

func (sc scale) y(v float64) float64 { return padT + innerH*(sc.hi-v)/(sc.hi-sc.lo) }

// axes draws the grid, the axes, the unit and about six night labels.
func axes(b *strings.Builder, p Plot, sc scale, ticks []float64) {
	for _, t := range ticks {
		fmt.Fprintf(b, `<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s"/>`, f(padL), f(sc.y(t)), f(padL+innerW), f(sc.y(t)))
		fmt.Fprintf(b, `<text class="tick" x="%s" y="%s" text-anchor="end">%s</text>`, f(padL-6), f(sc.y(t)+4), esc(tickLabel(t)))
	}
	fmt.Fprintf(b, `<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s"/>`, f(padL), f(padT), f(padL), f(padT+innerH))
	fmt.Fprintf(b, `<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s"/>`, f(padL), f(padT+innerH), f(padL+innerW), f(padT+innerH))
	fmt.Fprintf(b, `<text class="unit" x="12" y="%s" transform="rotate(-90 12 %s)" text-anchor="middle">%s</text>`,
		f(padT+innerH/2), f(padT+innerH/2), esc(p.Unit))
	n := sc.n
	step := max(1, (n+5)/6)
	for i, night := range p.Nights {
		if i%step != 0 && i != n-1 {
			continue
		}
		label := night
		if len(label) == 10 {
			label = label[5:] // MM-DD
		}
		fmt.Fprintf(b, `<text class="tick" x="%s" y="%s" text-anchor="middle">%s</text>`, f(sc.x(i)), f(padT+innerH+16), esc(label))
	}
}

// series draws one series: lines between consecutive values (broken at
// missing ones) and a point per value with its title.
func series(b *strings.Builder, s Series, colour string, nights []string, sc scale) {
	width := 1.6
	if s.Flagged {
		width = 3
	}
	var seg []string
	flush := func() {
		if len(seg) > 1 {
			fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="%g" points="%s"><title>%s</title></polyline>`,
				colour, width, strings.Join(seg, " "), esc(s.Label))
		}
		seg = seg[:0]
	}
	for i, v := range s.Values {
		if i >= sc.n || math.IsNaN(v) || math.IsInf(v, 0) {
			flush()
			continue
		}
		seg = append(seg, f(sc.x(i))+","+f(sc.y(v)))
	}
	flush()
	for i, v := range s.Values {
		if i >= sc.n || math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		title := s.Label + " " + nights[i] + ": " + tickLabel(v)
		if i < len(s.Titles) && s.Titles[i] != "" {
			title = s.Titles[i]
		}
		class := "pt"
		if s.Flagged && i == len(s.Values)-1 {
			class = "pt bad"
		}
		fmt.Fprintf(b, `<circle class="%s" cx="%s" cy="%s" r="%g" fill="%s"><title>%s</title></circle>`,
			class, f(sc.x(i)), f(sc.y(v)), width+1, colour, esc(title))
	}
}

func esc(s string) string { return html.EscapeString(s) }

func f(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// niceTicks returns about n round values covering [lo, hi].
func niceTicks(lo, hi float64, n int) []float64 {
	if !(hi > lo) || n < 2 {
		return nil
	}
	raw := (hi - lo) / float64(n-1)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for t := math.Floor(lo/step) * step; t <= hi+step*1e-9; t += step {
		out = append(out, math.Round(t/step)*step)
	}
	return out
}

// tickLabel formats an axis value compactly.
func tickLabel(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(math.Round(v/100)/10, 'f', -1, 64) + "k"
	case a >= 100:
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	case a >= 1:
		return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}
