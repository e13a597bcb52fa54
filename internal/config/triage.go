package config

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/sgl-project/tpuci/internal/pydefs"
)

// Triage is the failure triage policy: when a test counts as known flaky
// on main, how often infrastructure and known-flaky failures are retried,
// whether main's own failures block a change, and when a quarantine may
// end. internal/triage reads it; the README gives each default's source.
type Triage struct {
	// FlakyDays and FlakyVerdicts bound the window flake rates are counted
	// over: commit verdicts on main of the last FlakyDays days, at most
	// the last FlakyVerdicts of them.
	FlakyDays     int `toml:"flaky_days" json:"flaky_days"`
	FlakyVerdicts int `toml:"flaky_verdicts" json:"flaky_verdicts"`
	// A test is known flaky with at least FlakyMin flaky verdicts that
	// are at least FlakyRate of its verdicts in the window.
	FlakyMin  int     `toml:"flaky_min" json:"flaky_min"`
	FlakyRate float64 `toml:"flaky_rate" json:"flaky_rate"`
	// Retries is how many times an infrastructure or known-flaky failure
	// is run again.
	Retries int `toml:"retries" json:"retries"`
	// MainRedBlocks: a failure main already has blocks a change that does
	// not touch the test too.
	MainRedBlocks bool `toml:"main_red_blocks" json:"main_red_blocks"`
	// UnquarantineAfter is how many clean first attempts on main in a row
	// make ci:quarantine propose removing an entry.
	UnquarantineAfter int `toml:"unquarantine_after" json:"unquarantine_after"`
}

// Defaults of [triage]: LUCI Analysis's suggested flake criterion (>= 2
// flaky verdicts and >= 1 % of a 100-verdict, 14-day window), two retries
// (PyTorch's --reruns=2), and 30 clean runs before a quarantine ends (the
// rule of three: 0 failures in 30 runs bounds the rate below 10 % at 95 %).
const (
	DefaultFlakyDays         = 14
	DefaultFlakyVerdicts     = 100
	DefaultFlakyMin          = 2
	DefaultFlakyRate         = 0.01
	DefaultRetries           = 2
	DefaultUnquarantineAfter = 30
)

// Quarantine mutes one test file or test: it still runs and is reported,
// but its failure does not gate, until Expires.
type Quarantine struct {
	Test    string         `toml:"test" json:"test"` // a suite file, file::case, or <target>:<case>
	Reason  string         `toml:"reason" json:"reason"`
	Owner   string         `toml:"owner" json:"owner"`
	Issue   string         `toml:"issue" json:"issue"`
	Expires toml.LocalDate `toml:"expires" json:"expires"`  // the last day it holds
	Line    int            `toml:"-" json:"line,omitempty"` // where the entry starts in the file
}

// ExpiresAt is the first instant the entry no longer holds: the start of
// the day after Expires, UTC.
func (q *Quarantine) ExpiresAt() time.Time {
	return q.Expires.AsTime(time.UTC).AddDate(0, 0, 1)
}

func (t *Triage) applyDefaults(pos positions) {
	for _, d := range []struct {
		key string
		v   *int
		def int
	}{
		{"triage.flaky_days", &t.FlakyDays, DefaultFlakyDays},
		{"triage.flaky_verdicts", &t.FlakyVerdicts, DefaultFlakyVerdicts},
		{"triage.flaky_min", &t.FlakyMin, DefaultFlakyMin},
		{"triage.retries", &t.Retries, DefaultRetries},
		{"triage.unquarantine_after", &t.UnquarantineAfter, DefaultUnquarantineAfter},
	} {
		if *d.v == 0 && !pos.has(d.key) {
			*d.v = d.def
		}
	}
	if t.FlakyRate == 0 && !pos.has("triage.flaky_rate") {
		t.FlakyRate = DefaultFlakyRate
	}
}

func (v *validator) triage() {
	t := v.c.Triage
	for _, n := range []struct {
		key string
		v   int
		min int
	}{
		{"triage.flaky_days", t.FlakyDays, 1}, {"triage.flaky_verdicts", t.FlakyVerdicts, 1},
		{"triage.flaky_min", t.FlakyMin, 1}, {"triage.retries", t.Retries, 0},
		{"triage.unquarantine_after", t.UnquarantineAfter, 1},
	} {
		if n.v < n.min {
			v.add(n.key, "must be at least %d, not %d", n.min, n.v)
		}
	}
	if t.Retries > 10 {
		v.add("triage.retries", "must be at most 10, not %d", t.Retries)
	}
	if !(t.FlakyRate > 0 && t.FlakyRate <= 1) || math.IsNaN(t.FlakyRate) {
		v.add("triage.flaky_rate", "must be a share in (0, 1], e.g. 0.01 for 1 %%, not %v", t.FlakyRate)
	}
}

