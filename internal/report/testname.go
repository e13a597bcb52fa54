package report

import (
	"path/filepath"
	"strings"
)

// TestInFile is a case's name without the module path that repeats its file:
// in a/test_x.py, pytest's "a.test_x.C::test_b" is "C::test_b" and
// unittest's "test_x.C.test_b" is "C.test_b".
func TestInFile(name, file string) string {
	mod := strings.TrimSuffix(filepath.Base(file), ".py")
	dotted, test, pytest := strings.Cut(name, "::")
	parts := strings.Split(dotted, ".")
	k := len(parts) - 1
	for k >= 0 && parts[k] != mod {
		k--
	}
	rest := strings.Join(parts[k+1:], ".")
	switch {
	case k < 0 || (!pytest && rest == ""):
		return name
	case !pytest:
		return rest
	case rest == "":
		return test
	}
	return rest + "::" + test
}
