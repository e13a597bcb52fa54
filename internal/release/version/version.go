// Package version finds the version a release publishes: a literal
// __version__ in the configured version file, or setuptools-scm style
// from a git tag on HEAD (SETUPTOOLS_SCM_PRETEND_VERSION overrides it),
// and lists the versions already released as git tags.
package version

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	pep440 "github.com/aquasecurity/go-pep440-version"

	"github.com/sgl-project/tpuci/internal/gitcmd"
	"github.com/sgl-project/tpuci/internal/release/plan"
)

// Sources of the version.
const (
	SourceFile = "file" // __version__ = "X.Y.Z" in [repo].version_file
	SourceSCM  = "scm"  // git tag vX.Y.Z on HEAD, or SETUPTOOLS_SCM_PRETEND_VERSION
)

// ErrNoGit means the checkout has no git history to read tags from.
var ErrNoGit = errors.New("no git tags to read (the scm version source needs them, or " + PretendEnv + ")")

// PretendEnv overrides the version in scm mode, as for setuptools-scm.
const PretendEnv = "SETUPTOOLS_SCM_PRETEND_VERSION"

// Options says where to look.
type Options struct {
	Repo    string // checkout root
	Source  string // SourceFile or SourceSCM
	File    string // version file, relative to Repo (SourceFile)
	Getenv  func(string) string
	Nightly bool // an untagged HEAD is fine: the next release is guessed from the last tag
}

// Found is a version and where it came from.
type Found struct {
	Version pep440.Version
	From    string // e.g. "python/sgl_jax/version.py:1", "git tag v0.5.3"
}

// Resolve reads the version and validates it for release (PEP 440, no
// local segment, no epoch).
func Resolve(ctx context.Context, o Options) (Found, error) {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	switch o.Source {
	case SourceFile:
		return fromFile(o)
	case SourceSCM:
		return fromSCM(ctx, o)
	}
	return Found{}, fmt.Errorf("version: unknown source %q (\"file\" or \"scm\")", o.Source)
}

// literal matches __version__ = "X" (optionally annotated ": str").
var literal = regexp.MustCompile(`^__version__\s*(?::\s*str\s*)?=\s*(?:"([^"\n]*)"|'([^'\n]*)')\s*(?:#.*)?$`)

// ReadFile returns the literal __version__ of a Python file and its line.
func ReadFile(path string) (string, int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", 0, fmt.Errorf("version: read %s: %w", path, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if m := literal.FindStringSubmatch(line); m != nil {
			return m[1] + m[2], n, nil
		}
		if strings.HasPrefix(line, "__version__") {
			return "", n, fmt.Errorf("version: %s:%d: __version__ is not a string literal (computed at import time?); use [release].version_source = \"scm\" or write __version__ = \"X.Y.Z\"", path, n)
		}
	}
	return "", 0, fmt.Errorf("version: %s has no line __version__ = \"X.Y.Z\"; add one or use [release].version_source = \"scm\"", path)
}

func fromFile(o Options) (Found, error) {
	if o.File == "" {
		return Found{}, errors.New(`version: version_source "file" needs [repo].version_file`)
	}
	raw, line, err := ReadFile(filepath.Join(o.Repo, o.File))
	if err != nil {
		return Found{}, err
	}
	at := fmt.Sprintf("%s:%d", o.File, line)
	v, err := parseRelease(raw)
	if err != nil {
		return Found{}, fmt.Errorf("version: %s: %w", at, err)
	}
	if p := o.Getenv(PretendEnv); p != "" {
		pv, perr := pep440.Parse(p)
		if perr != nil || !pv.Equal(v) {
			return Found{}, fmt.Errorf("version: %s=%s contradicts %s (%s): the package would report %s; unset it or fix the file", PretendEnv, p, at, raw, raw)
		}
	}
	return Found{Version: v, From: at}, nil
}

