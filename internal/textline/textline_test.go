package textline

import "testing"

func TestLines(t *testing.T) {
	out := "\n  first  \nsecond\nthird \n\n"
	for _, c := range []struct{ got, want string }{
		{First(out), "first"},
		{Last(out), "third"},
		{First("one"), "one"},
		{Last(""), ""},
		{Tail(out, 2), "second | third"},
		{Tail("a", 3), "a"},
		{Clip("abcdef", 4), "abcd..."},
		{Clip("abc", 4), "abc"},
		{Clip("aé", 2), "a..."}, // never half a rune
		{FirstClipped("long line\nnext", 4), "long..."},
		{Abbrev("0123456789abcdef", 12), "0123456789ab"},
		{Abbrev("v1", 12), "v1"},
		{Brief("short: reason", 20), "short: reason"},
		{Brief("no baseline for this device (cpu x) in f.toml: record one", 40), "no baseline for this device"},
		{Brief("pylint is not available: install it; or not", 30), "pylint is not available"},
		{Brief("one very long clause without any separator", 10), "one very…"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
