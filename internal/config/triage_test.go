package config

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const quarantineSuite = `[[suite]]
name = "unit"
target = "unitTest1"
files = [ { path = "test/test_a.py", minutes = 1 }, { path = "test/test_b.py", minutes = 1 } ]

[[perf.case]]
name = "p1"
server = "s"
num_prompts = 1
input_len = 1
output_len = 1
max_concurrency = 1
metrics = ["output_throughput"]

[[server]]
name = "s"
model = "m"
`

// day is a fixed date for the tests; expiry is judged against it.
var day = time.Date(2030, 6, 15, 13, 0, 0, 0, time.UTC)

func validateAt(t *testing.T, doc string, today time.Time) (*Config, error) {
	t.Helper()
	c, err := Parse("tpuci.toml", []byte(doc))
	if err != nil {
		return nil, err
	}
	return c, c.ValidateAt("", today)
}

func TestTriageDefaults(t *testing.T) {
	c, err := validateAt(t, "[lint]\npaths = [\"a\"]\n", day)
	if err != nil {
		t.Fatal(err)
	}
	want := Triage{FlakyDays: 14, FlakyVerdicts: 100, FlakyMin: 2, FlakyRate: 0.01, Retries: 2, UnquarantineAfter: 30}
	if c.Triage != want {
		t.Errorf("defaults %+v, want %+v", c.Triage, want)
	}
	// The embedded default writes the same values out.
	d, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if d.Triage != want {
		t.Errorf("embedded default %+v, want %+v", d.Triage, want)
	}
	// A retries = 0 the file sets is kept (no retry at all), not defaulted.
	c, err = validateAt(t, "[triage]\nretries = 0\nmain_red_blocks = true\n", day)
	if err != nil || c.Triage.Retries != 0 || !c.Triage.MainRedBlocks || c.Triage.FlakyMin != 2 {
		t.Errorf("retries = 0: %+v, %v", c.Triage, err)
	}
}

func TestTriageValuesValidated(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"[triage]\nflaky_days = 0\n", "tpuci.toml:2:1: triage.flaky_days: must be at least 1, not 0"},
		{"[triage]\nflaky_rate = 1.5\n", "tpuci.toml:2:1: triage.flaky_rate: must be a share in (0, 1]"},
		{"[triage]\nretries = 11\n", "tpuci.toml:2:1: triage.retries: must be at most 10"},
		{"[triage]\nunquarantine_after = -1\n", "triage.unquarantine_after: must be at least 1"},
	} {
		_, err := validateAt(t, tc.doc, day)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.doc, err, tc.want)
		}
	}
}

func entry(fields string) string {
	return quarantineSuite + "\n[[quarantine]]\n" + fields
}

const full = "test = \"test/test_a.py\"\nreason = \"flakes\"\nowner = \"@me\"\nissue = \"#12\"\n"

func TestQuarantineEntries(t *testing.T) {
	// The entry starts on the line after the suite block; its expires is 4 lines below.
	start := strings.Count(quarantineSuite, "\n") + 2
	for _, tc := range []struct {
		name, fields string
		want         string // "" = valid; else the error's start
	}{
		{"valid through today", full + "expires = 2030-06-15\n", ""},
		{"a case of a suite file", strings.Replace(full, "test_a.py", "test_a.py::T.test_x", 1) + "expires = 2030-07-01\n", ""},
		{"a perf case", strings.Replace(full, "test/test_a.py", "perf:p1", 1) + "expires = 2030-07-01\n", ""},
		{"expired yesterday", full + "expires = 2030-06-14\n",
			"tpuci.toml:" + itoa(start+5) + ":1: quarantine[0].expires: the quarantine of test/test_a.py expired on " +
				"2030-06-14: fix the test and remove the entry, or extend expires"},
		{"no expiry", full, "tpuci.toml:" + itoa(start) + ":3: quarantine[0]: expires is missing"},
		{"no owner", strings.Replace(full, "owner = \"@me\"\n", "", 1) + "expires = 2030-07-01\n",
			"tpuci.toml:" + itoa(start) + ":3: quarantine[0]: owner is missing"},
		{"not an issue", strings.Replace(full, "#12", "soon", 1) + "expires = 2030-07-01\n",
			"tpuci.toml:" + itoa(start+4) + ":1: quarantine[0].issue: \"soon\" is no issue link"},
		{"unknown file", strings.Replace(full, "test_a.py", "test_z.py", 1) + "expires = 2030-07-01\n",
			"tpuci.toml:" + itoa(start+1) + ":1: quarantine[0].test: \"test/test_z.py\" is no test file"},
		{"a date with a time", full + "expires = 2030-07-01T00:00:00Z\n", "tpuci.toml:" + itoa(start+5) +
			":11: quarantine.expires: a TOML datetime where a date such as 2027-01-31 (no time of day) is wanted"},
	} {
		_, err := validateAt(t, entry(tc.fields), day)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
			t.Errorf("%s: got %v\nwant %s", tc.name, err, tc.want)
		}
	}
	twice := entry(full+"expires = 2030-07-01\n") + "[[quarantine]]\n" + full + "expires = 2030-07-01\n"
	if _, err := validateAt(t, twice, day); err == nil || !strings.Contains(err.Error(), "duplicate quarantine") {
		t.Errorf("duplicate: %v", err)
	}
}

func TestQuarantinedInForce(t *testing.T) {
	c, err := validateAt(t, entry(full+"expires = 2030-06-15\n"), day)
	if err != nil {
		t.Fatal(err)
	}
	if q := c.Quarantine[0]; q.Line != strings.Count(quarantineSuite, "\n")+2 || q.Owner != "@me" {
		t.Errorf("entry %+v", q)
	}
	if got := c.Quarantined(day); len(got) != 1 {
		t.Errorf("on its last day: %v", got)
	}
	if got := c.Quarantined(day.AddDate(0, 0, 1)); len(got) != 0 {
		t.Errorf("the day after: %v", got)
	}
	// config:show prints the date as a TOML date.
	out, err := c.Marshal()
	if err != nil || !strings.Contains(string(out), "expires = 2030-06-15") {
		t.Errorf("marshal: %v\n%s", err, out)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// With the checkout at hand, a quarantined test the file does not define
// is refused: a misspelt name would mute nothing.
func TestQuarantineOfAMisspeltTest(t *testing.T) {
	root := t.TempDir()
	for name, src := range map[string]string{
		"test/test_a.py": "import unittest\n\nclass T(unittest.TestCase):\n    def test_x(self): ...\n",
		"test/test_b.py": "def test_y(): ...\n",
	} {
		writeFile(t, filepath.Join(root, name), src)
	}
	for test, want := range map[string]string{
		"test/test_a.py::T.test_x":  "",
		"test/test_b.py::test_y":    "",
		"test/test_a.py::T.test_xx": "quarantine[0].test: test/test_a.py: no method test_xx in T in that file",
		"test/test_b.py::test_yy":   "quarantine[0].test: test/test_b.py: no test function or class test_yy",
	} {
		c, err := Parse("tpuci.toml", []byte(entry(strings.Replace(full, "test/test_a.py", test, 1)+"expires = 2030-07-01\n")))
		if err != nil {
			t.Fatal(err)
		}
		err = c.ValidateAt(root, day)
		if (want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", test, err, want)
		}
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
