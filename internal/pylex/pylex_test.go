package pylex

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// render lexes src into "line:col kind text" strings, one per token, with
// LineStart tokens marked by their indentation.
func render(t *testing.T, src string) []string {
	t.Helper()
	lx := New(src)
	var out []string
	for {
		tok, err := lx.Next()
		if err != nil {
			t.Fatalf("lex %q: %v", src, err)
		}
		if tok.Kind == EOF {
			return out
		}
		s := fmt.Sprintf("%d:%d %s %q", tok.Line, tok.Col, [...]string{"eof", "nl", "name", "num", "str", "op"}[tok.Kind], tok.Text)
		if tok.LineStart {
			s += fmt.Sprintf(" @%d", tok.Indent)
		}
		out = append(out, s)
	}
}

func TestTokens(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string
	}{
		{"statement", "x = 1.5e-3\n", []string{`1:1 name "x" @0`, `1:3 op "="`, `1:5 num "1.5e-3"`, `1:11 nl ""`}},
		{"brackets join lines", "f(a,\n  b)\n", []string{`1:1 name "f" @0`, `1:2 op "("`, `1:3 name "a"`, `1:4 op ","`, `2:3 name "b"`, `2:4 op ")"`, `2:5 nl ""`}},
		{"backslash joins lines", "if a \\\n  :\n\tpass", []string{`1:1 name "if" @0`, `1:4 name "a"`, `2:3 op ":"`, `2:4 nl ""`, `3:2 name "pass" @8`, `3:6 nl ""`}},
		{"comments and blank lines", "# c\n\n  a  # d\n", []string{`3:3 name "a" @2`, `3:9 nl ""`}},
		{"CRLF and CR", "a\r\nb\rc", []string{`1:1 name "a" @0`, `1:2 nl ""`, `2:1 name "b" @0`, `2:2 nl ""`, `3:1 name "c" @0`, `3:2 nl ""`}},
		{"escapes decoded", `s = "a\tb\\c\101\x41\u0041\U00000041\q"`, []string{`1:1 name "s" @0`, `1:3 op "="`, `1:5 str "a\tb\\cAAAA\\q"`, `1:40 nl ""`}},
		{"raw keeps escapes", `r'\'' rb"\d"`, []string{`1:1 str "\\'" @0`, `1:7 str "\\d"`, `1:13 nl ""`}},
		{"triple quotes span lines", "'''a\nb''' x", []string{`1:1 str "a\nb" @0`, `2:6 name "x"`, `2:7 nl ""`}},
		{"f-string fields hold quotes", `f"{d["k"]!r:>{w}} }}" + t'{x}'`, []string{`1:1 str "" @0`, `1:23 op "+"`, `1:25 str ""`, `1:31 nl ""`}},
		{"unicode columns", "é = 'ü'; z", []string{`1:1 name "é" @0`, `1:3 op "="`, `1:5 str "ü"`, `1:8 op ";"`, `1:10 name "z"`, `1:11 nl ""`}},
		{"longest operator", "a //= ...", []string{`1:1 name "a" @0`, `1:3 op "//="`, `1:7 op "..."`, `1:10 nl ""`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := render(t, c.src)
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

func TestEscapeErrorsAreKeptOnTheToken(t *testing.T) {
	lx := New(`x = "\N{DASH}" + "\xZZ"`)
	var errs []string
	for tok, err := lx.Next(); tok.Kind != EOF; tok, err = lx.Next() {
		if err != nil {
			t.Fatal(err)
		}
		if tok.EscapeErr != nil {
			errs = append(errs, tok.EscapeErr.Error())
		}
	}
	want := []string{`1:6: \N{...} escapes are not supported: write the character itself`, `1:19: bad \x escape: want 2 hex digits`}
	if strings.Join(errs, "|") != strings.Join(want, "|") {
		t.Errorf("escape errors %q, want %q", errs, want)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"unterminated string", "a\nx = 'abc\n", "2:5: unterminated string"},
		{"unterminated triple", "x = \"\"\"abc\n\n", "1:5: unterminated string"},
		{"unmatched close", "x = [1)", "1:7: unmatched ')'"},
		{"conflict marker", "a\n  <<<<<<< HEAD\n", "2:3: merge conflict marker"},
		{"stray character", "x = $", "1:5: unexpected character '$'"},
		{"bad continuation", "x = 1 \\ y", "1:8: unexpected character after line continuation"},
		{"unterminated field", "f'{a", "1:5: unterminated f-string field"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lx := New(c.src)
			var err error
			for tok := (Token{Kind: Newline}); err == nil && tok.Kind != EOF; tok, err = lx.Next() {
			}
			var le *Error
			if !errors.As(err, &le) || le.Error() != c.want {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestEOFWithOpenBracket(t *testing.T) {
	lx := New("f(a,\n")
	for tok, err := lx.Next(); tok.Kind != EOF; tok, err = lx.Next() {
		if err != nil {
			t.Fatal(err)
		}
	}
	if lx.Depth() != 1 || lx.Open() != '(' {
		t.Errorf("depth %d open %q, want 1 '('", lx.Depth(), lx.Open())
	}
}

func FuzzNext(f *testing.F) {
	for _, s := range []string{"import a\n", "x = f'{y[\"z\"]:{w}}'\n", "s = '\\x4'\n", "a(\\\r\n)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		lx := New(src)
		for i := 0; i <= len(src)+2; i++ {
			tok, err := lx.Next()
			if err != nil || tok.Kind == EOF {
				return
			}
		}
		t.Fatalf("no EOF after %d tokens for %q", len(src)+2, src)
	})
}
