package impact

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// imports renders a scan as "line:module" lines (relative imports with
// their dots, from-imports with their names, flags in brackets).
func imports(t *testing.T, src string) []string {
	t.Helper()
	s, err := Scan([]byte(src))
	if err != nil {
		t.Fatalf("scan: %v\n%s", err, src)
	}
	var out []string
	for _, im := range s.Imports {
		m := strings.Repeat(".", im.Level) + im.Module
		if im.Names != nil {
			m += ":" + strings.Join(im.Names, ",")
		}
		var flags []string
		if im.TypeOnly {
			flags = append(flags, "type")
		}
		if im.Guarded {
			flags = append(flags, "try")
		}
		if im.Dynamic {
			flags = append(flags, "dyn")
		}
		if len(flags) > 0 {
			m += " [" + strings.Join(flags, ",") + "]"
		}
		out = append(out, fmt.Sprintf("%d:%s", im.Line, m))
	}
	return out
}

func TestScanImports(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want []string
	}{
		{"plain", "import os\nimport a.b.c as d, e\n", []string{"1:os", "2:a.b.c", "2:e"}},
		{"from", "from a.b import c, d as e\nfrom x import *\n", []string{"1:a.b:c,d", "2:x:*"}},
		{"relative", "from . import a\nfrom .. import b\nfrom ...pkg.mod import c\nfrom .m import (d)\n",
			[]string{"1:.:a", "2:..:b", "3:...pkg.mod:c", "4:.m:d"}},
		{"parenthesised multi-line", "from a import (\n    b,  # comment\n    c as cc,\n)\nimport z\n",
			[]string{"1:a:b,c", "5:z"}},
		{"backslash continuation", "from a.b \\\n    import c, \\\n    d\nimport e\n", []string{"1:a.b:c,d", "4:e"}},
		{"semicolons", "import a; import b; x = 1\n", []string{"1:a", "1:b"}},
		{"function local", "def f():\n    import inner\n    return 1\n", []string{"2:inner"}},
		{"docstring", "\"\"\"Doc.\n\nimport not_me\nfrom no import way\n\"\"\"\nimport yes\n", []string{"6:yes"}},
		{"single-quoted triple", "x = '''\nimport no\n'''\nimport yes\n", []string{"4:yes"}},
		{"string with import", "s = \"import no\"; t = 'from x import y'\n", nil},
		{"comment", "# import no\nimport yes  # import no2\n", []string{"2:yes"}},
		{"escaped quotes", "s = \"a\\\"import no\"\nimport yes\n", []string{"2:yes"}},
		{"raw and byte strings", "s = r'\\'; import no'\nb = rb\"x\"\nimport yes\n", []string{"3:yes"}},
		{"type checking", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from a import B\n    import c\nimport d\n",
			[]string{"1:typing:TYPE_CHECKING", "3:a:B [type]", "4:c [type]", "5:d"}},
		{"typing.TYPE_CHECKING with else", "import typing\nif typing.TYPE_CHECKING:\n    import a\nelse:\n    import b\n",
			[]string{"1:typing", "3:a [type]", "5:b"}},
		{"not TYPE_CHECKING", "if not TYPE_CHECKING:\n    import a\nelse:\n    import b\n", []string{"2:a", "4:b [type]"}},
		{"inline type checking", "if TYPE_CHECKING: import a\nimport b\n", []string{"1:a [type]", "2:b"}},
		{"nested blocks end", "if TYPE_CHECKING:\n    if x:\n        import a\n    import b\nimport c\n",
			[]string{"3:a [type]", "4:b [type]", "5:c"}},
		{"try except", "try:\n    import fast\nexcept ImportError:\n    import slow\nelse:\n    pass\nimport after\n",
			[]string{"2:fast [try]", "4:slow [try]", "7:after"}},
		{"class body", "class A:\n    import inside\n\n    def f(self):\n        pass\nimport outside\n", []string{"2:inside", "6:outside"}},
		{"dynamic literal", "import importlib\nm = importlib.import_module(\"pkg.mod\")\n__import__('other')\n",
			[]string{"1:importlib", "2:pkg.mod [dyn]", "3:other [dyn]"}},
		{"dynamic constant", "NAME = \"pkg.sub\"\nimportlib.import_module(NAME)\n", []string{"2:pkg.sub [dyn]"}},
		{"f-string with nested quotes (PEP 701)", "x = f\"{d[\"k\"]} {y!r:>{w}} {{lit}}\"\nimport yes\n", []string{"2:yes"}},
		{"f-string with import text", "x = f'{a} import no {b:{c}}'\nimport yes\n", []string{"2:yes"}},
		{"multi-line f-string", "x = f\"\"\"\n{a}\nimport no\n\"\"\"\nimport yes\n", []string{"5:yes"}},
		{"PEP 695 generics", "class C[T]:\n    def f[U](self, x: U) -> T: ...\ntype Alias[T] = list[T]\nimport yes\n", []string{"4:yes"}},
		{"match statement", "match cmd:\n    case {\"a\": 1}:\n        import a\n    case _:\n        pass\nmatch = 3\n", []string{"3:a"}},
		{"lambda in header", "if (lambda: 1)():\n    import a\n", []string{"2:a"}},
		{"dict in header", "for k in {1: 2}:\n    import a\n", []string{"2:a"}},
		{"decorator and async", "@dec\nasync def f():\n    import a\n", []string{"3:a"}},
		{"crlf", "import a\r\nfrom b import (\r\n  c,\r\n)\r\n", []string{"1:a", "2:b:c"}},
		{"tabs", "if x:\n\timport a\nimport b\n", []string{"2:a", "3:b"}},
		{"unicode identifiers", "café = 1\nimport naïve\n", []string{"2:naïve"}},
		{"numbers", "x = 0x1E+1; y = 1e-5; z = 1_000j; w = .5\nimport a\n", []string{"2:a"}},
		{"yield from is not an import", "def g():\n    yield from range(3)\n    raise E from err\n", nil},
		{"ellipsis", "def f(): ...\nx = ...\nimport a\n", []string{"3:a"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := imports(t, c.src)
			if !slices.Equal(got, c.want) {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestScanStringsPathsAndDynamic(t *testing.T) {
	src := `import importlib, pkgutil
CMD = ["python", "-m", "pkg.launch_server"]
path = os.path.join(here, "../../bench/bench_x.py")
not_module = "hello world"
version = "1.2.3"
def load(name):
    return importlib.import_module(name)
for m in pkgutil.iter_modules(pkg.__path__):
    pass
`
	s, err := Scan([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Strings) != 1 || s.Strings[0].Value != "pkg.launch_server" || s.Strings[0].Line != 2 {
		t.Errorf("strings: %+v", s.Strings)
	}
	if len(s.Paths) != 1 || s.Paths[0].Value != "../../bench/bench_x.py" {
		t.Errorf("paths: %+v", s.Paths)
	}
	if !slices.Equal(s.Dynamic, []int{7, 8}) {
		t.Errorf("dynamic lines: %v, want [7 8]", s.Dynamic)
	}
}

func TestScanErrors(t *testing.T) {
	cases := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"unterminated string", "import a\nx = 'abc\n", 2, "unterminated string"},
		{"unterminated triple", "import a\nx = \"\"\"abc\n\nimport b\n", 2, "unterminated string"},
		{"unclosed bracket", "from a import (\n  b,\n", 3, "end of file inside"},
		{"unmatched close", "x = 1)\n", 1, "unmatched"},
		{"conflict marker", "import a\n<<<<<<< HEAD\nimport b\n=======\nimport c\n>>>>>>> branch\n", 2, "merge conflict"},
		{"malformed import", "import\n", 1, "malformed import"},
		{"malformed from", "from a import\n", 1, "nothing imported"},
		{"from without import", "from a b\n", 1, "no 'import'"},
		{"stray character", "x = $y\n", 1, "unexpected character"},
		{"invalid utf-8", "import a\nx = '\xff'\n", 2, "UTF-8"},
		{"bad continuation", "x = 1 \\ y\n", 1, "continuation"},
		{"unterminated f-string field", "x = f'{a'\n", 1, "unterminated"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Scan([]byte(c.src))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("want a SyntaxError, got %v", err)
			}
			if se.Line != c.line || !strings.Contains(se.Msg, c.msg) {
				t.Errorf("got line %d %q, want line %d containing %q", se.Line, se.Msg, c.line, c.msg)
			}
		})
	}
}

func FuzzScan(f *testing.F) {
	for _, s := range []string{"import a\n", "from . import (b,\n c)\n", "x = f'{y[\"z\"]:{w}}'\n", "if TYPE_CHECKING:\n  import q\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		// Must never panic or loop; errors are fine.
		done := make(chan struct{})
		go func() { _, _ = Scan(src); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("Scan does not return for %q", src)
		}
	})
}
