package pypi

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pep440 "github.com/aquasecurity/go-pep440-version"

	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/release/distname"
	"github.com/sgl-project/tpuci/internal/release/pypi/pypitest"
)

func writeWheel(t *testing.T, path, name, version string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create(distname.FileName(name) + "-" + version + ".dist-info/METADATA")
	_, _ = w.Write([]byte("Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\nSummary: x\n\nlong description\n"))
	_ = zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeSdist(t *testing.T, path, top, name, version string) {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	body := []byte("Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n")
	_ = tw.WriteHeader(&tar.Header{Name: top + "/PKG-INFO", Mode: 0o644, Size: int64(len(body))})
	_, _ = tw.Write(body)
	_ = tw.Close()
	_ = gz.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestExpectedFiles(t *testing.T) {
	e := ExpectedFiles("sglang-jax", "0.5.3rc1", "")
	if e.Sdist != "sglang_jax-0.5.3rc1.tar.gz" || e.Wheel != "sglang_jax-0.5.3rc1-py3-none-any.whl" {
		t.Errorf("%+v", e)
	}
}

func TestCheckFiles(t *testing.T) {
	exp := ExpectedFiles("Tiny_Pkg.Demo", "0.5.3", "")
	for _, c := range []struct {
		name        string
		files       map[string][2]string // file -> (metadata name, version)
		allowLegacy bool
		err         string
		warn        bool
	}{
		{"normalised", map[string][2]string{"tiny_pkg_demo-0.5.3.tar.gz": {"Tiny_Pkg.Demo", "0.5.3"}, "tiny_pkg_demo-0.5.3-py3-none-any.whl": {"Tiny_Pkg.Demo", "0.5.3"}}, false, "", false},
		{"legacy refused", map[string][2]string{"Tiny_Pkg.Demo-0.5.3.tar.gz": {"Tiny_Pkg.Demo", "0.5.3"}, "tiny_pkg_demo-0.5.3-py3-none-any.whl": {"Tiny_Pkg.Demo", "0.5.3"}}, false, "PEP 625", false},
		{"legacy allowed", map[string][2]string{"Tiny_Pkg.Demo-0.5.3.tar.gz": {"Tiny_Pkg.Demo", "0.5.3"}, "tiny_pkg_demo-0.5.3-py3-none-any.whl": {"Tiny_Pkg.Demo", "0.5.3"}}, true, "", true},
		{"wrong version", map[string][2]string{"tiny_pkg_demo-0.5.2.tar.gz": {"Tiny_Pkg.Demo", "0.5.2"}, "tiny_pkg_demo-0.5.2-py3-none-any.whl": {"Tiny_Pkg.Demo", "0.5.2"}}, false, "missing", false},
		{"extra file", map[string][2]string{"tiny_pkg_demo-0.5.3.tar.gz": {"Tiny_Pkg.Demo", "0.5.3"}, "tiny_pkg_demo-0.5.3-py3-none-any.whl": {"Tiny_Pkg.Demo", "0.5.3"}, "other-1.0-py3-none-any.whl": {"other", "1.0"}}, false, "expected exactly", false},
		{"metadata lies", map[string][2]string{"tiny_pkg_demo-0.5.3.tar.gz": {"Tiny_Pkg.Demo", "0.5.3"}, "tiny_pkg_demo-0.5.3-py3-none-any.whl": {"Tiny_Pkg.Demo", "0.5.4"}}, false, `Version "0.5.4" is not 0.5.3`, false},
		{"other project", map[string][2]string{"tiny_pkg_demo-0.5.3.tar.gz": {"someone-else", "0.5.3"}, "tiny_pkg_demo-0.5.3-py3-none-any.whl": {"Tiny_Pkg.Demo", "0.5.3"}}, false, `Name "someone-else"`, false},
	} {
		dir := t.TempDir()
		for f, m := range c.files {
			if strings.HasSuffix(f, ".whl") {
				writeWheel(t, filepath.Join(dir, f), m[0], m[1])
			} else {
				writeSdist(t, filepath.Join(dir, f), strings.TrimSuffix(f, ".tar.gz"), m[0], m[1])
			}
		}
		got, err := CheckFiles(dir, exp, c.allowLegacy)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err = %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || got.Sdist == "" || got.Wheel == "" || (len(got.Warnings) > 0) != c.warn {
			t.Errorf("%s: %+v, %v", c.name, got, err)
		}
	}
}

func TestProjectName(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pyproject.toml")
	_ = os.WriteFile(p, []byte("[project]\nname = \"sglang-jax\"\n"), 0o644)
	if n, err := ProjectName(p); err != nil || n != "sglang-jax" {
		t.Errorf("%q %v", n, err)
	}
	_ = os.WriteFile(p, []byte("[build-system]\n"), 0o644)
	if _, err := ProjectName(p); err == nil || !strings.Contains(err.Error(), "dist_name") {
		t.Errorf("no name: %v", err)
	}
}

func TestJSONRoot(t *testing.T) {
	for in, want := range map[string]string{
		"https://upload.pypi.org/legacy/": "https://pypi.org/pypi",
		"https://test.pypi.org/legacy/":   "https://test.pypi.org/pypi",
		"http://127.0.0.1:8765/legacy/":   "http://127.0.0.1:8765/pypi",
	} {
		if got, err := JSONRoot(in); err != nil || got != want {
			t.Errorf("JSONRoot(%s) = %s, %v", in, got, err)
		}
	}
}

func TestMaskWriter(t *testing.T) {
	var b bytes.Buffer
	w := &maskWriter{w: &b, secret: "pypi-SECRET"}
	_, _ = w.Write([]byte("auth pypi-SECRET failed\n"))
	if strings.Contains(b.String(), "SECRET") {
		t.Errorf("token leaked: %q", b.String())
	}
}

// TestReleaseFlow builds the bundled example package with Debian's Python
// (no isolation, offline), checks and smoke-installs it, uploads it to a
// PyPI-compatible index on 127.0.0.1 and verifies the recorded hashes.
func TestReleaseFlow(t *testing.T) {
	const python = "/usr/bin/python3"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := os.Stat(python); err != nil {
		skipOrFail(t, "no "+python)
	}
	work := t.TempDir()
	src, _ := filepath.Abs("../../example/repo/python")
	want := pep440.MustParse("0.1.0")
	var log bytes.Buffer
	dist, err := Build(ctx, BuildOptions{Python: python, Source: src, Work: work, Isolation: false, Log: &log})
	var missing *MissingError
	if errors.As(err, &missing) {
		skipOrFail(t, err.Error())
	}
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if _, err := os.Stat(filepath.Join(src, "build")); err == nil {
		t.Error("the build wrote build/ into the source tree")
	}
	exp := ExpectedFiles("sgl-jax-example", want.String(), "")
	files, err := CheckFiles(dist, exp, true)
	if err != nil {
		t.Fatal(err)
	}
	twine, err := Twine(ctx, python)
	if err != nil {
		skipOrFail(t, err.Error())
	}
	if err := TwineCheck(ctx, twine, files.All(), &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	got, err := Smoke(ctx, SmokeOptions{Python: python, Wheel: files.Wheel, Import: "sgl_jax", Want: want, Work: work, Log: &log})
	if errors.As(err, &missing) {
		skipOrFail(t, err.Error())
	}
	if err != nil || got != "0.1.0" {
		t.Fatalf("smoke: %q, %v\n%s", got, err, log.String())
	}
	if _, err := Smoke(ctx, SmokeOptions{Python: python, Wheel: files.Wheel, Import: "sgl_jax", Want: pep440.MustParse("0.1.1"), Work: work}); err == nil ||
		!strings.Contains(err.Error(), `reports __version__ "0.1.0", want 0.1.1`) {
		t.Errorf("smoke with the wrong expected version: %v", err)
	}

	ix, err := pypitest.Start("pypi-test-token")
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	local, err := Digests(files.All())
	if err != nil {
		t.Fatal(err)
	}
	up := UploadOptions{Twine: twine, Repository: ix.Upload, Token: "pypi-test-token", Files: files.All(), Log: &log}
	if err := Upload(ctx, up); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if strings.Contains(log.String(), "pypi-test-token") {
		t.Error("the token appears in the log")
	}
	if n := ix.Uploads(); n != 2 {
		t.Errorf("index stored %d files, want 2 (rejected: %v)", n, ix.Rejected())
	}
	stored := ix.Files("sgl-jax-example", "0.1.0")
	if len(stored) != 2 || stored[0].Fields["version"] != "0.1.0" {
		t.Errorf("stored: %+v", stored)
	}
	vo := VerifyOptions{Root: ix.JSON, Dist: "sgl-jax-example", Ver: "0.1.0", Local: local, Wait: time.Second, Poll: 100 * time.Millisecond}
	if err := Verify(ctx, vo); err != nil {
		t.Fatal(err)
	}
	// Identical bytes again: skipped or accepted, nothing new stored.
	if err := Upload(ctx, up); err != nil {
		t.Fatalf("re-upload: %v\n%s", err, log.String())
	}
	if n := ix.Uploads(); n != 2 {
		t.Errorf("re-upload stored files: %d", n)
	}
	// A bad token fails.
	bad := up
	bad.Token = "pypi-wrong"
	if err := Upload(ctx, bad); err == nil || strings.Contains(err.Error(), "pypi-wrong") {
		t.Errorf("bad token: %v", err)
	}

	// An index that already holds other bytes under our wheel's name:
	// twine skips it, and Verify must catch the difference.
	other, err := pypitest.Start("pypi-test-token")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.Put("sgl-jax-example", "0.1.0", filepath.Base(files.Wheel), []byte("different bytes"))
	up.Repository = other.Upload
	log.Reset()
	if err := Upload(ctx, up); err != nil {
		t.Fatalf("upload with --skip-existing: %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "Skipping") {
		t.Errorf("twine did not skip the existing file:\n%s", log.String())
	}
	vo.Root = other.JSON
	if err := Verify(ctx, vo); err == nil || !strings.Contains(err.Error(), "different bytes") {
		t.Errorf("verify after a hiding skip: %v", err)
	}
	index, found, err := IndexFiles(ctx, nil, other.JSON, "sgl-jax-example", "0.1.0")
	if err != nil || !found || len(Conflicts(local, index)) != 1 {
		t.Errorf("conflicts before upload: %v %v %v", index, found, err)
	}
	if _, found, err := IndexFiles(ctx, nil, other.JSON, "sgl-jax-example", "9.9"); found || err != nil {
		t.Errorf("unknown version: %v %v", found, err)
	}
}

func skipOrFail(t *testing.T, why string) {
	t.Helper()
	needs.Missing(t, why)
}

// Two builds of the same source at different times, with the same epoch,
// give the same bytes: a retried release finds its files on the index.
func TestBuildIsReproducible(t *testing.T) {
	const python = "/usr/bin/python3"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := os.Stat(python); err != nil {
		skipOrFail(t, "no "+python)
	}
	src, _ := filepath.Abs("../../example/repo/python")
	epoch := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	digests := make([]map[string]string, 2)
	for i := range digests {
		// The second build's source files carry other times.
		tree := t.TempDir()
		if err := copyTree(src, tree); err != nil {
			t.Fatal(err)
		}
		later := time.Now().Add(time.Duration(i) * time.Hour)
		filepath.Walk(tree, func(p string, _ os.FileInfo, _ error) error { return os.Chtimes(p, later, later) })
		var log bytes.Buffer
		dist, err := Build(ctx, BuildOptions{Python: python, Source: tree, Work: t.TempDir(), Log: &log, Epoch: epoch,
			Env: []string{"SETUPTOOLS_SCM_PRETEND_VERSION=0.1.0"}})
		var missing *MissingError
		if errors.As(err, &missing) {
			skipOrFail(t, err.Error())
		}
		if err != nil {
			t.Fatalf("%v\n%s", err, log.String())
		}
		files, err := CheckFiles(dist, ExpectedFiles("sgl-jax-example", "0.1.0", ""), true)
		if err != nil {
			t.Fatal(err)
		}
		if digests[i], err = Digests(files.All()); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			time.Sleep(1100 * time.Millisecond) // another build second
		}
	}
	if len(digests[0]) != 2 || fmt.Sprint(digests[0]) != fmt.Sprint(digests[1]) {
		t.Fatalf("rebuild changed bytes:\n%v\n%v", digests[0], digests[1])
	}
}
