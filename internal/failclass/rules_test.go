package failclass

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README's infrastructure rules table is RulesMarkdown()'s.
func TestREADMERulesTable(t *testing.T) {
	const begin, end = "<!-- failclass rules: generated from internal/failclass " +
		"(go test ./internal/failclass -update) -->\n", "<!-- end of failclass rules -->"
	path := filepath.Join("..", "..", "README.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the markers %q ... %q", begin, end)
	}
	want := s[:i] + begin + "\n" + RulesMarkdown() + "\n" + s[j:]
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want != s {
		t.Error("README.md's infrastructure rules table is stale: go test ./internal/failclass -update")
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
