package pep440

import (
	"errors"
	"testing"
)

// The expected values were produced by Python's packaging 23.0
// (str(Version(s)), is_prerelease, is_postrelease, is_devrelease).
func TestParseMatchesPackaging(t *testing.T) {
	for _, c := range []struct {
		in, want       string
		pre, post, dev bool
	}{
		{"0.5.3", "0.5.3", false, false, false},
		{"v0.5.3", "0.5.3", false, false, false},
		{"V0.5.3", "0.5.3", false, false, false},
		{" 0.5.3\n", "0.5.3", false, false, false},
		{"0.5.3.RC1", "0.5.3rc1", true, false, false},
		{"0.5.3-rc.1", "0.5.3rc1", true, false, false},
		{"0.5.3-alpha1", "0.5.3a1", true, false, false},
		{"0.5.3c1", "0.5.3rc1", true, false, false},
		{"0.5.3pre1", "0.5.3rc1", true, false, false},
		{"0.5.3preview1", "0.5.3rc1", true, false, false},
		{"0.5.3-1", "0.5.3.post1", false, true, false},
		{"0.5.3.r1", "0.5.3.post1", false, true, false},
		{"0.5.3rev2", "0.5.3.post2", false, true, false},
		{"0.05.3", "0.5.3", false, false, false},
		{"0.5.3rc", "0.5.3rc0", true, false, false},
		{"1.0-dev", "1.0.dev0", true, false, true},
		{"1.0dev", "1.0.dev0", true, false, true},
		{"1.0.dev", "1.0.dev0", true, false, true},
		{"0.5.3rc0.post1", "0.5.3rc0.post1", true, true, false},
		{"0.5.3.post1.dev2", "0.5.3.post1.dev2", true, true, true},
		{"1!2.0", "1!2.0", false, false, false},
		{"0!1.0", "1.0", false, false, false},
		{"1.0.0-beta.1+build.5", "1.0.0b1+build.5", true, false, false},
		{"1.0+Local-Meta_1", "1.0+local.meta.1", false, false, false},
		{"1.0_post_3", "1.0.post3", false, true, false},
		{"1.0.POST", "1.0.post0", false, true, false},
		{"0.5.3a", "0.5.3a0", true, false, false},
		{"1.0b2-dev3", "1.0b2.dev3", true, false, true},
		{"2024.11.27", "2024.11.27", false, false, false},
		{"1", "1", false, false, false},
		{"01.002.0003", "1.2.3", false, false, false},
		{"1.0-r2", "1.0.post2", false, true, false},
		{"1.0.post-1", "1.0.post1", false, true, false},
	} {
		v, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got := v.String(); got != c.want {
			t.Errorf("Parse(%q) = %q, want %q", c.in, got, c.want)
		}
		if v.IsPrerelease() != c.pre || v.IsPostrelease() != c.post || v.IsDevrelease() != c.dev {
			t.Errorf("Parse(%q): pre/post/dev = %v/%v/%v, want %v/%v/%v", c.in,
				v.IsPrerelease(), v.IsPostrelease(), v.IsDevrelease(), c.pre, c.post, c.dev)
		}
		if v.Original() != c.in {
			t.Errorf("Original() = %q, want %q", v.Original(), c.in)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{"latest", "", "0.5.3+", "0.5.3 rc1", "0.5.3-", "v", "1..2", "1.0a1b2", "99999999999999999999999"} {
		if v, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %q, want an error", in, v)
		}
	}
}

func TestParseReleaseRefusesLocalAndEpoch(t *testing.T) {
	if _, err := ParseRelease("1.0+local"); !errors.Is(err, ErrLocal) {
		t.Errorf("1.0+local: err = %v, want ErrLocal", err)
	}
	if _, err := ParseRelease("1!2.0"); !errors.Is(err, ErrEpoch) {
		t.Errorf("1!2.0: err = %v, want ErrEpoch", err)
	}
	if v, err := ParseRelease("v0.5.3RC1"); err != nil || v.String() != "0.5.3rc1" {
		t.Errorf("v0.5.3RC1: %v, %v", v, err)
	}
	if v, err := ParseRelease("0!1.0"); err != nil || v.String() != "1.0" {
		t.Errorf("0!1.0 (epoch 0 is no epoch): %v, %v", v, err)
	}
}

func TestOrder(t *testing.T) {
	// Sorted by packaging 23.0.
	order := []string{"1.0.dev0", "1.0a1.dev1", "1.0a1", "1.0a1.post1.dev0", "1.0a1.post1", "1.0a2", "1.0b1",
		"1.0rc1", "1.0", "1.0.post0.dev1", "1.0.post0", "1.0.post1", "1.0.1.dev0", "1.0.1", "1.1", "2.0.dev0", "1!0.1"}
	for i := range order {
		for j := range order {
			a, b := MustParse(order[i]), MustParse(order[j])
			want := cmpInt(i, j)
			if got := Compare(a, b); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", a, b, got, want)
			}
		}
	}
	if Compare(MustParse("1.0"), MustParse("1.0.0")) != 0 {
		t.Error("1.0 and 1.0.0 must be equal")
	}
	if !Less(MustParse("0.5.9"), MustParse("0.5.10")) {
		t.Error("0.5.9 must sort before 0.5.10 (numeric, not textual)")
	}
}

func TestNextRelease(t *testing.T) {
	for in, want := range map[string]string{"0.5.2": "0.5.3", "0.5.3rc1": "0.5.3", "0.5.3.dev2": "0.5.3", "0.5.2.post1": "0.5.3", "1": "2"} {
		if got := MustParse(in).NextRelease().String(); got != want {
			t.Errorf("NextRelease(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestNames(t *testing.T) {
	for in, want := range map[string][2]string{
		"Tiny_Pkg.Demo":   {"tiny-pkg-demo", "tiny_pkg_demo"},
		"sglang-jax":      {"sglang-jax", "sglang_jax"},
		"sgl--jax__x":     {"sgl-jax-x", "sgl_jax_x"},
		"sgl-jax-example": {"sgl-jax-example", "sgl_jax_example"},
	} {
		if got := NormalizeName(in); got != want[0] {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want[0])
		}
		if got := FileName(in); got != want[1] {
			t.Errorf("FileName(%q) = %q, want %q", in, got, want[1])
		}
	}
	if ValidName("-bad") || ValidName("") || !ValidName("sgl-jax.x_1") {
		t.Error("ValidName")
	}
}
