package ci

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sgl-project/tpuci/internal/ghactions"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/textline"
)

// Gate is the part of a plan the finish gate needs; the coordinator
// publishes it as its "plan" output.
type Gate struct {
	Event    string            `json:"event"`
	Required []string          `json:"required"`
	Blocked  string            `json:"blocked,omitempty"`
	Error    string            `json:"error,omitempty"`
	Why      map[string]string `json:"why"`
	// Entries counts the jobs of each target that runs (its matrix), so
	// that the gate knows when a job ended without a stage record.
	Entries map[string]int `json:"entries,omitempty"`
	// Changed are the files the change touches, for the triage (a failure
	// main already has blocks a change to its test file); at most
	// MaxGateChanged of them, ChangedOmitted counting the rest. Unknown
	// says why they are not known.
	Changed        []string `json:"changed,omitempty"`
	ChangedOmitted int      `json:"changed_omitted,omitempty"`
	Unknown        string   `json:"unknown_changes,omitempty"`
}

// MaxGateChanged bounds the changed files the plan output carries: the
// finish job receives it through an environment variable, which Linux
// caps at 128 KiB.
const MaxGateChanged = 500

// Gate extracts the finish gate's input.
func (p *Plan) Gate() Gate {
	g := Gate{Event: p.Event, Required: p.Required(), Blocked: p.Blocked, Error: p.Error, Why: map[string]string{},
		Entries: map[string]int{}, Unknown: p.Unknown}
	if g.Required == nil {
		g.Required = []string{}
	}
	for _, t := range p.Targets {
		g.Why[t.Name] = t.Why
		if t.Run {
			g.Entries[t.Name] = max(len(t.Matrix), 1)
		}
	}
	for i, f := range p.Files {
		if i == MaxGateChanged {
			g.ChangedOmitted = len(p.Files) - i
			break
		}
		g.Changed = append(g.Changed, f.Path)
	}
	return g
}

// Output is one GITHUB_OUTPUT entry.
type Output struct{ Name, Value string }

// Outputs are the coordinator's job outputs: run_<target>=true|false for
// every PR target, matrix_<target> (strategy.matrix JSON) for matrix
// targets, and plan (the Gate as JSON).
func (p *Plan) Outputs() []Output {
	var out []Output
	for _, t := range p.Targets {
		out = append(out, Output{"run_" + t.Name, fmt.Sprint(t.Run)})
	}
	for _, t := range p.Targets {
		if isMatrix(t.Name) {
			out = append(out, Output{"matrix_" + t.Name, MatrixJSON(t.Matrix)})
		}
	}
	b, _ := json.Marshal(p.Gate())
	out = append(out, Output{"plan", string(b)})
	return out
}

func isMatrix(target string) bool {
	for _, m := range MatrixTargets {
		if m == target {
			return true
		}
	}
	return false
}

// WriteOutputs appends the outputs to $GITHUB_OUTPUT.
func WriteOutputs(gh *ghactions.Provider, p *Plan) error {
	for _, o := range p.Outputs() {
		if err := gh.SetOutput(o.Name, o.Value); err != nil {
			return fmt.Errorf("ci:plan: %w", err)
		}
	}
	return nil
}

// short abbreviates a full commit hash; other revisions stay as they are.
func short(sha string) string {
	if len(sha) == 40 && strings.Trim(sha, "0123456789abcdef") == "" {
		return sha[:10]
	}
	return sha
}

