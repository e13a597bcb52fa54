// Package textline cuts command output and messages down to what fits in
// one line of a log, an error or a report cell.
package textline

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// First is the first line of s, surrounding blank space trimmed.
func First(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(l)
}

// Last is the last line of s, surrounding blank space trimmed.
func Last(s string) string {
	s = strings.TrimSpace(s)
	return strings.TrimSpace(s[strings.LastIndexByte(s, '\n')+1:])
}

// Tail is the last n lines of s joined with " | ", for one-line errors.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// Clip shortens s to at most n bytes, cutting at a rune boundary and
// marking the cut with "...".
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !startsRune(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// FirstClipped is First(s) clipped to n bytes.
func FirstClipped(s string, n int) string { return Clip(First(s), n) }

// Abbrev is the first n characters of an identifier such as a commit or
// digest, or the identifier itself when shorter.
func Abbrev(id string, n int) string {
	if len(id) > n {
		return id[:n]
	}
	return id
}

func startsRune(b byte) bool { return b&0xC0 != 0x80 }

// Joined folds s onto one line: runs of whitespace, newlines included,
// become one space.
func Joined(s string) string { return strings.Join(strings.Fields(s), " ") }

// Safe is s for one line of a log: a value holding a newline, a carriage
// return or another control character (a label, a ref or a file name from
// outside) is printed Go-quoted, so that it can never start a line of its
// own.
func Safe(s string) string {
	if strings.ContainsFunc(s, unicode.IsControl) {
		return strconv.Quote(s)
	}
	return s
}

// Brief is s when it has at most n runes, else its first clause (up to
// the first ": ", "; " or " ("), clipped to n runes with "…": the short
// form of a reason whose whole text is printed elsewhere.
func Brief(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := len(s)
	for _, sep := range []string{": ", "; ", " ("} {
		if i := strings.Index(s, sep); i > 0 && i < cut {
			cut = i
		}
	}
	if r := []rune(s[:cut]); len(r) > n {
		return strings.TrimRight(string(r[:max(n-1, 0)]), " ") + "…"
	}
	return s[:cut]
}
