package report

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

// Text renders a table for a terminal: its title, then the header and
// rows in aligned columns two spaces apart.
func Text(t Table) string {
	var b strings.Builder
	if t.Title != "" {
		b.WriteString(t.Title + "\n")
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, r := range append([][]string{t.Header}, t.Rows...) {
		if len(r) > len(t.Header) {
			r = r[:len(t.Header)]
		}
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	return b.String()
}
