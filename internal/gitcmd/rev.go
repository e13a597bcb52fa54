package gitcmd

import (
	"context"
	"fmt"
	"strings"
	"unicode"
)

// maxRevisionLen bounds a revision expression read from outside; git's
// own ref names are far shorter in practice.
const maxRevisionLen = 512

// IsSHA reports whether s is a full object name: 40 (SHA-1) or 64
// (SHA-256) lowercase hex digits.
func IsSHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	return strings.Trim(s, "0123456789abcdef") == ""
}

// CheckSHA refuses anything but a full object name, so that a value from an
// event payload can never reach git as an option or a revision expression.
func CheckSHA(what, s string) error {
	if !IsSHA(s) {
		return fmt.Errorf("%s: %q is not a commit SHA (want 40 or 64 lowercase hex digits)", what, s)
	}
	return nil
}

// CheckRevision refuses a revision expression (a ref, a SHA, HEAD~1,
// origin/main) that git could read as an option, or that holds spaces or
// control characters, which no ref or revision git writes contains.
func CheckRevision(what, s string) error {
	if why := RevisionProblem(s); why != "" {
		return fmt.Errorf("%s: %q %s", what, s, why)
	}
	return nil
}

// RevisionProblem says what keeps s from being a revision expression, or
// "" when nothing does.
func RevisionProblem(s string) string {
	switch {
	case s == "":
		return "is empty"
	case len(s) > maxRevisionLen:
		return fmt.Sprintf("is longer than %d characters", maxRevisionLen)
	case strings.HasPrefix(s, "-"):
		return "starts with '-': a revision cannot (git would read it as an option)"
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return "holds a space or control character: no revision does"
	}
	return ""
}

// RemoteProblem says what keeps s from being a remote git may be given
// (a URL or a path), or "" when nothing does: one starting with '-' would
// be read as an option.
func RemoteProblem(s string) string {
	if strings.HasPrefix(s, "-") || strings.ContainsFunc(s, unicode.IsControl) {
		return "starts with '-' or holds a control character"
	}
	return ""
}

// CheckBranch refuses a branch name that git's own rules reject
// (git check-ref-format --branch), without running git.
func CheckBranch(what, s string) error {
	if err := CheckRevision(what, s); err != nil {
		return err
	}
	bad := strings.HasSuffix(s, ".") || strings.HasSuffix(s, "/") || strings.HasSuffix(s, ".lock") ||
		strings.Contains(s, "..") || strings.Contains(s, "@{") || strings.Contains(s, "//") ||
		strings.ContainsAny(s, "~^:?*[\\") || s == "@" || strings.HasPrefix(s, "/")
	for _, part := range strings.Split(s, "/") {
		bad = bad || strings.HasPrefix(part, ".")
	}
	if bad {
		return fmt.Errorf("%s: %q is not a valid branch name (see git check-ref-format)", what, s)
	}
	return nil
}

// Resolve turns a revision expression into its commit's full SHA. The
// expression is checked first and passed after --end-of-options, so no
// value reaches git as an option; callers use the SHA from then on.
func (r Repo) Resolve(ctx context.Context, rev string) (string, error) {
	if err := CheckRevision("git rev-parse", rev); err != nil {
		return "", err
	}
	out, err := r.Output(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	if err != nil {
		return "", err
	}
	sha := strings.TrimSpace(string(out))
	if !IsSHA(sha) {
		return "", fmt.Errorf("git rev-parse %s: unexpected output %q", rev, sha)
	}
	return sha, nil
}
