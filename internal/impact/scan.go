// Package impact builds the static import graph of a Python repository and
// maps changed files to the test files that can reach them.
//
// The scanner works at token level (strings, comments, brackets, line
// continuations and indentation), not on a full grammar, so new expression
// syntax (PEP 695 generics, PEP 701 f-strings) does not stop it. It finds
// import statements, dynamic imports and dotted string literals; everything
// it cannot read makes the file unparseable, which callers treat as "may
// import anything".
package impact

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sgl-project/tpuci/internal/pylex"
)

// Import is one imported module of a file.
type Import struct {
	Module   string   `json:"module"`              // dotted name as written, without leading dots
	Level    int      `json:"level,omitempty"`     // leading dots of a relative import
	Names    []string `json:"names,omitempty"`     // names after "from M import"; "*" for a star import
	Line     int      `json:"line"`                // 1-based line of the statement
	TypeOnly bool     `json:"type_only,omitempty"` // under "if TYPE_CHECKING:": never executed
	Guarded  bool     `json:"guarded,omitempty"`   // inside try/except: optional at run time
	Dynamic  bool     `json:"dynamic,omitempty"`   // importlib.import_module / __import__ with a literal
	// Scope is the top-level function or class whose body holds the
	// import ("" at module level).
	Scope string `json:"scope,omitempty"`
	// Bound are the names the statement binds (aliases where given; for
	// "import a.b", "a").
	Bound []string `json:"bound,omitempty"`
}

// Source is what the scanner found in one file.
type Source struct {
	Imports []Import `json:"imports,omitempty"`
	// Strings are string literals shaped like dotted module names
	// ("pkg.mod"); -m arguments and registry tables name modules this way.
	Strings []Literal `json:"strings,omitempty"`
	// Paths are string literals naming a Python file ("x/y.py"), which
	// tests load with spec_from_file_location or run as scripts.
	Paths []Literal `json:"paths,omitempty"`
	// Dynamic lists lines that import modules the scanner cannot name
	// (import_module with a computed name, pkgutil.iter_modules).
	Dynamic []int `json:"dynamic,omitempty"`
	// PathLoads lists lines that load a Python file by path
	// (spec_from_file_location, runpy.run_path).
	PathLoads []int `json:"path_loads,omitempty"`
	// Models are string literals naming a model ("org/Name-8B",
	// "/models/Name/") or an architecture ("NameForCausalLM").
	Models []Literal `json:"models,omitempty"`
	// ModelConsts are module-level constants bound to model names:
	// NAME -> the model literals of its assignment.
	ModelConsts map[string][]string `json:"model_consts,omitempty"`
	// Entries are the architectures a model file registers
	// (module-level EntryClass = X or [X, Y]).
	Entries []string `json:"entries,omitempty"`
	// UsedConsts are the model constants the file itself refers to
	// beyond their assignment (defaults of its functions), sorted.
	UsedConsts []string `json:"used_consts,omitempty"`
	// Defs maps each top-level function, class and assigned name to the
	// names its definition refers to; Roots are the names module-level
	// code refers to (it runs at import). Opaque is set when names may
	// come from where the scan cannot see (star imports, a module
	// __getattr__, globals()).
	Defs   map[string][]string `json:"defs,omitempty"`
	Roots  []string            `json:"roots,omitempty"`
	Opaque bool                `json:"opaque,omitempty"`
}

// Literal is a dotted string literal and where it is.
type Literal struct {
	Value string `json:"value"`
	Line  int    `json:"line"`
	Scope string `json:"scope,omitempty"` // top-level def or class ("" at module level)
}

