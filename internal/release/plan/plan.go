// Package plan computes what a release publishes (image tags, manifest
// lists, Python distributions) from the version alone, before anything
// is built, so the policy can be read, printed and golden-tested.
//
// Policy:
//   - a release of X pushes image:vX-<arch> (one per build), writes the
//     list image:vX from every configured arch, and moves image:latest only
//     when X is a final or post release (no a/b/rc/dev) that is at least as
//     high as every version released so far, so a backport never moves it
//     backwards;
//   - a nightly for the next release X.Y.Z pushes image:vX.Y.Z-nightly-<arch>
//     and writes the lists vX.Y.Z-nightly, nightly and vX.Y.Z-nightly-YYYYMMDD;
//     it never moves latest or a release tag, and uploads nothing to PyPI;
//   - release tags are immutable (guard refuses to overwrite them), nightly
//     tags and latest move.
package plan

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	pep440 "github.com/aquasecurity/go-pep440-version"

	"github.com/sgl-project/tpuci/internal/release/distname"
)

// Channel is what kind of publication this is.
type Channel string

// Channels.
const (
	Release Channel = "release"
	Nightly Channel = "nightly"
)

// ParseChannel reads a channel name ("" is release).
func ParseChannel(s string) (Channel, error) {
	switch Channel(s) {
	case "", Release:
		return Release, nil
	case Nightly:
		return Nightly, nil
	}
	return "", fmt.Errorf("unknown release channel %q (release or nightly)", s)
}

// Input is everything the plan depends on.
type Input struct {
	Version  pep440.Version
	Channel  Channel
	Released []pep440.Version // versions published before (git tags, registry tags)
	// ReleasedUnknown says why Released may be incomplete (a registry or
	// git error): latest then does not move (fail closed).
	ReleasedUnknown string
	Date            time.Time // the nightly's date (UTC)

	Image  string   // registry/name; empty: no image
	Arch   string   // architecture this run builds
	Arches []string // architectures of the manifest list

	Dist       string // distribution name; empty: no Python package
	WheelTag   string // e.g. py3-none-any
	Repository string // upload URL
}

// Plan is what will be published.
type Plan struct {
	Channel    Channel `json:"channel"`
	Version    string  `json:"version"` // normalised PEP 440
	Tag        string  `json:"tag"`     // v<version>, or v<base>-nightly
	Prerelease bool    `json:"prerelease"`
	Latest     bool    `json:"latest"` // image:latest moves
	LatestWhy  string  `json:"latest_why"`
	// LatestUnknown: whether latest should move could not be decided
	// (the released versions could not be read); publishing refuses.
	LatestUnknown bool `json:"latest_unknown,omitempty"`
	// ImageVersion is the image's org.opencontainers.image.version label:
	// the version, or vX.Y.Z-nightly-YYYYMMDD's X.Y.Z-nightly-YYYYMMDD.
	ImageVersion string `json:"image_version,omitempty"`

	Push      string   `json:"push,omitempty"`      // the per-arch tag this run pushes
	ArchTags  []string `json:"arch_tags,omitempty"` // per-arch tags the lists are made of
	Lists     []string `json:"lists,omitempty"`     // manifest-list tags written
	Immutable []string `json:"immutable,omitempty"` // tags that must not exist yet
	Uploads   []string `json:"uploads,omitempty"`   // distribution files
	UploadTo  string   `json:"upload_to,omitempty"` // repository URL
	PyPISkip  string   `json:"pypi_skip,omitempty"` // why nothing goes to PyPI
}

// dockerTag is the grammar of a Docker tag.
var dockerTag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// ErrLocal and ErrEpoch are why a valid version cannot be released.
var (
	ErrLocal = errors.New("local versions (+...) cannot be released: PyPI refuses them and a Docker tag cannot hold '+'")
	ErrEpoch = errors.New("epochs (N!) cannot be released: a Docker tag cannot hold '!' and tags would sort wrongly")
)

// Releasable refuses the valid versions tpuci cannot publish: local
// versions and epochs. The library has no epoch accessor; its normal form
// spells an epoch other than 0 as "N!".
func Releasable(v pep440.Version) error {
	switch {
	case v.Local() != "":
		return ErrLocal
	case strings.Contains(v.String(), "!"):
		return ErrEpoch
	}
	return nil
}

// isDev reports a dev release: the library has no predicate, and its
// normal form spells the dev segment ".devN" (before any local segment).
func isDev(v pep440.Version) bool { return strings.Contains(v.Public(), ".dev") }

