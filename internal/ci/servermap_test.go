package ci

import (
	"maps"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/depmap"
)

// The recorded server of an architecture decides its e2e, perf and
// accuracy tests: a change it did not load (a lazy import) skips them, a
// change it loaded (even with no import path) selects them, the tests'
// own imports still count, and a stale or missing record leaves the
// decision to the static rules.
func TestRecordedServerDecidesServerTests(t *testing.T) {
	files := maps.Clone(repo)
	files["python/pkg/srt/sched.py"] = "def lazy():\n    from pkg.srt import spec\n"
	files["python/pkg/srt/spec.py"] = ""
	files["python/pkg/srt/dyn.py"] = "" // loaded by name at run time
	files["test/srt/test_server.py"] = "from pkg.test.test_utils import CMD\nimport client\nMODEL = 'org/Small-1B'\n"
	files["test/srt/client.py"] = "" // the test's own process loads it
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	small := depmap.Entry{Commit: "abc123", Date: now.Add(-time.Hour), Modules: []string{
		"python/pkg/__init__.py", "python/pkg/launch_server.py", "python/pkg/srt/__init__.py",
		"python/pkg/srt/engine.py", "python/pkg/srt/sched.py", "python/pkg/srt/dyn.py"}}
	fresh := depmap.Map{depmap.ServerKey("SmallForCausalLM"): small}
	stale := depmap.Map{depmap.ServerKey("SmallForCausalLM"): {Commit: "abc123", Date: now.Add(-30 * 24 * time.Hour), Modules: small.Modules}}
	cases := []struct {
		name, change string
		deps         depmap.Map
		server, perf bool // test_server.py selected, perf runs
	}{
		{"lazy import, not loaded", "python/pkg/srt/spec.py", fresh, false, false},
		{"loaded module", "python/pkg/srt/sched.py", fresh, true, true},
		{"loaded with no import path", "python/pkg/srt/dyn.py", fresh, true, true},
		{"the test's own import", "test/srt/client.py", fresh, true, false},
		{"stale record", "python/pkg/srt/spec.py", stale, true, true},
		{"no record", "python/pkg/srt/spec.py", nil, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.Gating.Models = map[string][]string{"org/Small-1B": {"SmallForCausalLM"},
				"m/small": {"SmallForCausalLM"}, "m/big": {"BigForCausalLM"}}
			p, err := Make(cfg, pr(runCI, "M "+c.change), graphOf(files), Options{Deps: c.deps, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			e2e, _ := p.Target("e2e")
			got, why := false, ""
			for _, s := range e2e.Suites {
				for _, f := range append(s.Selected, s.Skipped...) {
					if f.Path == "test/srt/test_server.py" {
						why = f.Why
						got = containsPick(s.Selected, f.Path)
					}
				}
			}
			if got != c.server {
				t.Errorf("test_server.py selected %v, want %v: %s", got, c.server, why)
			}
			if perf, _ := p.Target("perf"); perf.Run != c.perf {
				t.Errorf("perf runs %v, want %v: %s", perf.Run, c.perf, perf.Why)
			}
			// mmlu-big's server has no record: the static rules run it.
			if acc, _ := p.Target("accuracy"); c.change == "python/pkg/srt/spec.py" && !acc.Run {
				t.Errorf("accuracy does not run: %s", acc.Why)
			}
		})
	}
}

func containsPick(ps []Pick, path string) bool {
	for _, p := range ps {
		if p.Path == path {
			return true
		}
	}
	return false
}
