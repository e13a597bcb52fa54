package report

import (
	"fmt"
	"strings"
	"time"
)

// Markdown renders the summary of several stages: the notes (e.g. that
// the run is partial), one overview table, then each stage's verdict
// tables and failures.
func Markdown(title string, stages []*TargetResult, notes ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", title)
	for _, n := range notes {
		fmt.Fprintf(&b, "%s\n\n", n)
	}
	b.WriteString("| target | status | duration | cases | failures | logs |\n|---|---|---|---|---|---|\n")
	for _, s := range stages {
		status := s.StatusText()
		if s.Reason != "" {
			status += " (" + s.Reason + ")"
		}
		fmt.Fprintf(&b, "| %s | %s %s | %s | %s | %d | %s |\n",
			s.Target, icon(s.Status), escape(status), Round(s.Duration), s.CountsText(), len(s.Failures), "`"+s.LogDir+"`")
	}
	for _, s := range stages {
		for _, t := range s.Tables {
			fmt.Fprintf(&b, "\n### %s: %s\n\n", s.Target, t.Title)
			b.WriteString("| " + strings.Join(t.Header, " | ") + " |\n|" + strings.Repeat("---|", len(t.Header)) + "\n")
			for _, r := range t.Rows {
				cells := make([]string, len(r))
				for i, c := range r {
					cells[i] = escape(c)
				}
				b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
			}
		}
		if len(s.Failures) > 0 {
			fmt.Fprintf(&b, "\n### %s: failures\n\n", s.Target)
			for _, f := range s.Failures {
				fmt.Fprintf(&b, "- %s\n", escape(f))
			}
		}
	}
	return b.String()
}

func icon(s Status) string {
	switch s {
	case Passed:
		return "✅"
	case Skipped:
		return "⏭️"
	}
	return "❌"
}

func escape(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.ReplaceAll(s, "\n", " ")
}

// Round shortens a duration for humans.
func Round(d time.Duration) string {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}
