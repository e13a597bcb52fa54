package ghactions

import (
	"bytes"
	"io"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Guard is a writer for text that must never act as a workflow command:
// the runner reads a line whose first non-blank characters are "::" as a
// command (so a label named "x\n::warning::y" printed raw would annotate
// the run), and "##[" anywhere in a line as a legacy one. Guard writes
// such a line with a backslash before its "::" and "##\[" for "##[";
// every other byte passes unchanged. Only Provider writes commands, and it
// writes them around a Guard, never through one.
type Guard struct {
	w       io.Writer
	mu      sync.Mutex
	pending []byte // the start of a line that may still become a command
	decided bool   // the current line's start is written
	hashes  int    // '#' bytes just written on the current line (0-2)
}

// NewGuard wraps w.
func NewGuard(w io.Writer) *Guard { return &Guard{w: w} }

// Write filters p. It reports len(p) on success: the escapes it adds are
// not the caller's bytes.
func (g *Guard) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out bytes.Buffer
	for _, b := range p {
		g.feed(&out, b)
	}
	if out.Len() == 0 {
		return len(p), nil
	}
	if _, err := g.w.Write(out.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes a held line start (blanks or one ':') as it is.
func (g *Guard) Flush() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.pending) == 0 {
		return nil
	}
	_, err := g.w.Write(g.pending)
	g.pending = g.pending[:0]
	return err
}

func (g *Guard) feed(out *bytes.Buffer, b byte) {
	if !g.decided && b != '\n' {
		g.pending = append(g.pending, b)
		g.decide(out)
		return
	}
	if b == '\n' {
		out.Write(g.pending)
		out.WriteByte(b)
		g.pending, g.decided, g.hashes = g.pending[:0], false, 0
		return
	}
	g.body(out, b)
}

// decide looks at the held start of a line: still blank (or one ':') it
// stays held; "::" after blanks gets a backslash; then it is written.
func (g *Guard) decide(out *bytes.Buffer) {
	if !utf8.FullRune(lastRuneStart(g.pending)) {
		return // a blank may be split across writes
	}
	rest := bytes.TrimLeftFunc(g.pending, unicode.IsSpace)
	if len(rest) == 0 || string(rest) == ":" {
		return
	}
	held := append([]byte(nil), g.pending...)
	g.pending, g.decided = g.pending[:0], true
	blank := len(held) - len(rest)
	out.Write(held[:blank])
	if bytes.HasPrefix(rest, []byte("::")) {
		out.WriteByte('\\')
	}
	for _, b := range held[blank:] {
		g.body(out, b)
	}
}

// body writes a byte of a line whose start is decided, breaking "##[".
func (g *Guard) body(out *bytes.Buffer, b byte) {
	switch {
	case b == '[' && g.hashes == 2:
		out.WriteString(`\[`)
		g.hashes = 0
		return
	case b == '#':
		g.hashes = min(g.hashes+1, 2)
	default:
		g.hashes = 0
	}
	out.WriteByte(b)
}

// lastRuneStart is the suffix of b from the start of its last rune.
func lastRuneStart(b []byte) []byte {
	for i := len(b) - 1; i >= 0; i-- {
		if utf8.RuneStart(b[i]) {
			return b[i:]
		}
	}
	return b
}
