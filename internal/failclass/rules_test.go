package failclass

import (
	"path/filepath"
	"testing"

	"github.com/sgl-project/tpuci/internal/readme"
)

// The README's infrastructure rules table is RulesMarkdown()'s.
func TestREADMERulesTable(t *testing.T) {
	b := readme.Block{Name: "failclass rules", Pkg: "failclass"}
	if err := b.Check(filepath.Join("..", "..", "README.md"), RulesMarkdown(), *update); err != nil {
		t.Error(err)
	}
}

func TestMatchInfra(t *testing.T) {
	for _, tc := range []struct {
		log  string
		code int
		rule string
	}{
		{"host lock: the TPUs are in use by tpuci e2e", 1, "chip-lock-lost"},
		{"RuntimeError: TPU initialization failed: ...", 1, "device-busy"},
		{"kernel: Out of memory: Killed process 12 (python)", 137, "host-oom"},
		{"jax.errors.JaxRuntimeError: RESOURCE_EXHAUSTED: HBM", 1, ""},
		{"server qwen: not ready within 10m0s", 1, "server-not-ready"},
		{"requests.exceptions.ConnectionError: Max retries exceeded with url: /x", 1, "download"},
		{"AssertionError", 10, "exit-10"},
		{"AssertionError", 1, ""},
	} {
		r, _, ok := MatchInfra(tc.log, tc.code)
		if ok != (tc.rule != "") || r.Name != tc.rule {
			t.Errorf("%q exit %d: rule %q (%v), want %q", tc.log, tc.code, r.Name, ok, tc.rule)
		}
	}
}
