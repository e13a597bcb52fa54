package ci

import (
	"slices"
	"testing"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/impact"
)

// TestExampleRepoSelection runs the selection on the bundled example
// repository with its own configuration.
func TestExampleRepoSelection(t *testing.T) {
	const root = "../example/repo"
	cfg, err := config.Load(root + "/tpuci.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(root); err != nil {
		t.Fatal(err)
	}
	files, err := impact.ReadTree(root)
	if err != nil {
		t.Fatal(err)
	}
	g := impact.Build(impact.ParseAll(files), cfg.Gating.Roots(cfg.Repo.PackageDir))
	if u := g.Unparseable(); len(u) > 0 {
		t.Errorf("unparseable example files: %v", u)
	}
	cases := []struct {
		changed     string
		selected    []string
		notSelected []string
	}{
		{"python/sgl_jax/srt/kernels/update_kv_cache/update_kv_cache.py",
			[]string{"python/sgl_jax/test/test_update_kv_cache.py"},
			[]string{"python/sgl_jax/test/test_sampling_params.py", "python/sgl_jax/test/test_rotary_embedding.py"}},
		{"python/sgl_jax/srt/sampling/sampling_params.py",
			[]string{"python/sgl_jax/test/test_sampling_params.py"},
			[]string{"python/sgl_jax/test/test_megablox_gmm.py"}},
		{"test/srt/eval_common.py",
			[]string{"test/srt/test_eval_small.py"},
			[]string{"python/sgl_jax/test/test_attention.py", "test/srt/test_generate.py"}},
		// The server entry point: every test that launches it runs.
		{"python/sgl_jax/launch_server.py",
			[]string{"test/srt/test_eval_small.py", "test/srt/test_generate.py"},
			[]string{"python/sgl_jax/test/test_attention.py"}},
	}
	for _, c := range cases {
		p, err := Make(cfg, pr(runCI, "M "+c.changed), g, Options{})
		if err != nil {
			t.Fatal(err)
		}
		sel := p.Selection()
		for _, f := range c.selected {
			if !slices.Contains(sel, f) {
				t.Errorf("%s changed: %s not selected (selection %v)", c.changed, f, sel)
			}
		}
		for _, f := range c.notSelected {
			if slices.Contains(sel, f) {
				t.Errorf("%s changed: %s selected but imports nothing changed", c.changed, f)
			}
		}
	}
}

func BenchmarkExampleGraph(b *testing.B) {
	files, err := impact.ReadTree("../example/repo")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		impact.Build(impact.ParseAll(files), []string{"python", "test/srt", ""})
	}
}