// SyntaxError says why a file could not be scanned.
type SyntaxError struct {
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Scan reads Python source and returns its imports.
func Scan(src []byte) (*Source, error) {
	if !utf8.Valid(src) {
		return nil, &SyntaxError{Line: 1 + strings.Count(string(src[:firstInvalid(src)]), "\n"), Msg: "not valid UTF-8"}
	}
	lines, err := logicalLines(string(src))
	if err != nil {
		return nil, err
	}
	p := &parser{consts: map[string]string{}, lastIf: map[int]block{}, names: map[string]int{},
		refs: map[string]map[string]bool{}, roots: map[string]bool{}}
	out, err := p.parse(lines)
	if err != nil {
		return nil, err
	}
	for name := range out.ModelConsts {
		if p.names[name] > 1 {
			out.UsedConsts = append(out.UsedConsts, name)
		}
	}
	sort.Strings(out.UsedConsts)
	out.Defs = map[string][]string{}
	for name, refs := range p.refs {
		out.Defs[name] = sortedKeys(refs)
	}
	out.Roots = sortedKeys(p.roots)
	return out, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// ---- logical lines ----

type tokKind int

const (
	tName tokKind = iota
	tOp
	tString
	tNumber
)

type token struct {
	kind   tokKind
	val    string // name, operator, or the string's value (plain strings only)
	line   int
	interp bool // f-string or t-string: val is empty
	esc    bool // the literal contains a backslash: val is not reliable
}

// logicalLine is one Python logical line: its tokens and indentation.
type logicalLine struct {
	indent int
	toks   []token
}

// logicalLines splits the source into logical lines: physical lines joined
// by backslashes and open brackets, without comments and blank lines.
func logicalLines(src string) ([]logicalLine, error) {
	var (
		out []logicalLine
		cur logicalLine
		lx  = pylex.New(src)
	)
	for {
		t, err := lx.Next()
		var le *pylex.Error
		if errors.As(err, &le) {
			return nil, &SyntaxError{Line: le.Line, Msg: le.Msg}
		}
		switch t.Kind {
		case pylex.EOF:
			if open := lx.Open(); open != 0 {
				return nil, &SyntaxError{Line: t.Line, Msg: fmt.Sprintf("end of file inside %q", string(open))}
			}
			return out, nil
		case pylex.Newline:
			out = append(out, cur)
			cur = logicalLine{}
			continue
		}
		if t.LineStart {
			cur.indent = t.Indent
		}
		cur.toks = appendToken(cur.toks, t)
	}
}

// appendToken appends the parser's form of t; "..." becomes three dots
// so that "from ... import x" can count them.
func appendToken(toks []token, t pylex.Token) []token {
	switch t.Kind {
	case pylex.Name:
		return append(toks, token{kind: tName, val: t.Text, line: t.Line})
	case pylex.Number:
		return append(toks, token{kind: tNumber, line: t.Line})
	case pylex.String:
		return append(toks, token{kind: tString, val: t.Text, line: t.Line, interp: t.Interp, esc: t.Escaped})
	}
	if t.Text == "..." {
		dot := token{kind: tOp, val: ".", line: t.Line}
		return append(toks, dot, dot, dot)
	}
	return append(toks, token{kind: tOp, val: t.Text, line: t.Line})
}

// ---- parser ----

type blockKind int

const (
	blockOther blockKind = iota
	blockTypeChecking
	blockTry
)

type block struct {
	indent   int
	kind     blockKind
	header   string    // keyword that opened the block: "if", "try", ...
	elseKind blockKind // for if-blocks: what the else branch is
}

type parser struct {
	names  map[string]int // occurrences of each name
	scope  string         // the top-level def or class being read ("" outside)
	refs   map[string]map[string]bool
	roots  map[string]bool
	stack  []block
	src    Source
	consts map[string]string // module-level NAME = "literal"
	lastIf map[int]block     // the open if/elif chain at each indentation
}

func (p *parser) parse(lines []logicalLine) (*Source, error) {
	for _, ln := range lines {
		// Close blocks this line is not inside.
		for len(p.stack) > 0 && ln.indent <= p.stack[len(p.stack)-1].indent {
			p.stack = p.stack[:len(p.stack)-1]
		}
		// An if/elif chain ends at any statement but elif/else at its indentation.
		if f := ln.toks[0]; !(f.kind == tName && (f.val == "elif" || f.val == "else")) {
			for in := range p.lastIf {
				if in >= ln.indent {
					delete(p.lastIf, in)
				}
			}
		}
		p.track(ln)
		if err := p.statementLine(ln); err != nil {
			return nil, err
		}
	}
	return &p.src, nil
}

// track records which top-level definition a line belongs to and the
// names it refers to.
func (p *parser) track(ln logicalLine) {
	toks := ln.toks
	if f := toks[0]; f.kind == tName && (f.val == "import" || f.val == "from") {
		if ln.indent == 0 {
			p.scope = ""
		}
		return // binds names; refers to none
	}
	if ln.indent == 0 {
		p.scope = ""
		first := toks[0]
		switch {
		case first.kind == tName && (first.val == "def" || first.val == "class") && len(toks) > 1:
			p.scope = toks[1].val
		case first.kind == tName && first.val == "async" && len(toks) > 2:
			p.scope = toks[2].val
		case first.kind == tName && len(toks) > 2 && (toks[1].val == "=" || toks[1].val == ":") && first.val != "__all__":
			// NAME = value: a definition whose value others may take.
			p.scope = first.val
			if first.val == "__getattr__" {
				p.src.Opaque = true
			}
		}
		if p.scope == "__getattr__" {
			p.src.Opaque = true
		}
	}
	refs := p.roots
	if p.scope != "" {
		if p.refs[p.scope] == nil {
			p.refs[p.scope] = map[string]bool{}
		}
		refs = p.refs[p.scope]
	}
	for i, t := range toks {
		if t.kind != tName || keywords[t.val] {
			continue
		}
		if t.val == "globals" || t.val == "vars" {
			p.src.Opaque = true
		}
		if i > 0 && toks[i-1].val == "." {
			continue // an attribute, not a name of this module
		}
		refs[t.val] = true
	}
}

var keywords = map[string]bool{
	"def": true, "class": true, "return": true, "if": true, "elif": true, "else": true, "for": true, "while": true,
	"in": true, "not": true, "and": true, "or": true, "is": true, "None": true, "True": true, "False": true,
	"import": true, "from": true, "as": true, "try": true, "except": true, "finally": true, "with": true,
	"lambda": true, "yield": true, "pass": true, "break": true, "continue": true, "raise": true, "global": true,
	"nonlocal": true, "assert": true, "del": true, "async": true, "await": true, "self": true, "cls": true,
}

func (p *parser) inside(k blockKind) bool {
	for _, b := range p.stack {
		if b.kind == k {
			return true
		}
	}
	return false
}

var compound = map[string]bool{
	"if": true, "elif": true, "else": true, "try": true, "except": true, "finally": true,
	"with": true, "for": true, "while": true, "def": true, "class": true, "async": true,
	"match": true, "case": true,
}

// statementLine handles one logical line: a block header (possibly with an
// inline body) or simple statements separated by semicolons.
func (p *parser) statementLine(ln logicalLine) error {
	toks := ln.toks
	p.scanExpressions(toks)
	first := toks[0]
	if first.kind == tName && compound[first.val] && (first.val != "match" && first.val != "case" || endsWithColon(toks)) {
		colon := headerColon(toks)
		if colon < 0 {
			if first.val == "async" || first.val == "match" || first.val == "case" {
				return p.simple(toks, ln.indent)
			}
			return &SyntaxError{Line: first.line, Msg: fmt.Sprintf("%q statement without ':'", first.val)}
		}
		b := p.header(toks[:colon], ln.indent)
		if colon+1 < len(toks) {
			// Inline body: "if TYPE_CHECKING: import x".
			p.stack = append(p.stack, b)
			err := p.simple(toks[colon+1:], ln.indent)
			p.stack = p.stack[:len(p.stack)-1]
			return err
		}
		p.stack = append(p.stack, b)
		return nil
	}
	return p.simple(toks, ln.indent)
}

func endsWithColon(toks []token) bool {
	return headerColon(toks) >= 0
}

// headerColon finds the ':' that ends a compound statement's header: the
// first one outside brackets that is not part of a lambda.
func headerColon(toks []token) int {
	depth, lambdas := 0, 0
	for i, t := range toks {
		if t.kind == tName && t.val == "lambda" && depth == 0 {
			lambdas++
		}
		if t.kind != tOp {
			continue
		}
		switch t.val {
		case "(", "[", "{":
			depth++
		case ")", "]", "}":
			depth--
		case ":":
			if depth == 0 {
				if lambdas > 0 {
					lambdas--
					continue
				}
				return i
			}
		}
	}
	return -1
}

// header builds the block a compound statement opens.
func (p *parser) header(h []token, indent int) block {
	b := block{indent: indent, header: h[0].val}
	switch h[0].val {
	case "if", "elif":
		cond := h[1:]
		switch {
		case isTypeChecking(cond):
			b.kind, b.elseKind = blockTypeChecking, blockOther
		case len(cond) > 0 && cond[0].kind == tName && cond[0].val == "not" && isTypeChecking(cond[1:]):
			b.kind, b.elseKind = blockOther, blockTypeChecking
		}
		p.lastIf[indent] = b
	case "else":
		// The else of "if TYPE_CHECKING" runs; that of "if not TYPE_CHECKING" does not.
		if last, ok := p.lastIf[indent]; ok {
			b.kind = last.elseKind
		}
		delete(p.lastIf, indent)
	case "try", "except", "finally":
		b.kind = blockTry
	}
	return b
}

func isTypeChecking(cond []token) bool {
	switch {
	case len(cond) == 1:
		return cond[0].kind == tName && cond[0].val == "TYPE_CHECKING"
	case len(cond) == 3:
		return cond[0].kind == tName && cond[1].val == "." && cond[2].val == "TYPE_CHECKING"
	}
	return false
}

// simple handles simple statements separated by ';'.
func (p *parser) simple(toks []token, indent int) error {
	depth, start := 0, 0
	for i := 0; i <= len(toks); i++ {
		if i < len(toks) {
			t := toks[i]
			if t.kind == tOp {
				switch t.val {
				case "(", "[", "{":
					depth++
				case ")", "]", "}":
					depth--
				}
			}
			if !(t.kind == tOp && t.val == ";" && depth == 0) {
				continue
			}
		}
		if err := p.statement(toks[start:i], indent); err != nil {
			return err
		}
		start = i + 1
	}
	return nil
}

func (p *parser) statement(st []token, indent int) error {
	if len(st) == 0 {
		return nil
	}
	if st[0].kind == tName {
		switch st[0].val {
		case "import":
			return p.importStmt(st)
		case "from":
			return p.fromStmt(st)
		}
	}
	// Module-level NAME = "literal", for import_module(NAME).
	if len(p.stack) == 0 && len(st) == 3 && st[0].kind == tName && st[1].val == "=" && st[2].kind == tString && !st[2].interp {
		p.consts[st[0].val] = st[2].val
	}
	if len(p.stack) == 0 && len(st) >= 3 && st[0].kind == tName && st[1].val == "=" {
		p.assignment(st[0].val, st[2:])
	}
	return nil
}

// assignment records model constants and a model file's EntryClass.
func (p *parser) assignment(name string, value []token) {
	if name == "EntryClass" {
		for _, t := range value {
			if t.kind == tName {
				p.src.Entries = append(p.src.Entries, t.val)
			}
		}
		return
	}
	for _, t := range value {
		if t.kind == tString && !t.interp && !t.esc && isModelRef(t.val) {
			if p.src.ModelConsts == nil {
				p.src.ModelConsts = map[string][]string{}
			}
			p.src.ModelConsts[name] = append(p.src.ModelConsts[name], t.val)
		}
	}
}

// mimeTypes are "type/subtype" strings that look like "org/name".
var mimeTypes = map[string]bool{"application": true, "text": true, "image": true, "audio": true, "video": true, "multipart": true, "font": true}

// archSuffixes end the class names of model architectures.
var archSuffixes = []string{"ForCausalLM", "ForConditionalGeneration", "LMHeadModel", "Eagle3"}

// isModelRef reports whether s names a model: a Hugging Face id
// "org/Name-8B" (a digit in the name), a local "/models/Name/" path, or an
// architecture class name such as "Qwen3ForCausalLM".
func isModelRef(s string) bool {
	if len(s) > 120 || strings.ContainsAny(s, " \t\n:*?{}%") {
		return false
	}
	if strings.HasPrefix(s, "/models/") {
		return len(s) > len("/models/")
	}
	if org, name, ok := strings.Cut(s, "/"); ok {
		if org == "" || name == "" || strings.Contains(name, "/") || mimeTypes[org] || !strings.ContainsAny(name, "0123456789") {
			return false
		}
		if ext := path.Ext(name); ext != "" && !strings.ContainsAny(ext[1:], "0123456789") {
			return false // a file such as "dir/data_1.json"
		}
		return isIdent(strings.NewReplacer("-", "_", ".", "_").Replace(org)) && isIdent("x"+strings.NewReplacer("-", "_", ".", "_").Replace(name))
	}
	if !isIdent(s) || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, suf := range archSuffixes {
		if strings.HasSuffix(s, suf) && len(s) > len(suf) {
			return true
		}
	}
	return false
}

func (p *parser) add(imp Import) {
	imp.Scope = p.scope
	if slices.Contains(imp.Names, "*") {
		p.src.Opaque = true
	}
	imp.TypeOnly = p.inside(blockTypeChecking)
	imp.Guarded = p.inside(blockTry)
	p.src.Imports = append(p.src.Imports, imp)
}

// importStmt: import a.b [as c], d
func (p *parser) importStmt(st []token) error {
	i := 1
	for {
		mod, next, err := dotted(st, i)
		if err != nil || mod == "" {
			return &SyntaxError{Line: st[0].line, Msg: "malformed import statement"}
		}
		i = next
		bound := strings.SplitN(mod, ".", 2)[0]
		if i < len(st) && st[i].kind == tName && st[i].val == "as" {
			if i+1 >= len(st) || st[i+1].kind != tName {
				return &SyntaxError{Line: st[0].line, Msg: "malformed import statement: 'as' without a name"}
			}
			bound = st[i+1].val
			i += 2
		}
		p.add(Import{Module: mod, Line: st[0].line, Bound: []string{bound}})
		if i == len(st) {
			return nil
		}
		if st[i].val != "," {
			return &SyntaxError{Line: st[0].line, Msg: fmt.Sprintf("malformed import statement near %q", st[i].val)}
		}
		i++
	}
}

// fromStmt: from [.]*[mod] import (a [as b], c) | *
func (p *parser) fromStmt(st []token) error {
	bad := func(why string) error {
		return &SyntaxError{Line: st[0].line, Msg: "malformed from-import: " + why}
	}
	i, level := 1, 0
	for i < len(st) && st[i].kind == tOp && st[i].val == "." {
		level++
		i++
	}
	mod, next, err := dotted(st, i)
	if err != nil {
		return bad(err.Error())
	}
	i = next
	if mod == "" && level == 0 {
		return bad("no module")
	}
	if i >= len(st) || st[i].kind != tName || st[i].val != "import" {
		return bad("no 'import'")
	}
	i++
	rest := st[i:]
	if len(rest) > 0 && rest[0].val == "(" {
		if rest[len(rest)-1].val != ")" {
			return bad("unbalanced parentheses")
		}
		rest = rest[1 : len(rest)-1]
	}
	var names, bound []string
	if len(rest) == 1 && rest[0].val == "*" {
		names = []string{"*"}
	} else {
		expect := true
		for j := 0; j < len(rest); j++ {
			t := rest[j]
			switch {
			case expect && t.kind == tName:
				names = append(names, t.val)
				expect = false
				b := t.val
				if j+1 < len(rest) && rest[j+1].kind == tName && rest[j+1].val == "as" {
					if j+2 >= len(rest) || rest[j+2].kind != tName {
						return bad("'as' without a name")
					}
					b = rest[j+2].val
					j += 2
				}
				bound = append(bound, b)
			case !expect && t.val == ",":
				expect = true
			default:
				return bad(fmt.Sprintf("unexpected %q", t.val))
			}
		}
		if len(names) == 0 {
			return bad("nothing imported")
		}
	}
	p.add(Import{Module: mod, Level: level, Names: names, Bound: bound, Line: st[0].line})
	return nil
}

// dotted reads NAME(.NAME)* at i; it returns "" when st[i] is not a name.
func dotted(st []token, i int) (string, int, error) {
	if i >= len(st) || st[i].kind != tName || st[i].val == "import" {
		return "", i, nil
	}
	parts := []string{st[i].val}
	i++
	for i+1 < len(st) && st[i].kind == tOp && st[i].val == "." {
		if st[i+1].kind != tName {
			return "", i, fmt.Errorf("dangling '.'")
		}
		parts = append(parts, st[i+1].val)
		i += 2
	}
	return strings.Join(parts, "."), i, nil
}

// Functions that import modules by name or path at run time.
var (
	importByName = map[string]bool{"import_module": true, "__import__": true, "run_module": true}
	importByScan = map[string]bool{"iter_modules": true, "walk_packages": true}
	importByPath = map[string]bool{
		"spec_from_file_location": true, "load_source": true, "run_path": true, "SourceFileLoader": true,
	}
)

// scanExpressions records dotted string literals and dynamic imports in
// any statement.
func (p *parser) scanExpressions(toks []token) {
	for i, t := range toks {
		if t.kind == tName {
			p.names[t.val]++
		}
		switch {
		case t.kind == tString && !t.interp && !t.esc && isPyPath(t.val):
			// Before module names: "bench_x.py" names a file, not module py.
			p.src.Paths = append(p.src.Paths, Literal{Value: t.val, Line: t.line, Scope: p.scope})
		case t.kind == tString && !t.interp && !t.esc && isDottedModule(t.val):
			p.src.Strings = append(p.src.Strings, Literal{Value: t.val, Line: t.line, Scope: p.scope})
		case t.kind == tString && !t.interp && !t.esc && isModelRef(t.val):
			p.src.Models = append(p.src.Models, Literal{Value: t.val, Line: t.line})
		case t.kind == tName && importByScan[t.val] && i+1 < len(toks) && toks[i+1].val == "(":
			p.src.Dynamic = append(p.src.Dynamic, t.line)
		case t.kind == tName && importByPath[t.val] && i+1 < len(toks) && toks[i+1].val == "(":
			p.src.PathLoads = append(p.src.PathLoads, t.line)
		case t.kind == tName && importByName[t.val] && i+1 < len(toks) && toks[i+1].val == "(":
			if i > 0 && toks[i-1].kind == tName && toks[i-1].val == "def" {
				continue
			}
			mod, ok := p.literalArg(toks[i+2:])
			if !ok {
				p.src.Dynamic = append(p.src.Dynamic, t.line)
				continue
			}
			imp := Import{Module: mod, Line: t.line, Dynamic: true}
			imp.Guarded = p.inside(blockTry)
			p.src.Imports = append(p.src.Imports, imp)
		}
	}
}

// literalArg reads a first call argument that is a string literal or a
// module-level constant bound to one.
func (p *parser) literalArg(args []token) (string, bool) {
	if len(args) < 2 || (args[1].val != "," && args[1].val != ")") {
		return "", false
	}
	a := args[0]
	switch {
	case a.kind == tString && !a.interp && !a.esc:
		return a.val, a.val != "" && !strings.HasPrefix(a.val, ".")
	case a.kind == tName:
		v, ok := p.consts[a.val]
		return v, ok && v != "" && !strings.HasPrefix(v, ".")
	}
	return "", false
}

// isDottedModule reports whether s looks like "pkg.mod[.sub]".
func isDottedModule(s string) bool {
	if !strings.Contains(s, ".") || len(s) > 200 {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" || !isIdent(part) {
			return false
		}
	}
	return true
}

// isPyPath reports whether s looks like a path to a Python file.
func isPyPath(s string) bool {
	return strings.HasSuffix(s, ".py") && len(s) > 3 && len(s) < 300 && !strings.ContainsAny(s, " \t\n*?{}%")
}

func isIdent(s string) bool {
	for i, r := range s {
		if !(r == '_' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r))) {
			return false
		}
	}
	return s != ""
}
