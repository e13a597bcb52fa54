// Package pylex splits Python source into tokens: names, numbers, string
// literals (every prefix, triple quotes, f-string fields that hold quotes
// of their own), operators and the ends of logical lines. Comments, blank
// lines and lines joined by brackets or backslashes are folded away. It
// knows no grammar, so new expression syntax does not stop it.
package pylex

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind is the class of a token.
type Kind int

// Token kinds.
const (
	EOF     Kind = iota
	Newline      // end of a logical line
	Name
	Number
	String
	Op
)

// Token is one lexical token.
type Token struct {
	Kind Kind
	// Text is the source text of a name, number or operator and the
	// decoded value of a string ("" for f- and t-strings).
	Text      string
	Line, Col int // 1-based; Col counts runes
	// LineStart marks the first token of a logical line; Indent is then
	// its indentation (tabs to multiples of 8).
	LineStart bool
	Indent    int
	// String flags.
	Raw, Bytes, Interp bool // r, b, f or t prefix
	Escaped            bool // holds a backslash
	// EscapeErr is the first escape the decoder did not take (a malformed
	// \x, \u or \U, or \N{...}); Text then keeps it as written.
	EscapeErr *Error
}

// Error is a lexical error at a source position.
type Error struct {
	Line, Col int
	Msg       string
}

func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

// Lexer reads tokens from one source text.
type Lexer struct {
	src       string
	pos       int
	line      int
	lineStart int    // offset of the current physical line
	brackets  []byte // open brackets: newlines inside them do not end a line
	atStart   bool   // no token yet in this logical line
	measured  bool   // indentation of this physical line measured
	indent    int
}

// New returns a lexer over src.
func New(src string) *Lexer {
	return &Lexer{src: src, line: 1, atStart: true}
}

// Depth is the number of open brackets.
func (l *Lexer) Depth() int { return len(l.brackets) }

// Open is the innermost open bracket, or 0.
func (l *Lexer) Open() byte {
	if len(l.brackets) == 0 {
		return 0
	}
	return l.brackets[len(l.brackets)-1]
}

func (l *Lexer) col(at int) int { return utf8.RuneCountInString(l.src[l.lineStart:at]) + 1 }

