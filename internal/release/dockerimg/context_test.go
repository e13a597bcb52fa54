package dockerimg

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, body := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestBuildContextHonoursDockerignore(t *testing.T) {
	dir := tree(t, map[string]string{
		".dockerignore":                        "# comment\n.git\n**/__pycache__\n**/*.pyc\ntest\ndocs/*\n!docs/keep.md\nDockerfile\nsecret*\n",
		"Dockerfile":                           "FROM scratch\n",
		".git/HEAD":                            "ref",
		"python/pkg/__init__.py":               "",
		"python/pkg/__pycache__/x.cpython.pyc": "",
		"python/pkg/mod.pyc":                   "",
		"python/test/test_x.py":                "", // only the top-level test/ is ignored
		"test/test_y.py":                       "",
		"docs/a.md":                            "",
		"docs/keep.md":                         "",
		"secret.env":                           "TOKEN=x",
	})
	if err := os.Symlink("pkg/__init__.py", filepath.Join(dir, "python/link.py")); err != nil {
		t.Fatal(err)
	}
	c, err := BuildContext(ContextSpec{Dir: dir, Dockerfile: "Dockerfile"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".dockerignore", "Dockerfile", "docs/keep.md", "python/link.py", "python/pkg/__init__.py", "python/test/test_x.py"}
	if !reflect.DeepEqual(c.Files, want) {
		t.Errorf("files = %v\nwant    %v", c.Files, want)
	}
	// The tar holds exactly those, the symlink as a link, and parses.
	tr := tar.NewReader(bytes.NewReader(c.Tar))
	seen := map[string]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		seen[h.Name] = h.Typeflag
		if !h.ModTime.Equal(epoch) {
			t.Errorf("%s: mtime %v, want the fixed epoch", h.Name, h.ModTime)
		}
	}
	if seen["python/link.py"] != tar.TypeSymlink {
		t.Errorf("symlink stored as %q", seen["python/link.py"])
	}
	if _, ok := seen["secret.env"]; ok {
		t.Error("an ignored secret reached the context")
	}
	again, _ := BuildContext(ContextSpec{Dir: dir, Dockerfile: "Dockerfile"})
	if !bytes.Equal(c.Tar, again.Tar) {
		t.Error("the same tree gave two different contexts")
	}
}

func TestBuildContextFallbackIgnoreAndExtra(t *testing.T) {
	dir := tree(t, map[string]string{"a.py": "", ".git/HEAD": "", "Dockerfile": "FROM mine\n"})
	c, err := BuildContext(ContextSpec{Dir: dir, Dockerfile: ".tpuci/Dockerfile", Ignore: []string{".git"},
		Extra: []Extra{{Path: ".tpuci/Dockerfile", Data: []byte("FROM scratch\n")}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".tpuci/Dockerfile", "Dockerfile", "a.py"}
	if !reflect.DeepEqual(c.Files, want) {
		t.Errorf("files = %v, want %v", c.Files, want)
	}
	// A .dockerignore in the directory wins over the fallback.
	_ = os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte("a.py\n"), 0o644)
	c, _ = BuildContext(ContextSpec{Dir: dir, Ignore: []string{"Dockerfile"}})
	want = []string{".dockerignore", "Dockerfile"}
	if !reflect.DeepEqual(c.Files, want) {
		t.Errorf("files = %v, want %v", c.Files, want)
	}
}

func TestBuildContextErrors(t *testing.T) {
	if _, err := BuildContext(ContextSpec{Dir: filepath.Join(t.TempDir(), "none")}); err == nil {
		t.Error("missing directory accepted")
	}
	dir := tree(t, map[string]string{".dockerignore": "[\n"})
	if _, err := BuildContext(ContextSpec{Dir: dir}); err == nil {
		t.Error("bad pattern accepted")
	}
}

// .git never reaches the context: not without a .dockerignore, not when
// one re-includes it, not a submodule's .git file. A checkout's
// .git/config can hold the token actions/checkout persisted.
func TestBuildContextNeverSendsGit(t *testing.T) {
	for name, ignore := range map[string]string{"no .dockerignore": "", "re-included": "*.tmp\n!.git\n!**/.git\n"} {
		t.Run(name, func(t *testing.T) {
			files := map[string]string{
				"Dockerfile":      "FROM scratch\n",
				".git/config":     "[http \"https://github.com/\"]\n\textraheader = AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46c2VjcmV0\n",
				".git/HEAD":       "ref: refs/heads/main\n",
				"vendor/lib/.git": "gitdir: ../../.git/modules/lib\n",
				"vendor/lib/a.py": "",
				".gitignore":      "*.pyc\n",
			}
			if ignore != "" {
				files[".dockerignore"] = ignore
			}
			dir := tree(t, files)
			var buf bytes.Buffer
			if _, err := WriteContext(ContextSpec{Dir: dir, Dockerfile: "Dockerfile"}, &buf); err != nil {
				t.Fatal(err)
			}
			tr := tar.NewReader(&buf)
			var names []string
			for {
				h, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				names = append(names, h.Name)
				if h.Name == ".git" || strings.HasPrefix(h.Name, ".git/") || strings.HasSuffix(h.Name, "/.git") || strings.Contains(h.Name, "/.git/") {
					t.Errorf("the context holds %s", h.Name)
				}
			}
			if !slices.Contains(names, ".gitignore") || !slices.Contains(names, "vendor/lib/a.py") {
				t.Errorf("files next to .git are missing: %v", names)
			}
		})
	}
}
