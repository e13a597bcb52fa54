// Package rootfs assembles a minimal root filesystem around the build
// host's Python interpreter: the executable, every shared library it and
// the standard library's extension modules need (found from their ELF
// headers), the standard library without its tests, and the symlinks on
// the way to each file. It is the rootfs/ of tpuci's hostpython image,
// for machines that cannot pull a base image.
package rootfs

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/proc"
)

// Python describes the host interpreter.
type Python struct {
	Executable string // real path, e.g. /usr/bin/python3.11
	Stdlib     string // e.g. /usr/lib/python3.11
	PlatStdlib string
	Version    string // "3.11"
}

// Probe asks the interpreter where it lives.
func Probe(ctx context.Context, python string) (Python, error) {
	var out, errb bytes.Buffer
	code := `import os, sys, sysconfig
p = sysconfig.get_paths()
print(os.path.realpath(sys.executable)); print(p["stdlib"]); print(p["platstdlib"]); print("%d.%d" % sys.version_info[:2])`
	if _, err := proc.Run(ctx, proc.Cmd{Argv: []string{python, "-I", "-c", code}, Stdout: &out, Stderr: &errb, Timeout: time.Minute}); err != nil {
		return Python{}, fmt.Errorf("rootfs: probe %s: %w: %s", python, err, strings.TrimSpace(errb.String()))
	}
	f := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(f) != 4 {
		return Python{}, fmt.Errorf("rootfs: probe %s: unexpected output %q", python, out.String())
	}
	return Python{Executable: f[0], Stdlib: f[1], PlatStdlib: f[2], Version: f[3]}, nil
}

// skipDirs are standard-library directories an image does not need.
var skipDirs = map[string]bool{
	"test": true, "tests": true, "idle_test": true, "idlelib": true, "tkinter": true, "turtledemo": true,
	"ensurepip": true, "lib2to3": true, "pydoc_data": true, "__pycache__": true,
	"site-packages": true, "dist-packages": true,
}

// entry is one tar member.
type entry struct {
	typ  byte
	mode int64
	link string
	src  string // host file for regular files
	size int64
}

type builder struct {
	entries map[string]*entry // by path without the leading slash
	elfSeen map[string]bool
	libDirs []string
	missing []string
}

// Tree is an assembled root filesystem.
type Tree struct {
	Python  Python
	Files   int
	Bytes   int64
	Missing []string // libraries an extension module wants that the host lacks (that module will not import)
	b       *builder
}

// Assemble collects the files for python.
func Assemble(ctx context.Context, python string) (*Tree, error) {
	py, err := Probe(ctx, python)
	if err != nil {
		return nil, err
	}
	b := &builder{entries: map[string]*entry{}, elfSeen: map[string]bool{}}
	b.libDirs = append(b.libDirs, filepath.Join(filepath.Dir(filepath.Dir(py.Executable)), "lib"))
	b.libDirs = append(b.libDirs, "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
		"/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib")
	if err := b.addPath(py.Executable, 0); err != nil {
		return nil, err
	}
	if err := b.elfDeps(py.Executable); err != nil {
		return nil, err
	}
	for _, d := range uniq(py.Stdlib, py.PlatStdlib) {
		if err := b.addTree(d); err != nil {
			return nil, err
		}
	}
	// python3 and python on PATH.
	exe := "/" + strings.TrimPrefix(py.Executable, "/")
	for _, alias := range []string{"/usr/bin/python3", "/usr/bin/python"} {
		if alias != exe {
			b.entries[alias[1:]] = &entry{typ: tar.TypeSymlink, link: exe, mode: 0o777}
			b.parents(alias[1:])
		}
	}
	b.entries["tmp"] = &entry{typ: tar.TypeDir, mode: 0o1777}
	t := &Tree{Python: py, Missing: b.missing, b: b}
	for _, e := range b.entries {
		if e.typ == tar.TypeReg {
			t.Files++
			t.Bytes += e.size
		}
	}
	return t, nil
}

func uniq(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" && (len(out) == 0 || out[len(out)-1] != s) {
			out = append(out, s)
		}
	}
	return out
}

// addPath adds p and every symlink on the way to it.
func (b *builder) addPath(p string, depth int) error {
	if depth > 40 {
		return fmt.Errorf("rootfs: too many symlinks resolving %s", p)
	}
	parts := strings.Split(strings.TrimPrefix(filepath.Clean(p), "/"), "/")
	cur := "/"
	for i, part := range parts {
		next := filepath.Join(cur, part)
		fi, err := os.Lstat(next)
		if err != nil {
			return fmt.Errorf("rootfs: %w", err)
		}
		key := next[1:]
		if fi.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(next)
			if err != nil {
				return fmt.Errorf("rootfs: %w", err)
			}
			b.entries[key] = &entry{typ: tar.TypeSymlink, link: target, mode: 0o777}
			resolved := target
			if !filepath.IsAbs(target) {
				resolved = filepath.Join(cur, target)
			}
			return b.addPath(filepath.Join(append([]string{resolved}, parts[i+1:]...)...), depth+1)
		}
		switch {
		case i < len(parts)-1:
			if _, ok := b.entries[key]; !ok {
				b.entries[key] = &entry{typ: tar.TypeDir, mode: 0o755}
			}
		case fi.Mode().IsRegular():
			b.entries[key] = &entry{typ: tar.TypeReg, mode: int64(fi.Mode().Perm()), src: next, size: fi.Size()}
		case fi.IsDir():
			b.entries[key] = &entry{typ: tar.TypeDir, mode: 0o755}
		}
		cur = next
	}
	return nil
}

