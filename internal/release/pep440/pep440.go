// Package pep440 parses, normalises and orders Python package versions as
// PEP 440 (and Python's packaging library) define them, and decides which
// of them tpuci may release.
package pep440

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// pattern is PEP 440's permissive grammar (the spellings packaging
// accepts and normalises), anchored and case-insensitive.
var pattern = regexp.MustCompile(`(?i)^v?` +
	`(?:(?P<epoch>[0-9]+)!)?` +
	`(?P<release>[0-9]+(?:\.[0-9]+)*)` +
	`(?P<pre>[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>[0-9]+)?)?` +
	`(?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?))?` +
	`(?P<dev>[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?` +
	`(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?$`)

// Version is a parsed PEP 440 version.
type Version struct {
	Epoch   int
	Release []int
	PreL    string // "", "a", "b" or "rc"
	PreN    int
	Post    int // -1: none
	Dev     int // -1: none
	Local   string
	source  string
	present struct{ pre bool }
}

// Parse reads any valid PEP 440 version (surrounding whitespace and a
// leading "v" are allowed, as in packaging).
func Parse(s string) (Version, error) {
	in := strings.TrimSpace(s)
	m := pattern.FindStringSubmatch(in)
	if m == nil {
		return Version{}, fmt.Errorf("%q is not a PEP 440 version (e.g. 0.5.3, 0.5.3rc1, 0.5.3.post1, 0.5.4.dev0)", s)
	}
	g := func(name string) string { return m[pattern.SubexpIndex(name)] }
	v := Version{Post: -1, Dev: -1, source: s}
	var err error
	num := func(field, s string) int {
		if s == "" || err != nil {
			return 0
		}
		n, e := strconv.Atoi(s)
		if e != nil || n < 0 {
			err = fmt.Errorf("%q: %s number %s is too large", s, field, s)
		}
		return n
	}
	v.Epoch = num("epoch", g("epoch"))
	for _, part := range strings.Split(g("release"), ".") {
		v.Release = append(v.Release, num("release", part))
	}
	if g("pre") != "" {
		v.present.pre = true
		switch strings.ToLower(g("pre_l")) {
		case "a", "alpha":
			v.PreL = "a"
		case "b", "beta":
			v.PreL = "b"
		default: // c, rc, pre, preview
			v.PreL = "rc"
		}
		v.PreN = num("pre-release", g("pre_n"))
	}
	if g("post") != "" {
		v.Post = num("post-release", g("post_n1")+g("post_n2"))
	}
	if g("dev") != "" {
		v.Dev = num("dev-release", g("dev_n"))
	}
	if l := g("local"); l != "" {
		v.Local = strings.ToLower(strings.NewReplacer("-", ".", "_", ".").Replace(l))
	}
	if err != nil {
		return Version{}, err
	}
	return v, nil
}

// ErrLocal and ErrEpoch are why a valid version cannot be released.
var (
	ErrLocal = errors.New("local versions (+...) cannot be released: PyPI refuses them and a Docker tag cannot hold '+'")
	ErrEpoch = errors.New("epochs (N!) cannot be released: a Docker tag cannot hold '!' and tags would sort wrongly")
)

// ParseRelease parses a version tpuci may publish: valid PEP 440 without
// a local segment or an epoch.
func ParseRelease(s string) (Version, error) {
	v, err := Parse(s)
	if err != nil {
		return v, err
	}
	if v.Local != "" {
		return Version{}, fmt.Errorf("%q: %w", s, ErrLocal)
	}
	if v.Epoch != 0 {
		return Version{}, fmt.Errorf("%q: %w", s, ErrEpoch)
	}
	return v, nil
}

// MustParse is Parse for constants in tests and tables; it panics on error.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

// String is the normalised form (packaging's str(Version(s))).
func (v Version) String() string {
	var b strings.Builder
	if v.Epoch != 0 {
		fmt.Fprintf(&b, "%d!", v.Epoch)
	}
	b.WriteString(v.Base())
	if v.present.pre {
		fmt.Fprintf(&b, "%s%d", v.PreL, v.PreN)
	}
	if v.Post >= 0 {
		fmt.Fprintf(&b, ".post%d", v.Post)
	}
	if v.Dev >= 0 {
		fmt.Fprintf(&b, ".dev%d", v.Dev)
	}
	if v.Local != "" {
		b.WriteString("+" + v.Local)
	}
	return b.String()
}

