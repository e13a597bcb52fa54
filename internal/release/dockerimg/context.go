// Package dockerimg builds, smoke-runs, tags and pushes an image through
// the Docker engine API (github.com/docker/docker/client): a tar build
// context that honours .dockerignore, build errors read from the JSON
// message stream, a smoke run of the built image ID, and a push of that
// same ID.
package dockerimg

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// Extra is a file added to the context that is not in the directory
// (e.g. tpuci's own Dockerfile), at a slash-separated path.
type Extra struct {
	Path string
	Data []byte
	Mode int64
}

// ContextSpec describes a build context.
type ContextSpec struct {
	Dir        string   // context directory
	Dockerfile string   // path in the context; always sent, even if .dockerignore excludes it
	Ignore     []string // patterns used when Dir has no .dockerignore (nil: send everything)
	Extra      []Extra
}

// Context is a tar build context and the files it holds.
type Context struct {
	Tar   []byte   // the tar, when built in memory (BuildContext)
	Files []string // slash-separated, sorted
	Size  int64    // bytes of file content
}

// epoch is the modification time of every entry, so identical trees give
// identical contexts (the builder's cache keys hash content, but a
// stable tar is also easier to compare and debug).
var epoch = time.Unix(0, 0).UTC()

// BuildContext tars Dir, leaving out what .dockerignore (or spec.Ignore)
// excludes, with Docker's semantics: patterns are matched against
// slash-separated paths relative to the context, "!" re-includes, the
// last matching pattern wins, and the Dockerfile and .dockerignore are
// always sent. A .git directory or file is never sent, whatever the
// patterns say: a checkout's .git/config can hold a token.
func BuildContext(spec ContextSpec) (*Context, error) {
	var buf bytes.Buffer
	c, err := WriteContext(spec, &buf)
	if err != nil {
		return nil, err
	}
	c.Tar = buf.Bytes()
	return c, nil
}

// WriteContext is BuildContext writing the tar to w, for contexts too
// large to hold in memory.
func WriteContext(spec ContextSpec, w io.Writer) (*Context, error) {
	root, err := filepath.Abs(spec.Dir)
	if err != nil {
		return nil, fmt.Errorf("docker context: %w", err)
	}
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("docker context: %s is not a directory ([release].context)", spec.Dir)
	}
	f, err := newFilter(spec, root)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(w)
	c := &Context{}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if write, err := f.keep(rel, d); !write || err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		return c.add(tw, p, rel, fi)
	})
	if err != nil {
		return nil, fmt.Errorf("docker context: %s: %w", spec.Dir, err)
	}
	for _, e := range spec.Extra {
		if err := c.addExtra(tw, e); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("docker context: %w", err)
	}
	sort.Strings(c.Files)
	return c, nil
}

// filter decides which paths of a context go into the tar: the
// .dockerignore rules, except for the Dockerfile and .dockerignore
// themselves, never .git, and not the paths Extra replaces.
type filter struct {
	pm            *patternmatcher.PatternMatcher
	always        map[string]bool
	extra         map[string]bool
	parentMatches map[string]patternmatcher.MatchInfo
}

func newFilter(spec ContextSpec, root string) (*filter, error) {
	patterns, err := readIgnore(root, spec.Ignore)
	if err != nil {
		return nil, err
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, fmt.Errorf("docker context: %s/.dockerignore: %w", spec.Dir, err)
	}
	f := &filter{pm: pm, always: map[string]bool{".dockerignore": true}, extra: map[string]bool{},
		parentMatches: map[string]patternmatcher.MatchInfo{}}
	if spec.Dockerfile != "" {
		f.always[filepath.ToSlash(filepath.Clean(spec.Dockerfile))] = true
	}
	for _, e := range spec.Extra {
		f.extra[e.Path] = true
	}
	return f, nil
}

// keep says whether the walk writes rel; the error may be
// filepath.SkipDir to leave a directory out entirely. Parents are seen
// before their children (WalkDir's order).
func (f *filter) keep(rel string, d fs.DirEntry) (bool, error) {
	if d.Name() == ".git" {
		if d.IsDir() {
			return false, filepath.SkipDir
		}
		return false, nil // a worktree's or submodule's .git file
	}
	if f.extra[rel] {
		return false, nil
	}
	skip, info, err := f.pm.MatchesUsingParentResults(rel, f.parentMatches[pathDir(rel)])
	if err != nil {
		return false, fmt.Errorf("match %s: %w", rel, err)
	}
	f.parentMatches[rel] = info
	if skip && !f.always[rel] {
		if d.IsDir() && !f.pm.Exclusions() {
			return false, filepath.SkipDir // nothing below can be re-included
		}
		// An excluded directory may still hold re-included files: walk
		// it without writing its own entry.
		return false, nil
	}
	return true, nil
}

// addExtra writes a file that is not in the directory (or replaces one).
func (c *Context) addExtra(tw *tar.Writer, e Extra) error {
	mode := e.Mode
	if mode == 0 {
		mode = 0o644
	}
	h := &tar.Header{Name: e.Path, Mode: mode, Size: int64(len(e.Data)), ModTime: epoch, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := tw.WriteHeader(h); err != nil {
		return fmt.Errorf("docker context: %s: %w", e.Path, err)
	}
	if _, err := tw.Write(e.Data); err != nil {
		return fmt.Errorf("docker context: %s: %w", e.Path, err)
	}
	c.Files = append(c.Files, e.Path)
	c.Size += int64(len(e.Data))
	return nil
}

func (c *Context) add(tw *tar.Writer, p, rel string, fi fs.FileInfo) error {
	h := &tar.Header{Name: rel, Mode: int64(fi.Mode().Perm()), ModTime: epoch, Format: tar.FormatPAX}
	switch {
	case fi.IsDir():
		h.Typeflag, h.Name = tar.TypeDir, rel+"/"
		h.Mode = 0o755
	case fi.Mode()&fs.ModeSymlink != 0:
		link, err := os.Readlink(p)
		if err != nil {
			return err
		}
		h.Typeflag, h.Linkname = tar.TypeSymlink, link
	case fi.Mode().IsRegular():
		h.Typeflag, h.Size = tar.TypeReg, fi.Size()
	default:
		return nil // sockets, devices, pipes: never part of a context
	}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if h.Typeflag == tar.TypeReg {
		fh, err := os.Open(p)
		if err != nil {
			return err
		}
		defer fh.Close()
		n, err := io.Copy(tw, io.LimitReader(fh, fi.Size()))
		if err != nil {
			return err
		}
		if n != fi.Size() {
			return fmt.Errorf("%s changed while it was read", rel)
		}
		c.Size += n
	}
	if h.Typeflag != tar.TypeDir {
		c.Files = append(c.Files, rel)
	}
	return nil
}

func readIgnore(root string, fallback []string) ([]string, error) {
	fh, err := os.Open(filepath.Join(root, ".dockerignore"))
	if os.IsNotExist(err) {
		return fallback, nil
	}
	if err != nil {
		return nil, fmt.Errorf("docker context: %w", err)
	}
	defer fh.Close()
	patterns, err := ignorefile.ReadAll(fh)
	if err != nil {
		return nil, fmt.Errorf("docker context: %s: %w", filepath.Join(root, ".dockerignore"), err)
	}
	return patterns, nil
}

func pathDir(rel string) string {
	if i := strings.LastIndex(rel, "/"); i >= 0 {
		return rel[:i]
	}
	return "."
}
