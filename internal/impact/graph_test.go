package impact

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// synthetic is a small repository with one example of every edge rule.
var synthetic = map[string]string{
	"python/pkg/__init__.py":          "from pkg.version import __version__\n",
	"python/pkg/version.py":           "__version__ = '1'\n",
	"python/pkg/launch.py":            "from pkg.srt import engine\n",
	"python/pkg/srt/__init__.py":      "from .engine import Engine  # re-export\n",
	"python/pkg/srt/engine.py":        "from . import sched\nfrom ..util import helper\nimport numpy\n",
	"python/pkg/srt/sched.py":         "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.srt.hints import Hint\n",
	"python/pkg/srt/hints.py":         "X = 1\n",
	"python/pkg/srt/fast.py":          "try:\n    import pkg.srt.native as impl\nexcept ImportError:\n    impl = None\n",
	"python/pkg/srt/native.py":        "Y = 1\n",
	"python/pkg/util/__init__.py":     "",
	"python/pkg/util/helper.py":       "Z = 1\n",
	"python/pkg/models/__init__.py":   "",
	"python/pkg/models/registry.py":   "import importlib, pkgutil\nfor m in pkgutil.iter_modules(['pkg.models']):\n    importlib.import_module(m.name)\n",
	"python/pkg/models/llama.py":      "A = 1\n",
	"python/pkg/models/moe/qwen.py":   "B = 1\n",
	"python/pkg/test/__init__.py":     "",
	"python/pkg/test/test_utils.py":   "CMD = ['python', '-m', 'pkg.launch']\n",
	"python/pkg/test/test_engine.py":  "from pkg.srt import Engine\n",
	"python/pkg/test/test_sched.py":   "from pkg.srt import sched\n",
	"python/pkg/test/test_server.py":  "from pkg.test.test_utils import CMD\n",
	"python/pkg/test/test_fast.py":    "from pkg.srt.fast import impl\n",
	"python/pkg/test/test_models.py":  "from pkg.models.registry import *\n",
	"python/pkg/test/test_version.py": "import os\n",
	"test/srt/run_eval.py":            "from pkg.util import helper\n",
	"test/srt/test_eval.py":           "from run_eval import *  # sibling script\n",
	"test/srt/sub/test_deep.py":       "import run_eval  # via the test/srt root\n",
	"test/srt/test_file_load.py":      "spec = spec_from_file_location('k', '../../python/pkg/srt/native.py')\n",
	"test/srt/test_uses_gone.py":      "from pkg.srt import gone\nimport pkg.old\n",
	"test/srt/conftest.py":            "import pytest\n",
	"test/srt/test_plain.py":          "import json\n",
	"test/srt/test_bad_neighbour.py":  "import broken\n",
	"test/srt/broken.py":              "x = (\n",
}

func syntheticGraph(t *testing.T, drop ...string) *Graph {
	t.Helper()
	files := map[string][]byte{}
	for p, s := range synthetic {
		if !slices.Contains(drop, p) {
			files[p] = []byte(s)
		}
	}
	return Build(ParseAll(files), []string{"python", "test/srt", ""})
}

func deps(g *Graph, f string) []string {
	var out []string
	for _, e := range g.Deps(f) {
		out = append(out, e.To)
	}
	slices.Sort(out)
	return out
}

func TestGraphEdges(t *testing.T) {
	g := syntheticGraph(t)
	cases := map[string][]string{
		// ancestor __init__ files of an absolute import
		"python/pkg/launch.py": {"python/pkg/__init__.py", "python/pkg/srt/__init__.py", "python/pkg/srt/engine.py"},
		// relative imports: the package __init__, a sibling submodule, a parent package
		"python/pkg/srt/engine.py": {"python/pkg/__init__.py", "python/pkg/srt/__init__.py", "python/pkg/srt/sched.py", "python/pkg/util/__init__.py", "python/pkg/util/helper.py"},
		// TYPE_CHECKING imports never run
		"python/pkg/srt/sched.py": nil,
		// try/except imports run when available
		"python/pkg/srt/fast.py": {"python/pkg/__init__.py", "python/pkg/srt/__init__.py", "python/pkg/srt/native.py"},
		// computed imports load anything in the package and below
		"python/pkg/models/registry.py": {"python/pkg/__init__.py", "python/pkg/models/__init__.py", "python/pkg/models/llama.py", "python/pkg/models/moe/qwen.py"},
		// -m module strings
		"python/pkg/test/test_utils.py": {"python/pkg/__init__.py", "python/pkg/launch.py"},
		// a script's sibling, and a module on an import root
		"test/srt/test_eval.py":     {"test/srt/run_eval.py"},
		"test/srt/sub/test_deep.py": {"test/srt/run_eval.py"},
		// a Python file loaded by path
		"test/srt/test_file_load.py": {"python/pkg/srt/native.py"},
	}
	for f, want := range cases {
		if got := deps(g, f); !slices.Equal(got, want) {
			t.Errorf("%s depends on\n  %q\nwant\n  %q", f, got, want)
		}
	}
	if err := g.Err("test/srt/broken.py"); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("broken.py: want a parse error at line 2, got %v", err)
	}
}

// selected lists the test files affected by a change.
func selected(g *Graph, changed ...string) []string {
	r := g.Reach(changed)
	var out []string
	for _, f := range g.Files() {
		base := filepath.Base(f)
		if !strings.HasPrefix(base, "test_") || base == "test_utils.py" {
			continue
		}
		if _, ok := r.Test(f); ok {
			out = append(out, f)
		}
	}
	return out
}