// Base is the release segment alone ("0.5.3" for "0.5.3rc1.post2").
func (v Version) Base() string {
	parts := make([]string, len(v.Release))
	for i, n := range v.Release {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ".")
}

// Original is the text the version was parsed from.
func (v Version) Original() string { return v.source }

// IsZero reports whether v was never parsed.
func (v Version) IsZero() bool { return len(v.Release) == 0 }

// IsPrerelease is true for alpha, beta, release-candidate and dev versions
// (packaging's is_prerelease).
func (v Version) IsPrerelease() bool { return v.present.pre || v.Dev >= 0 }

// IsPostrelease is true for .postN versions.
func (v Version) IsPostrelease() bool { return v.Post >= 0 }

// IsDevrelease is true for .devN versions.
func (v Version) IsDevrelease() bool { return v.Dev >= 0 }

// NextRelease guesses the next release after v the way setuptools-scm's
// default scheme does: the last release number plus one (0.5.2 -> 0.5.3),
// or v's own release segment when v is a pre-release of it.
func (v Version) NextRelease() Version {
	n := Version{Epoch: v.Epoch, Release: append([]int(nil), v.Release...), Post: -1, Dev: -1}
	if !v.present.pre && v.Dev < 0 {
		n.Release[len(n.Release)-1]++
	}
	n.source = n.String()
	return n
}

// Compare orders versions as PEP 440 does: -1, 0 or +1. Local segments
// are compared as plain strings after everything else.
func Compare(a, b Version) int {
	if c := cmpInt(a.Epoch, b.Epoch); c != 0 {
		return c
	}
	for i := 0; i < max(len(a.Release), len(b.Release)); i++ {
		if c := cmpInt(at(a.Release, i), at(b.Release, i)); c != 0 {
			return c
		}
	}
	if c := cmpKey(a.preKey(), b.preKey()); c != 0 {
		return c
	}
	if c := cmpInt(a.Post, b.Post); c != 0 { // -1 (none) sorts first
		return c
	}
	if c := cmpInt(devKey(a), devKey(b)); c != 0 {
		return c
	}
	return strings.Compare(a.Local, b.Local)
}

// Less reports whether a sorts before b.
func Less(a, b Version) bool { return Compare(a, b) < 0 }

// preKey ranks the pre-release part: a dev release of the bare release
// (1.0.dev0) sorts before every pre-release, a final release after them.
func (v Version) preKey() [2]int {
	switch {
	case !v.present.pre && v.Post < 0 && v.Dev >= 0:
		return [2]int{-1, 0}
	case !v.present.pre:
		return [2]int{4, 0}
	}
	rank := map[string]int{"a": 1, "b": 2, "rc": 3}[v.PreL]
	return [2]int{rank, v.PreN}
}

func devKey(v Version) int {
	if v.Dev < 0 {
		return int(^uint(0) >> 1) // no dev part sorts last
	}
	return v.Dev
}

func at(r []int, i int) int {
	if i < len(r) {
		return r[i]
	}
	return 0
}

func cmpKey(a, b [2]int) int {
	if c := cmpInt(a[0], b[0]); c != 0 {
		return c
	}
	return cmpInt(a[1], b[1])
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// NormalizeName is a distribution name as PEP 503 compares it
// ("Tiny_Pkg.Demo" -> "tiny-pkg-demo").
func NormalizeName(name string) string {
	return strings.ToLower(nameSeps.ReplaceAllString(name, "-"))
}

// FileName is a distribution name as PEP 427 and PEP 625 spell it in file
// names ("sgl-jax" -> "sgl_jax").
func FileName(name string) string {
	return strings.ReplaceAll(NormalizeName(name), "-", "_")
}

var nameSeps = regexp.MustCompile(`[-_.]+`)

// ValidName reports whether name is a valid distribution name (PEP 508).
func ValidName(name string) bool { return validName.MatchString(name) }

var validName = regexp.MustCompile(`(?i)^([a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$`)