func (b *builder) parents(key string) {
	for d := filepath.Dir(key); d != "." && d != "/"; d = filepath.Dir(d) {
		if _, ok := b.entries[d]; !ok {
			b.entries[d] = &entry{typ: tar.TypeDir, mode: 0o755}
		}
	}
}

// addTree adds a directory tree (symlinks inside it are kept as links).
func (b *builder) addTree(root string) error {
	if err := b.addPath(root, 0); err != nil {
		return err
	}
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return fmt.Errorf("rootfs: %w", err)
	}
	return filepath.WalkDir(real, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == real {
			return nil
		}
		name := d.Name()
		if d.IsDir() && (skipDirs[name] || strings.HasPrefix(name, "config-")) {
			return filepath.SkipDir
		}
		if strings.HasSuffix(name, ".pyc") {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		key := p[1:]
		switch {
		case d.IsDir():
			b.entries[key] = &entry{typ: tar.TypeDir, mode: 0o755}
		case fi.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			b.entries[key] = &entry{typ: tar.TypeSymlink, link: link, mode: 0o777}
		case fi.Mode().IsRegular():
			b.entries[key] = &entry{typ: tar.TypeReg, mode: int64(fi.Mode().Perm()), src: p, size: fi.Size()}
			if strings.HasSuffix(name, ".so") || strings.Contains(name, ".so.") {
				if err := b.elfDeps(p); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// elfDeps adds the interpreter and the shared libraries an ELF file needs,
// recursively.
func (b *builder) elfDeps(p string) error {
	if b.elfSeen[p] {
		return nil
	}
	b.elfSeen[p] = true
	f, err := elf.Open(p)
	if err != nil {
		return nil // not ELF (a linker script or data): nothing to follow
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			data, err := io.ReadAll(prog.Open())
			if err != nil {
				return fmt.Errorf("rootfs: %s: %w", p, err)
			}
			interp := strings.TrimRight(string(data), "\x00")
			if err := b.addPath(interp, 0); err != nil {
				return err
			}
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return fmt.Errorf("rootfs: %s: %w", p, err)
	}
	for _, lib := range libs {
		found := ""
		for _, d := range b.libDirs {
			if _, err := os.Stat(filepath.Join(d, lib)); err == nil {
				found = filepath.Join(d, lib)
				break
			}
		}
		if found == "" {
			b.missing = append(b.missing, fmt.Sprintf("%s (needed by %s)", lib, filepath.Base(p)))
			continue
		}
		if err := b.addPath(found, 0); err != nil {
			return err
		}
		real, err := filepath.EvalSymlinks(found)
		if err != nil {
			return fmt.Errorf("rootfs: %w", err)
		}
		if err := b.elfDeps(real); err != nil {
			return err
		}
	}
	return nil
}

// WriteTar writes the tree under prefix (e.g. "rootfs/") into tw, in
// path order, with fixed times so equal trees give equal layers.
func (t *Tree) WriteTar(tw *tar.Writer, prefix string) error {
	keys := make([]string, 0, len(t.b.entries))
	for k := range t.b.entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	epoch := time.Unix(0, 0).UTC()
	for _, k := range keys {
		e := t.b.entries[k]
		h := &tar.Header{Name: prefix + k, Typeflag: e.typ, Mode: e.mode, Linkname: e.link, ModTime: epoch, Format: tar.FormatPAX}
		if e.typ == tar.TypeDir {
			h.Name += "/"
		}
		if e.typ == tar.TypeReg {
			h.Size = e.size
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("rootfs: %s: %w", k, err)
		}
		if e.typ != tar.TypeReg {
			continue
		}
		if err := copyFile(tw, e.src, e.size); err != nil {
			return fmt.Errorf("rootfs: %s: %w", k, err)
		}
	}
	return nil
}

func copyFile(w io.Writer, src string, size int64) error {
	fh, err := os.Open(src)
	if err != nil {
		return err
	}
	defer fh.Close()
	n, err := io.Copy(w, io.LimitReader(fh, size))
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("%s changed size while it was read", src)
	}
	return nil
}

// Context is a complete build context: the Dockerfile plus rootfs/.
func (t *Tree) Context(dockerfile []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	h := &tar.Header{Name: "Dockerfile", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(dockerfile)), ModTime: time.Unix(0, 0).UTC()}
	if err := tw.WriteHeader(h); err != nil {
		return nil, fmt.Errorf("rootfs: %w", err)
	}
	if _, err := tw.Write(dockerfile); err != nil {
		return nil, fmt.Errorf("rootfs: %w", err)
	}
	if err := t.WriteTar(tw, "rootfs/"); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("rootfs: %w", err)
	}
	return buf.Bytes(), nil
}
