package runsuite

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// kind is the class of a lexical token. The lexer knows enough Python to
// walk a whole file (strings of every form, comments, line joining) while
// the parser only accepts the small literal subset a suite table uses.
type kind int

const (
	tEOF     kind = iota
	tNewline      // end of a logical line
	tName
	tNumber
	tString
	tOp
)

type token struct {
	kind      kind
	text      string // source text; for tString the decoded value
	line, col int    // 1-based; col counts runes
	stmtStart bool   // first token of a logical line
	// string flags
	raw, bytes, fstr bool
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tNewline:
		return "end of line"
	case tName:
		return fmt.Sprintf("name %s", t.text)
	case tNumber:
		return fmt.Sprintf("number %s", t.text)
	case tString:
		return fmt.Sprintf("string %s", strconv.Quote(t.text))
	default:
		return fmt.Sprintf("%q", t.text)
	}
}

type lexer struct {
	file      string
	src       []byte
	pos       int
	line, col int
	depth     int // open brackets: newlines inside them do not end a line
	atStart   bool
	lastKind  kind
}

// posError is a parse or lex failure at a source position.
type posError struct {
	file      string
	line, col int
	msg       string
}

func (e *posError) Error() string {
	return fmt.Sprintf("suite:import: parse %s:%d:%d: %s", e.file, e.line, e.col, e.msg)
}

func newLexer(file string, src []byte) *lexer {
	return &lexer{file: file, src: src, line: 1, col: 1, atStart: true, lastKind: tNewline}
}

func (l *lexer) errAt(line, col int, format string, args ...any) error {
	return &posError{file: l.file, line: line, col: col, msg: fmt.Sprintf(format, args...)}
}

func (l *lexer) peekRune(off int) rune {
	p := l.pos
	for ; off > 0 && p < len(l.src); off-- {
		_, n := utf8.DecodeRune(l.src[p:])
		p += n
	}
	if p >= len(l.src) {
		return 0
	}
	r, _ := utf8.DecodeRune(l.src[p:])
	return r
}

func (l *lexer) advance() rune {
	r, n := utf8.DecodeRune(l.src[l.pos:])
	l.pos += n
	if r == '\n' {
		l.line++
		l.col = 1
	} else {
		l.col++
	}
	return r
}

// next returns the following token, folding blank lines, comments and
// bracketed or backslash-continued line breaks away.
func (l *lexer) next() (token, error) {
	for {
		if l.pos >= len(l.src) {
			if l.lastKind != tNewline && l.depth == 0 {
				l.lastKind = tNewline
				return token{kind: tNewline, line: l.line, col: l.col}, nil
			}
			return token{kind: tEOF, line: l.line, col: l.col}, nil
		}
		r := l.peekRune(0)
		switch {
		case r == '\n':
			line, col := l.line, l.col
			l.advance()
			if l.depth == 0 && l.lastKind != tNewline {
				l.lastKind = tNewline
				l.atStart = true
				return token{kind: tNewline, line: line, col: col}, nil
			}
			continue
		case r == '#':
			for l.pos < len(l.src) && l.peekRune(0) != '\n' {
				l.advance()
			}
			continue
		case r == '\\' && (l.peekRune(1) == '\n' || (l.peekRune(1) == '\r' && l.peekRune(2) == '\n')):
			l.advance()
			for l.peekRune(0) != '\n' {
				l.advance()
			}
			l.advance()
			continue
		case r == ' ' || r == '\t' || r == '\r' || r == '\f':
			l.advance()
			continue
		}
		t, err := l.scan()
		if err != nil {
			return t, err
		}
		t.stmtStart = l.atStart
		l.atStart = false
		l.lastKind = t.kind
		return t, nil
	}
}

func isIdentStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }
func isIdentPart(r rune) bool  { return isIdentStart(r) || unicode.IsDigit(r) }

func (l *lexer) scan() (token, error) {
	line, col := l.line, l.col
	r := l.peekRune(0)
	switch {
	case isIdentStart(r):
		if q, prefix := l.stringPrefix(); q != 0 {
			return l.scanString(line, col, prefix)
		}
		start := l.pos
		for l.pos < len(l.src) && isIdentPart(l.peekRune(0)) {
			l.advance()
		}
		return token{kind: tName, text: string(l.src[start:l.pos]), line: line, col: col}, nil
	case r == '"' || r == '\'':
		return l.scanString(line, col, "")
	case unicode.IsDigit(r) || (r == '.' && unicode.IsDigit(l.peekRune(1))):
		start := l.pos
		for l.pos < len(l.src) {
			c := l.peekRune(0)
			if (c == '+' || c == '-') && (l.pos > start) && (l.src[l.pos-1] == 'e' || l.src[l.pos-1] == 'E') && !strings.ContainsAny(string(l.src[start:l.pos]), "xXbBoO") {
				l.advance()
				continue
			}
			if !isIdentPart(c) && c != '.' {
				break
			}
			l.advance()
		}
		return token{kind: tNumber, text: string(l.src[start:l.pos]), line: line, col: col}, nil
	}
	// Operators: longest match among the multi-character ones.
	for _, op := range []string{"**=", "//=", ">>=", "<<=", "...", "->", ":=", "**", "//", "<<", ">>", "<=", ">=", "==", "!=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@="} {
		if strings.HasPrefix(string(l.src[l.pos:min(l.pos+3, len(l.src))]), op) {
			for range op {
				l.advance()
			}
			return token{kind: tOp, text: op, line: line, col: col}, nil
		}
	}
	l.advance()
	switch r {
	case '(', '[', '{':
		l.depth++
	case ')', ']', '}':
		if l.depth == 0 {
			return token{}, l.errAt(line, col, "unmatched %q", r)
		}
		l.depth--
	}
	return token{kind: tOp, text: string(r), line: line, col: col}, nil
}

