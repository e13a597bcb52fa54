package ci

import (
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Match reports whether path matches one glob with the semantics of
// dorny/paths-filter (picomatch with dot:true): "*" stays inside a path
// segment, "**" crosses segments, dot files match, and a leading "!"
// inverts the pattern, so "!docs/**" matches every file outside docs.
func Match(pattern, path string) bool {
	neg := false
	for strings.HasPrefix(pattern, "!") {
		neg = !neg
		pattern = pattern[1:]
	}
	ok, err := doublestar.Match(pattern, path)
	if err != nil {
		// Validation rejects bad globs; an unchecked one matches nothing.
		return false
	}
	return ok != neg
}

// MatchAny reports whether path matches any of the globs: a file belongs to
// a paths-filter filter when one of its patterns matches.
func MatchAny(patterns []string, path string) (string, bool) {
	for _, p := range patterns {
		if Match(p, path) {
			return p, true
		}
	}
	return "", false
}
