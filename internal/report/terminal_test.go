package report

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

type exitErr struct{ error }

func (exitErr) ExitStatus() int { return 130 }

// The error mage prints ("Error: " and the error) fits 100 columns: cut
// to its first part when the summary showed it in full, else wrapped with
// nothing lost; the exit status and the wrapped error stay.
func TestTerminalErrorFits(t *testing.T) {
	long := "unitTest1: 2 failure(s): python/sgl_jax/test/test_a.py:12: AssertionError: a bad value slipped through; " +
		"python/sgl_jax/test/test_b.py:40: ValueError: checksum mismatched 3 times"
	base := exitErr{errors.New(long + "\nlint: not run: interrupted")}
	for _, shown := range []bool{true, false} {
		err := TerminalError(base, shown)
		line := errorLead + err.Error()
		for _, l := range strings.Split(line, "\n") {
			if n := utf8.RuneCountInString(l); n > Width {
				t.Errorf("shown %v: %d columns: %q", shown, n, l)
			}
		}
		var c interface{ ExitStatus() int }
		if !errors.As(err, &c) || c.ExitStatus() != 130 || !errors.Is(err, base) {
			t.Errorf("shown %v: the exit status or the error is lost: %v", shown, err)
		}
		if TerminalError(err, !shown) != err {
			t.Errorf("shown %v: made again", shown)
		}
		if shown {
			if !strings.HasPrefix(line, "Error: unitTest1: 2 failure(s): python/sgl_jax/test/test_a.py:12…") ||
				!strings.HasSuffix(line, "… (and 1 more: see above)") || strings.Contains(line, "\n") {
				t.Errorf("cut: %q", line)
			}
		} else if got := strings.Join(strings.Fields(err.Error()), " "); got != strings.Join(strings.Fields(base.Error()), " ") {
			t.Errorf("wrapped, words lost: %q", err.Error())
		}
	}
	if err := TerminalError(errors.New("lint: 1 failure(s)"), true); err.Error() != "lint: 1 failure(s)" {
		t.Errorf("a short error changed: %q", err)
	}
	if TerminalError(nil, true) != nil {
		t.Error("nil is an error")
	}
}
