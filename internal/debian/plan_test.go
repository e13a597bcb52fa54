package debian

import (
	"slices"
	"strings"
	"testing"
)

func spec() Spec {
	return Spec{Suite: "trixie", Mirror: "http://deb.debian.org/debian", Arch: "amd64",
		Packages: []string{"python3", "python3-venv"}, CacheDir: "/cache"}
}

func TestPlan(t *testing.T) {
	p, err := NewPlan(spec())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"mmdebstrap", "--variant=minbase", "--format=tar", "--architectures=amd64",
		"--include=python3,python3-venv", "--", "trixie", "/cache/out.tar", "http://deb.debian.org/debian"}
	if got := p.Argv("/cache/out.tar"); !slices.Equal(got, want) {
		t.Errorf("argv\n got %q\nwant %q", got, want)
	}
	// The key is a pure function of the spec: the same on every machine.
	if p.Key != "8282416598fe" || p.Tag != "tpuci/debian-python:trixie-8282416598fe" ||
		p.Tarball != "/cache/debian-python-trixie-8282416598fe.tar" || p.Platform != "linux/amd64" {
		t.Errorf("plan %+v", p)
	}
	if !slices.Contains(p.Changes, `CMD ["python3"]`) {
		t.Errorf("changes %q", p.Changes)
	}
	// Each input changes the key; the cache directory does not.
	for name, edit := range map[string]func(*Spec){
		"suite":    func(s *Spec) { s.Suite = "bookworm" },
		"mirror":   func(s *Spec) { s.Mirror = "http://ftp.de.debian.org/debian" },
		"arch":     func(s *Spec) { s.Arch = "arm64" },
		"packages": func(s *Spec) { s.Packages = []string{"python3"} },
	} {
		s := spec()
		edit(&s)
		if q, err := NewPlan(s); err != nil || q.Key == p.Key {
			t.Errorf("%s: key %s %v", name, q.Key, err)
		}
	}
	s := spec()
	s.CacheDir = "/elsewhere"
	if q, _ := NewPlan(s); q.Key != p.Key {
		t.Errorf("the cache directory changed the key")
	}
}

func TestPlanRefusesWhatCouldBeAnOption(t *testing.T) {
	for name, edit := range map[string]func(*Spec){
		"option suite":     func(s *Spec) { s.Suite = "--hook-dir=/tmp" },
		"suite with blank": func(s *Spec) { s.Suite = "trixie main" },
		"file mirror":      func(s *Spec) { s.Mirror = "file:///srv/debian" },
		"option mirror":    func(s *Spec) { s.Mirror = "--setup-hook=x" },
		"mirror with user": func(s *Spec) { s.Mirror = "http://u:p@deb.debian.org/debian" },
		"mirror w/ query":  func(s *Spec) { s.Mirror = "http://deb.debian.org/debian?x=1" },
		"two mirrors":      func(s *Spec) { s.Mirror = "http://a/debian http://b/debian" },
		"arch":             func(s *Spec) { s.Arch = "amd64,arm64" },
		"package":          func(s *Spec) { s.Packages = []string{"python3,evil"} },
		"no packages":      func(s *Spec) { s.Packages = nil },
		"no cache":         func(s *Spec) { s.CacheDir = "" },
	} {
		s := spec()
		edit(&s)
		if _, err := NewPlan(s); err == nil || !strings.HasPrefix(err.Error(), "debian base: ") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
