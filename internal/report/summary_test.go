package report

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// A 200-character reason goes below the table, wrapped; no line is wider
// than a 100-column terminal and no word of the reason is lost.
func TestSummaryFitsOneHundredColumns(t *testing.T) {
	long := "pytest is not installed for /opt/pyenv/versions/3.11.9/bin/python3: " +
		strings.Repeat("install it with apt-get install python3-pytest or pip install pytest; ", 2) + "then run again"
	rows := []SummaryRow{
		{TargetResult: &TargetResult{Target: "lint", Status: Passed, Duration: 1200 * time.Millisecond,
			Cases: []Case{{Status: Passed}, {Status: Passed}}}, Logs: "tpuci-out/logs/lint"},
		{TargetResult: &TargetResult{Target: "unitTest1", Status: Errored, Reason: long}, Logs: "tpuci-out/logs/unitTest1"},
		{TargetResult: &TargetResult{Target: "release:docker", Status: Skipped, Reason: "earlier stage failed"}, Logs: "-"},
	}
	var b strings.Builder
	if err := WriteSummary(&b, rows); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	want := `TARGET          STATUS       DURATION  CASES  FAILURES  LOGS
lint            passed       1.2s      2/0/0  0         tpuci-out/logs/lint
unitTest1       error (1)    0s        0/0/0  0         tpuci-out/logs/unitTest1
release:docker  skipped (2)  0s        0/0/0  0         -

(1) unitTest1: error: pytest is not installed for /opt/pyenv/versions/3.11.9/bin/python3: install it
    with apt-get install python3-pytest or pip install pytest; install it with apt-get install
    python3-pytest or pip install pytest; then run again
(2) release:docker: skipped: earlier stage failed
`
	if out != want {
		t.Errorf("summary:\n%s\nwant:\n%s", out, want)
	}
	for _, line := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(line); n > Width {
			t.Errorf("%d columns: %q", n, line)
		}
	}
	if strings.Join(strings.Fields(out), " ") == "" || !strings.Contains(strings.Join(strings.Fields(out), " "), strings.Join(strings.Fields(long), " ")) {
		t.Errorf("reason lost or cut:\n%s", out)
	}
}

func TestWrapKeepsLongWordsWhole(t *testing.T) {
	if got := Wrap("a "+strings.Repeat("x", 12)+" b", 5, "  "); got != "a\n  xxxxxxxxxxxx\n  b" {
		t.Errorf("%q", got)
	}
}

// A stage cut short says "partial" in the status of both summaries, and
// the Markdown carries the run's notes above the table.
func TestPartialStageSaysPartial(t *testing.T) {
	st := &TargetResult{Target: "unitTest1", Status: Failed, Partial: true, Reason: "interrupted by SIGINT"}
	var b strings.Builder
	if err := WriteSummary(&b, []SummaryRow{{TargetResult: st, Logs: "-"}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "unitTest1  failed, partial (1)") || !strings.Contains(b.String(), "(1) unitTest1: failed, partial: interrupted by SIGINT") {
		t.Errorf("terminal:\n%s", b.String())
	}
	md := Markdown("tpuci summary", []*TargetResult{st}, "**Partial run**: interrupted by SIGINT")
	if !strings.HasPrefix(md, "## tpuci summary\n\n**Partial run**: interrupted by SIGINT\n\n| target |") || !strings.Contains(md, "❌ failed, partial (interrupted by SIGINT)") {
		t.Errorf("markdown:\n%s", md)
	}
}
