package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// SummaryRow is one stage of the closing summary and where its logs are
// ("-" when there are none).
type SummaryRow struct {
	TargetResult *TargetResult
	Logs         string
}

// WriteSummary writes the closing table, one short line per stage, then
// the reasons of skipped and errored stages below it, wrapped to
// Width columns, so a long reason never widens the table.
func WriteSummary(w io.Writer, rows []SummaryRow) error {
	t := Table{Header: []string{"TARGET", "STATUS", "DURATION", "CASES", "FAILURES", "LOGS"}}
	// The compiles column is there only when some stage counted them.
	withCompiles := false
	for _, r := range rows {
		if _, ok := r.TargetResult.CompileTotals(); ok {
			withCompiles = true
		}
	}
	if withCompiles {
		t.Header = slices.Insert(t.Header, 5, "COMPILES")
	}
	var reasons []string
	for _, r := range rows {
		st := r.TargetResult
		p, f, sk := st.Counts()
		status := st.StatusText()
		if st.Reason != "" {
			reasons = append(reasons, st.Target+": "+status+": "+st.Reason)
			status = fmt.Sprintf("%s (%d)", status, len(reasons))
		}
		cases := fmt.Sprintf("%d/%d/%d", p, f, sk)
		var notes []string
		if n := st.FlakyCount(); n > 0 {
			notes = append(notes, fmt.Sprintf("%d flaky", n))
		}
		if n := st.RetriedCount(); n > 0 {
			notes = append(notes, fmt.Sprintf("%d retried", n))
		}
		if n := st.RerunCount(); n > 0 {
			notes = append(notes, fmt.Sprintf("%d run again", n))
		}
		if n := st.CarriedCount(); n > 0 {
			notes = append(notes, fmt.Sprintf("%d carried over", n))
		}
		if len(notes) > 0 {
			cases += " (" + strings.Join(notes, ", ") + ")"
		}
		row := []string{st.Target, status, Round(st.Duration), cases, fmt.Sprint(len(st.Failures)), r.Logs}
		if withCompiles {
			cell := "-"
			if tot, ok := st.CompileTotals(); ok {
				cell = CompilesText(&tot)
			}
			row = slices.Insert(row, 5, cell)
		}
		t.Rows = append(t.Rows, row)
	}
	if _, err := io.WriteString(w, Text(t)); err != nil {
		return err
	}
	if len(reasons) > 0 {
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
	}
	for i, r := range reasons {
		prefix := fmt.Sprintf("(%d) ", i+1)
		if _, err := fmt.Fprintln(w, Wrap(prefix+r, Width, strings.Repeat(" ", len(prefix)))); err != nil {
			return err
		}
	}
	return nil
}

// Wrap breaks s into lines of at most width columns at spaces, starting
// every line after the first with indent. A word longer than a line is
// left whole.
func Wrap(s string, width int, indent string) string {
	var b strings.Builder
	col := 0
	for i, word := range strings.Fields(s) {
		n := len([]rune(word))
		switch {
		case i == 0:
		case col+1+n > width:
			b.WriteString("\n" + indent)
			col = len(indent)
		default:
			b.WriteByte(' ')
			col++
		}
		b.WriteString(word)
		col += n
	}
	return b.String()
}