// Make computes the plan.
func Make(in Input) (Plan, error) {
	v := in.Version
	if v.String() == "" {
		return Plan{}, fmt.Errorf("plan: no version")
	}
	if err := Releasable(v); err != nil {
		return Plan{}, fmt.Errorf("plan: %s: %w", v, err)
	}
	ch := in.Channel
	if ch == "" {
		ch = Release
	}
	p := Plan{Channel: ch, Version: v.String(), Tag: "v" + v.String(), Prerelease: v.IsPreRelease()}
	p.Latest, p.LatestWhy = movesLatest(v, ch, in.Released)
	if p.Latest && in.ReleasedUnknown != "" {
		p.Latest, p.LatestUnknown = false, true
		p.LatestWhy = "unknown: " + in.ReleasedUnknown + " (fails closed: latest does not move)"
	}
	p.ImageVersion = p.Version
	if ch == Nightly {
		p.Tag, p.Prerelease = "v"+v.BaseVersion()+"-nightly", true
		if !in.Date.IsZero() {
			p.ImageVersion = v.BaseVersion() + "-nightly-" + in.Date.UTC().Format("20060102")
		}
	}

	if in.Image != "" {
		if err := p.images(in); err != nil {
			return Plan{}, err
		}
	}
	if in.Dist != "" {
		switch ch {
		case Nightly:
			p.PyPISkip = "nightlies are not uploaded to PyPI (its files are immutable; a nightly has no unique version)"
		default:
			f := distname.FileName(in.Dist) + "-" + p.Version
			tag := in.WheelTag
			if tag == "" {
				tag = "py3-none-any"
			}
			p.Uploads = []string{f + ".tar.gz", f + "-" + tag + ".whl"}
			p.UploadTo = in.Repository
		}
	}
	return p, nil
}

// images plans the image tags: one per arch, the tag this run pushes,
// and the lists (the version's, latest or nightly and its date).
func (p *Plan) images(in Input) error {
	if in.Arch == "" {
		return fmt.Errorf("plan: no architecture to build")
	}
	base := p.Tag // v0.5.3, or v0.5.3-nightly
	arches := in.Arches
	if len(arches) == 0 {
		arches = []string{in.Arch}
	}
	found := false
	for _, a := range arches {
		p.ArchTags = append(p.ArchTags, ref(in.Image, base+"-"+a))
		found = found || a == in.Arch
	}
	if !found {
		return fmt.Errorf("plan: this run builds %s, which is not among the configured arches %v", in.Arch, arches)
	}
	p.Push = ref(in.Image, base+"-"+in.Arch)
	p.Lists = []string{ref(in.Image, base)}
	switch p.Channel {
	case Release:
		p.Immutable = []string{p.Push, p.Lists[0]}
		if p.Latest {
			p.Lists = append(p.Lists, ref(in.Image, "latest"))
		}
	case Nightly:
		if in.Date.IsZero() {
			return fmt.Errorf("plan: a nightly needs its date")
		}
		p.Lists = append(p.Lists, ref(in.Image, "nightly"), ref(in.Image, base+"-"+in.Date.UTC().Format("20060102")))
	}
	for _, r := range append(append([]string{}, p.ArchTags...), p.Lists...) {
		if t := r[strings.LastIndex(r, ":")+1:]; !dockerTag.MatchString(t) {
			return fmt.Errorf("plan: %q is not a valid Docker tag", t)
		}
	}
	return nil
}

func ref(image, tag string) string { return image + ":" + tag }

// movesLatest applies the latest policy and says why.
func movesLatest(v pep440.Version, ch Channel, released []pep440.Version) (bool, string) {
	switch {
	case ch == Nightly:
		return false, "a nightly never moves latest"
	case isDev(v):
		return false, "dev release"
	case v.IsPreRelease():
		return false, "pre-release"
	}
	for _, r := range released {
		if !r.IsPreRelease() && v.LessThan(r) {
			return false, fmt.Sprintf("%s is higher (a backport never moves latest)", r)
		}
	}
	return true, "highest stable version"
}

// Render writes the plan for people and golden files.
func (p Plan) Render(w io.Writer) {
	fmt.Fprintf(w, "channel:    %s\n", p.Channel)
	fmt.Fprintf(w, "version:    %s\n", p.Version)
	fmt.Fprintf(w, "tag:        %s\n", p.Tag)
	fmt.Fprintf(w, "prerelease: %t\n", p.Prerelease)
	fmt.Fprintf(w, "latest:     %t (%s)\n", p.Latest, p.LatestWhy)
	if p.Push != "" {
		fmt.Fprintf(w, "image:\n  push       %s\n", p.Push)
		for _, t := range p.ArchTags {
			if t != p.Push {
				fmt.Fprintf(w, "  arch       %s (pushed by its own build)\n", t)
			}
		}
		for _, l := range p.Lists {
			fmt.Fprintf(w, "  list       %s\n", l)
		}
		for _, t := range p.Immutable {
			fmt.Fprintf(w, "  immutable  %s\n", t)
		}
	}
	if p.PyPISkip != "" {
		fmt.Fprintf(w, "pypi:       none: %s\n", p.PyPISkip)
	}
	if len(p.Uploads) > 0 {
		to := p.UploadTo
		if to == "" {
			to = "(no repository configured)"
		}
		fmt.Fprintf(w, "pypi:       %s\n", to)
		for _, u := range p.Uploads {
			fmt.Fprintf(w, "  upload     %s\n", u)
		}
	}
}

// String is Render as a string.
func (p Plan) String() string {
	var b strings.Builder
	p.Render(&b)
	return b.String()
}
