package report

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// Width is the terminal width every line tpuci prints fits in.
const Width = 100

// Text renders a table for a terminal: its title, then the header and
// rows in aligned columns two spaces apart. A table wider than Width is
// made to fit without losing a word: the remarks in parentheses that end
// cells become numbered notes under the table and, if that is not enough
// and the first column is the widest, each of its values becomes a
// heading over its rows.
// When neither fits, the plain columns are kept. Only the terminal view
// changes: t, and so the JSON, keeps every cell whole.
func Text(t Table) string { return render(t, false) }

// Wrapped renders t like Text, but where Text would keep the plain
// columns the last column wraps instead, its continuation lines starting
// under it: for tables whose last column is prose, such as a reason.
func Wrapped(t Table) string { return render(t, true) }

func render(t Table, wrap bool) string {
	var b strings.Builder
	if t.Title != "" {
		b.WriteString(Wrap(t.Title, Width, "  ") + "\n")
	}
	rows := [][]string{t.Header}
	for _, r := range t.Rows {
		rows = append(rows, r[:min(len(r), len(t.Header))])
	}
	b.WriteString(fitted(rows, wrap))
	return b.String()
}

// fitted is the first rendering of rows that fits in Width. Grouping is
// tried only when the first column is the widest: headings then save the
// most, and a table whose width is its last column stays one row a line.
// With wrap, the last resort wraps the last column.
func fitted(rows [][]string, wrap bool) string {
	plain := columns(rows)
	if Fits(plain) {
		return plain
	}
	short, notes := noted(rows)
	tries := []string{columns(short)}
	if firstIsWidest(short) {
		tries = append(tries, grouped(short))
	}
	for _, s := range tries {
		if s += legend(notes); Fits(s) {
			return s
		}
	}
	if wrap {
		return wrappedLast(short) + legend(notes)
	}
	return plain
}

// minLast is the narrowest the wrapped last column gets: past it, lines
// overflow rather than breaking into a word or two each.
const minLast = Width / 4

// wrappedLast aligns rows two spaces apart and wraps each last cell in
// what the other columns leave of Width. A word longer than that stays
// whole.
func wrappedLast(rows [][]string) string {
	var widths []int
	for _, r := range rows {
		for i, c := range r[:max(len(r)-1, 0)] {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	lead := 0
	for _, w := range widths {
		lead += w + 2
	}
	indent := "\n" + strings.Repeat(" ", lead)
	var b strings.Builder
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r[:max(len(r)-1, 0)] {
			line.WriteString(c + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
		}
		if len(r) > 0 {
			line.WriteString(strings.ReplaceAll(Wrap(r[len(r)-1], max(Width-lead, minLast), ""), "\n", indent))
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	return b.String()
}

func firstIsWidest(rows [][]string) bool {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	return len(widths) > 1 && widths[0] == slices.Max(widths)
}

// Fits reports whether every line of s is at most Width runes.
func Fits(s string) bool {
	for _, l := range strings.Split(s, "\n") {
		if utf8.RuneCountInString(l) > Width {
			return false
		}
	}
	return true
}

// columns aligns rows two spaces apart.
func columns(rows [][]string) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	return b.String()
}

// grouped prints each run of rows that share a first cell under that
// cell as a heading, their other cells aligned and indented.
func grouped(rows [][]string) string {
	rest := make([][]string, len(rows))
	for i, r := range rows {
		if len(r) > 0 {
			rest[i] = r[1:]
		}
	}
	lines := strings.Split(columns(rest), "\n")
	var b strings.Builder
	for i, r := range rows {
		if len(r) > 0 && (i <= 1 || r[0] != rows[i-1][0]) {
			b.WriteString(r[0] + "\n")
		}
		if strings.TrimSpace(lines[i]) != "" {
			b.WriteString("  " + lines[i] + "\n")
		}
	}
	return b.String()
}

// noted replaces the remark of several words that ends a cell, "skipped
// (no baseline for this device)", by a note number, "skipped [1]"; one
// remark, one number. The header is kept, and so are short remarks such
// as a footnote mark "(1)".
func noted(rows [][]string) ([][]string, []string) {
	out := [][]string{rows[0]}
	var notes []string
	for _, r := range rows[1:] {
		cells := append([]string(nil), r...)
		for i, c := range cells {
			head, remark, ok := remarkOf(c)
			if !ok || !strings.Contains(remark, " ") {
				continue
			}
			n := indexOf(notes, remark)
			if n < 0 {
				notes = append(notes, remark)
				n = len(notes) - 1
			}
			cells[i] = fmt.Sprintf("%s [%d]", head, n+1)
		}
		out = append(out, cells)
	}
	return out, notes
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// legend lists the notes, each wrapped to Width.
func legend(notes []string) string {
	var b strings.Builder
	for i, n := range notes {
		prefix := fmt.Sprintf("[%d] ", i+1)
		b.WriteString(Wrap(prefix+n, Width, strings.Repeat(" ", len(prefix))) + "\n")
	}
	return b.String()
}

// remarkOf splits "head (remark)" into head and remark when the cell
// ends with a parenthesised remark, nested parentheses included.
func remarkOf(cell string) (head, remark string, ok bool) {
	if !strings.HasSuffix(cell, ")") {
		return "", "", false
	}
	depth := 0
	for i := len(cell) - 1; i > 0; i-- {
		switch cell[i] {
		case ')':
			depth++
		case '(':
			depth--
		}
		if depth == 0 {
			if i < 2 || cell[i-1] != ' ' {
				return "", "", false
			}
			return cell[:i-1], cell[i+1 : len(cell)-1], true
		}
	}
	return "", "", false
}

// Fit wraps a progress line to Width at spaces, its continuation lines
// indented four columns deeper than the line itself.
func Fit(line string) string {
	body := strings.TrimLeft(line, " ")
	lead := line[:len(line)-len(body)]
	return lead + strings.ReplaceAll(Wrap(body, Width-len(lead), "    "), "\n", "\n"+lead)
}

// Path is p as a terminal shows it: relative to the working directory
// when that is shorter to read (p is under it or beside it), else p.
func Path(p string) string {
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "../..") {
			return r
		}
	}
	return p
}
