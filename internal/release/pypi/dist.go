// Package pypi builds, checks, smoke-installs and uploads a Python
// package: python -m build, file-name and metadata checks, twine check, a
// fresh venv that imports the package, twine upload --skip-existing, and
// a comparison of the index's recorded hashes with the local files.
package pypi

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	pep440 "github.com/aquasecurity/go-pep440-version"
	"github.com/pelletier/go-toml/v2"

	"github.com/sgl-project/tpuci/internal/release/distname"
)

// ProjectName reads [project].name from a pyproject.toml.
func ProjectName(pyproject string) (string, error) {
	data, err := os.ReadFile(pyproject)
	if err != nil {
		return "", fmt.Errorf("pypi: read %s: %w (set [release].dist_name)", pyproject, err)
	}
	var doc struct {
		Project struct {
			Name string `toml:"name"`
		} `toml:"project"`
	}
	if err := toml.Unmarshal(data, &doc); err != nil {
		return "", fmt.Errorf("pypi: parse %s: %w", pyproject, err)
	}
	if doc.Project.Name == "" {
		return "", fmt.Errorf("pypi: %s has no [project].name; set [release].dist_name", pyproject)
	}
	if !distname.Valid(doc.Project.Name) {
		return "", fmt.Errorf("pypi: %s: %q is not a valid distribution name", pyproject, doc.Project.Name)
	}
	return doc.Project.Name, nil
}

// Expected are the file names a build must produce.
type Expected struct {
	Dist    string // distribution name as configured
	Version string // normalised
	Sdist   string // PEP 625: <name_normalised>-<version>.tar.gz
	Wheel   string // PEP 427: <name_normalised>-<version>-<tag>.whl
}

// ExpectedFiles names the sdist and wheel of dist at version.
func ExpectedFiles(dist, version, wheelTag string) Expected {
	if wheelTag == "" {
		wheelTag = "py3-none-any"
	}
	n := distname.FileName(dist)
	return Expected{Dist: dist, Version: version, Sdist: n + "-" + version + ".tar.gz", Wheel: n + "-" + version + "-" + wheelTag + ".whl"}
}

// Files are the built distributions that passed the checks.
type Files struct {
	Sdist    string   // absolute path
	Wheel    string   // absolute path
	Warnings []string // accepted deviations
}

// All lists both files.
func (f Files) All() []string { return []string{f.Sdist, f.Wheel} }

