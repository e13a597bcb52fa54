package config

import (
	"slices"
	"strings"
	"testing"
)

func TestGatingDefaults(t *testing.T) {
	var g Gating
	if g.Full() != "test:full" || !g.Narrow() || !slices.Equal(g.RunAllGlobs(), DefaultRunAll) || !slices.Equal(g.IgnoreGlobs(), DefaultIgnore) {
		t.Fatalf("defaults: %+v", g)
	}
	if got := g.Roots("python"); !slices.Equal(got, []string{"python", ""}) {
		t.Errorf("roots: %q", got)
	}
	if r, err := g.Runner(4); err != nil || r != DefaultRunner {
		t.Errorf("runner: %q %v", r, err)
	}
	off := false
	g = Gating{Impact: &off, ImportRoots: []string{"python", "."}, RunAll: []string{}, Runners: map[string]string{"0": "cpu", "1": "v6e-1", "4": "v6e-4"}}
	if g.Narrow() || len(g.RunAllGlobs()) != 0 || !slices.Equal(g.Roots("x"), []string{"python", ""}) {
		t.Errorf("explicit values: %+v", g)
	}
	for chips, want := range map[int]string{0: "cpu", 1: "v6e-1", 2: "v6e-4", 4: "v6e-4"} {
		if got, err := g.Runner(chips); err != nil || got != want {
			t.Errorf("Runner(%d) = %q, %v; want %q", chips, got, err, want)
		}
	}
	if _, err := g.Runner(8); err == nil || !strings.Contains(err.Error(), "no runner in [gating.runners] has 8 chips") {
		t.Errorf("Runner(8): %v", err)
	}
}

func TestGatingValidation(t *testing.T) {
	cases := []struct{ doc, want string }{
		{"[gating]\nrun_all = [\"a/[\"]\n", "x.toml:2:12: gating.run_all[0]: invalid glob"},
		{"[gating]\nignore = [\"ok\", \"{\"]\n", "gating.ignore[1]: invalid glob"},
		{"[gating.runners]\nfour = \"v6e-4\"\n", "gating.runners.four: key must be a chip count"},
		{"[gating.runners]\n\"1\" = \" \"\n", "empty runner label"},
		{"[gating]\nimpact = \"yes\"\n", "gating.impact"},
	}
	for _, c := range cases {
		if got := errText(t, c.doc); !strings.Contains(got, c.want) {
			t.Errorf("doc:\n%s\ngot  %q\nwant %q", c.doc, got, c.want)
		}
	}
}

func TestDefaultGatingIsValid(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for chips, want := range map[int]string{0: "arc-runner-cpu-us-south1-b", 1: "arc-runner-v6e-1-us-south1-ai1b", 4: "arc-runner-v6e-4-us-south1-ai1b"} {
		if got, err := c.Gating.Runner(chips); err != nil || got != want {
			t.Errorf("default Runner(%d) = %q, %v; want %q", chips, got, err, want)
		}
	}
	if !slices.Equal(c.Gating.Roots("python"), []string{"python", "test/srt", ""}) {
		t.Errorf("default roots: %q", c.Gating.Roots("python"))
	}
}
