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

// After a rerun of what failed (go tool mage rerun), the files run again
// are counted as such, not as retried: "retried" are the retries within
// a run (infrastructure, known flaky); carried-over cases ran in neither.
func TestRerunIsNotRetried(t *testing.T) {
	st := &TargetResult{Target: "unitTest1", Status: Passed, Cases: []Case{
		{Name: "t/test_a.py", File: "t/test_a.py", Status: Passed, Reruns: 1, Attempts: []Attempt{{Status: Failed}}},
		{Name: "t/test_b.py", File: "t/test_b.py", Status: Passed, Reruns: 1, Attempts: []Attempt{{Status: Errored, Class: "infra"}}},
		{Name: "t/test_c.py", File: "t/test_c.py", Status: Passed, Reruns: 1, Attempts: []Attempt{{Status: Failed, Class: "flaky"}},
			CarriedOver: "attempts/1"},
		{Name: "t/test_d.py", File: "t/test_d.py", Status: Passed, CarriedOver: "attempts/1"},
	}}
	var b strings.Builder
	if err := WriteSummary(&b, []SummaryRow{{TargetResult: st, Logs: "-"}}); err != nil {
		t.Fatal(err)
	}
	if out := strings.Join(strings.Fields(b.String()), " "); !strings.Contains(out, " 1 retried, 1 run again, 2 carried over)") {
		t.Errorf("summary:\n%s", b.String())
	}
	if got := st.CountsText(); !strings.Contains(got, "; 1 retried; 1 run again; 2 carried over") {
		t.Errorf("counts: %s", got)
	}
}
