package pylex

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// IsStringPrefix reports whether name is a string prefix such as rb or f.
func IsStringPrefix(name string) bool {
	if len(name) > 2 {
		return false
	}
	seen := map[rune]bool{}
	for _, r := range strings.ToLower(name) {
		if !strings.ContainsRune("rbuft", r) || seen[r] {
			return false
		}
		seen[r] = true
	}
	// u combines with nothing; b, f and t only with r.
	if seen['u'] && len(name) > 1 {
		return false
	}
	n := 0
	for _, k := range "bft" {
		if seen[k] {
			n++
		}
	}
	return n <= 1
}

// readString reads a string literal whose prefix has been consumed; the
// position is at the opening quote. t holds the literal's position.
func (l *Lexer) readString(t Token, prefix string) (Token, error) {
	low := strings.ToLower(prefix)
	t.Kind = String
	t.Raw, t.Bytes, t.Interp = strings.Contains(low, "r"), strings.Contains(low, "b"), strings.ContainsAny(low, "ft")
	q := l.src[l.pos]
	quote := l.src[l.pos : l.pos+1]
	if strings.HasPrefix(l.src[l.pos:], strings.Repeat(quote, 3)) {
		quote = strings.Repeat(quote, 3)
	}
	triple := len(quote) == 3
	l.pos += len(quote)
	var val strings.Builder
	for {
		if l.pos >= len(l.src) {
			return t, l.errAt(t.Line, t.Col, "unterminated string")
		}
		c := l.src[l.pos]
		switch {
		case c == '\\':
			t.Escaped = true
			l.escape(&t, &val)
		case c == q && strings.HasPrefix(l.src[l.pos:], quote):
			l.pos += len(quote)
			if !t.Interp {
				t.Text = val.String()
			}
			return t, nil
		case c == '\n' || c == '\r':
			if !triple {
				return t, l.errAt(t.Line, t.Col, "unterminated string")
			}
			val.WriteString(l.src[l.pos : l.pos+1+btoi(c == '\r' && l.peek(1) == '\n')])
			l.newline()
		case t.Interp && c == '{':
			if l.peek(1) == '{' {
				l.pos += 2
				continue
			}
			l.pos++
			if err := l.readField(); err != nil {
				return t, err
			}
		default:
			val.WriteByte(c)
			l.pos++
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// escape reads a backslash escape inside a string into val: a raw
// string keeps it as written, others decode it as Python does.
func (l *Lexer) escape(t *Token, val *strings.Builder) {
	line, col := l.line, l.col(l.pos)
	l.pos++
	if l.pos >= len(l.src) {
		return // the caller reports the unterminated string
	}
	c := l.src[l.pos]
	if c == '\n' || c == '\r' {
		if t.Raw {
			val.WriteByte('\\')
			val.WriteString(l.src[l.pos : l.pos+1+btoi(c == '\r' && l.peek(1) == '\n')])
		}
		l.newline()
		return
	}
	if t.Raw || t.Interp {
		if t.Raw {
			val.WriteByte('\\')
		}
		r, n := utf8.DecodeRuneInString(l.src[l.pos:])
		if t.Raw {
			val.WriteRune(r)
		}
		l.pos += n
		return
	}
	if msg := l.decodeEscape(val); msg != "" && t.EscapeErr == nil {
		t.EscapeErr = &Error{Line: line, Col: col, Msg: msg}
	}
}

var simpleEscapes = map[byte]string{'\\': "\\", '\'': "'", '"': "\"", 'a': "\a", 'b': "\b", 'f': "\f", 'n': "\n", 'r': "\r", 't': "\t", 'v': "\v"}

// decodeEscape decodes the escape after a backslash (at the position) and
// says what is wrong with it, if anything; a bad escape is kept as written.
func (l *Lexer) decodeEscape(val *strings.Builder) string {
	c := l.src[l.pos]
	if s, ok := simpleEscapes[c]; ok {
		val.WriteString(s)
		l.pos++
		return ""
	}
	if c >= '0' && c <= '7' {
		v := 0
		for i := 0; i < 3 && l.pos < len(l.src) && l.src[l.pos] >= '0' && l.src[l.pos] <= '7'; i++ {
			v = v*8 + int(l.src[l.pos]-'0')
			l.pos++
		}
		val.WriteRune(rune(v))
		return ""
	}
	digits := map[byte]int{'x': 2, 'u': 4, 'U': 8}[c]
	if digits == 0 {
		r, n := utf8.DecodeRuneInString(l.src[l.pos:])
		l.pos += n
		val.WriteByte('\\') // Python keeps unknown escapes as written
		val.WriteRune(r)
		if c == 'N' {
			return `\N{...} escapes are not supported: write the character itself`
		}
		return ""
	}
	l.pos++
	v, ok := l.hexDigits(digits)
	switch {
	case !ok:
		val.WriteString("\\" + string(c))
		return `bad \` + string(c) + " escape: want " + string(rune('0'+digits)) + " hex digits"
	case v > unicode.MaxRune:
		return `\U escape beyond U+10FFFF`
	}
	val.WriteRune(rune(v))
	return ""
}

// hexDigits reads n hex digits; it consumes nothing when they are not there.
func (l *Lexer) hexDigits(n int) (int, bool) {
	if l.pos+n > len(l.src) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(l.src[l.pos : l.pos+n]) {
		d := strings.IndexByte("0123456789abcdef", byte(unicode.ToLower(rune(c))))
		if d < 0 {
			return 0, false
		}
		v = v*16 + d
	}
	l.pos += n
	return v, true
}

// readField skips an f-string replacement field after its '{': an
// expression (which may hold strings and brackets of its own), an optional
// !conversion and an optional :format spec with nested fields.
func (l *Lexer) readField() error {
	depth := 0
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '\'' || c == '"':
			if _, err := l.readString(Token{Line: l.line, Col: l.col(l.pos)}, ""); err != nil {
				return err
			}
			continue
		case isNameStart(l.src[l.pos:]):
			start := l.pos
			l.readName()
			if q := l.peek(0); (q == '\'' || q == '"') && IsStringPrefix(l.src[start:l.pos]) {
				if _, err := l.readString(Token{Line: l.line, Col: l.col(start)}, l.src[start:l.pos]); err != nil {
					return err
				}
			}
			continue
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']':
			depth--
		case c == '}':
			if depth == 0 {
				l.pos++
				return nil
			}
			depth--
		case c == '\n' || c == '\r':
			l.newline()
			continue
		case c == '#':
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				l.pos++
			}
			continue
		case depth == 0 && c == '!' && l.peek(1) != '=':
			l.pos++
			continue
		case depth == 0 && c == ':':
			l.pos++
			return l.readSpec()
		}
		l.pos++
	}
	return l.errHere("unterminated f-string field")
}

// readSpec skips a format spec up to the field's closing '}'.
func (l *Lexer) readSpec() error {
	for l.pos < len(l.src) {
		switch c := l.src[l.pos]; c {
		case '{':
			l.pos++
			if err := l.readField(); err != nil {
				return err
			}
		case '}':
			l.pos++
			return nil
		case '\n', '\r':
			l.newline()
		default:
			l.pos++
		}
	}
	return l.errHere("unterminated f-string format spec")
}

// moduleName is a dotted module name of ASCII identifiers.
var moduleName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)

// IsModuleName reports whether s is a dotted module name (sgl_jax,
// sgl_jax.srt): only such a name may be put into code that python runs.
func IsModuleName(s string) bool { return moduleName.MatchString(s) }