func (l *Lexer) errAt(line, col int, format string, args ...any) *Error {
	return &Error{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

func (l *Lexer) errHere(format string, args ...any) *Error {
	return l.errAt(l.line, l.col(l.pos), format, args...)
}

func (l *Lexer) peek(off int) byte {
	if l.pos+off < len(l.src) {
		return l.src[l.pos+off]
	}
	return 0
}

// newline consumes "\n", "\r\n" or "\r" at the position.
func (l *Lexer) newline() {
	if l.src[l.pos] == '\r' && l.peek(1) == '\n' {
		l.pos++
	}
	l.pos++
	l.line++
	l.lineStart = l.pos
	l.measured = false
}

// Next returns the following token; after the last one it returns EOF
// tokens (with brackets possibly still open: see Depth).
func (l *Lexer) Next() (Token, error) {
	for {
		if l.atStart && !l.measured {
			l.measured = true
			l.indent = l.measureIndent()
			if l.atConflictMarker() {
				return Token{}, l.errHere("merge conflict marker")
			}
		}
		if l.pos >= len(l.src) {
			if !l.atStart && len(l.brackets) == 0 {
				l.atStart = true
				return Token{Kind: Newline, Line: l.line, Col: l.col(l.pos)}, nil
			}
			return Token{Kind: EOF, Line: l.line, Col: l.col(l.pos)}, nil
		}
		switch l.src[l.pos] {
		case '\n', '\r':
			line, col := l.line, l.col(l.pos)
			l.newline()
			if len(l.brackets) == 0 && !l.atStart {
				l.atStart = true
				return Token{Kind: Newline, Line: line, Col: col}, nil
			}
		case ' ', '\t', '\f':
			l.pos++
		case '#':
			for l.pos < len(l.src) && l.src[l.pos] != '\n' && l.src[l.pos] != '\r' {
				l.pos++
			}
		case '\\':
			if err := l.continuation(); err != nil {
				return Token{}, err
			}
		default:
			t, err := l.token()
			if err != nil {
				return Token{}, err
			}
			t.LineStart, l.atStart = l.atStart, false
			if t.LineStart {
				t.Indent = l.indent
			}
			return t, nil
		}
	}
}

// measureIndent skips the indentation of a physical line and returns its
// width.
func (l *Lexer) measureIndent() int {
	col := 0
	for ; l.pos < len(l.src); l.pos++ {
		switch l.src[l.pos] {
		case ' ':
			col++
		case '\t':
			col = (col/8 + 1) * 8
		case '\f':
			col = 0
		default:
			return col
		}
	}
	return col
}

// atConflictMarker reports a git conflict marker at the position.
func (l *Lexer) atConflictMarker() bool {
	rest := l.src[l.pos:]
	for _, m := range []string{"<<<<<<< ", ">>>>>>> ", "=======\n", "=======\r", "||||||| "} {
		if strings.HasPrefix(rest, m) {
			return true
		}
	}
	return rest == "======="
}

// continuation joins the next physical line: a backslash must end its line.
func (l *Lexer) continuation() error {
	l.pos++
	if l.pos >= len(l.src) {
		return nil
	}
	if c := l.src[l.pos]; c != '\n' && c != '\r' {
		return l.errHere("unexpected character after line continuation")
	}
	l.newline()
	l.measured = true // a joined line has no indentation of its own
	return nil
}

// token reads a name, number, string or operator at the position.
func (l *Lexer) token() (Token, error) {
	start, c := l.pos, l.src[l.pos]
	t := Token{Line: l.line, Col: l.col(start)}
	switch {
	case c == '\'' || c == '"':
		return l.readString(t, "")
	case isDigit(c) || (c == '.' && isDigit(l.peek(1))):
		l.readNumber()
		t.Kind, t.Text = Number, l.src[start:l.pos]
		return t, nil
	case isNameStart(l.src[l.pos:]):
		l.readName()
		name := l.src[start:l.pos]
		if q := l.peek(0); (q == '\'' || q == '"') && IsStringPrefix(name) {
			return l.readString(t, name)
		}
		t.Kind, t.Text = Name, name
		return t, nil
	}
	return l.readOp(t)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isNameStart(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r == '_' || unicode.IsLetter(r)
}

func isNamePart(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)
}

func (l *Lexer) readName() {
	for l.pos < len(l.src) {
		r, n := utf8.DecodeRuneInString(l.src[l.pos:])
		if !isNamePart(r) {
			return
		}
		l.pos += n
	}
}

func (l *Lexer) readNumber() {
	start := l.pos
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case isDigit(c) || c == '.' || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			l.pos++
		case (c == '+' || c == '-') && (l.src[l.pos-1] == 'e' || l.src[l.pos-1] == 'E') && !strings.ContainsAny(l.src[start:l.pos], "xXbBoO"):
			l.pos++
		default:
			return
		}
	}
}

// operators, longest first.
var operators = []string{
	"**=", "//=", ">>=", "<<=", "...", "->", ":=", "**", "//", "<<", ">>", "<=", ">=", "==", "!=",
	"+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=",
	"+", "-", "*", "/", "%", "@", "&", "|", "^", "~", "<", ">", "=", ".", ",", ":", ";",
	"(", "[", "{", ")", "]", "}",
}

func (l *Lexer) readOp(t Token) (Token, error) {
	rest := l.src[l.pos:]
	for _, op := range operators {
		if !strings.HasPrefix(rest, op) {
			continue
		}
		if err := l.bracket(op[0], t); err != nil {
			return t, err
		}
		l.pos += len(op)
		t.Kind, t.Text = Op, op
		return t, nil
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return t, l.errAt(t.Line, t.Col, "unexpected character %q", r)
}

// bracket keeps the stack of open brackets.
func (l *Lexer) bracket(c byte, t Token) error {
	switch c {
	case '(', '[', '{':
		l.brackets = append(l.brackets, c)
	case ')', ']', '}':
		if l.Open() != opening(c) {
			return l.errAt(t.Line, t.Col, "unmatched '%c'", c)
		}
		l.brackets = l.brackets[:len(l.brackets)-1]
	}
	return nil
}

func opening(c byte) byte {
	switch c {
	case ')':
		return '('
	case ']':
		return '['
	}
	return '{'
}
