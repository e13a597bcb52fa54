package report

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// errorLead is what mage prints before a target's error.
const errorLead = "Error: "

// terminalError is a target's error as mage prints it, after "Error: ":
// within Width columns. The error it stands for is its Unwrap, and mage's
// exit status is that error's.
type terminalError struct {
	err  error
	text string
}

func (e *terminalError) Error() string { return e.text }
func (e *terminalError) Unwrap() error { return e.err }

// ExitStatus is the wrapped error's exit status (an interrupted run's
// 130 or 143), else 1, as mage would give it.
func (e *terminalError) ExitStatus() int {
	var c interface{ ExitStatus() int }
	if errors.As(e.err, &c) {
		return c.ExitStatus()
	}
	return 1
}

// TerminalError is err as a mage target returns it, so that the line
// mage prints ("Error: " and the error) fits Width columns. When the
// summary already printed the error in full (shown), it is cut to one
// line, its beginning kept, ending "… (see above)"; otherwise it is
// wrapped, its continuation lines indented, so that nothing is lost.
func TerminalError(err error, shown bool) error {
	var t *terminalError
	if err == nil || errors.As(err, &t) {
		return err
	}
	full := err.Error()
	if shown {
		return &terminalError{err: err, text: cutLine(full)}
	}
	var lines []string
	for i, l := range strings.Split(full, "\n") {
		if i == 0 {
			l = errorLead + l
		}
		lines = append(lines, Wrap(l, Width, "    "))
	}
	return &terminalError{err: err, text: strings.TrimPrefix(strings.Join(lines, "\n"), errorLead)}
}

// FitError is TerminalError(*err, false), for a deferred call in a mage
// target whose error no summary printed.
func FitError(err *error) { *err = TerminalError(*err, false) }

// cutLine is the first line of an error that fits after "Error: ", cut
// at a space with an ellipsis when longer, saying where the rest is.
func cutLine(full string) string {
	lines := strings.Split(strings.TrimSpace(full), "\n")
	first, more := strings.Join(strings.Fields(lines[0]), " "), len(lines)-1
	room := Width - len(errorLead)
	if more == 0 && utf8.RuneCountInString(first) <= room {
		return first
	}
	suffix := " (see above)"
	if more > 0 {
		suffix = fmt.Sprintf(" (and %d more: see above)", more)
	}
	if utf8.RuneCountInString(first)+len(suffix) <= room {
		return first + suffix
	}
	r := []rune(first)[:room-len(suffix)-1]
	if i := strings.LastIndexByte(string(r), ' '); i > len(string(r))/2 {
		r = []rune(string(r)[:i])
	}
	return strings.TrimRight(string(r), " ;:,") + "…" + suffix
}