func fromSCM(ctx context.Context, o Options) (Found, error) {
	if p := o.Getenv(PretendEnv); p != "" {
		v, err := parseRelease(p)
		if err != nil {
			return Found{}, fmt.Errorf("version: %s: %w", PretendEnv, err)
		}
		return Found{Version: v, From: PretendEnv}, nil
	}
	onHead, err := gitLines(ctx, o.Repo, "tag", "--points-at", "HEAD", "--list", "v[0-9]*")
	if err != nil {
		return Found{}, err
	}
	if best, tag, ok := highest(onHead); ok {
		if _, err := parseRelease(tag); err != nil {
			return Found{}, fmt.Errorf("version: git tag %s: %w", tag, err)
		}
		if tag != "v"+best.String() {
			return Found{}, fmt.Errorf("version: git tag %s is not canonical: tag the commit v%s instead", tag, best)
		}
		return Found{Version: best, From: "git tag " + tag}, nil
	}
	merged, err := gitLines(ctx, o.Repo, "tag", "--merged", "HEAD", "--list", "v[0-9]*")
	if err != nil {
		return Found{}, err
	}
	last, lastTag, ok := highest(merged)
	if !ok {
		return Found{}, fmt.Errorf("version: no v* tag on HEAD or before it in %s: tag the release (git tag vX.Y.Z) or set %s", o.Repo, PretendEnv)
	}
	if !o.Nightly {
		return Found{}, fmt.Errorf("version: HEAD is not tagged (last tag %s): a release needs its tag on HEAD, or %s", lastTag, PretendEnv)
	}
	if plan.Releasable(last) != nil {
		return Found{}, fmt.Errorf("version: git tag %s cannot be released (local version or epoch)", lastTag)
	}
	return Found{Version: nextRelease(last), From: "next release after git tag " + lastTag}, nil
}

// parseRelease reads a version tpuci may publish: valid PEP 440 without a
// local segment or an epoch.
func parseRelease(s string) (pep440.Version, error) {
	v, err := pep440.Parse(s)
	if err != nil {
		return pep440.Version{}, fmt.Errorf("%q is not a PEP 440 version (e.g. 0.5.3, 0.5.3rc1, 0.5.3.post1, 0.5.4.dev0)", s)
	}
	if err := plan.Releasable(v); err != nil {
		return pep440.Version{}, fmt.Errorf("%q: %w", s, err)
	}
	return v, nil
}

// nextRelease guesses the next release after v (no epoch) the way
// setuptools-scm's default scheme does: the last release number plus one
// (0.5.2 -> 0.5.3), or v's own release segment when v is a pre-release of
// it (0.5.3rc1 -> 0.5.3).
func nextRelease(v pep440.Version) pep440.Version {
	base := v.BaseVersion()
	if !v.IsPreRelease() {
		i := strings.LastIndexByte(base, '.') + 1
		n, _ := strconv.ParseUint(base[i:], 10, 64) // digits: the library parsed them
		base = base[:i] + strconv.FormatUint(n+1, 10)
	}
	return pep440.MustParse(base)
}

// Released lists the versions tagged vX in the checkout (tags that are
// not PEP 440 versions are ignored).
func Released(ctx context.Context, repo string) ([]pep440.Version, error) {
	tags, err := gitLines(ctx, repo, "tag", "--list", "v[0-9]*")
	if err != nil {
		return nil, err
	}
	var out []pep440.Version
	for _, t := range tags {
		if v, err := pep440.Parse(t); err == nil {
			out = append(out, v)
		}
	}
	return out, nil
}

func highest(tags []string) (pep440.Version, string, bool) {
	var best pep440.Version
	var bestTag string
	for _, t := range tags {
		v, err := pep440.Parse(t)
		if err != nil {
			continue
		}
		if bestTag == "" || best.LessThan(v) {
			best, bestTag = v, t
		}
	}
	return best, bestTag, bestTag != ""
}

func gitLines(ctx context.Context, repo string, args ...string) ([]string, error) {
	lines, err := gitcmd.Repo{Dir: repo, Timeout: 30 * time.Second}.Lines(ctx, args...)
	var gerr *gitcmd.Error
	if errors.As(err, &gerr) && strings.Contains(gerr.Stderr, "not a git repository") {
		return nil, fmt.Errorf("version: %s is not a git checkout: %w", repo, ErrNoGit)
	}
	if err != nil {
		return nil, fmt.Errorf("version: %w", err)
	}
	return lines, nil
}
