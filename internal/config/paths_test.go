package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkoutWith makes a checkout holding test/ok.py and a directory
// outside it holding secret.txt; it returns both roots.
func checkoutWith(t *testing.T) (root, outside string) {
	t.Helper()
	root, outside = t.TempDir(), t.TempDir()
	for _, p := range []string{filepath.Join(root, "test", "ok.py"), filepath.Join(outside, "secret.txt")} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root, outside
}

// loadAndValidate writes doc as root/tpuci.toml and loads it the way a
// run does.
func loadAndValidate(t *testing.T, root, doc string) error {
	t.Helper()
	path := filepath.Join(root, "tpuci.toml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		return err
	}
	return c.Validate(root)
}

func suiteWith(path string) string {
	return "[[suite]]\nname = \"s\"\ntarget = \"unitTest1\"\nfiles = [{ path = \"" + path + "\", minutes = 1 }]\n"
}

// A suite file that climbs out of the checkout is refused with one line
// naming its place in the file and what to write instead.
func TestSuitePathLeavingTheCheckoutIsRefused(t *testing.T) {
	root, _ := checkoutWith(t)
	err := loadAndValidate(t, root, suiteWith("../../../../etc/passwd"))
	want := filepath.Join(root, "tpuci.toml") + `:4:12: suite[0].files[0].path: "../../../../etc/passwd" leads outside the checkout: name a path inside it, relative to the repository root`
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
	if err := loadAndValidate(t, root, suiteWith("test/../test/ok.py")); err != nil {
		t.Fatalf("a path that stays inside: %v", err)
	}
	if err := loadAndValidate(t, root, suiteWith("/etc/passwd")); err == nil || !strings.Contains(err.Error(), `"/etc/passwd" is absolute: write it relative to the repository root`) {
		t.Fatalf("absolute: %v", err)
	}
}

// A symbolic link inside the checkout that leads outside is refused,
// whether it names a file, a directory on the way, or a file not yet
// written (a baselines file the baseline targets would create).
func TestSymlinkLeavingTheCheckoutIsRefused(t *testing.T) {
	root, outside := checkoutWith(t)
	links := map[string]string{
		"test/evil.py":          filepath.Join(outside, "secret.txt"),
		"escape":                outside,
		"tpuci/perf.toml":       filepath.Join(outside, "new.toml"), // dangling: writing it creates the target
		"test/inside.py":        "ok.py",
		"tpuci/chain.toml":      "../escape/later.toml",
		"tpuci/inside-new.toml": "not-yet.toml",
	}
	for link, target := range links {
		p := filepath.Join(root, link)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ doc, field string }{
		{suiteWith("test/evil.py"), "suite[0].files[0].path"},
		{suiteWith("escape/secret.txt"), "suite[0].files[0].path"},
		{"[lint]\npaths = [\"test\", \"escape\"]\n", "lint.paths[1]"},
		{"[perf]\nbaselines = \"tpuci/perf.toml\"\n", "perf.baselines"},
		{"[pallas]\nbaselines = \"tpuci/chain.toml\"\n", "pallas.baselines"},
	} {
		err := loadAndValidate(t, root, tc.doc)
		if err == nil || !strings.Contains(err.Error(), tc.field+": ") || !strings.Contains(err.Error(), "leads outside the checkout through a symbolic link") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: got %v", tc.doc, err)
		}
	}
	for _, doc := range []string{suiteWith("test/inside.py"), "[accuracy]\nbaselines = \"tpuci/inside-new.toml\"\n"} {
		if err := loadAndValidate(t, root, doc); err != nil {
			t.Errorf("a link that stays inside: %v", err)
		}
	}
}

// Every field that names a checkout path is checked, with or without a
// checkout to look at.
func TestEveryCheckoutPathIsChecked(t *testing.T) {
	for doc, field := range map[string]string{
		"[repo]\npackage_dir = \"../x\"\n":                                         "repo.package_dir",
		"[repo]\nversion_file = \"../x\"\n":                                        "repo.version_file",
		"[lint]\npaths = [\"../x\"]\n":                                             "lint.paths[0]",
		suiteWith("../x"):                                                          "suite[0].files[0].path",
		"[perf]\nbaselines = \"../x\"\n":                                           "perf.baselines",
		"[accuracy]\nbaselines = \"../x\"\n":                                       "accuracy.baselines",
		"[accuracy]\ndata_dir = \"../x\"\n":                                        "accuracy.data_dir",
		"[pallas]\nbaselines = \"../x\"\n":                                         "pallas.baselines",
		"[[pallas.kernel]]\nname = \"k\"\nfile = \"a/../../x\"\ntolerance = 0.1\n": "pallas.kernel[0].file",
		"[gating]\nimport_roots = [\"..\"]\n":                                      "gating.import_roots[0]",
		"[release]\ndockerfile = \"../Dockerfile\"\n":                              "release.dockerfile",
		"[release]\ncontext = \"..\"\n":                                            "release.context",
	} {
		got := errText(t, doc)
		if !strings.Contains(got, field+": ") || !strings.Contains(got, "leads outside the checkout") {
			t.Errorf("%q: got %s", doc, got)
		}
	}
}
