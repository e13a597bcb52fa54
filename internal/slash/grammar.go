// Package slash is tpuci's PR comment commands: the grammar (one table),
// a pure parser of a comment's first line, and the command ci:command
// runs for an issue_comment event against GitHub's REST API.
//
// Everything a comment says is data. A command word or an argument
// reaches a reply, the log or a workflow input only after it matched the
// table or the configuration's names exactly, and then in the table's
// spelling.
package slash

import (
	"fmt"
	"strings"

	"github.com/sgl-project/tpuci/internal/readme"
)

// Permission is the repository permission a command needs.
type Permission int

// The permissions the grammar uses.
const (
	// Anyone may run the command: it changes nothing.
	Anyone Permission = iota
	// Write is the collaborator permission write, maintain or admin, as
	// GET /repos/{owner}/{repo}/collaborators/{user}/permission reports it.
	Write
)

func (p Permission) String() string {
	if p == Write {
		return "write, maintain or admin"
	}
	return "anyone"
}

// Arg is what a command takes after its word.
type Arg int

// The argument kinds.
const (
	NoArg  Arg = iota
	OneArg     // one PR target or suite name of the configuration
)

// Spec is one command of the grammar.
type Spec struct {
	Name   string // the word after the slash, lower case
	Arg    Arg
	ArgDoc string // how the help names the argument
	Perm   Permission
	Help   string // one line: what it does
}

// Usage is the command as the help writes it.
func (s Spec) Usage() string {
	if s.Arg == OneArg {
		return "/" + s.Name + " " + s.ArgDoc
	}
	return "/" + s.Name
}

// The commands' words.
const (
	CmdRerunFailed = "rerun-failed"
	CmdRerun       = "rerun"
	CmdRunCI       = "run-ci"
	CmdHelp        = "help"
)

// Table is the grammar, in the order the help lists it.
var Table = []Spec{
	{Name: CmdRerunFailed, Perm: Write,
		Help: "rerun the failed jobs of the latest PR Test run of the head commit (not when it is running or green)"},
	{Name: CmdRerun, Arg: OneArg, ArgDoc: "<suite or target>", Perm: Write,
		Help: "run PR Test on the head commit for one target (lint, unitTest1, ...) or one suite of tpuci.toml"},
	{Name: CmdRunCI, Perm: Write,
		Help: "add the run-ci label and run PR Test on the head commit for what the change selects"},
	{Name: CmdHelp, Perm: Anyone, Help: "show this table"},
}

// Lookup returns the command called word (without the slash).
func Lookup(word string) (Spec, bool) {
	for _, s := range Table {
		if s.Name == word {
			return s, true
		}
	}
	return Spec{}, false
}

// Markdown is the grammar as a Markdown table: the help reply and the
// README's table.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| command | what it does | who may run it |\n|---|---|---|\n")
	for _, s := range Table {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", s.Usage(), s.Help, s.Perm)
	}
	return b.String()
}

// Docs is the README's generated command table.
var Docs = readme.Block{Name: "slash command table", Pkg: "slash"}