func TestReachSelection(t *testing.T) {
	g := syntheticGraph(t)
	cases := []struct {
		name    string
		changed []string
		want    []string
	}{
		{"re-exported module", []string{"python/pkg/srt/engine.py"}, []string{
			// test_server reaches the engine through the -m string in test_utils.
			// test_sched and test_uses_gone import pkg.srt, whose __init__ imports the engine.
			"python/pkg/test/test_engine.py", "python/pkg/test/test_fast.py", "python/pkg/test/test_sched.py",
			"python/pkg/test/test_server.py", "test/srt/test_bad_neighbour.py", "test/srt/test_uses_gone.py"}},
		{"type-only dependency", []string{"python/pkg/srt/hints.py"}, []string{"test/srt/test_bad_neighbour.py"}},
		{"package version reaches all importers of the package", []string{"python/pkg/version.py"}, []string{
			"python/pkg/test/test_engine.py", "python/pkg/test/test_fast.py", "python/pkg/test/test_models.py",
			"python/pkg/test/test_sched.py", "python/pkg/test/test_server.py", "python/pkg/test/test_version.py",
			"test/srt/sub/test_deep.py", "test/srt/test_bad_neighbour.py", "test/srt/test_eval.py", "test/srt/test_uses_gone.py"}},
		{"dynamic registry", []string{"python/pkg/models/moe/qwen.py"}, []string{"python/pkg/test/test_models.py", "test/srt/test_bad_neighbour.py"}},
		{"file loaded by path", []string{"python/pkg/srt/native.py"}, []string{
			"python/pkg/test/test_fast.py", "test/srt/test_bad_neighbour.py", "test/srt/test_file_load.py"}},
		{"sibling script", []string{"test/srt/run_eval.py"}, []string{"test/srt/sub/test_deep.py", "test/srt/test_bad_neighbour.py", "test/srt/test_eval.py"}},
		{"deleted module", []string{"python/pkg/srt/gone.py"}, []string{"test/srt/test_bad_neighbour.py", "test/srt/test_uses_gone.py"}},
		{"deleted top module", []string{"python/pkg/old.py"}, []string{"test/srt/test_bad_neighbour.py", "test/srt/test_uses_gone.py"}},
		{"conftest", []string{"test/srt/conftest.py"}, []string{
			"test/srt/sub/test_deep.py", "test/srt/test_bad_neighbour.py", "test/srt/test_eval.py",
			"test/srt/test_file_load.py", "test/srt/test_plain.py", "test/srt/test_uses_gone.py"}},
		{"nothing changed", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := selected(g, c.changed...); !slices.Equal(got, c.want) {
				t.Errorf("changed %v selects\n  %q\nwant\n  %q", c.changed, got, c.want)
			}
		})
	}
}

func TestReachExplains(t *testing.T) {
	g := syntheticGraph(t)
	r := g.Reach([]string{"python/pkg/util/helper.py"})
	got, ok := r.Test("python/pkg/test/test_server.py")
	want := "python/pkg/test/test_server.py -> python/pkg/test/test_utils.py -> python/pkg/launch.py -> python/pkg/srt/engine.py -> python/pkg/util/helper.py (changed)"
	if !ok || got != want {
		t.Errorf("explanation:\n got %q\nwant %q", got, want)
	}
	r = g.Reach([]string{"python/pkg/srt/gone.py"})
	if got, _ := r.Test("test/srt/test_uses_gone.py"); !strings.Contains(got, "imports python/pkg/srt/gone.py, which is deleted") {
		t.Errorf("deleted-file explanation: %q", got)
	}
	r = g.Reach([]string{"python/pkg/srt/hints.py"})
	if got, _ := r.Test("test/srt/test_bad_neighbour.py"); !strings.Contains(got, "broken.py (cannot be parsed (line 2: end of file inside \"(\"), so it may import anything)") {
		t.Errorf("unparseable explanation: %q", got)
	}
}

func TestDeletedInit(t *testing.T) {
	g := syntheticGraph(t, "python/pkg/util/__init__.py")
	got := selected(g, "python/pkg/util/__init__.py")
	for _, want := range []string{"test/srt/test_eval.py", "python/pkg/test/test_engine.py"} {
		if !slices.Contains(got, want) {
			t.Errorf("deleting util/__init__.py should select %s; got %q", want, got)
		}
	}
}

func TestReadTreeSkipsEnvironments(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a/x.py", ".venv/lib/y.py", "a/__pycache__/z.py", "build/w.py", "pkg.egg-info/v.py", "a/data.json"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("import os\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files, err := ReadTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files["a/x.py"] == nil {
		t.Errorf("ReadTree: %v", files)
	}
	if _, err := ReadTree(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "impact: read python files under") {
		t.Errorf("missing root: %v", err)
	}
}

// BenchmarkBuildRepo scans and resolves a whole checkout; point
// TPUCI_SGLANG_JAX at an SGLang-JAX clone (~720 Python files).
func BenchmarkBuildRepo(b *testing.B) {
	root := os.Getenv("TPUCI_SGLANG_JAX")
	if root == "" {
		b.Skip("set TPUCI_SGLANG_JAX to an SGLang-JAX checkout")
	}
	files, err := ReadTree(root)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(files)), "files")
	for b.Loop() {
		Build(ParseAll(files), []string{"python", "test/srt", ""})
	}
}
