package ghactions

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
)

// isCommand is how the runner sees a line: "::" after leading blanks, or
// "##[" anywhere.
func isCommand(line string) bool {
	return strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::") || strings.Contains(line, "##[")
}

func TestGuardBreaksEveryCommandLine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plan: labels: x\n::warning::injected\n", "plan: labels: x\n\\::warning::injected\n"},
		{"  \t::add-mask::x\n", "  \t\\::add-mask::x\n"},
		{"\u00a0\u2003::error::y\n", "\u00a0\u2003\\::error::y\n"},
		{"a ##[error]b ##c\n", "a ##\\[error]b ##c\n"},
		{"ok: a::b and :x\n", "ok: a::b and :x\n"},
		{": one colon\n\n", ": one colon\n\n"},
		{"::", "\\::"},
		{"  :", ""}, // held: the next write may make it a command
	} {
		var b bytes.Buffer
		g := NewGuard(&b)
		if n, err := g.Write([]byte(c.in)); err != nil || n != len(c.in) {
			t.Fatalf("%q: wrote %d, %v", c.in, n, err)
		}
		if b.String() != c.want {
			t.Errorf("%q: got %q, want %q", c.in, b.String(), c.want)
		}
	}
}

// The same text split into writes of every size gives the same bytes.
func TestGuardAcrossWrites(t *testing.T) {
	in := "x\n  ::warning::a\n\u00a0::stop-commands::t\n##[group]g\nplain\n:"
	var whole bytes.Buffer
	g := NewGuard(&whole)
	_, _ = g.Write([]byte(in))
	_ = g.Flush()
	for size := 1; size < 6; size++ {
		var b bytes.Buffer
		g := NewGuard(&b)
		for i := 0; i < len(in); i += size {
			_, _ = g.Write([]byte(in[i:min(i+size, len(in))]))
		}
		_ = g.Flush()
		if b.String() != whole.String() {
			t.Errorf("writes of %d bytes: %q, whole: %q", size, b.String(), whole.String())
		}
	}
	for _, line := range strings.Split(whole.String(), "\n") {
		if isCommand(line) {
			t.Errorf("command line passed: %q", line)
		}
	}
}

// Provider's own commands are written around the guard, unchanged.
func TestProviderCommandsBypassTheGuard(t *testing.T) {
	var b bytes.Buffer
	p := &Provider{Active: true, W: &b}
	out := NewGuard(&b)
	p.Annotate(Annotation{Level: "warning", Msg: "meant"})
	_, _ = out.Write([]byte("::warning::not meant\n"))
	if got := b.String(); got != "::warning::meant\n\\::warning::not meant\n" {
		t.Errorf("got %q", got)
	}
}
