package runsuite

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// The shape of tpuci's [[suite]] schema, decoded strictly.
type tomlDoc struct {
	Suite []struct {
		Name   string `toml:"name"`
		Target string `toml:"target"`
		Chips  *int   `toml:"chips"`
		Files  []struct {
			Path    string   `toml:"path"`
			Minutes float64  `toml:"minutes"`
			Runner  string   `toml:"runner"`
			Methods []string `toml:"methods"`
		} `toml:"files"`
	} `toml:"suite"`
}

// roundTrip renders suites and decodes the TOML back.
func roundTrip(t *testing.T, suites []Suite) (tomlDoc, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := RenderTOML(suites, &buf); err != nil {
		t.Fatal(err)
	}
	var doc tomlDoc
	dec := toml.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("rendered TOML does not decode: %v\n%s", err, buf.String())
	}
	return doc, buf.String()
}

// checkRoundTrip asserts the decoded document equals the suites.
func checkRoundTrip(t *testing.T, suites []Suite) string {
	t.Helper()
	doc, out := roundTrip(t, suites)
	if len(doc.Suite) != len(suites) {
		t.Fatalf("decoded %d suites, rendered %d", len(doc.Suite), len(suites))
	}
	for i, s := range suites {
		d := doc.Suite[i]
		if d.Name != s.Name || d.Target != InferTarget(s.Name) {
			t.Errorf("suite %d: decoded name %q target %q", i, d.Name, d.Target)
		}
		chips, ok := InferChips(s.Name)
		if ok != (d.Chips != nil) || (ok && *d.Chips != chips) {
			t.Errorf("suite %s: decoded chips %v, inferred %d %v", s.Name, d.Chips, chips, ok)
		}
		if len(d.Files) != len(s.Files) {
			t.Fatalf("suite %s: decoded %d files, want %d", s.Name, len(d.Files), len(s.Files))
		}
		for j, f := range s.Files {
			g := d.Files[j]
			runner := g.Runner
			if runner == "" {
				runner = "python"
			}
			if g.Path != f.Path || g.Minutes != f.Minutes || runner != f.Runner || !reflect.DeepEqual(g.Methods, f.Methods) {
				t.Errorf("suite %s file %d: decoded %+v, want %+v", s.Name, j, g, f)
			}
		}
	}
	return out
}

func TestRenderRoundTrip(t *testing.T) {
	base := DefaultPathBases()["nightly-infra-smoke-tpu-v6e-1"]
	suites := parseFixture(t, Options{PathBase: map[string]string{"nightly-infra-smoke-tpu-v6e-1": base}})
	for i := range suites {
		for j := range suites[i].Files {
			if len(suites[i].Files[j].Methods) == 0 {
				suites[i].Files[j].Methods = nil
			}
		}
	}
	out := checkRoundTrip(t, suites)
	for _, want := range []string{
		"[[suite]]\nname = \"unit-test-tpu-v6e-1\"\ntarget = \"unitTest1\"\nchips = 1\nfiles = [\n",
		"  { path = \"tests/a_test.py\", minutes = 5 },\n",
		"  { path = \"tests/b_test.py\", minutes = 0.25, runner = \"pytest\" },\n",
		"  { path = \"tests/methods.py\", minutes = 2, runner = \"unittest\", methods = [\"TestEval.test_mmlu\", \"TestEval.test_gsm8k\"] },\n",
		"  { path = \"tests/raw\\\\name.py\", minutes = 1 },\n",
		"name = \"unit-test-cpu\"\ntarget = \"unitTest1\"\nchips = 0\nfiles = []\n",
		"name = \"e2e-test-tpu-v6e-4\"\ntarget = \"e2e\"\nchips = 4\n",
		"name = \"kernel-performance-test-tpu-v6e-1\"\ntarget = \"pallas\"\nchips = 1\n",
		"name = \"nightly-infra-smoke-tpu-v6e-1\"\n# target: none inferred",
		"  { path = \"test/srt/smoke.py\", minutes = 15 },\n",
		"name = \"sglang_dependency_test\"\n# target: none inferred from the name; the suite runs only via suite:run\n# chips: not inferred",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered TOML lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "partitions =") {
		t.Error("partitions cannot be inferred and must be left out")
	}
}

func TestRenderEscapes(t *testing.T) {
	suites := []Suite{{Name: "we\"ird\\name\t", Files: []File{
		{Path: "a \"b\"\n\x01\x7fé.py", Minutes: 1.0 / 3, Runner: "python"},
		{Path: "big.py", Minutes: 1e21, Runner: "pytest"},
		{Path: "m.py", Minutes: 0.1, Runner: "unittest", Methods: []string{`A."b"`, `C\d`}},
	}}}
	checkRoundTrip(t, suites)
}

func TestInfer(t *testing.T) {
	tests := []struct {
		name, target string
		chips        int
		ok           bool
	}{
		{"unit-test-tpu-v6e-1", "unitTest1", 1, true},
		{"unit-test-tpu-v6e-4", "unitTest4", 4, true},
		{"unit-test-cpu", "unitTest1", 0, true},
		{"unit-test-gpu", "", 0, false},
		{"e2e-test-tpu-v6e-1", "e2e", 1, true},
		{"accuracy-test-tpu-v6e-4", "accuracy", 4, true},
		{"performance-test-tpu-v6e-1", "perf", 1, true},
		{"kernel-performance-test-tpu-v6e-1", "pallas", 1, true},
		{"nightly-test-perf-text-models-tpu-v6e-4-part2", "", 4, true},
		{"nightly-test-accuracy-text-models-tpu-v6e-1-daily", "", 1, true},
		{"e2e-test-tpu-v6e-16", "e2e", 0, false},
		{"sglang_dependency_test", "", 0, false},
		{"mixed-cpu-v6e-1", "", 0, false},
	}
	for _, tc := range tests {
		if got := InferTarget(tc.name); got != tc.target {
			t.Errorf("InferTarget(%q) = %q, want %q", tc.name, got, tc.target)
		}
		if c, ok := InferChips(tc.name); c != tc.chips || ok != tc.ok {
			t.Errorf("InferChips(%q) = %d, %v; want %d, %v", tc.name, c, ok, tc.chips, tc.ok)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRenderWriteError(t *testing.T) {
	err := RenderTOML([]Suite{{Name: "a"}}, failWriter{})
	if err == nil || err.Error() != "suite:import: write toml: disk full" {
		t.Errorf("err = %v", err)
	}
}
