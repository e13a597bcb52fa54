package plan

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pep440 "github.com/aquasecurity/go-pep440-version"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func versions(ss ...string) []pep440.Version {
	var out []pep440.Version
	for _, s := range ss {
		out = append(out, pep440.MustParse(s))
	}
	return out
}

// The proposed tag table (release.md 3.3) as golden files.
func TestPlanGolden(t *testing.T) {
	date := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	released := versions("0.5.1", "0.5.2", "0.6.0rc1")
	base := Input{Image: "docker.io/lmsysorg/sglang-jax", Arch: "amd64", Arches: []string{"amd64"},
		Dist: "sglang-jax", Repository: "https://upload.pypi.org/legacy/", Released: released, Date: date}
	cases := []struct {
		name string
		mod  func(*Input)
	}{
		{"stable-highest", func(in *Input) { in.Version = pep440.MustParse("0.5.3") }},
		{"stable-backport", func(in *Input) {
			in.Version = pep440.MustParse("0.5.3")
			in.Released = versions("0.5.2", "0.6.0")
		}},
		{"rc", func(in *Input) { in.Version = pep440.MustParse("0.5.3rc0") }},
		{"alpha", func(in *Input) { in.Version = pep440.MustParse("0.5.3a1") }},
		{"dev", func(in *Input) { in.Version = pep440.MustParse("0.5.3.dev0") }},
		{"post", func(in *Input) { in.Version = pep440.MustParse("0.5.3.post1") }},
		{"rerelease-same", func(in *Input) {
			in.Version = pep440.MustParse("0.5.3")
			in.Released = versions("0.5.3")
		}},
		{"nightly", func(in *Input) { in.Version, in.Channel = pep440.MustParse("0.5.3"), Nightly }},
		{"nightly-from-rc", func(in *Input) { in.Version, in.Channel = pep440.MustParse("0.5.3rc1"), Nightly }},
		{"multiarch", func(in *Input) {
			in.Version = pep440.MustParse("0.5.3")
			in.Arches = []string{"amd64", "arm64"}
		}},
		{"testpypi-no-image", func(in *Input) {
			in.Version = pep440.MustParse("v0.5.3")
			in.Image = ""
			in.Repository = "https://test.pypi.org/legacy/"
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := base
			c.mod(&in)
			p, err := Make(in)
			if err != nil {
				t.Fatal(err)
			}
			got := p.String()
			path := filepath.Join("testdata", c.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update once to create it)", err)
			}
			if got != string(want) {
				t.Errorf("plan differs from %s:\n--- got\n%s--- want\n%s", path, got, want)
			}
		})
	}
}

func TestLatestPolicy(t *testing.T) {
	for _, c := range []struct {
		v        string
		released []string
		ch       Channel
		want     bool
	}{
		{"0.5.3", nil, Release, true},
		{"0.5.3", []string{"0.5.2"}, Release, true},
		{"0.5.3", []string{"0.5.10"}, Release, false},      // numeric order: a backport
		{"0.5.3", []string{"0.6.0rc1"}, Release, true},     // pre-releases do not count
		{"0.5.3", []string{"0.5.3.post1"}, Release, false}, // the post release is higher
		{"0.5.3.post1", []string{"0.5.3"}, Release, true},
		{"0.5.3rc1", nil, Release, false},
		{"0.5.3.dev1", nil, Release, false},
		{"0.5.3", nil, Nightly, false},
	} {
		p, err := Make(Input{Version: pep440.MustParse(c.v), Released: versions(c.released...), Channel: c.ch,
			Image: "r/x", Arch: "amd64", Date: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		hasLatest := false
		for _, l := range p.Lists {
			hasLatest = hasLatest || strings.HasSuffix(l, ":latest")
		}
		if p.Latest != c.want || hasLatest != c.want {
			t.Errorf("%s after %v (%s): latest = %v (lists %v), want %v", c.v, c.released, c.ch, p.Latest, p.Lists, c.want)
		}
	}
}

func TestNightlyNeverTouchesReleaseTags(t *testing.T) {
	p, err := Make(Input{Version: pep440.MustParse("0.5.3"), Channel: Nightly, Image: "r/x", Arch: "amd64",
		Date: time.Date(2026, 1, 2, 23, 0, 0, 0, time.UTC), Dist: "x"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range append(append([]string{p.Push}, p.ArchTags...), p.Lists...) {
		tag := r[strings.LastIndex(r, ":")+1:]
		if tag == "latest" || tag == "v0.5.3" || tag == "v0.5.3-amd64" {
			t.Errorf("nightly writes release tag %s", r)
		}
	}
	if len(p.Immutable) != 0 || len(p.Uploads) != 0 || p.PyPISkip == "" {
		t.Errorf("nightly: immutable %v, uploads %v, skip %q", p.Immutable, p.Uploads, p.PyPISkip)
	}
	if got := p.Lists[2]; got != "r/x:v0.5.3-nightly-20260102" {
		t.Errorf("dated tag = %s", got)
	}
}

func TestMakeErrors(t *testing.T) {
	for name, in := range map[string]Input{
		"no version":    {},
		"local":         {Version: pep440.MustParse("1.0+abc")},
		"epoch":         {Version: pep440.MustParse("1!1.0")},
		"arch missing":  {Version: pep440.MustParse("1.0"), Image: "r/x"},
		"arch unlisted": {Version: pep440.MustParse("1.0"), Image: "r/x", Arch: "amd64", Arches: []string{"arm64"}},
		"nightly date":  {Version: pep440.MustParse("1.0"), Image: "r/x", Arch: "amd64", Channel: Nightly},
	} {
		if _, err := Make(in); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := ParseChannel("weekly"); err == nil {
		t.Error("ParseChannel(weekly) accepted")
	}
}
