package impact

import (
	"strings"
	"testing"
)

// A registry that scans its package loads every model file, but a test
// runs only the models it names: a change to one model file selects the
// tests of its architecture, the registry's own tests and the tests that
// name a model the table does not know.
var zoo = map[string]string{
	"python/pkg/__init__.py":            "",
	"python/pkg/models/__init__.py":     "",
	"python/pkg/models/registry.py":     "import importlib, pkgutil\nfor m in pkgutil.iter_modules(['pkg.models']):\n    importlib.import_module(m.name)\n",
	"python/pkg/models/llama.py":        "from pkg.layers import norm\nclass LlamaForCausalLM: pass\nEntryClass = LlamaForCausalLM\n",
	"python/pkg/models/qwen.py":         "from pkg.layers import rope\nclass QwenForCausalLM: pass\nclass QwenMoeForCausalLM: pass\nEntryClass = [QwenForCausalLM, QwenMoeForCausalLM]\n",
	"python/pkg/models/common.py":       "X = 1\n",
	"python/pkg/layers/__init__.py":     "",
	"python/pkg/layers/norm.py":         "X = 1\n",
	"python/pkg/layers/rope.py":         "X = 1\n",
	"python/pkg/runner.py":              "from pkg.models.registry import *\n",
	"python/pkg/test/__init__.py":       "",
	"python/pkg/test/test_utils.py":     "from pkg.runner import *\nLLAMA = _local('org/Llama-3-8B')\nQWEN = 'org/Qwen-7B'\ndef launch(model=QWEN):\n    pass\n",
	"python/pkg/test/test_llama.py":     "from pkg.test.test_utils import LLAMA\n",
	"python/pkg/test/test_qwen.py":      "from pkg.test.test_utils import launch\n",
	"python/pkg/test/test_none.py":      "from pkg.runner import *\n",
	"python/pkg/test/test_unknown.py":   "from pkg.runner import *\nM = 'someone/Mystery-9B'\n",
	"python/pkg/test/test_registry.py":  "from pkg.models import registry\n",
	"python/pkg/test/test_arch.py":      "from pkg.runner import *\nARCH = 'LlamaForCausalLM'\n",
	"python/pkg/test/test_direct.py":    "from pkg.models import qwen\n",
	"python/pkg/test/test_mime.py":      "from pkg.runner import *\nH = {'type': 'application/json', 'x': 'N/A', 'f': 'data/v1.json'}\n",
	"python/pkg/test/test_typecheck.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.models import qwen\n",
}

func TestModelFilesRoutedByArchitecture(t *testing.T) {
	files := map[string][]byte{}
	for p, src := range zoo {
		files[p] = []byte(src)
	}
	g := Build(ParseAll(files), []string{"python"})
	g.RouteModels(map[string][]string{"org/Llama-3-8B": {"LlamaForCausalLM"}, "org/Qwen-7B": {"QwenForCausalLM"}})
	if got := g.Registries(); len(got) != 1 || got[0] != "python/pkg/models/registry.py" {
		t.Fatalf("registries %v", got)
	}
	r := g.Reach([]string{"python/pkg/layers/rope.py"}) // only qwen.py uses it
	want := map[string]string{
		"python/pkg/test/test_qwen.py":      "runs a QwenForCausalLM model, registered by python/pkg/models/qwen.py imports python/pkg/layers/rope.py (changed)",
		"python/pkg/test/test_llama.py":     "only through the model registry, and runs only LlamaForCausalLM",
		"python/pkg/test/test_none.py":      "only through the model registry, and runs no model",
		"python/pkg/test/test_unknown.py":   "names someone/Mystery-9B, whose architecture [gating.models] does not give",
		"python/pkg/test/test_registry.py":  "imports the model registry python/pkg/models/registry.py",
		"python/pkg/test/test_arch.py":      "runs only LlamaForCausalLM",
		"python/pkg/test/test_direct.py":    "test_direct.py imports python/pkg/models/qwen.py, which imports python/pkg/layers/rope.py (changed)",
		"python/pkg/test/test_mime.py":      "runs no model",
		"python/pkg/test/test_typecheck.py": "",
	}
	selected := map[string]bool{"python/pkg/test/test_qwen.py": true, "python/pkg/test/test_unknown.py": true,
		"python/pkg/test/test_registry.py": true, "python/pkg/test/test_direct.py": true}
	for test, w := range want {
		why, ok := r.Test(test)
		if ok != selected[test] || !strings.Contains(why, w) {
			t.Errorf("%s: selected %v, %q; want %v, %q", test, ok, why, selected[test], w)
		}
	}
	// A server of a Qwen model is affected; one of a Llama model is not.
	if why, ok := r.Launches("python/pkg/runner.py", []string{"org/Qwen-7B"}); !ok || !strings.Contains(why, "QwenForCausalLM") {
		t.Errorf("qwen server: %v %q", ok, why)
	}
	if _, ok := r.Launches("python/pkg/runner.py", []string{"org/Llama-3-8B"}); ok {
		t.Error("llama server selected by a qwen-only change")
	}
	// A change to a file every model imports, or to the registry, is not
	// routed: every test behind the registry runs.
	r = g.Reach([]string{"python/pkg/models/registry.py"})
	for _, test := range []string{"python/pkg/test/test_llama.py", "python/pkg/test/test_none.py"} {
		if _, ok := r.Test(test); !ok {
			t.Errorf("registry change: %s not selected", test)
		}
	}
}
