package runsuite

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func parseFixture(t *testing.T, opt Options) []Suite {
	t.Helper()
	src, err := os.ReadFile("testdata/constructs.py")
	if err != nil {
		t.Fatal(err)
	}
	suites, err := ParseWith("constructs.py", src, opt)
	if err != nil {
		t.Fatal(err)
	}
	return suites
}

func TestParseConstructs(t *testing.T) {
	got := parseFixture(t, Options{})
	py, pt, ut := "python", "pytest", "unittest"
	want := []Suite{
		{Name: "unit-test-tpu-v6e-1", Files: []File{
			{Path: "tests/a_test.py", Minutes: 5, Runner: py},
			{Path: "tests/b_test.py", Minutes: 0.25, Runner: pt},
			{Path: "tests/c_test.py", Minutes: 3, Runner: pt},
			{Path: "tests/implicit_concat.py", Minutes: 10, Runner: py},
			{Path: "tests/paren_concat.py", Minutes: 0.5, Runner: py},
			{Path: "tests/plus_concat.py", Minutes: 10, Runner: py},
			{Path: "tests/defaults.py", Minutes: 60, Runner: py},
			{Path: "tests/methods.py", Minutes: 2, Runner: ut, Methods: []string{"TestEval.test_mmlu", "TestEval.test_gsm8k"}},
			{Path: "tests/kw_methods.py", Minutes: 60, Runner: ut, Methods: []string{"A.b"}},
			{Path: "tests/none_methods.py", Minutes: 4, Runner: pt},
			{Path: "tests/empty_methods.py", Minutes: 4, Runner: py},
			{Path: "tests/single_quoted.py", Minutes: 7, Runner: py},
			{Path: "tests/escapedé.py", Minutes: 0, Runner: py},
			{Path: `tests/raw\name.py`, Minutes: 1, Runner: py},
		}},
		{Name: "unit-test-cpu"},
		{Name: "e2e-test-tpu-v6e-4", Files: []File{
			{Path: "tests/e1.py", Minutes: 1, Runner: py},
			{Path: "tests/e2.py", Minutes: 2, Runner: py},
			{Path: "tests/e3.py", Minutes: 3, Runner: py},
		}},
		{Name: "kernel-performance-test-tpu-v6e-1", Files: []File{{Path: "bench/k.py", Minutes: 2, Runner: py}}},
		{Name: "nightly-infra-smoke-tpu-v6e-1", Files: []File{{Path: "smoke.py", Minutes: 15, Runner: py}}},
		{Name: "sglang_dependency_test"},
	}
	// An empty test_methods list means "whole file", as in Python.
	for i := range got {
		for j := range got[i].Files {
			if len(got[i].Files[j].Methods) == 0 {
				got[i].Files[j].Methods = nil
			}
		}
	}
	if len(got) != len(want) {
		t.Fatalf("got %d suites, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("suite %d:\n got %#v\nwant %#v", i, got[i], want[i])
		}
	}
}

func TestParsePathBase(t *testing.T) {
	got := parseFixture(t, Options{PathBase: map[string]string{"nightly-infra-smoke-tpu-v6e-1": "test/srt", "e2e-test-tpu-v6e-4": "x/"}})
	if p := got[4].Files[0].Path; p != "test/srt/smoke.py" {
		t.Errorf("path base not applied: %s", p)
	}
	if p := got[2].Files[2].Path; p != "x/tests/e3.py" {
		t.Errorf("path base not applied: %s", p)
	}
	if p := got[0].Files[0].Path; p != "tests/a_test.py" {
		t.Errorf("path base leaked into another suite: %s", p)
	}
	src, _ := os.ReadFile("testdata/constructs.py")
	_, err := ParseWith("constructs.py", src, Options{PathBase: map[string]string{"no-such-suite": "test/srt"}})
	if err == nil || !strings.Contains(err.Error(), "constructs.py defines no suite no-such-suite") {
		t.Errorf("unknown path base suite: err = %v", err)
	}
}

