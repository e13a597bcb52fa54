package debian

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFirstDebianURI(t *testing.T) {
	for _, c := range []struct {
		data   string
		deb822 bool
		want   string
	}{
		{"deb http://deb.debian.org/debian bookworm main\n", false, "http://deb.debian.org/debian"},
		{"# deb http://a/debian x main\ndeb-src http://b/debian x main\n" +
			"deb [arch=amd64 signed-by=/k.gpg] https://mirror.example/debian/ trixie main\n", false, "https://mirror.example/debian"},
		{"deb http://deb.debian.org/debian-security bookworm-security main\n", false, ""},
		{"deb https://packages.cloud.google.com/apt cloud-sdk main\n", false, ""},
		{"Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n\n" +
			"Types: deb deb-src\nURIs: http://ftp.de.debian.org/debian\nSuites: bookworm\n", true, "http://ftp.de.debian.org/debian"},
		{"Enabled: no\nTypes: deb\nURIs: http://a.example/debian\n\nTypes: deb-src\nURIs: http://b.example/debian\n", true, ""},
	} {
		if got := FirstDebianURI([]byte(c.data), c.deb822); got != c.want {
			t.Errorf("%q: got %q, want %q", c.data, got, c.want)
		}
	}
}

func TestAptMirror(t *testing.T) {
	root := t.TempDir()
	if got := AptMirror(root); got != DefaultMirror {
		t.Errorf("no sources: %q", got)
	}
	d := filepath.Join(root, "etc", "apt", "sources.list.d")
	_ = os.MkdirAll(d, 0o755)
	_ = os.WriteFile(filepath.Join(d, "b.sources"), []byte("Types: deb\nURIs: http://b.example/debian\n"), 0o644)
	_ = os.WriteFile(filepath.Join(d, "a.list.disabled"), []byte("deb http://x.example/debian x main\n"), 0o644)
	if got := AptMirror(root); got != "http://b.example/debian" {
		t.Errorf("sources.list.d: %q", got)
	}
	_ = os.WriteFile(filepath.Join(root, "etc", "apt", "sources.list"), []byte("deb http://a.example/debian x main\n"), 0o644)
	if got := AptMirror(root); got != "http://a.example/debian" {
		t.Errorf("sources.list first: %q", got)
	}
}
