package ci

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sgl-project/tpuci/internal/failclass"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/textline"
	"github.com/sgl-project/tpuci/internal/triage"
)

// FlakyPass names a test that failed and then passed on a retry in the
// run: reported, never gating.
const FlakyPass = "flaky pass"

// classOrder sorts the triage table: what gates first.
var classOrder = []failclass.Class{failclass.NewFailure, failclass.Timeout, failclass.Threshold, failclass.CaseCrash,
	failclass.Infra, failclass.Readiness, failclass.MainFailing, failclass.Flaky, failclass.Quarantined}

// ClassOf is a decision's class as the table shows it.
func ClassOf(d triage.Decision) string {
	if d.Passed {
		return FlakyPass
	}
	return string(d.Triage)
}

func rank(d triage.Decision) int {
	if d.Passed {
		return len(classOrder) + 1
	}
	if i := slices.Index(classOrder, d.Triage); i >= 0 {
		return i
	}
	return len(classOrder)
}

// Sorted are the decisions in the table's order: gating first, then by
// class, job and test.
func (t *Triage) Sorted() []triage.Decision {
	ds := slices.Clone(t.Decisions)
	slices.SortStableFunc(ds, func(a, b triage.Decision) int {
		switch {
		case a.Gates != b.Gates:
			if a.Gates {
				return -1
			}
			return 1
		case rank(a) != rank(b):
			return rank(a) - rank(b)
		case a.Job != b.Job:
			return strings.Compare(a.Job, b.Job)
		}
		return strings.Compare(a.Test, b.Test)
	})
	return ds
}

// WhyOf is a decision's reason, with main's commit when it is the
// evidence.
func WhyOf(d triage.Decision) string {
	why := d.Why
	if why == "" {
		why = failclass.Of(d.Triage).Meaning
	}
	if d.Main != nil && d.Main.Commit != "" && !strings.Contains(why, textline.Abbrev(d.Main.Commit, 7)) {
		why = joinWhy(why, "main "+textline.Abbrev(d.Main.Commit, 10))
	}
	if !d.Gates {
		why = joinWhy(why, "does not gate")
	}
	return textline.Joined(why)
}

// Triage table widths: job, test and class are cut to these; why wraps
// in what is left of report.Width.
const (
	jobWidth   = 16
	testWidth  = 38
	classWidth = 11
)

// TriageTable writes the triage as a table that fits report.Width
// (job, test, class, why; long tests keep their end, the why wraps),
// then the verdict line.
func TriageTable(w io.Writer, t *Triage) {
	if len(t.Decisions)+len(t.Untriaged) > 0 {
		rows := [][]string{{"job", "test", "class", "why"}}
		for _, d := range t.Sorted() {
			rows = append(rows, []string{d.Job, d.Test, ClassOf(d), WhyOf(d)})
		}
		for _, u := range t.Untriaged {
			rows = append(rows, []string{u.Job, "-", u.Kind, u.Why})
		}
		fmt.Fprint(w, fitRows(rows))
	}
	if t.History != "" {
		fmt.Fprintln(w, report.Wrap("history: "+t.History, report.Width, "  "))
	}
	fmt.Fprintln(w, "verdict: "+t.Verdict())
}

// fitRows lays out four columns in report.Width.
func fitRows(rows [][]string) string {
	widths := []int{0, 0, 0}
	caps := []int{jobWidth, testWidth, classWidth}
	for _, r := range rows {
		for i := range widths {
			widths[i] = min(max(widths[i], utf8.RuneCountInString(textline.Safe(r[i]))), caps[i])
		}
	}
	whyWidth := report.Width - widths[0] - widths[1] - widths[2] - 6
	indent := strings.Repeat(" ", report.Width-whyWidth)
	var b strings.Builder
	for _, r := range rows {
		cells := []string{cutRight(textline.Safe(r[0]), widths[0]), cutLeft(textline.Safe(r[1]), widths[1]),
			cutRight(r[2], widths[2])}
		for i, c := range cells {
			b.WriteString(c + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
		}
		why := report.Wrap(textline.Safe(r[3]), whyWidth, "")
		lines := strings.Split(why, "\n")
		for i, l := range lines {
			if i > 0 {
				b.WriteString(indent)
			}
			b.WriteString(strings.TrimRight(hardCut(l, whyWidth), " ") + "\n")
		}
	}
	return b.String()
}

func cutRight(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// cutLeft keeps the end of a test name: the file and case tell more than
// the directories.
func cutLeft(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return "…" + string(r[len(r)-n+1:])
}

// hardCut cuts a word longer than the column.
func hardCut(s string, n int) string { return cutRight(s, n) }

// TriageMarkdown renders the triage for the step summary.
func TriageMarkdown(t *Triage) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n### Triage: %s\n\n", mdEscape(t.Verdict()))
	if len(t.Decisions)+len(t.Untriaged) == 0 {
		b.WriteString("No failed test.\n")
		return b.String()
	}
	b.WriteString("| job | test | class | gates | why |\n|---|---|---|---|---|\n")
	for _, d := range t.Sorted() {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdEscape(d.Job), mdCode(d.Test), ClassOf(d), yes(d.Gates), mdEscape(WhyOf(d)))
	}
	for _, u := range t.Untriaged {
		fmt.Fprintf(&b, "| %s | - | %s | yes | %s |\n", mdEscape(u.Job), u.Kind, mdEscape(u.Why))
	}
	if t.History != "" {
		fmt.Fprintf(&b, "\nHistory: %s\n", mdEscape(t.History))
	}
	return b.String()
}

// mdCode is s as inline code in a table cell: backticks and pipes cannot
// end it early.
func mdCode(s string) string {
	return "`" + strings.NewReplacer("`", "'", "|", "\\|", "\n", " ").Replace(s) + "`"
}
