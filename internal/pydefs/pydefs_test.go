package pydefs

import "testing"

const src = `import unittest
from base import Mixin

def test_top():
    pass

async def test_async(): ...

@pytest.mark.parametrize("x", [1, 2])
def test_param(x): ...

class TestPlain(unittest.TestCase):
    def test_a(self): ...

class TestMixed(Mixin, unittest.TestCase):
    def test_own(self): ...

class TestBare:
    def test_b(self): ...
`

func TestMissing(t *testing.T) {
	d := Parse(src)
	for test, want := range map[string]string{
		"test_top":               "",
		"test_async":             "",
		"test_param[1]":          "",
		"TestPlain":              "",
		"TestPlain.test_a":       "",
		"TestPlain::test_a":      "",
		"TestBare::test_b":       "",
		"TestMixed.test_own":     "",
		"TestMixed.test_inherit": "", // Mixin may define it
		"test_topp":              "no test function or class test_topp",
		"TestPlain.test_aa":      "no method test_aa in TestPlain",
		"TestBare::test_c":       "no method test_c in TestBare",
		"TestNope.test_a":        "no class TestNope",
		"::":                     "no test name",
	} {
		if got := d.Missing(test); got != want {
			t.Errorf("Missing(%q) = %q, want %q", test, got, want)
		}
	}
}
