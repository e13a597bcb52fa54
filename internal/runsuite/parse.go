// Package runsuite converts SGLang-JAX's test/srt/run_suite.py suite table
// into tpuci's [[suite]] TOML without running any Python.
//
// Only the literal `suites = {...}` assignment is read. Inside it the
// accepted subset is: string keys; values that are list literals of
// TestFile(...) calls, optionally joined with + and parenthesised; TestFile
// arguments given by position or keyword (name, estimated_time, test_methods,
// runner, extra_deps) whose values are string literals (adjacent, + joined or
// parenthesised), int/float literals, lists of strings or None. Anything else
// — names, calls, comprehensions, f-strings, later `suites[...] = ...`
// mutations — is an error with file:line:col, since honouring it would need
// executing the file.
//
// TestFile defaults are kept: estimated_time 60 minutes, runner "python".
// A file with test_methods becomes runner "unittest", which is how
// SGLang-JAX runs it whatever its runner says.
package runsuite

import (
	"fmt"
	"math"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// File is one test file of a suite.
type File struct {
	Path    string   // relative to the repository root (after PathBase)
	Minutes float64  // estimated duration, SGLang-JAX's estimated_time
	Runner  string   // "python", "pytest" or "unittest"
	Methods []string // unittest targets "Class.method", only with runner "unittest"
}

// Suite is one entry of the suites table, files in source order.
type Suite struct {
	Name  string
	Files []File
}

// Options adjusts the conversion.
type Options struct {
	// PathBase maps a suite name to the directory its paths are relative to;
	// the paths of that suite get this prefix. SGLang-JAX runs a few suites
	// from test/srt (see DefaultPathBases). Naming a suite the file does not
	// define is an error.
	PathBase map[string]string
}

// DefaultPathBases returns the suites SGLang-JAX's workflows run with
// `cd test/srt`, so their paths are relative to that directory.
func DefaultPathBases() map[string]string {
	return map[string]string{
		"nightly-infra-smoke-tpu-v6e-1":                   "test/srt",
		"nightly-test-openai-api-surface-tpu-v6e-1-daily": "test/srt",
	}
}

const (
	defaultMinutes = 60
	defaultRunner  = "python"
)

// Parse reads the suites table of a run_suite.py source, suites in source
// order, paths as written. filename is used in error messages only.
func Parse(filename string, src []byte) ([]Suite, error) {
	return ParseWith(filename, src, Options{})
}

// ParseWith is Parse with options.
func ParseWith(filename string, src []byte, opt Options) ([]Suite, error) {
	p := &parser{lx: newLexer(filename, src)}
	if err := p.advance(); err != nil {
		return nil, err
	}
	var suites []Suite
	found := false
	defLine := 0
	for p.tok.kind != tEOF {
		t := p.tok
		if !(t.stmtStart && t.kind == tName && t.text == "suites") {
			if err := p.advance(); err != nil {
				return nil, err
			}
			continue
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		op := p.tok
		isDef := op.kind == tOp && (op.text == "=" || op.text == ":")
		switch {
		case found:
			return nil, p.errAt(t, "suites changed after its definition on line %d (found %s): the importer reads only the literal table; fold the change into it", defLine, op.describe())
		case !isDef:
			return nil, p.errAt(op, "expected `suites = {...}`, found %s after suites", op.describe())
		}
		found = true
		if op.text == ":" {
			// Skip a type annotation up to the '='.
			for !(p.tok.kind == tOp && p.tok.text == "=" && p.lx.depth() == 0) {
				if p.tok.kind == tNewline || p.tok.kind == tEOF {
					return nil, p.errAt(p.tok, "annotated suites has no value: want `suites = {...}`")
				}
				if err := p.advance(); err != nil {
					return nil, err
				}
			}
		}
		defLine = t.line
		if err := p.advance(); err != nil {
			return nil, err
		}
		var err error
		if suites, err = p.suiteTable(); err != nil {
			return nil, err
		}
		if p.tok.kind != tNewline && p.tok.kind != tEOF {
			return nil, p.errAt(p.tok, "expected end of line after the suites table, found %s", p.tok.describe())
		}
	}
	if !found {
		return nil, fmt.Errorf("suite:import: parse %s: no `suites = {...}` assignment found: is this SGLang-JAX's test/srt/run_suite.py", filename)
	}
	return applyPathBase(filename, suites, opt.PathBase)
}

func applyPathBase(filename string, suites []Suite, bases map[string]string) ([]Suite, error) {
	var unknown []string
	for name, base := range bases {
		i := slices.IndexFunc(suites, func(s Suite) bool { return s.Name == name })
		if i < 0 {
			unknown = append(unknown, name)
			continue
		}
		for j := range suites[i].Files {
			suites[i].Files[j].Path = path.Join(base, suites[i].Files[j].Path)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("suite:import: apply path base: %s defines no suite %s: fix the suite names given as path bases", filename, strings.Join(unknown, ", "))
	}
	return suites, nil
}

type parser struct {
	lx  *lexer
	tok token
}

func (p *parser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) errAt(t token, format string, args ...any) error {
	return p.lx.errAt(t.line, t.col, format, args...)
}

func (p *parser) isOp(s string) bool { return p.tok.kind == tOp && p.tok.text == s }

func (p *parser) expectOp(s, context string) error {
	if !p.isOp(s) {
		return p.errAt(p.tok, "expected %q %s, found %s", s, context, p.tok.describe())
	}
	return p.advance()
}

// suiteTable parses `{ "name": files, ... }`.
func (p *parser) suiteTable() ([]Suite, error) {
	if err := p.expectOp("{", "to open the suites table"); err != nil {
		return nil, err
	}
	var suites []Suite
	first := map[string]int{}
	for !p.isOp("}") {
		keyTok := p.tok
		name, err := p.str("a suite name string")
		if err != nil {
			return nil, err
		}
		if line, dup := first[name]; dup {
			return nil, p.errAt(keyTok, "suite %q defined twice (first on line %d): Python would keep only the last list; merge them", name, line)
		}
		first[name] = keyTok.line
		if err := p.expectOp(":", "after the suite name"); err != nil {
			return nil, err
		}
		files, err := p.fileList()
		if err != nil {
			return nil, err
		}
		suites = append(suites, Suite{Name: name, Files: files})
		if p.isOp(",") {
			if err := p.advance(); err != nil {
				return nil, err
			}
			continue
		}
		if !p.isOp("}") {
			return nil, p.errAt(p.tok, "expected ',' or '}' after suite %q, found %s", name, p.tok.describe())
		}
	}
	return suites, p.advance()
}

// fileList parses list ('+' list)*, where list is [TestFile(...), ...] or a
// parenthesised fileList.
func (p *parser) fileList() ([]File, error) {
	var files []File
	for {
		part, err := p.fileListAtom()
		if err != nil {
			return nil, err
		}
		files = append(files, part...)
		if !p.isOp("+") {
			return files, nil
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
}

func (p *parser) fileListAtom() ([]File, error) {
	if p.isOp("(") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		files, err := p.fileList()
		if err != nil {
			return nil, err
		}
		return files, p.expectOp(")", "to close the parenthesised file list")
	}
	if err := p.expectOp("[", "to open a list of TestFile(...)"); err != nil {
		return nil, err
	}
	files := []File{}
	for !p.isOp("]") {
		f, err := p.testFile()
		if err != nil {
			return nil, err
		}
		files = append(files, f)
		if p.isOp(",") {
			if err := p.advance(); err != nil {
				return nil, err
			}
			continue
		}
		if !p.isOp("]") {
			return nil, p.errAt(p.tok, "expected ',' or ']' after TestFile(...), found %s", p.tok.describe())
		}
	}
	return files, p.advance()
}

var params = []string{"name", "estimated_time", "test_methods", "runner", "extra_deps"}

// testFile parses TestFile(args) with positional then keyword arguments.
func (p *parser) testFile() (File, error) {
	start := p.tok
	if start.kind != tName || start.text != "TestFile" {
		return File{}, p.errAt(start, "expected TestFile(...), found %s", start.describe())
	}
	if err := p.advance(); err != nil {
		return File{}, err
	}
	if err := p.expectOp("(", "after TestFile"); err != nil {
		return File{}, err
	}
	f := File{Minutes: defaultMinutes, Runner: defaultRunner}
	seen := map[string]bool{}
	keywords := false
	var deps []string
	for n := 0; !p.isOp(")"); n++ {
		argTok := p.tok
		var param string
		if argTok.kind == tName && !slices.Contains([]string{"None", "True", "False"}, argTok.text) {
			// A bare name here can only be a keyword argument.
			if err := p.advance(); err != nil {
				return File{}, err
			}
			if !p.isOp("=") {
				return File{}, p.errAt(argTok, "found name %s as a TestFile argument: only literals are supported (the importer does not run Python)", argTok.text)
			}
			if !slices.Contains(params, argTok.text) {
				return File{}, p.errAt(argTok, "TestFile has no argument %q: want one of %s", argTok.text, strings.Join(params, ", "))
			}
			if err := p.advance(); err != nil {
				return File{}, err
			}
			param, keywords = argTok.text, true
		} else {
			if keywords {
				return File{}, p.errAt(argTok, "positional TestFile argument after a keyword argument")
			}
			if n >= len(params) {
				return File{}, p.errAt(argTok, "TestFile takes at most %d arguments", len(params))
			}
			param = params[n]
		}
		if seen[param] {
			return File{}, p.errAt(argTok, "TestFile argument %s given twice", param)
		}
		seen[param] = true
		if err := p.argument(&f, &deps, param); err != nil {
			return File{}, err
		}
		if p.isOp(",") {
			if err := p.advance(); err != nil {
				return File{}, err
			}
			continue
		}
		if !p.isOp(")") {
			return File{}, p.errAt(p.tok, "expected ',' or ')' in TestFile(...), found %s", p.tok.describe())
		}
	}
	if err := p.advance(); err != nil {
		return File{}, err
	}
	if !seen["name"] {
		return File{}, p.errAt(start, "TestFile without a name (the test file path)")
	}
	if len(deps) > 0 {
		return File{}, p.errAt(start, "TestFile %s has extra_deps %q, which tpuci does not install: add them to the test environment and drop extra_deps", f.Path, deps)
	}
	if len(f.Methods) > 0 {
		f.Runner = "unittest"
	}
	return f, nil
}

func (p *parser) argument(f *File, deps *[]string, param string) error {
	at := p.tok
	switch param {
	case "name":
		s, err := p.str("the test file path string")
		if err != nil {
			return err
		}
		if s == "" || strings.HasPrefix(s, "/") {
			return p.errAt(at, "test file path %q must be a non-empty path relative to the repository root", s)
		}
		f.Path = s
	case "estimated_time":
		v, err := p.number()
		if err != nil {
			return err
		}
		if v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return p.errAt(at, "estimated_time %v must be a finite number of minutes >= 0", v)
		}
		f.Minutes = v
	case "runner":
		s, err := p.str("the runner string")
		if err != nil {
			return err
		}
		if s != "python" && s != "pytest" {
			return p.errAt(at, "runner %q: want \"python\" or \"pytest\"", s)
		}
		f.Runner = s
	case "test_methods":
		list, err := p.strListOrNone()
		if err != nil {
			return err
		}
		for _, m := range list {
			if m == "" {
				return p.errAt(at, "empty name in test_methods: want \"Class.method\"")
			}
		}
		f.Methods = list
	case "extra_deps":
		list, err := p.strListOrNone()
		if err != nil {
			return err
		}
		*deps = list
	}
	return nil
}

// str parses a string expression: adjacent literals, '+' joins and
// parentheses.
func (p *parser) str(what string) (string, error) {
	var b strings.Builder
	for {
		if err := p.strAtom(&b, what); err != nil {
			return "", err
		}
		if !p.isOp("+") {
			return b.String(), nil
		}
		if err := p.advance(); err != nil {
			return "", err
		}
	}
}

func (p *parser) strAtom(b *strings.Builder, what string) error {
	if p.isOp("(") {
		if err := p.advance(); err != nil {
			return err
		}
		s, err := p.str(what)
		if err != nil {
			return err
		}
		b.WriteString(s)
		return p.expectOp(")", "to close the parenthesised string")
	}
	if p.tok.kind != tString {
		return p.errAt(p.tok, "expected %s, found %s", what, p.tok.describe())
	}
	for p.tok.kind == tString {
		switch {
		case p.tok.fstr:
			return p.errAt(p.tok, "f-string not supported (it needs running Python): write a plain string")
		case p.tok.bytes:
			return p.errAt(p.tok, "bytes literal where %s is expected", what)
		case p.tok.escErr != nil:
			return p.lx.errAt(p.tok.escErr.Line, p.tok.escErr.Col, "%s", p.tok.escErr.Msg)
		}
		b.WriteString(p.tok.text)
		if err := p.advance(); err != nil {
			return err
		}
	}
	return nil
}

var decimal = regexp.MustCompile(`^(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$`)

// number parses an optionally signed int or float literal.
func (p *parser) number() (float64, error) {
	sign := 1.0
	for p.isOp("-") || p.isOp("+") {
		if p.tok.text == "-" {
			sign = -sign
		}
		if err := p.advance(); err != nil {
			return 0, err
		}
	}
	t := p.tok
	if t.kind != tNumber {
		return 0, p.errAt(t, "expected a number of minutes, found %s", t.describe())
	}
	if !decimal.MatchString(t.text) || (len(t.text) > 1 && t.text[0] == '0' && strings.Trim(t.text, "0_") != "" && !strings.ContainsAny(t.text, ".eE")) {
		return 0, p.errAt(t, "unsupported number literal %s: write a decimal int or float", t.text)
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(t.text, "_", ""), 64)
	if err != nil {
		return 0, p.errAt(t, "bad number %s: %v", t.text, err)
	}
	return sign * v, p.advance()
}

// strListOrNone parses None or a list of string expressions.
func (p *parser) strListOrNone() ([]string, error) {
	if p.tok.kind == tName && p.tok.text == "None" {
		return nil, p.advance()
	}
	if err := p.expectOp("[", "to open a list of strings (or None)"); err != nil {
		return nil, err
	}
	var out []string
	for !p.isOp("]") {
		s, err := p.str("a string")
		if err != nil {
			return nil, err
		}
		out = append(out, s)
		if p.isOp(",") {
			if err := p.advance(); err != nil {
				return nil, err
			}
			continue
		}
		if !p.isOp("]") {
			return nil, p.errAt(p.tok, "expected ',' or ']' in the list, found %s", p.tok.describe())
		}
	}
	return out, p.advance()
}
