package config

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2/unstable"
)

func TestDefaultParsesAndValidates(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(""); err != nil {
		t.Fatal(err)
	}
	files, minutes := 0, 0.0
	for _, s := range c.Suites {
		files += len(s.Files)
		for _, f := range s.Files {
			minutes += f.Minutes
		}
	}
	// Facts from SGLang-JAX's run_suite.py: 151 entries, 414.5 estimated minutes.
	if files != 151 || math.Abs(minutes-414.5) > 1e-6 {
		t.Fatalf("default has %d entries / %.1f min, want 151 / 414.5", files, minutes)
	}
	s, ok := c.Suite("unit-test-tpu-v6e-1")
	if !ok || s.Partitions != 5 || s.Target != "unitTest1" || s.Chips != 1 {
		t.Fatalf("unit-test-tpu-v6e-1: %+v", s)
	}
}

func errText(t *testing.T, doc string) string {
	t.Helper()
	c, err := Parse("x.toml", []byte(doc))
	if err == nil {
		err = c.Validate("")
	}
	if err == nil {
		t.Fatalf("no error for:\n%s", doc)
	}
	if strings.Count(err.Error(), "\n") > 0 && !strings.Contains(doc, "MULTI") {
		t.Logf("multi-line error: %v", err)
	}
	return err.Error()
}

func TestMisspeltKeyNamesLine(t *testing.T) {
	doc := "[lint]\npaths = [\"a\"]\n\n[[suite]]\nname = \"s\"\ntimout_per_file = \"1m\"\n"
	got := errText(t, doc)
	if !strings.HasPrefix(got, "x.toml:6:1: suite.timout_per_file: unknown key") {
		t.Fatalf("got %q", got)
	}
}

func TestWrongTypeNamesLine(t *testing.T) {
	got := errText(t, "[lint]\njobs = \"four\"\n")
	if !strings.HasPrefix(got, "x.toml:2:") || !strings.Contains(got, "lint.jobs") {
		t.Fatalf("got %q", got)
	}
}

func TestBadDuration(t *testing.T) {
	got := errText(t, "[lint]\ntimeout = \"soon\"\n")
	if !strings.Contains(got, "x.toml:2:") || !strings.Contains(got, "invalid duration") {
		t.Fatalf("got %q", got)
	}
}

func TestValidationErrorsHavePositions(t *testing.T) {
	cases := []struct{ doc, want string }{
		{"[[suite]]\nname = \"a\"\nfiles = []\n[[suite]]\nname = \"a\"\n", "x.toml:5:1: suite[1].name: duplicate suite \"a\""},
		{"[[suite]]\nname = \"a\"\nfiles = [\n  { path = \"t.py\", minutes = 1 },\n  { path = \"t.py\", minutes = 2 },\n]\n", "x.toml:5:5: suite[0].files[1].path: duplicate entry"},
		{"[[suite]]\nname = \"a\"\nfiles = [ { path = \"t.py\", minutes = -1 } ]\n", "suite[0].files[0].minutes: estimate must be a positive"},
		{"[[suite]]\nname = \"a\"\npartitions = 3\nfiles = [ { path = \"t.py\", minutes = 1 } ]\n", "x.toml:3:1: suite[0].partitions: 3 partitions for 1 files"},
		{"[[suite]]\nname = \"a\"\ntarget = \"unit\"\n", "x.toml:3:1: suite[0].target: unknown target"},
		{"[ci]\njob_minutes = -3\n", "x.toml:2:1: ci.job_minutes: must be a number of minutes >= 0"},
		{"[ci]\nmax_jobs = { \"v6e\" = 2 }\n", "ci.max_jobs.v6e: key must be a chip count"},
		{"[ci]\nmax_jobs = { \"4\" = 0 }\n", "ci.max_jobs.4: must be at least 1 job"},
		{"[ci]\nhistory = -1\n", "x.toml:2:1: ci.history: must be 0"},
		{"[[suite]]\nname = \"a\"\nfiles = [ { path = \"t.py\", minutes = 1, runner = \"nose\" } ]\n", "suite[0].files[0].runner: unknown runner"},
		{"[[suite]]\nname = \"a\"\nfiles = [ { path = \"t.py\", minutes = 1, runner = \"unittest\" } ]\n", "needs at least one method"},
		{"[[perf.case]]\nname = \"p\"\nserver = \"nope\"\nnum_prompts = 1\ninput_len = 1\noutput_len = 1\nmax_concurrency = 1\nmetrics = [\"x\"]\n", "x.toml:3:1: perf.case[0].server: unknown server \"nope\""},
		{"[[gating.filter]]\nname = \"f\"\npaths = [\"a/[\"]\ntargets = [\"lint\"]\n", "invalid glob"},
	}
	for _, c := range cases {
		got := errText(t, c.doc)
		if !strings.Contains(got, c.want) {
			t.Errorf("doc:\n%s\ngot  %q\nwant %q", c.doc, got, c.want)
		}
	}
}

func TestMissingFileInRepo(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "test"), 0o755)
	os.WriteFile(filepath.Join(root, "test", "ok.py"), nil, 0o644)
	c, err := Parse("x.toml", []byte("[[suite]]\nname = \"a\"\nfiles = [\n  { path = \"test/ok.py\", minutes = 1 },\n  { path = \"test/gone.py\", minutes = 1 },\n]\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate(root)
	if err == nil || !strings.Contains(err.Error(), "x.toml:5:5: suite[0].files[1].path: test/gone.py does not exist") {
		t.Fatalf("got %v", err)
	}
}

func TestDefaultsApplied(t *testing.T) {
	c, err := Parse("x.toml", []byte("[[suite]]\nname = \"a\"\nfiles = [ { path = \"t.py\", minutes = 1 } ]\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Suites[0]
	if s.Partitions != 1 || s.TimeoutPerFile.Duration != DefaultTimeoutPerFile || s.Files[0].Runner != RunnerPython {
		t.Fatalf("defaults not applied: %+v", s)
	}
	if _, err := c.Marshal(); err != nil {
		t.Fatal(err)
	}
}

func TestJobCapBySmallestRunnerWithEnoughChips(t *testing.T) {
	c := CI{MaxJobs: map[string]int{"1": 6, "4": 3}}
	for chips, want := range map[int]int{0: 6, 1: 6, 4: 3, 8: DefaultMaxJobs} {
		if got := c.JobCap(chips); got != want {
			t.Errorf("JobCap(%d) = %d, want %d", chips, got, want)
		}
	}
}

// Positions from the line index match the parser's own, which counts
// lines from the start of the document on every call.
func TestLineStartsMatchTheParser(t *testing.T) {
	doc := []byte("# top\n[lint]\npaths = [\"a\", \"b\"]\n\n[[suite]]\n\tname = \"é\"\nfiles = [\n  { path = \"x\" },\n]\n")
	var p unstable.Parser
	p.Reset(doc)
	lines := newLineStarts(doc)
	for off := range len(doc) {
		want := p.Shape(unstable.Range{Offset: uint32(off), Length: 0}).Start
		if got := lines.at(off); got != want {
			t.Fatalf("offset %d: got %+v, want %+v", off, got, want)
		}
	}
}
