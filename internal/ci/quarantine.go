package ci

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/textline"
)

// Quarantined is a [[quarantine]] entry as the plan lists it: the test
// runs and is reported, its failure does not gate.
type Quarantined struct {
	Test    string `json:"test"`
	Reason  string `json:"reason"`
	Owner   string `json:"owner"`
	Issue   string `json:"issue"`
	Expires string `json:"expires"` // YYYY-MM-DD, the last day it holds
	Line    int    `json:"line,omitempty"`
}

// quarantined lists the config's entries (an expired one never gets here:
// the config check refuses it).
func quarantined(cfg *config.Config) []Quarantined {
	var out []Quarantined
	for _, q := range cfg.Quarantine {
		out = append(out, Quarantined{Test: q.Test, Reason: q.Reason, Owner: q.Owner, Issue: q.Issue,
			Expires: q.Expires.AsTime(time.UTC).Format(time.DateOnly), Line: q.Line})
	}
	return out
}

// explainQuarantine prints the entries, each on lines that fit the
// terminal: the test, then its expiry, owner and issue, then the reason.
func explainQuarantine(w io.Writer, qs []Quarantined) {
	if len(qs) == 0 {
		return
	}
	fmt.Fprintf(w, "quarantined: %d (they run and are reported; their failures do not gate)\n", len(qs))
	for _, q := range qs {
		fmt.Fprintln(w, report.Fit("  "+textline.Safe(q.Test)))
		fmt.Fprintln(w, report.Fit(fmt.Sprintf("    until %s, owner %s, %s", q.Expires, textline.Safe(q.Owner),
			textline.Safe(q.Issue))))
		fmt.Fprintln(w, report.Fit("    "+textline.Safe(q.Reason)))
	}
}

func quarantineMarkdown(qs []Quarantined) string {
	if len(qs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n**Quarantined** (they run and are reported; their failures do not gate):\n\n")
	b.WriteString("| test | until | owner | issue | reason |\n|---|---|---|---|---|\n")
	for _, q := range qs {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", mdEscape(textline.Safe(q.Test)), q.Expires, mdEscape(q.Owner),
			mdEscape(q.Issue), mdEscape(q.Reason))
	}
	return b.String()
}
