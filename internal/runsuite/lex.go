package runsuite

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/sgl-project/tpuci/internal/pylex"
)

// kind is the class of a lexical token. The lexer (internal/pylex) walks
// a whole Python file; the parser only accepts the small literal subset a
// suite table uses.
type kind int

const (
	tEOF     kind = iota
	tNewline      // end of a logical line
	tName
	tNumber
	tString
	tOp
)

var kinds = map[pylex.Kind]kind{
	pylex.EOF: tEOF, pylex.Newline: tNewline, pylex.Name: tName,
	pylex.Number: tNumber, pylex.String: tString, pylex.Op: tOp,
}

type token struct {
	kind      kind
	text      string // source text; for tString the decoded value
	line, col int    // 1-based; col counts runes
	stmtStart bool   // first token of a logical line
	// string flags
	bytes, fstr bool
	escErr      *pylex.Error // an escape the lexer could not decode
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
	file string
	lx   *pylex.Lexer
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
	return &lexer{file: file, lx: pylex.New(string(src))}
}

func (l *lexer) errAt(line, col int, format string, args ...any) error {
	return &posError{file: l.file, line: line, col: col, msg: fmt.Sprintf(format, args...)}
}

// depth is the number of open brackets.
func (l *lexer) depth() int { return l.lx.Depth() }

// next returns the following token.
func (l *lexer) next() (token, error) {
	t, err := l.lx.Next()
	var le *pylex.Error
	if errors.As(err, &le) {
		return token{}, l.errAt(le.Line, le.Col, "%s", le.Msg)
	}
	return token{kind: kinds[t.Kind], text: t.Text, line: t.Line, col: t.Col, stmtStart: t.LineStart,
		bytes: t.Bytes, fstr: t.Interp, escErr: t.EscapeErr}, nil
}
