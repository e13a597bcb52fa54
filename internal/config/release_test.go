package config

import (
	"strings"
	"testing"
)

func TestReleaseValidation(t *testing.T) {
	for _, c := range []struct {
		body string
		want string // "" = valid
	}{
		{`[release]
official_repo = "sgl-project/sglang-jax"
version_source = "scm"
image = "docker.io/lmsysorg/sglang-jax"
arches = ["amd64", "arm64"]
version_args = ["VERSION"]
smoke_timeout = "2m"
pypi_repository = "https://test.pypi.org/legacy/"
pypi_token_env = "TEST_PYPI_TOKEN"
[release.build_args]
BASE_IMAGE = "python:3.12-slim"`, ""},
		{"[release]\nofficial_repo = \"just-a-name\"", "release.official_repo"},
		{"[release]\nversion_source = \"git\"", `unknown source "git"`},
		{"[release]\nversion_source = \"file\"", "needs [repo].version_file"},
		{"[release]\nimage = \"docker.io/LMSYS/sglang-jax:v1\"", "not an image name without tag"},
		{"[release]\narches = [\"amd64\", \"s390x\"]", `unknown architecture "s390x"`},
		{"[release]\narches = [\"amd64\", \"amd64\"]", "duplicate architecture"},
		{"[release]\nversion_args = [\"1VERSION\"]", "not a build argument name"},
		{"[release]\npypi_repository = \"upload.pypi.org/legacy/\"", "not an http(s) URL"},
		{"[release]\npypi_token_env = \"PYPI-TOKEN\"", "not an environment variable name"},
		{"[release]\nsmoke_timeout = \"-1s\"", "release.smoke_timeout"},
		{"[release]\nbuild_args = { \"bad-name\" = \"x\" }", "release.build_args.bad-name"},
	} {
		cfg, err := Parse("t.toml", []byte(c.body))
		if err != nil {
			t.Fatalf("%q: parse: %v", c.body, err)
		}
		err = cfg.Validate("")
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.body, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%q: err = %v, want %q", c.body, err, c.want)
		}
	}
	// Errors name the line of the offending key.
	cfg, _ := Parse("t.toml", []byte("[release]\n\nimage = \"Bad Name\"\n"))
	if err := cfg.Validate(""); err == nil || !strings.Contains(err.Error(), "t.toml:3:") {
		t.Errorf("location: %v", err)
	}
}

func TestDefaultReleaseSection(t *testing.T) {
	cfg, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Release
	if r.OfficialRepo != "sgl-project/sglang-jax" || r.Image != "docker.io/lmsysorg/sglang-jax" || r.VersionSource != "scm" || len(r.SmokeCommand) == 0 {
		t.Errorf("%+v", r)
	}
}
