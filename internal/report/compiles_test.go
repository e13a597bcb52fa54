package report

import (
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/compiles"
)

func TestSummaryShowsCompilesOnlyWhenCounted(t *testing.T) {
	plain := &TargetResult{Target: "lint", Status: Passed}
	counted := &TargetResult{Target: "unitTest1", Status: Passed, Duration: time.Minute, Cases: []Case{
		{Name: "a.py", Status: Passed, Compiles: &compiles.Summary{Compiles: 3, CompileSeconds: 1.5, CacheMisses: 3}},
		{Name: "b.py", Status: Passed, Compiles: &compiles.Summary{Compiles: 2, CompileSeconds: 0.5, CacheHits: 2,
			AfterWarmup: []compiles.Compile{{Fn: "jit(step)", Shapes: "(f32[8],)"}}}},
	}}
	var b strings.Builder
	if err := WriteSummary(&b, []SummaryRow{{TargetResult: plain, Logs: "-"}}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "COMPILES") {
		t.Fatalf("column without accounting:\n%s", b.String())
	}
	b.Reset()
	rows := []SummaryRow{{TargetResult: plain, Logs: "-"}, {TargetResult: counted, Logs: "tpuci-out/logs/unitTest1"}}
	if err := WriteSummary(&b, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "COMPILES") || !strings.Contains(b.String(), "5 (2s) 1 late") || !Fits(b.String()) {
		t.Fatalf("summary:\n%s", b.String())
	}
	x, err := JUnit(counted)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<property name="tpuci.compiles" value="2">`, `<property name="tpuci.cache_hits" value="2">`,
		`<property name="tpuci.compile_after_warmup.1" value="jit(step) (f32[8],)">`} {
		if !strings.Contains(string(x), want) {
			t.Errorf("JUnit lacks %s:\n%s", want, x)
		}
	}
}
