package report

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func stage() *TargetResult {
	return &TargetResult{Target: "unitTest1", Status: Failed, Duration: 3 * time.Second, LogDir: "out/logs/unitTest1",
		Failures: []string{"t/test_a.py: exit code 1"},
		Cases: []Case{
			{Name: "t/test_a.py", Class: "suite-a", Status: Failed, Message: "t/test_a.py: exit code 1\ndetail", Output: "Traceback\x1b[31m\x00", Duration: time.Second},
			{Name: "t/test_b.py", Class: "suite-a", Status: Passed, Duration: 2 * time.Second},
			{Name: "t/test_c.py", Class: "suite-b", Status: Skipped, Message: "needs 4 chips"},
			{Name: "t/test_d.py", Class: "suite-b", Status: Errored, Message: "crashed: killed"},
		},
		Tables: []Table{{Title: "verdicts", Header: []string{"metric", "value"}, Rows: [][]string{{"ttft|ms", "52"}}}},
	}
}

func TestJUnitGroupsAndCounts(t *testing.T) {
	data, err := JUnit(stage())
	if err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("invalid XML: %v\n%s", err, data)
	}
	if doc.Tests != 4 || doc.Failures != 1 || doc.Errors != 1 || doc.Skipped != 1 || len(doc.Suites) != 2 {
		t.Fatalf("counts: %+v", doc)
	}
	if doc.Suites[0].Name != "suite-a" || doc.Suites[0].Time != "3.000" {
		t.Fatalf("suite: %+v", doc.Suites[0])
	}
	if f := doc.Suites[0].Cases[0].Failure; f == nil || f.Message != "t/test_a.py: exit code 1" || strings.ContainsRune(f.Text, 0) {
		t.Fatalf("failure: %+v", f)
	}
}

func TestMarkdownSummary(t *testing.T) {
	md := Markdown("tpuci summary", []*TargetResult{stage(), {Target: "perf", Status: Skipped, Reason: "no perf cases configured"}})
	for _, want := range []string{
		"| unitTest1 | ❌ failed | 3s | 1 passed, 2 failed, 1 skipped | 1 | `out/logs/unitTest1` |",
		"| perf | ⏭️ skipped (no perf cases configured) |",
		"### unitTest1: verdicts", "| ttft\\|ms | 52 |",
		"### unitTest1: failures", "- t/test_a.py: exit code 1",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("missing %q in:\n%s", want, md)
		}
	}
}

func TestWriteJSONIsAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "x.json")
	if err := WriteJSON(p, stage()); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Fatalf("temp files left: %v", entries)
	}
}