// headline describes the event in one line.
func (p *Plan) headline() string {
	var b strings.Builder
	b.WriteString(p.Event)
	if p.Number > 0 {
		fmt.Fprintf(&b, " #%d", p.Number)
	}
	if p.Repository != "" {
		b.WriteString(" in " + p.Repository)
	}
	switch {
	case p.Event == EventLocal && p.Base != "":
		fmt.Fprintf(&b, " (the working tree against %s)", p.Base)
	case p.Base != "" || p.Head != "":
		fmt.Fprintf(&b, " (%s..%s)", short(p.Base), short(p.Head))
	}
	if p.Only != "" {
		b.WriteString(", only " + p.Only)
	}
	if len(p.Labels) > 0 {
		labels := make([]string, len(p.Labels))
		for i, l := range p.Labels {
			labels[i] = textline.Safe(l)
		}
		b.WriteString(", labels: " + strings.Join(labels, ", "))
	}
	return b.String()
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// Explain writes the plan for a terminal. With detail it lists every
// selected and skipped file with its reason.
func Explain(w io.Writer, p *Plan, detail bool) {
	fmt.Fprintln(w, fit("plan: "+p.headline()))
	for _, s := range []struct{ k, v string }{{"error", p.Error}, {"blocked", p.Blocked}, {"idle", p.Idle}, {"full", p.Full}, {"changes unknown", p.Unknown}} {
		if s.v != "" {
			fmt.Fprintln(w, fit(s.k+": "+s.v))
		}
	}
	fmt.Fprintf(w, "changed files: %d\n", len(p.Files))
	limit := 20
	if detail {
		limit = len(p.Files)
	}
	for i, f := range p.Files {
		if i == limit {
			fmt.Fprintf(w, "  ... %d more (-explain lists them)\n", len(p.Files)-limit)
			break
		}
		var tail string
		if len(f.Filters) > 0 {
			tail += fmt.Sprintf(" [%s]", strings.Join(f.Filters, ", "))
		}
		if f.Note != "" && detail {
			tail += fmt.Sprintf(" (%s)", f.Note)
		}
		fmt.Fprintln(w, fitAfter(fmt.Sprintf("  %s %s  %s", f.Status, textline.Safe(f.Path), f.Kind), tail))
	}
	tab := report.Table{Header: []string{"target", "run", "minutes", "of", "why"}}
	for _, t := range p.Targets {
		tab.Rows = append(tab.Rows, []string{t.Name, yes(t.Run), minutes(t.Minutes), minutes(t.FullMinutes), t.Why})
	}
	fmt.Fprint(w, report.Wrapped(tab))
	fmt.Fprintf(w, "total: %.1f min, %.1f on TPU runners\n", p.Minutes, p.TPUMinutes)
	fmt.Fprintln(w, p.Verdict.text("time to verdict: "))
	fmt.Fprintln(w, p.FullVerdict.text("a full run:      "))
	explainQuarantine(w, p.Quarantine)
	if !detail {
		return
	}
	for _, t := range p.Targets {
		if len(t.Suites) == 0 && len(t.Cases) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", t.Name)
		for _, s := range t.Suites {
			fmt.Fprintf(w, "  suite %s: %d selected, %d skipped\n", s.Name, len(s.Selected), len(s.Skipped))
			for _, f := range s.Selected {
				fmt.Fprintln(w, fit(fmt.Sprintf("    + %s (%.1f min)%s", textline.Safe(f.Path), f.Minutes, because(f.Why))))
			}
			for _, f := range s.Skipped {
				fmt.Fprintln(w, fit(fmt.Sprintf("    - %s (%.1f min)%s", textline.Safe(f.Path), f.Minutes, because(f.Why))))
			}
		}
		for _, c := range t.Cases {
			fmt.Fprintln(w, fit(fmt.Sprintf("  case %s (%.1f min)%s", c.Path, c.Minutes, because(c.Why))))
		}
		for _, e := range t.Matrix {
			fmt.Fprintln(w, fit(fmt.Sprintf("  job %s: TPUCI_SUITE=%s TPUCI_PARTITION=%s on %s", e.Name, e.Suite, e.Partition, e.Runner)))
		}
	}
}

// fit wraps a line longer than report.Width with a hanging indent and
// leaves others as they are, their spacing included.
func fit(line string) string {
	if report.Fits(line) {
		return line
	}
	return report.Fit(line)
}

// fitAfter is fit for head+tail that wraps tail only: head keeps the two
// spaces that set a changed file's kind apart, which report.Fit would join.
func fitAfter(head, tail string) string {
	if report.Fits(head + tail) {
		return head + tail
	}
	indent := strings.Repeat(" ", len(head)-len(strings.TrimLeft(head, " "))+4)
	line, words := head, strings.Fields(tail)
	for len(words) > 0 && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(words[0]) <= report.Width {
		line, words = line+" "+words[0], words[1:]
	}
	if len(words) == 0 {
		return line
	}
	rest := report.Wrap(strings.Join(words, " "), report.Width-len(indent), "")
	return line + "\n" + indent + strings.ReplaceAll(rest, "\n", "\n"+indent)
}

func because(why string) string {
	if why == "" {
		return ""
	}
	return ": " + why
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}

// Markdown renders the plan for the step summary.
func Markdown(p *Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## tpuci plan\n\n%s\n\n", mdEscape(p.headline()))
	for _, s := range []struct{ k, v string }{{"Error", p.Error}, {"Blocked", p.Blocked}, {"Nothing to do", p.Idle}, {"Full run", p.Full}, {"Changes unknown", p.Unknown}} {
		if s.v != "" {
			fmt.Fprintf(&b, "**%s:** %s\n\n", s.k, mdEscape(s.v))
		}
	}
	b.WriteString("| target | run | minutes | of | why |\n|---|---|---:|---:|---|\n")
	for _, t := range p.Targets {
		icon := "⏭️"
		if t.Run {
			icon = "▶️"
		}
		fmt.Fprintf(&b, "| %s | %s | %.1f | %.1f | %s |\n", t.Name, icon, t.Minutes, t.FullMinutes, mdEscape(t.Why))
	}
	fmt.Fprintf(&b, "\nTotal: %.1f min, %.1f on TPU runners.\n", p.Minutes, p.TPUMinutes)
	fmt.Fprintf(&b, "\n| | time to verdict | largest-file bound | TPU-minutes | jobs | critical path |\n|---|---:|---:|---:|---:|---|\n")
	for _, r := range []struct {
		name string
		v    Verdict
	}{{"this run", p.Verdict}, {"a full run", p.FullVerdict}} {
		fmt.Fprintf(&b, "| %s | %.1f min | %.1f min | %.1f | %d | %s |\n", r.name, r.v.Minutes, r.v.Bound, r.v.TPUMinutes, r.v.Jobs, mdEscape(r.v.pathText()))
	}
	b.WriteString(quarantineMarkdown(p.Quarantine))
	if len(p.Files) > 0 {
		fmt.Fprintf(&b, "\n<details><summary>%d changed files</summary>\n\n| file | status | kind | filters |\n|---|---|---|---|\n", len(p.Files))
		for _, f := range p.Files {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", textline.Safe(f.Path), f.Status, mdEscape(f.Kind+because(f.Note)), strings.Join(f.Filters, ", "))
		}
		b.WriteString("\n</details>\n")
	}
	for _, t := range p.Targets {
		var rows []string
		for _, s := range t.Suites {
			for _, f := range s.Selected {
				rows = append(rows, fmt.Sprintf("| %s | `%s` | selected | %.1f | %s |", s.Name, textline.Safe(f.Path), f.Minutes, mdEscape(f.Why)))
			}
			for _, f := range s.Skipped {
				rows = append(rows, fmt.Sprintf("| %s | `%s` | skipped | %.1f | %s |", s.Name, textline.Safe(f.Path), f.Minutes, mdEscape(f.Why)))
			}
		}
		for _, c := range t.Cases {
			rows = append(rows, fmt.Sprintf("| case | %s | selected | %.1f | %s |", c.Path, c.Minutes, mdEscape(c.Why)))
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n<details><summary>%s: selection</summary>\n\n| suite | file | | minutes | why |\n|---|---|---|---:|---|\n%s\n\n</details>\n", t.Name, strings.Join(rows, "\n"))
	}
	return b.String()
}

// minutes prints a table's minutes with one decimal.
func minutes(m float64) string { return strconv.FormatFloat(m, 'f', 1, 64) }
