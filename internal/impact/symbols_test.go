package impact

import (
	"strings"
	"testing"
)

// A file that takes names from a module depends on what those names need,
// not on every import of the module: a hub's unrelated imports and a
// package's other re-exports do not select it.
var hub = map[string]string{
	"python/pkg/__init__.py":           "",
	"python/pkg/heavy.py":              "X = 1\n",
	"python/pkg/light.py":              "def retry(f):\n    return f\n",
	"python/pkg/utils/__init__.py":     "from .a import foo\nfrom .b import bar as baz\n\n__all__ = ['foo', 'baz']\n",
	"python/pkg/utils/a.py":            "def foo():\n    return 1\n",
	"python/pkg/utils/b.py":            "def bar():\n    return 2\n",
	"python/pkg/lazy/__init__.py":      "def __getattr__(name):\n    import importlib\n    return importlib.import_module('pkg.lazy.' + name)\n",
	"python/pkg/lazy/c.py":             "Y = 1\n",
	"python/pkg/test/__init__.py":      "",
	"python/pkg/test/test_utils.py":    "import os\nfrom pkg.heavy import X\nfrom pkg.light import retry\n\nPORT = int(os.environ.get('PORT', '1'))\n\nclass CustomTestCase:\n    @retry\n    def run(self):\n        return PORT\n\ndef run_heavy():\n    return X\n\ndef launch():\n    from pkg import server\n    return server\n",
	"python/pkg/server.py":             "Z = 1\n",
	"python/pkg/test/test_case.py":     "from pkg.test.test_utils import CustomTestCase\n",
	"python/pkg/test/test_heavy.py":    "from pkg.test.test_utils import CustomTestCase, run_heavy\n",
	"python/pkg/test/test_launch.py":   "from pkg.test.test_utils import launch\n",
	"python/pkg/test/test_star.py":     "from pkg.test.test_utils import *\n",
	"python/pkg/test/test_module.py":   "import pkg.test.test_utils as tu\n",
	"python/pkg/test/test_foo.py":      "from pkg.utils import foo\n",
	"python/pkg/test/test_baz.py":      "from pkg.utils import baz\n",
	"python/pkg/test/test_lazy.py":     "from pkg.lazy import c_value\n",
	"python/pkg/test/test_lazy_sub.py": "from pkg.lazy import c\n",
}

func TestNamesTakenDecideTheEdges(t *testing.T) {
	files := map[string][]byte{}
	for p, src := range hub {
		files[p] = []byte(src)
	}
	g := Build(ParseAll(files), []string{"python"})
	tests := []string{"test_case", "test_heavy", "test_launch", "test_star", "test_module", "test_foo", "test_baz", "test_lazy", "test_lazy_sub"}
	cases := []struct {
		changed string
		want    []string
	}{
		// CustomTestCase needs light.py (its decorator) and PORT, not heavy.py.
		{"python/pkg/heavy.py", []string{"test_heavy", "test_star", "test_module"}},
		{"python/pkg/light.py", []string{"test_case", "test_heavy", "test_star", "test_module"}},
		// A function-local import belongs to its function.
		{"python/pkg/server.py", []string{"test_launch", "test_star", "test_module"}},
		// A change to the hub itself selects every test that takes from it.
		{"python/pkg/test/test_utils.py", []string{"test_case", "test_heavy", "test_launch", "test_star", "test_module"}},
		// Re-exports: only the module defining the name.
		{"python/pkg/utils/b.py", []string{"test_baz"}},
		{"python/pkg/utils/a.py", []string{"test_foo"}},
		{"python/pkg/utils/__init__.py", []string{"test_foo", "test_baz"}},
		// A module __getattr__ hides where names come from: whole module.
		{"python/pkg/lazy/c.py", []string{"test_lazy", "test_lazy_sub"}},
	}
	for _, c := range cases {
		r := g.Reach([]string{c.changed})
		var got []string
		for _, name := range tests {
			if _, ok := r.Test("python/pkg/test/" + name + ".py"); ok {
				got = append(got, name)
			}
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s selects %v, want %v", c.changed, got, c.want)
		}
	}
	r := g.Reach([]string{"python/pkg/light.py"})
	if why, _ := r.Test("python/pkg/test/test_case.py"); !strings.Contains(why, "takes names from python/pkg/test/test_utils.py that need python/pkg/light.py (changed)") {
		t.Errorf("explanation %q", why)
	}
}
