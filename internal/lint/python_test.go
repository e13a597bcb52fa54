package lint

import "testing"

func TestSatisfies(t *testing.T) {
	for _, c := range []struct {
		spec, version string
		want          bool
	}{
		{">=3.12,<3.14", "3.11.2", false},
		{">=3.12,<3.14", "3.12.0", true},
		{">=3.12,<3.14", "3.14.1", false},
		{">=3.10", "3.11.9", true},
		{"~=3.11", "3.12.1", true},
		{"~=3.11.0", "3.12.1", false},
		{"==3.11.*", "3.11.4", true},
		{"!=3.11.*", "3.11.4", false},
	} {
		v, err := ParseVersion(c.version)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Satisfies(c.spec, v)
		if err != nil || got != c.want {
			t.Errorf("%s vs %s: %v %v, want %v", c.spec, c.version, got, err, c.want)
		}
	}
	if _, err := Satisfies("python3.12", Version{3, 12}); err == nil {
		t.Error("no error for a clause that is not a version specifier")
	}
}

func TestCompareMatchesMovedFindings(t *testing.T) {
	base := []Finding{{Path: "a.py", Line: 3, Symbol: "no-member", Message: "m"}, {Path: "gone.py", Line: 1, Symbol: "e", Message: "x"}}
	head := []Finding{{Path: "b.py", Line: 9, Symbol: "no-member", Message: "m"}, {Path: "b.py", Line: 20, Symbol: "no-member", Message: "m"}}
	v := Compare(head, base, map[string]string{"a.py": "b.py"})
	if len(v.Existing) != 1 || len(v.New) != 1 || v.Fixed != 1 {
		t.Fatalf("%+v", v)
	}
}
