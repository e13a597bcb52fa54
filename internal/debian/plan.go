// Package debian plans root filesystems made from Debian's own packages
// (mmdebstrap): the names and URLs they may use, the mirror apt already
// uses, and the key and tag that name what went into one. It runs
// nothing; release/debbase builds and imports the plan.
package debian

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
)

// Recipe is the [release].base_recipe value that selects this base.
const Recipe = "debian-python"

// Defaults for what the configuration and the environment leave unset.
const (
	// DefaultSuite has Python 3.13, the version SGLang-JAX requires.
	DefaultSuite  = "trixie"
	DefaultMirror = "http://deb.debian.org/debian"
)

// Packages go on top of minbase: python3, and venv (with ensurepip's
// wheels) since Debian's python3 refuses system-wide pip installs.
var Packages = []string{"python3", "python3-venv"}

// Spec is what a base is made of.
type Spec struct {
	Suite    string // Debian suite or codename: trixie, bookworm, stable
	Mirror   string // http(s) URL of a Debian archive
	Arch     string // Debian architecture: amd64, arm64
	Packages []string
	CacheDir string // where the tarball is kept between runs
}

// Plan is everything a build does, decided before anything runs.
type Plan struct {
	Spec
	Key      string   // 12 hex digits over suite, arch, packages and mirror
	Tag      string   // the image's local tag, e.g. tpuci/debian-python:trixie-0123456789ab
	Tarball  string   // the root filesystem, kept in CacheDir
	Changes  []string // the image config the import sets
	Platform string   // linux/<arch>
}

var (
	// suiteName is a Debian suite or codename, perhaps with a
	// -backports or -updates part; it never starts with "-".
	suiteName = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	archName  = regexp.MustCompile(`^[a-z0-9]+$`)
	// pkgName is Debian policy's package name.
	pkgName = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
)

// SuiteProblem says what is wrong with a suite name, or "".
func SuiteProblem(s string) string {
	if len(s) > 40 || !suiteName.MatchString(s) {
		return "is not a Debian suite name (e.g. trixie, bookworm, stable)"
	}
	return ""
}

// MirrorProblem says what is wrong with a mirror URL, or "": only a plain
// http(s) URL with a host, nothing that could be read as another option.
func MirrorProblem(m string) string {
	u, err := url.Parse(m)
	switch {
	case err != nil || strings.ContainsAny(m, " \t\r\n"):
		return "is not a URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return "is not an http(s) URL"
	case u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return "must be http(s)://host/path, without credentials, query or fragment"
	}
	return ""
}

// NewPlan checks the spec and derives the key, the tag, the tarball's
// path and the image config.
func NewPlan(s Spec) (Plan, error) {
	if why := SuiteProblem(s.Suite); why != "" {
		return Plan{}, fmt.Errorf("debian base: suite %q %s", s.Suite, why)
	}
	if why := MirrorProblem(s.Mirror); why != "" {
		return Plan{}, fmt.Errorf("debian base: mirror %q %s", s.Mirror, why)
	}
	if !archName.MatchString(s.Arch) {
		return Plan{}, fmt.Errorf("debian base: architecture %q is not a Debian architecture (e.g. amd64)", s.Arch)
	}
	if len(s.Packages) == 0 {
		return Plan{}, fmt.Errorf("debian base: no packages")
	}
	for _, p := range s.Packages {
		if !pkgName.MatchString(p) {
			return Plan{}, fmt.Errorf("debian base: %q is not a Debian package name", p)
		}
	}
	if s.CacheDir == "" {
		return Plan{}, fmt.Errorf("debian base: no cache directory")
	}
	// The package list keeps its order: it is the --include argument as
	// written, and a reordered list is a different (if equal) recipe.
	sum := sha256.Sum256([]byte(strings.Join([]string{s.Suite, s.Arch, strings.Join(s.Packages, ","), s.Mirror}, "\n")))
	key := hex.EncodeToString(sum[:])[:12]
	p := Plan{Spec: s, Key: key, Platform: "linux/" + s.Arch}
	p.Tag = fmt.Sprintf("tpuci/%s:%s-%s", Recipe, s.Suite, key)
	p.Tarball = filepath.Join(s.CacheDir, fmt.Sprintf("%s-%s-%s.tar", Recipe, s.Suite, key))
	p.Changes = []string{
		"ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"ENV LANG=C.UTF-8",
		fmt.Sprintf("LABEL org.opencontainers.image.description=%q",
			fmt.Sprintf("Debian %s minbase with %s from %s", s.Suite, strings.Join(s.Packages, ", "), s.Mirror)),
		`CMD ["python3"]`,
	}
	return p, nil
}

// Argv is the mmdebstrap command that writes the root filesystem as a tar
// to out. Every value was checked by NewPlan; "--" ends the options all
// the same.
func (p Plan) Argv(out string) []string {
	return []string{"mmdebstrap", "--variant=minbase", "--format=tar", "--architectures=" + p.Arch,
		"--include=" + strings.Join(p.Packages, ","), "--", p.Suite, out, p.Mirror}
}
