package report

import (
	"strings"
	"testing"
)

func verdictTable(caseName, verdict string, metrics ...string) Table {
	t := Table{Title: "perf verdicts (baselines tpuci/baselines/perf.toml)",
		Header: []string{"case", "metric", "value", "baseline", "tolerance", "limit", "margin", "verdict"}}
	for _, m := range metrics {
		t.Rows = append(t.Rows, []string{caseName, m, "47.77", "-", "-", "-", "-", verdict})
	}
	return t
}

// A table that fits prints as plain columns.
func TestTextFitsAsIs(t *testing.T) {
	got := Text(Table{Header: []string{"job", "ok"}, Rows: [][]string{{"lint", "yes (passed)"}, {"e2e", "no"}}})
	want := "job   ok\nlint  yes (passed)\ne2e   no\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// A wide verdict table: remarks become notes, the case a heading over
// its metrics; every word is still there and no line passes Width.
func TestTextNotesAndGroupsAWideTable(t *testing.T) {
	tab := verdictTable("qwen3-30b-a3b-tp4-ep4-output-throughput", "skipped (no baseline for this device)", "median_ttft_ms", "median_itl_ms")
	got := Text(tab)
	want := `perf verdicts (baselines tpuci/baselines/perf.toml)
case
  metric          value  baseline  tolerance  limit  margin  verdict
qwen3-30b-a3b-tp4-ep4-output-throughput
  median_ttft_ms  47.77  -         -          -      -       skipped [1]
  median_itl_ms   47.77  -         -          -      -       skipped [1]
[1] no baseline for this device
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if tab.Rows[0][7] != "skipped (no baseline for this device)" {
		t.Errorf("the table itself changed: %q", tab.Rows[0][7])
	}
}

// Notes alone are taken when they are enough; short remarks such as a
// footnote mark stay in their cell.
func TestTextNotesOnly(t *testing.T) {
	tab := Table{Header: []string{"case", "status"}, Rows: [][]string{
		{strings.Repeat("c", 40), "skipped " + "(" + strings.Repeat("word ", 12) + "end)"},
		{"short", "skipped (1)"},
	}}
	got := Text(tab)
	want := "case                                      status\n" +
		strings.Repeat("c", 40) + "  skipped [1]\n" +
		"short                                     skipped (1)\n" +
		"[1] " + strings.Repeat("word ", 12) + "end\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// A table no rendering fits keeps its plain columns; a long title wraps.
func TestTextKeepsWhatCannotFit(t *testing.T) {
	long := strings.Repeat("x", 120)
	got := Text(Table{Title: strings.Repeat("title ", 30), Header: []string{"a", "b"}, Rows: [][]string{{"1", long}}})
	lines := strings.Split(got, "\n")
	if len(lines) != 5 || lines[3] != "1  "+long || !strings.HasPrefix(lines[1], "  title") {
		t.Errorf("got:\n%s", got)
	}
}

// Wrapped wraps a long last column under itself where Text keeps the
// plain columns; every word stays, and a table that fits is as Text has it.
func TestWrappedWrapsTheLastColumn(t *testing.T) {
	why := "none of the 12 changed Python files reaches the server or script of a case, nor its config"
	tab := Table{Header: []string{"target", "run", "why"}, Rows: [][]string{
		{"accuracy", "no", why}, {"lint", "yes", "matches"}, {"e2e", "no", ""}}}
	if plain := Text(tab); Fits(plain) {
		t.Fatalf("the table should not fit as Text has it:\n%s", plain)
	}
	got := Wrapped(tab)
	want := "target    run  why\n" +
		"accuracy  no   none of the 12 changed Python files reaches the server or script of a case, nor its\n" +
		"               config\n" +
		"lint      yes  matches\n" +
		"e2e       no\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	short := Table{Header: []string{"a", "b"}, Rows: [][]string{{"1", "two words"}}}
	if Wrapped(short) != Text(short) {
		t.Errorf("a table that fits changed:\n%s", Wrapped(short))
	}
}

func TestRemarkOf(t *testing.T) {
	for _, c := range []struct{ cell, head, remark string }{
		{"skipped (no baseline)", "skipped", "no baseline"},
		{"a (b (c) d)", "a", "b (c) d"},
		{"a (b) c", "", ""},
		{"(whole)", "", ""},
		{"f(x)", "", ""},
	} {
		head, remark, _ := remarkOf(c.cell)
		if head != c.head || remark != c.remark {
			t.Errorf("%q: got %q, %q", c.cell, head, remark)
		}
	}
}

func TestFitIndentsContinuations(t *testing.T) {
	line := "    server " + strings.Repeat("word ", 30) + "end"
	got := Fit(line)
	if !Fits(got) || strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(line), " ") {
		t.Fatalf("got:\n%s", got)
	}
	for _, l := range strings.Split(got, "\n")[1:] {
		if !strings.HasPrefix(l, "        ") || l[8] == ' ' {
			t.Errorf("continuation not indented by 8: %q", l)
		}
	}
	if Fit("  short") != "  short" {
		t.Errorf("%q", Fit("  short"))
	}
}

// An A/B verdict table (long case names, nine columns) fits by putting
// each case over its row when nothing else does.
func TestTextFitsAWideVerdictTable(t *testing.T) {
	tb := Table{Title: "pallas: working tree vs HEAD~1; metric time_ms", Header: []string{"case", "base", "head",
		"change", "interval", "tolerance", "recompiles", "compiles", "verdict"}}
	for _, c := range []string{"flash_attention/prefill-h1-q512-kv512-d32-bq128-bk128", "megablox_gmm/m1024-k128-n256-g8"} {
		tb.Rows = append(tb.Rows, []string{c, "0.3860", "0.3624", "-2.3%", "[-41.7%, +93.6%]", "±30%", "0/0", "7",
			"inconclusive (too noisy: about 36 rounds would decide, 6 ran: set TPUCI_COMPARE_ROUNDS)"})
	}
	got := Text(tb)
	if !Fits(got) || !strings.Contains(got, "\nflash_attention/prefill-h1-q512-kv512-d32-bq128-bk128\n") {
		t.Fatalf("does not fit %d columns:\n%s", Width, got)
	}
}