// wrap puts a suites table into a file with some surrounding Python.
func wrap(table string) string {
	return "import os\n\n" + table + "\n\nprint(1)\n"
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"no table", "x = 1\n", "bad.py: no `suites = {...}` assignment found"},
		{"name reference", wrap("suites = {\n    \"a\": common,\n}"), `bad.py:4:10: expected "[" to open a list of TestFile(...), found name common`},
		{"call other than TestFile", wrap("suites = {\"a\": [Other(\"x.py\")]}"), "bad.py:3:17: expected TestFile(...), found name Other"},
		{"comprehension", wrap("suites = {\"a\": [TestFile(f) for f in x]}"), "bad.py:3:26: found name f as a TestFile argument"},
		{"comprehension after literal", wrap("suites = {\"a\": [TestFile(\"a.py\") for f in x]}"), "bad.py:3:34: expected ',' or ']' after TestFile(...), found name for"},
		{"f-string", wrap("suites = {\"a\": [TestFile(f\"{d}/x.py\")]}"), "bad.py:3:26: f-string not supported"},
		{"bytes", wrap("suites = {\"a\": [TestFile(b\"x.py\")]}"), "bytes literal"},
		{"expression for minutes", wrap("suites = {\"a\": [TestFile(\"x.py\", 2 * 3)]}"), `bad.py:3:36: expected ',' or ')' in TestFile(...), found "*"`},
		{"negative minutes", wrap("suites = {\"a\": [TestFile(\"x.py\", -1)]}"), "bad.py:3:34: estimated_time -1 must be a finite number"},
		{"hex minutes", wrap("suites = {\"a\": [TestFile(\"x.py\", 0x10)]}"), "unsupported number literal 0x10"},
		{"leading zero", wrap("suites = {\"a\": [TestFile(\"x.py\", 07)]}"), "unsupported number literal 07"},
		{"unknown keyword", wrap("suites = {\"a\": [TestFile(\"x.py\", timeout=3)]}"), `bad.py:3:34: TestFile has no argument "timeout"`},
		{"twice", wrap("suites = {\"a\": [TestFile(\"x.py\", 3, estimated_time=3)]}"), "TestFile argument estimated_time given twice"},
		{"positional after keyword", wrap("suites = {\"a\": [TestFile(name=\"x.py\", 3)]}"), "positional TestFile argument after a keyword argument"},
		{"too many", wrap("suites = {\"a\": [TestFile(\"x.py\", 3, None, \"python\", None, 1)]}"), "at most 5 arguments"},
		{"missing name", wrap("suites = {\"a\": [TestFile(estimated_time=3)]}"), "bad.py:3:17: TestFile without a name"},
		{"bad runner", wrap("suites = {\"a\": [TestFile(\"x.py\", runner=\"uv\")]}"), `runner "uv": want "python" or "pytest"`},
		{"extra deps", wrap("suites = {\"a\": [TestFile(\"x.py\", extra_deps=[\"numpy\"])]}"), `extra_deps ["numpy"], which tpuci does not install`},
		{"absolute path", wrap("suites = {\"a\": [TestFile(\"/abs/x.py\")]}"), "must be a non-empty path relative"},
		{"duplicate suite", wrap("suites = {\n\"a\": [],\n\"a\": [],\n}"), `bad.py:5:1: suite "a" defined twice (first on line 4)`},
		{"non-string key", wrap("suites = {1: []}"), "bad.py:3:11: expected a suite name string, found number 1"},
		{"dict unpacking", wrap("suites = {**base}"), `bad.py:3:11: expected a suite name string, found "**"`},
		{"missing comma", wrap("suites = {\"a\": [] \"b\": []}"), `expected ',' or '}' after suite "a", found string "b"`},
		{"table then more", wrap("suites = {} | extra"), `bad.py:3:13: expected end of line after the suites table, found "|"`},
		{"later mutation", wrap("suites = {}\nsuites[\"b\"] = []"), `bad.py:4:1: suites changed after its definition on line 3 (found "[")`},
		{"later update", wrap("suites = {}\nsuites.update(x)"), "suites changed after its definition"},
		{"second assignment", wrap("suites = {}\nsuites = {}"), "suites changed after its definition"},
		{"not a dict", wrap("suites = dict(a=[])"), `bad.py:3:10: expected "{" to open the suites table, found name dict`},
		{"unterminated string", wrap("suites = {\"a: []}"), "bad.py:3:11: unterminated string"},
		{"unterminated triple", "x = '''abc\n", "bad.py:1:5: unterminated string"},
		{"unmatched bracket", "x = 1)\n", `bad.py:1:6: unmatched ')'`},
		{"named escape", wrap("suites = {\"\\N{DASH}\": []}"), `\N{...} escapes are not supported`},
		{"bad hex escape", wrap("suites = {\"\\xZZ\": []}"), `bad \x escape`},
		{"methods not a list", wrap("suites = {\"a\": [TestFile(\"x.py\", 1, \"A.b\")]}"), `expected "[" to open a list of strings (or None), found string "A.b"`},
		{"empty method", wrap("suites = {\"a\": [TestFile(\"x.py\", 1, [\"\"])]}"), "empty name in test_methods"},
		{"unclosed table", "suites = {\"a\": []", `expected ',' or '}' after suite "a", found end of file`},
		{"annotation without value", "suites: dict\n", "annotated suites has no value"},
		{"use before definition", "suites.update(x)\n", `bad.py:1:7: expected ` + "`suites = {...}`" + `, found "." after suites`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.py", []byte(tc.src))
			if err == nil {
				t.Fatalf("Parse accepted %q", tc.src)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v\nwant it to contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "suite:import: parse bad.py") || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not a one-line message naming the file", err)
			}
		})
	}
	var pe *posError
	_, err := Parse("bad.py", []byte(wrap("suites = {\"a\": x}")))
	if !errors.As(err, &pe) || pe.line != 3 || pe.col != 16 {
		t.Errorf("position = %+v, want 3:16", pe)
	}
}

func TestParseLexing(t *testing.T) {
	// Python that is not part of the table must be walked correctly: the
	// '}' and quotes inside these strings and comments must not confuse it.
	src := `a = "}" + '{' + """ ' " } """ + r'\'' + b"\"" + rb'x'
# suites = {"commented": []}
def f():
    s = "suites = {}"
    return {"k": [1, 2,
                 3]}
suites = {  # comment } inside the table
    "x": [TestFile("a\tb\\c\101\x41\u0041\U00000041\q.py", 1)],  # }
}
`
	got, err := Parse("lex.py", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Name != "x" || got[0].Files[0].Path != "a\tb\\cAAAA\\q.py" {
		t.Errorf("got %+v", got)
	}
	// No final newline, CRLF line ends, a backslash continuation.
	src = "suites = \\\r\n{\r\n  \"y\": [TestFile(\"b.py\", 2)]}"
	got, err = Parse("crlf.py", []byte(src))
	if err != nil || len(got) != 1 || got[0].Files[0].Minutes != 2 {
		t.Errorf("CRLF: %+v %v", got, err)
	}
}
