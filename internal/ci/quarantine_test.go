package ci

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/report"
)

// The plan lists what is quarantined, with owner, issue and expiry, in
// its JSON, its terminal text (within 100 columns) and the step summary.
func TestPlanListsQuarantine(t *testing.T) {
	cfg := testConfig(t)
	cfg.Quarantine = []config.Quarantine{{Test: "python/pkg/test/test_engine.py::TestEngine.test_a_rather_long_name_for_a_test",
		Reason: "the decode loop hangs one run in thirty on v6e-1 when the XLA cache is cold, see the issue for logs",
		Owner:  "@someone-with-a-long-handle", Issue: "https://github.com/sgl-project/sglang-jax/issues/123456",
		Expires: toml.LocalDate{Year: 2031, Month: 2, Day: 3}, Line: 40}}
	p, err := Make(cfg, pr(runCI, "M python/pkg/srt/sched.py"), graphOf(repo), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Quarantine) != 1 || p.Quarantine[0].Expires != "2031-02-03" || p.Quarantine[0].Owner != "@someone-with-a-long-handle" {
		t.Fatalf("plan quarantine %+v", p.Quarantine)
	}
	js, _ := json.Marshal(p)
	if !strings.Contains(string(js), `"quarantine":[{"test":"python/pkg/test/test_engine.py::TestEngine.`) {
		t.Errorf("plan.json: %s", js)
	}
	var b bytes.Buffer
	Explain(&b, p, false)
	text := b.String()
	for _, want := range []string{"quarantined: 1 (they run", "until 2031-02-03, owner @someone-with-a-long-handle",
		"issues/123456", "cold, see the issue"} {
		if !strings.Contains(text, want) {
			t.Errorf("explain lacks %q:\n%s", want, text)
		}
	}
	_, own, _ := strings.Cut(text, "\nquarantined:")
	for _, l := range strings.Split(own, "\n") {
		if utf8.RuneCountInString(l) > report.Width {
			t.Errorf("line over %d columns: %q", report.Width, l)
		}
	}
	if md := Markdown(p); !strings.Contains(md, "| `python/pkg/test/test_engine.py::TestEngine.test_a_rather_long_name_for_a_test` | 2031-02-03 |") {
		t.Errorf("summary:\n%s", md)
	}
	cfg.Quarantine = nil
	if p, _ = Make(cfg, pr(runCI), nil, Options{}); p.Quarantine != nil {
		t.Error("a plan without entries lists some")
	}
}
