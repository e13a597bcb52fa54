package version

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	pep440 "github.com/aquasecurity/go-pep440-version"

	"github.com/sgl-project/tpuci/internal/needs"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ body, want, err string }{
		{"__version__ = \"0.5.3\"\n", "0.5.3", ""},
		{"# v\n__version__: str = '0.5.3rc1'  # bumped by release\n", "0.5.3rc1", ""},
		{"from ._version import __version__\n", "", "no line __version__"},
		{"__version__ = _v()\n", "", "not a string literal"},
	} {
		p := filepath.Join(dir, "version.py")
		write(t, p, c.body)
		got, _, err := ReadFile(p)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err = %v, want %q", c.body, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: %q, %v", c.body, got, err)
		}
	}
}

func TestFromFile(t *testing.T) {
	repo := t.TempDir()
	write(t, filepath.Join(repo, "python/pkg/version.py"), "\n__version__ = \"0.5.3-RC.1\"\n")
	o := Options{Repo: repo, Source: SourceFile, File: "python/pkg/version.py", Getenv: env(nil)}
	f, err := Resolve(context.Background(), o)
	if err != nil || f.Version.String() != "0.5.3rc1" || f.From != "python/pkg/version.py:2" {
		t.Fatalf("%+v, %v", f, err)
	}
	o.Getenv = env(map[string]string{PretendEnv: "0.5.4"})
	if _, err := Resolve(context.Background(), o); err == nil || !strings.Contains(err.Error(), "contradicts") {
		t.Errorf("pretend version contradicting the file: %v", err)
	}
	write(t, filepath.Join(repo, "python/pkg/version.py"), "__version__ = \"1.0+local\"\n")
	o.Getenv = env(nil)
	if _, err := Resolve(context.Background(), o); err == nil || !strings.Contains(err.Error(), "version.py:1") {
		t.Errorf("local version: %v", err)
	}
	write(t, filepath.Join(repo, "python/pkg/version.py"), "__version__ = \"0.5.x\"\n")
	if _, err := Resolve(context.Background(), o); err == nil || !strings.Contains(err.Error(), `version.py:1: "0.5.x" is not a PEP 440 version`) {
		t.Errorf("not a version: %v", err)
	}
}

func TestNextRelease(t *testing.T) {
	for in, want := range map[string]string{"0.5.2": "0.5.3", "0.5.3rc1": "0.5.3", "0.5.3.dev2": "0.5.3", "0.5.2.post1": "0.5.3", "1": "2", "0.5.9": "0.5.10"} {
		if got := nextRelease(pep440.MustParse(in)).String(); got != want {
			t.Errorf("nextRelease(%s) = %s, want %s", in, got, want)
		}
	}
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func TestFromSCM(t *testing.T) {
	needs.Tool(t, "git")
	ctx := context.Background()
	repo := t.TempDir()
	git(t, repo, "init", "-q")
	o := Options{Repo: repo, Source: SourceSCM, Getenv: env(nil)}
	write(t, filepath.Join(repo, "a"), "1")
	git(t, repo, "add", "a")
	git(t, repo, "commit", "-qm", "one")
	if _, err := Resolve(ctx, o); err == nil || !strings.Contains(err.Error(), "no v* tag") {
		t.Errorf("untagged repository: %v", err)
	}
	git(t, repo, "tag", "v0.5.2")
	git(t, repo, "tag", "v0.5.1") // two tags on HEAD: the highest wins
	f, err := Resolve(ctx, o)
	if err != nil || f.Version.String() != "0.5.2" || f.From != "git tag v0.5.2" {
		t.Fatalf("tagged HEAD: %+v, %v", f, err)
	}
	write(t, filepath.Join(repo, "a"), "2")
	git(t, repo, "commit", "-qam", "two")
	if _, err := Resolve(ctx, o); err == nil || !strings.Contains(err.Error(), "HEAD is not tagged (last tag v0.5.2)") {
		t.Errorf("release from untagged HEAD: %v", err)
	}
	o.Nightly = true
	if f, err := Resolve(ctx, o); err != nil || f.Version.String() != "0.5.3" {
		t.Errorf("nightly guesses the next release: %+v, %v", f, err)
	}
	o.Nightly = false
	o.Getenv = env(map[string]string{PretendEnv: "0.6.0rc1"})
	if f, err := Resolve(ctx, o); err != nil || f.Version.String() != "0.6.0rc1" || f.From != PretendEnv {
		t.Errorf("pretend version: %+v, %v", f, err)
	}
	o.Getenv = env(nil)
	git(t, repo, "tag", "v0.6.0RC1")
	if _, err := Resolve(ctx, o); err == nil || !strings.Contains(err.Error(), "not canonical: tag the commit v0.6.0rc1") {
		t.Errorf("non-canonical tag: %v", err)
	}
	rel, err := Released(ctx, repo)
	if err != nil || len(rel) != 3 {
		t.Errorf("Released = %v, %v", rel, err)
	}
	if _, err := Resolve(ctx, Options{Repo: t.TempDir(), Source: SourceSCM, Getenv: env(nil)}); err == nil || !strings.Contains(err.Error(), "not a git checkout") {
		t.Errorf("outside git: %v", err)
	}
}
