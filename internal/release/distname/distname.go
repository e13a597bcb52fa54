// Package distname spells Python distribution names the ways the
// packaging standards compare, file and validate them (PEP 503, PEP 427
// with PEP 625, PEP 508).
package distname

import (
	"regexp"
	"strings"
)

// Normalize is a distribution name as PEP 503 compares it
// ("Tiny_Pkg.Demo" -> "tiny-pkg-demo").
func Normalize(name string) string {
	return strings.ToLower(seps.ReplaceAllString(name, "-"))
}

// FileName is a distribution name as PEP 427 and PEP 625 spell it in file
// names ("sgl-jax" -> "sgl_jax").
func FileName(name string) string {
	return strings.ReplaceAll(Normalize(name), "-", "_")
}

// Valid reports whether name is a valid distribution name (PEP 508).
func Valid(name string) bool { return valid.MatchString(name) }

var (
	seps  = regexp.MustCompile(`[-_.]+`)
	valid = regexp.MustCompile(`(?i)^([a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$`)
)
