package lint

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/sgl-project/tpuci/internal/proc"
)

// Version is a Python version (major, minor, patch).
type Version [3]int

func (v Version) String() string { return fmt.Sprintf("%d.%d", v[0], v[1]) }

// ParseVersion reads "3.12" or "3.11.2" (a trailing "*" counts as 0).
func ParseVersion(s string) (Version, error) {
	var v Version
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) < 1 || len(parts) > 3 || parts[0] == "" {
		return v, fmt.Errorf("not a version: %q", s)
	}
	for i, p := range parts {
		if p == "*" {
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			return v, fmt.Errorf("not a version: %q", s)
		}
		v[i] = n
	}
	return v, nil
}

func (v Version) cmp(o Version) int {
	for i := range v {
		if v[i] != o[i] {
			if v[i] < o[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

var clauseRE = regexp.MustCompile(`^\s*(>=|<=|==|!=|~=|>|<)\s*([0-9][0-9.*]*)\s*$`)

// Satisfies reports whether v meets a requires-python specifier such as
// ">=3.12,<3.14". Only the clauses Python packaging uses for versions
// are understood; anything else is an error naming the clause.
func Satisfies(spec string, v Version) (bool, error) {
	for _, clause := range strings.Split(spec, ",") {
		if strings.TrimSpace(clause) == "" {
			continue
		}
		m := clauseRE.FindStringSubmatch(clause)
		if m == nil {
			return false, fmt.Errorf("unsupported clause %q", strings.TrimSpace(clause))
		}
		want, err := ParseVersion(m[2])
		if err != nil {
			return false, err
		}
		c := v.cmp(want)
		ok := map[string]bool{">=": c >= 0, "<=": c <= 0, ">": c > 0, "<": c < 0}[m[1]]
		switch m[1] {
		case "==":
			ok = sameUpTo(v, want, m[2])
		case "!=":
			ok = !sameUpTo(v, want, m[2])
		case "~=":
			ok = c >= 0 && v[0] == want[0] && (strings.Count(m[2], ".") < 2 || v[1] == want[1])
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

// sameUpTo compares only the components the specifier spelled out.
func sameUpTo(v, want Version, text string) bool {
	n := strings.Count(strings.TrimSuffix(text, ".*"), ".") + 1
	for i := 0; i < n && i < 3; i++ {
		if v[i] != want[i] {
			return false
		}
	}
	return true
}

// RequiresPython reads requires-python from the checkout's package
// metadata (python/pyproject.toml, then pyproject.toml). It returns the
// specifier and the file it came from, or "" when none declares one.
func RequiresPython(repo string) (spec, from string) {
	for _, rel := range []string{"python/pyproject.toml", "pyproject.toml"} {
		data, err := os.ReadFile(filepath.Join(repo, rel))
		if err != nil {
			continue
		}
		var meta struct {
			Project struct {
				RequiresPython string `toml:"requires-python"`
			} `toml:"project"`
		}
		if toml.Unmarshal(data, &meta) == nil && meta.Project.RequiresPython != "" {
			return meta.Project.RequiresPython, rel
		}
	}
	return "", ""
}

// InterpreterVersion asks python for its version.
func InterpreterVersion(ctx context.Context, python string) (Version, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	out, err := proc.Output(ctx, "", python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])")
	if err != nil {
		return Version{}, fmt.Errorf("lint: ask %s for its version: %w", python, err)
	}
	return ParseVersion(string(out))
}

// Interpreter is the result of checking the interpreter against the
// checkout's requires-python.
type Interpreter struct {
	Version  Version
	Requires string // the specifier, "" when the checkout declares none
	From     string // the file that declares it
	Mismatch bool   // Version does not satisfy Requires
}

// CheckInterpreter compares python's version with the checkout's
// requires-python. An unreadable specifier is reported, not guessed at.
func CheckInterpreter(ctx context.Context, repo, python string) (Interpreter, error) {
	v, err := InterpreterVersion(ctx, python)
	if err != nil {
		return Interpreter{}, err
	}
	in := Interpreter{Version: v}
	in.Requires, in.From = RequiresPython(repo)
	if in.Requires == "" {
		return in, nil
	}
	ok, err := Satisfies(in.Requires, v)
	if err != nil {
		return in, fmt.Errorf("lint: read requires-python %q in %s: %w", in.Requires, in.From, err)
	}
	in.Mismatch = !ok
	return in, nil
}

// UnparsableLine is the one line that replaces syntax errors caused by
// an interpreter older than the checkout requires.
func (in Interpreter) UnparsableLine(files int) string {
	return fmt.Sprintf("%d file(s) use syntax Python %s cannot parse; the repository requires %s (%s): set TPUCI_PYTHON to an interpreter that satisfies it",
		files, in.Version, in.Requires, in.From)
}
