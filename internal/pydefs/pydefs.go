// Package pydefs tells whether a Python test file defines the test a
// name gives (pytest's test_x, TestX::test_y, test_x[param]; unittest's
// TestX.test_y), from the file's text: so that a misspelt test in
// TPUCI_ONLY or a quarantine entry is refused before any work instead of
// running or muting nothing.
package pydefs

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

var (
	defRE   = regexp.MustCompile(`(?m)^[ \t]*(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)`)
	classRE = regexp.MustCompile(`(?m)^[ \t]*class[ \t]+([A-Za-z_]\w*)[ \t]*(?:\(([^)]*)\))?`)
)

// plainBases are base classes that bring no tests: a class with only
// these defines every test it has in its own file.
var plainBases = map[string]bool{"": true, "object": true, "TestCase": true, "unittest.TestCase": true,
	"CustomTestCase": true, "absltest.TestCase": true, "parameterized.TestCase": true}

// Defs are the function and class names of one file, with each class's
// bases.
type Defs struct {
	funcs   map[string]bool
	classes map[string][]string
}

// Parse reads the names src defines.
func Parse(src string) Defs {
	d := Defs{funcs: map[string]bool{}, classes: map[string][]string{}}
	for _, m := range defRE.FindAllStringSubmatch(src, -1) {
		d.funcs[m[1]] = true
	}
	for _, m := range classRE.FindAllStringSubmatch(src, -1) {
		var bases []string
		for _, b := range strings.Split(m[2], ",") {
			if b = strings.TrimSpace(b); b != "" && !strings.Contains(b, "=") {
				bases = append(bases, b)
			}
		}
		d.classes[m[1]] = bases
	}
	return d
}

// Missing is "" when the file may define test, else what it lacks. A
// method the file does not define counts as there when its class has a
// base from elsewhere, which may define it.
func (d Defs) Missing(test string) string {
	test, _, _ = strings.Cut(test, "[") // a parametrised id names its function
	parts := strings.FieldsFunc(test, func(r rune) bool { return r == ':' || r == '.' })
	if len(parts) == 0 {
		return "no test name"
	}
	first := parts[0]
	bases, isClass := d.classes[first]
	switch {
	case len(parts) == 1:
		if !d.funcs[first] && !isClass {
			return fmt.Sprintf("no test function or class %s", first)
		}
	case !isClass:
		return fmt.Sprintf("no class %s", first)
	default:
		for _, p := range parts[1:] {
			if d.funcs[p] || d.classes[p] != nil {
				continue
			}
			if inherits(bases) {
				return ""
			}
			return fmt.Sprintf("no method %s in %s", p, first)
		}
	}
	return ""
}

func inherits(bases []string) bool {
	for _, b := range bases {
		if !plainBases[b] {
			return true
		}
	}
	return false
}

// Check reads the file at path and says, as an error, which part of test
// it does not define.
func Check(path, test string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("pydefs: %w", err)
	}
	if why := Parse(string(src)).Missing(test); why != "" {
		return fmt.Errorf("%s", why)
	}
	return nil
}