// issueRef is an issue link: a URL, #N, or owner/name#N.
var issueRef = regexp.MustCompile(`^(https?://\S+|([\w.-]+/[\w.-]+)?#\d+)$`)

// quarantine checks the [[quarantine]] entries: every field set, one entry
// per test, a test that exists, and no expired entry (today is a UTC date).
func (v *validator) quarantine(today time.Time) {
	tests := v.c.knownTests()
	seen := map[string]bool{}
	y, m, d := today.UTC().Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	for i, q := range v.c.Quarantine {
		at := fmt.Sprintf("quarantine[%d]", i)
		for _, f := range []struct{ key, val, example string }{
			{"test", q.Test, `"test/srt/test_x.py" or "test/srt/test_x.py::TestX.test_y"`},
			{"reason", q.Reason, `"hangs in the decode loop"`}, {"owner", q.Owner, `"@someone"`},
			{"issue", q.Issue, `"https://github.com/OWNER/REPO/issues/123"`},
		} {
			if strings.TrimSpace(f.val) == "" {
				v.add(at, "%s is missing (e.g. %s = %s)", f.key, f.key, f.example)
			}
		}
		if q.Issue != "" && !issueRef.MatchString(q.Issue) {
			v.add(at+".issue", "%q is no issue link (a URL, #123 or owner/name#123)", q.Issue)
		}
		if q.Test != "" {
			if seen[q.Test] {
				v.add(at+".test", "duplicate quarantine of %q", q.Test)
			}
			seen[q.Test] = true
			file, test, named := strings.Cut(q.Test, "::")
			switch {
			case !tests[file] && !strings.HasPrefix(file, "nightly:"):
				v.add(at+".test", "%q is no test file of a [[suite]] nor a configured case "+
					"(perf:<case>, accuracy:<case>, pallas:<kernel>, multiHost:<case>): fix the path or "+
					"remove the entry", file)
			case named && v.root != "" && strings.HasSuffix(file, ".py"):
				// A misspelt test would mute nothing. An unreadable file
				// is the paths check's to report.
				if src, err := os.ReadFile(filepath.Join(v.root, file)); err == nil {
					if why := pydefs.Parse(string(src)).Missing(test); why != "" {
						v.add(at+".test", "%s: %s in that file: fix the test's name or remove the entry", file, why)
					}
				}
			}
		}
		switch {
		case q.Expires == (toml.LocalDate{}):
			v.add(at, "expires is missing: every quarantine ends (e.g. expires = %s)",
				day.AddDate(0, 0, 14).Format(time.DateOnly))
		case q.Expires.AsTime(time.UTC).Before(day):
			v.add(at+".expires", "the quarantine of %s expired on %s: fix the test and remove the entry, "+
				"or extend expires", q.Test, q.Expires)
		}
	}
}

// knownTests are the names a quarantine may give before "::": every
// suite file, and <target>:<name> of every configured case and kernel.
func (c *Config) knownTests() map[string]bool {
	known := map[string]bool{}
	for _, s := range c.Suites {
		for _, f := range s.Files {
			known[f.Path] = true
		}
	}
	for _, p := range c.Perf.Cases {
		known["perf:"+p.Name] = true
	}
	for _, a := range c.Accuracy.Cases {
		known["accuracy:"+a.Name] = true
	}
	for _, k := range c.Pallas.Kernels {
		known["pallas:"+k.Name] = true
	}
	for _, m := range c.MultiHost.Cases {
		known["multiHost:"+m.Name] = true
	}
	return known
}

// quarantineLines notes where each [[quarantine]] entry starts, for the
// plan's and the triage's messages.
func (c *Config) quarantineLines() {
	for i := range c.Quarantine {
		if line, _ := c.pos.at(fmt.Sprintf("quarantine[%d]", i)); line > 0 {
			c.Quarantine[i].Line = line
		}
	}
}

// Quarantined lists the entries in force on day: not yet expired.
func (c *Config) Quarantined(day time.Time) []Quarantine {
	var out []Quarantine
	for _, q := range c.Quarantine {
		if day.Before(q.ExpiresAt()) {
			out = append(out, q)
		}
	}
	return slices.Clip(out)
}