// CheckFiles finds the expected files in dir, refuses anything else, and
// checks each file's own metadata (name and version). allowLegacy accepts
// an sdist named the pre-PEP 625 way (setuptools < 69.3), with a warning.
func CheckFiles(dir string, exp Expected, allowLegacy bool) (Files, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Files{}, fmt.Errorf("pypi: list %s: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var f Files
	var unexpected []string
	for _, n := range names {
		switch {
		case n == exp.Wheel:
			f.Wheel = filepath.Join(dir, n)
		case n == exp.Sdist:
			f.Sdist = filepath.Join(dir, n)
		case strings.HasSuffix(n, ".tar.gz") && isLegacySdist(n, exp):
			if !allowLegacy {
				return Files{}, fmt.Errorf("pypi: the build produced %s, but PyPI wants %s (PEP 625): build with setuptools >= 69.3, or set [release].allow_legacy_sdist_name = true", n, exp.Sdist)
			}
			f.Sdist = filepath.Join(dir, n)
			f.Warnings = append(f.Warnings, fmt.Sprintf("sdist %s uses the pre-PEP 625 name (PyPI wants %s; setuptools >= 69.3 writes it)", n, exp.Sdist))
		default:
			unexpected = append(unexpected, n)
		}
	}
	var missing []string
	if f.Sdist == "" {
		missing = append(missing, exp.Sdist)
	}
	if f.Wheel == "" {
		missing = append(missing, exp.Wheel)
	}
	if len(missing) > 0 || len(unexpected) > 0 {
		return Files{}, fmt.Errorf("pypi: %s holds %v, expected exactly %s and %s (missing %v): check the version and [release].dist_name/wheel_tag",
			dir, names, exp.Sdist, exp.Wheel, missing)
	}
	for _, p := range f.All() {
		m, err := ReadMetadata(p)
		if err != nil {
			return Files{}, err
		}
		if distname.Normalize(m.Name) != distname.Normalize(exp.Dist) {
			return Files{}, fmt.Errorf("pypi: %s: metadata Name %q is not %q", filepath.Base(p), m.Name, exp.Dist)
		}
		v, err := pep440.Parse(m.Version)
		if err != nil || v.String() != exp.Version {
			return Files{}, fmt.Errorf("pypi: %s: metadata Version %q is not %s", filepath.Base(p), m.Version, exp.Version)
		}
	}
	return f, nil
}

// isLegacySdist reports whether n is the sdist of exp's distribution and
// version under a spelling of the name that is not normalised.
func isLegacySdist(n string, exp Expected) bool {
	stem := strings.TrimSuffix(n, ".tar.gz")
	suffix := "-" + exp.Version
	if !strings.HasSuffix(stem, suffix) {
		return false
	}
	return distname.FileName(strings.TrimSuffix(stem, suffix)) == distname.FileName(exp.Dist)
}

// Metadata is the core metadata a distribution carries.
type Metadata struct {
	MetadataVersion string
	Name            string
	Version         string
}

// ReadMetadata reads a wheel's *.dist-info/METADATA or an sdist's PKG-INFO.
func ReadMetadata(p string) (Metadata, error) {
	var raw []byte
	var err error
	switch {
	case strings.HasSuffix(p, ".whl"):
		raw, err = wheelMetadata(p)
	case strings.HasSuffix(p, ".tar.gz"):
		raw, err = sdistMetadata(p)
	default:
		err = errors.New("not a wheel or an sdist")
	}
	if err != nil {
		return Metadata{}, fmt.Errorf("pypi: metadata of %s: %w", filepath.Base(p), err)
	}
	hdr, err := textproto.NewReader(bufio.NewReader(strings.NewReader(string(raw) + "\n\n"))).ReadMIMEHeader()
	if err != nil && hdr == nil {
		return Metadata{}, fmt.Errorf("pypi: metadata of %s: %w", filepath.Base(p), err)
	}
	m := Metadata{MetadataVersion: hdr.Get("Metadata-Version"), Name: hdr.Get("Name"), Version: hdr.Get("Version")}
	if m.Name == "" || m.Version == "" {
		return Metadata{}, fmt.Errorf("pypi: metadata of %s has no Name or Version", filepath.Base(p))
	}
	return m, nil
}

func wheelMetadata(p string) ([]byte, error) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	for _, f := range zr.File {
		dir, name := path.Split(f.Name)
		if name == "METADATA" && strings.Count(dir, "/") == 1 && strings.HasSuffix(dir, ".dist-info/") {
			rc, err := f.Open()
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			return io.ReadAll(io.LimitReader(rc, 1<<22))
		}
	}
	return nil, errors.New("no *.dist-info/METADATA")
}

func sdistMetadata(p string) ([]byte, error) {
	fh, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	gz, err := gzip.NewReader(fh)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, errors.New("no top-level PKG-INFO")
		}
		if err != nil {
			return nil, err
		}
		if parts := strings.Split(strings.TrimPrefix(h.Name, "./"), "/"); len(parts) == 2 && parts[1] == "PKG-INFO" {
			return io.ReadAll(io.LimitReader(tr, 1<<22))
		}
	}
}

// SHA256 is the hex sha256 of a file.
func SHA256(p string) (string, error) {
	fh, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("pypi: hash %s: %w", p, err)
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", fmt.Errorf("pypi: hash %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Digests maps each file's base name to its sha256.
func Digests(files []string) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range files {
		d, err := SHA256(f)
		if err != nil {
			return nil, err
		}
		out[filepath.Base(f)] = d
	}
	return out, nil
}
