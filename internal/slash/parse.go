package slash

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/stages"
)

// Names are the values an argument may take.
type Names struct {
	Targets []string // PR targets, in stage order
	Suites  []string // suites of a PR target, in config order
}

// NamesOf lists the PR targets and the suites a PR target runs (those
// whose name has the form of a name: a reply may quote them).
func NamesOf(cfg *config.Config) Names {
	n := Names{Targets: stages.PR()}
	for _, s := range cfg.Suites {
		if s.Exclude == "" && slices.Contains(n.Targets, s.Target) && argWord.MatchString(s.Name) {
			n.Suites = append(n.Suites, s.Name)
		}
	}
	return n
}

// Resolve finds name among the targets, then the suites: exactly, else
// case-insensitively when that matches one name only. It returns the
// name in the configuration's spelling and whether it is a suite.
func (n Names) Resolve(name string) (canon string, suite, ok bool) {
	if !argWord.MatchString(name) {
		return "", false, false
	}
	if slices.Contains(n.Targets, name) {
		return name, false, true
	}
	if slices.Contains(n.Suites, name) {
		return name, true, true
	}
	var found []string
	var isSuite bool
	for _, t := range n.Targets {
		if strings.EqualFold(t, name) {
			found = append(found, t)
		}
	}
	for _, s := range n.Suites {
		if strings.EqualFold(s, name) {
			found, isSuite = append(found, s), true
		}
	}
	if len(found) != 1 {
		return "", false, false
	}
	return found[0], isSuite, true
}

// Command is a parsed command: its spec and its argument, a name of the
// configuration in its own spelling.
type Command struct {
	Spec
	Arg   string `json:"arg,omitempty"`
	Suite bool   `json:"suite,omitempty"` // Arg names a suite, not a target
}

// ErrorKind says how a comment failed to be a command.
type ErrorKind int

// The kinds of parse errors.
const (
	Unknown    ErrorKind = iota + 1 // a /word the grammar does not have
	MissingArg                      // a command that takes a name got none
	ExtraArg                        // more words than the command takes
	BadArg                          // a name that is no target or suite
)

// Error is a comment that looks like a command but is not one. Its text
// quotes only the grammar and the configuration, never the comment.
type Error struct {
	Kind ErrorKind
	Spec Spec // the command, when the word was known
	msg  string
}

func (e *Error) Error() string { return e.msg }

// commandWord is what a first word must look like to be a command
// attempt: a slash and a word. "/path/to/file" or "/10" are prose.
var commandWord = regexp.MustCompile(`^/[A-Za-z][A-Za-z0-9-]{0,39}$`)

// argWord is the form of every target and suite name.
var argWord = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`)

// FirstLine is the comment's first line: up to the first line break of
// any kind (CR, LF, NEL, the Unicode line and paragraph separators),
// without a leading byte-order mark.
func FirstLine(body string) string {
	body = strings.TrimPrefix(body, "\ufeff")
	if i := strings.IndexAny(body, "\r\n\u0085\u2028\u2029"); i >= 0 {
		body = body[:i]
	}
	return body
}

// isSpace separates words: Unicode white space and the invisible
// characters a paste carries (zero-width space and joiners, word joiner,
// byte-order mark).
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\u2060' || r == '\ufeff'
}

// Parse reads a comment. ok is false when the comment is no command (it
// does not start with a slash and a word): it is to be ignored. err says
// why a command attempt is not one; the caller answers it with the help.
func Parse(body string, names Names) (cmd Command, ok bool, err error) {
	line := FirstLine(body)
	if !strings.HasPrefix(line, "/") {
		return Command{}, false, nil
	}
	words := strings.FieldsFunc(line, isSpace)
	if len(words) == 0 || !commandWord.MatchString(words[0]) {
		return Command{}, false, nil
	}
	spec, known := Lookup(strings.ToLower(words[0][1:]))
	if !known {
		return Command{}, true, &Error{Kind: Unknown, msg: "not a command of tpuci"}
	}
	args := words[1:]
	if spec.Arg == NoArg {
		if len(args) > 0 {
			return Command{}, true, &Error{Kind: ExtraArg, Spec: spec,
				msg: fmt.Sprintf("`/%s` takes no argument", spec.Name)}
		}
		return Command{Spec: spec}, true, nil
	}
	switch {
	case len(args) == 0:
		return Command{}, true, &Error{Kind: MissingArg, Spec: spec,
			msg: fmt.Sprintf("`/%s` needs one %s: %s", spec.Name, strings.Trim(spec.ArgDoc, "<>"), names.List())}
	case len(args) > 1:
		return Command{}, true, &Error{Kind: ExtraArg, Spec: spec,
			msg: fmt.Sprintf("`/%s` takes one %s, not %d words", spec.Name, strings.Trim(spec.ArgDoc, "<>"), len(args))}
	}
	canon, suite, found := names.Resolve(args[0])
	if !found {
		return Command{}, true, &Error{Kind: BadArg, Spec: spec,
			msg: fmt.Sprintf("the argument of `/%s` is no target or suite of tpuci.toml: %s", spec.Name, names.List())}
	}
	return Command{Spec: spec, Arg: canon, Suite: suite}, true, nil
}

// List names the targets and suites, for an error.
func (n Names) List() string {
	s := "targets " + quoteAll(n.Targets)
	if len(n.Suites) > 0 {
		s += "; suites " + quoteAll(n.Suites)
	}
	return s
}

func quoteAll(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = "`" + x + "`"
	}
	return strings.Join(q, ", ")
}
