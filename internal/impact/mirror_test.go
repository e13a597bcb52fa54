package impact

import (
	"strings"
	"testing"
)

// A pool test imports the pool; a change to the cache beside it selects
// the test through the directory it sits in, not through an import.
func TestMirroredUnitTests(t *testing.T) {
	files := map[string][]byte{
		"python/pkg/srt/mem_cache/pool.py":       []byte("X = 1\n"),
		"python/pkg/srt/mem_cache/cache.py":      []byte("Y = 1\n"),
		"python/pkg/srt/layers/norm.py":          []byte("Z = 1\n"),
		"python/pkg/srt/models/llama.py":         []byte("class LlamaForCausalLM:\n    pass\nEntryClass = LlamaForCausalLM\n"),
		"python/pkg/srt/server.py":               []byte("W = 1\n"),
		"python/pkg/test/mem_cache/test_pool.py": []byte("from pkg.srt.mem_cache.pool import X\n"),
		"python/pkg/test/models/test_llama.py":   []byte("import json\n"),
		"python/pkg/test/test_top.py":            []byte("import json\n"),
		"test/srt/test_e2e.py":                   []byte("import json\n"),
		"test/srt/lora/test_lora.py":             []byte("import json\n"),
		"python/pkg/srt/lora/adapter.py":         []byte("V = 1\n"),
	}
	g := Build(ParseAll(files), []string{"python", "test/srt", ""})
	cases := []struct {
		changed, test string
		want          bool
	}{
		{"python/pkg/srt/mem_cache/cache.py", "python/pkg/test/mem_cache/test_pool.py", true},
		{"python/pkg/srt/layers/norm.py", "python/pkg/test/mem_cache/test_pool.py", false},
		{"python/pkg/srt/lora/adapter.py", "test/srt/lora/test_lora.py", true},
		// A model file is routed by architecture, not by directory.
		{"python/pkg/srt/models/llama.py", "python/pkg/test/models/test_llama.py", false},
		// Tests at a test root or an import root mirror nothing.
		{"python/pkg/srt/server.py", "test/srt/test_e2e.py", false},
		{"python/pkg/srt/mem_cache/cache.py", "python/pkg/test/test_top.py", false},
	}
	for _, c := range cases {
		why, ok := g.Reach([]string{c.changed}).Test(c.test)
		if ok != c.want {
			t.Errorf("%s changed: %s selected %v (%s), want %v", c.changed, c.test, ok, why, c.want)
		}
		if ok && !strings.Contains(why, "unit test of the") {
			t.Errorf("%s: explanation %q does not name the rule", c.test, why)
		}
	}
}
