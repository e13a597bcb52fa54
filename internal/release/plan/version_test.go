package plan

import (
	"errors"
	"testing"

	pep440 "github.com/aquasecurity/go-pep440-version"
)

// The policy rests on the library reading versions as Python's packaging
// 23.0 does (str(Version(s)), is_prerelease, is_devrelease, ordering).
// One known difference: it keeps '-' and '_' in a local segment where
// packaging writes '.', which only local versions see, and those are
// never released.
func TestVersionsAsPackaging(t *testing.T) {
	for _, c := range []struct {
		in, want string
		pre, dev bool
	}{
		{"v0.5.3", "0.5.3", false, false},
		{" 0.5.3\n", "0.5.3", false, false},
		{"0.5.3.RC1", "0.5.3rc1", true, false},
		{"0.5.3-rc.1", "0.5.3rc1", true, false},
		{"0.5.3c1", "0.5.3rc1", true, false},
		{"0.5.3-1", "0.5.3.post1", false, false},
		{"0.05.3", "0.5.3", false, false},
		{"1.0-dev", "1.0.dev0", true, true},
		{"0.5.3.post1.dev2", "0.5.3.post1.dev2", true, true},
		{"1.0b2-dev3", "1.0b2.dev3", true, true},
		{"0!1.0", "1.0", false, false},
		{"1.0+build.dev1", "1.0+build.dev1", false, false},
	} {
		v, err := pep440.Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if v.String() != c.want || v.IsPreRelease() != c.pre || isDev(v) != c.dev {
			t.Errorf("Parse(%q) = %q pre %v dev %v, want %q pre %v dev %v", c.in, v, v.IsPreRelease(), isDev(v), c.want, c.pre, c.dev)
		}
	}
	for _, in := range []string{"latest", "", "0.5.3+", "0.5.3 rc1", "v", "1..2", "1.0a1b2", "99999999999999999999999"} {
		if v, err := pep440.Parse(in); err == nil {
			t.Errorf("Parse(%q) = %q, want an error", in, v)
		}
	}
	order := []string{"1.0.dev0", "1.0a1.dev1", "1.0a1", "1.0a1.post1.dev0", "1.0a1.post1", "1.0a2", "1.0b1",
		"1.0rc1", "1.0", "1.0.post0.dev1", "1.0.post0", "1.0.post1", "1.0.1.dev0", "1.0.1", "1.1", "2.0.dev0", "1!0.1"}
	for i := range order {
		for j := range order {
			a, b := pep440.MustParse(order[i]), pep440.MustParse(order[j])
			if got, want := a.Compare(b), min(max(i-j, -1), 1); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", a, b, got, want)
			}
		}
	}
	if !pep440.MustParse("1.0").Equal(pep440.MustParse("1.0.0")) || !pep440.MustParse("0.5.9").LessThan(pep440.MustParse("0.5.10")) {
		t.Error("1.0 == 1.0.0 and 0.5.9 < 0.5.10")
	}
}

func TestReleasable(t *testing.T) {
	for in, want := range map[string]error{"1.0+local": ErrLocal, "1!2.0": ErrEpoch, "0!1.0": nil, "v0.5.3RC1": nil, "1.0.post1.dev2": nil} {
		if err := Releasable(pep440.MustParse(in)); !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Errorf("Releasable(%s) = %v, want %v", in, err, want)
		}
	}
}