// stringPrefix reports whether the identifier-looking text at the cursor is a
// string prefix (r, b, f, u and their valid pairs) followed by a quote.
func (l *lexer) stringPrefix() (quote rune, prefix string) {
	var p []rune
	for i := 0; i < 3; i++ {
		r := l.peekRune(i)
		if r == '"' || r == '\'' {
			s := strings.ToLower(string(p))
			switch s {
			case "r", "b", "f", "u", "br", "rb", "fr", "rf":
				return r, s
			}
			return 0, ""
		}
		if !strings.ContainsRune("rRbBfFuU", r) {
			return 0, ""
		}
		p = append(p, r)
	}
	return 0, ""
}

func (l *lexer) scanString(line, col int, prefix string) (token, error) {
	for range prefix {
		l.advance()
	}
	q := l.advance()
	triple := l.peekRune(0) == q && l.peekRune(1) == q
	if triple {
		l.advance()
		l.advance()
	}
	raw := strings.Contains(prefix, "r")
	var b strings.Builder
	for {
		if l.pos >= len(l.src) {
			return token{}, l.errAt(line, col, "unterminated string")
		}
		r := l.peekRune(0)
		if r == q && (!triple || (l.peekRune(1) == q && l.peekRune(2) == q)) {
			l.advance()
			if triple {
				l.advance()
				l.advance()
			}
			break
		}
		if r == '\n' && !triple {
			return token{}, l.errAt(line, col, "unterminated string")
		}
		if r != '\\' {
			b.WriteRune(l.advance())
			continue
		}
		eline, ecol := l.line, l.col
		l.advance()
		if l.pos >= len(l.src) {
			return token{}, l.errAt(line, col, "unterminated string")
		}
		if raw {
			// A raw string keeps the backslash and the escaped quote.
			b.WriteRune('\\')
			b.WriteRune(l.advance())
			continue
		}
		if err := l.escape(&b, eline, ecol); err != nil {
			return token{}, err
		}
	}
	return token{kind: tString, text: b.String(), line: line, col: col,
		raw: raw, bytes: strings.Contains(prefix, "b"), fstr: strings.Contains(prefix, "f")}, nil
}

// escape decodes one backslash escape of a non-raw string literal.
func (l *lexer) escape(b *strings.Builder, line, col int) error {
	r := l.advance()
	simple := map[rune]string{'\n': "", '\\': "\\", '\'': "'", '"': "\"", 'a': "\a", 'b': "\b", 'f': "\f", 'n': "\n", 'r': "\r", 't': "\t", 'v': "\v"}
	if s, ok := simple[r]; ok {
		b.WriteString(s)
		return nil
	}
	hex := func(n int) (rune, error) {
		var v rune
		for range n {
			c := l.peekRune(0)
			d := strings.IndexRune("0123456789abcdef", unicode.ToLower(c))
			if d < 0 {
				return 0, l.errAt(line, col, "bad \\%c escape: want %d hex digits", r, n)
			}
			l.advance()
			v = v*16 + rune(d)
		}
		return v, nil
	}
	switch {
	case r == 'x':
		v, err := hex(2)
		b.WriteRune(v)
		return err
	case r == 'u':
		v, err := hex(4)
		b.WriteRune(v)
		return err
	case r == 'U':
		v, err := hex(8)
		if err == nil && v > unicode.MaxRune {
			err = l.errAt(line, col, "\\U escape beyond U+10FFFF")
		}
		b.WriteRune(v)
		return err
	case r >= '0' && r <= '7':
		v := r - '0'
		for i := 0; i < 2 && l.peekRune(0) >= '0' && l.peekRune(0) <= '7'; i++ {
			v = v*8 + l.advance() - '0'
		}
		b.WriteRune(v)
		return nil
	case r == 'N':
		return l.errAt(line, col, "\\N{...} escapes are not supported: write the character itself")
	}
	// Python keeps unknown escapes as written.
	b.WriteRune('\\')
	b.WriteRune(r)
	return nil
}
