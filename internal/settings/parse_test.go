package settings

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/partition"
)

func env(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

func TestParsePartition(t *testing.T) {
	good := map[string]partition.Spec{"": {}, "0/1": {ID: 0, Count: 1}, "3/4": {ID: 3, Count: 4}, " 2 / 5 ": {ID: 2, Count: 5}} //nolint:gocritic // spaces on purpose: they are trimmed
	for in, want := range good {
		if got, err := ParsePartition(in); err != nil || got != want {
			t.Errorf("ParsePartition(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	bad := map[string]string{
		"3":    "TPUCI_PARTITION=3: want ID/COUNT (ID from 0, e.g. 0/2)",
		"a/4":  `TPUCI_PARTITION=a/4: ID "a" is not a whole number (ID from 0, e.g. 0/4, the last 3/4)`,
		"1/x":  `COUNT "x" is not a whole number`,
		"1/0":  "COUNT must be positive",
		"-1/4": "ID must not be negative",
		"3/2":  "TPUCI_PARTITION=3/2: ID must be below COUNT (ID from 0, e.g. 0/2, the last 1/2)",
	}
	for in, want := range bad {
		if _, err := ParsePartition(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParsePartition(%q) error = %v, want it to contain %q", in, err, want)
		}
	}
}

func TestParseTypedFields(t *testing.T) {
	s, err := Parse(env(map[string]string{
		"TPUCI_PARTITION": "1/3", "TPUCI_SUITE": "a, b,", "TPUCI_FORCE": "yes", "TPUCI_LOCK_WAIT": "0s",
		"TPUCI_SERVER_ARGS": " --sim-slowdown  1.2 ", "TPUCI_DEPS": "workflow", "TPUCI_OFFLINE": "0", "CI": "true",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if s.Partition != (partition.Spec{ID: 1, Count: 3}) || strings.Join(s.Suites, "|") != "a|b" || !s.Force || s.LockWait != 0 ||
		strings.Join(s.ServerArgs, "|") != "--sim-slowdown|1.2" || !s.DepsFromWorkflow || s.Offline || !s.CI {
		t.Errorf("parsed %+v", s)
	}
	if d, _ := Parse(env(nil)); d.LockWait != 30*time.Minute || !d.Partition.Whole() {
		t.Errorf("defaults: %+v", d)
	}
}

// Every bad value is reported in one line naming the variable and the
// form it wants, and all bad values of a run at once.
func TestParseRejectsBadValues(t *testing.T) {
	_, err := Parse(env(map[string]string{"TPUCI_PARTITION": "3/2", "TPUCI_LOCK_WAIT": "soon", "TPUCI_CHIPS": "-1", "TPUCI_FORCE": "maybe",
		"TPUCI_RELEASE_CHANNEL": "weekly", "TPUCI_RELEASE_DATE": "2026-01-02", "TPUCI_BENCH_DURATION": "0s", "TPUCI_DEPS": "none",
		"TPUCI_ONLY": ", ,", "TPUCI_SUITE": strings.Repeat(", ", 3000)}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"TPUCI_PARTITION=3/2: ID must be below COUNT",
		"TPUCI_LOCK_WAIT=soon: not a duration (want a duration such as 0s, 30s or 10m)",
		"TPUCI_CHIPS=-1: negative (want a whole number of at least 0)",
		"TPUCI_FORCE=maybe: not a yes/no value",
		"TPUCI_RELEASE_CHANNEL=weekly: unknown value (want one of release, nightly)",
		"TPUCI_RELEASE_DATE=2026-01-02: not a date (want a date as YYYYMMDD)",
		"TPUCI_BENCH_DURATION=0s: not positive (want a positive duration such as 10s)",
		"TPUCI_DEPS=none: unknown value (want one of workflow)",
		"TPUCI_ONLY=, ,: names nothing (want comma-separated names, or unset it for every file)",
		"TPUCI_SUITE=" + strings.Repeat(", ", 3000)[:maxShown-1] + "…: names nothing",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// A negative, unitless or out-of-range number is named as such, not as
// a value of the wrong form.
func TestNumbersSayWhatIsWrong(t *testing.T) {
	for in, want := range map[string]string{
		"TPUCI_LOCK_WAIT=-5m":                 "TPUCI_LOCK_WAIT=-5m: negative (want a duration such as 0s, 30s or 10m)",
		"TPUCI_LOCK_WAIT=30":                  "TPUCI_LOCK_WAIT=30: a number without a unit (want a duration such as 0s, 30s or 10m)",
		"TPUCI_BENCH_DURATION=-1s":            "TPUCI_BENCH_DURATION=-1s: negative (want a positive duration such as 10s)",
		"TPUCI_BENCH_STREAMS=-2":              "TPUCI_BENCH_STREAMS=-2: negative (want a whole number of at least 1)",
		"TPUCI_COMPARE_ROUNDS=-4":             "TPUCI_COMPARE_ROUNDS=-4: negative (want a whole number of at least 4)",
		"TPUCI_COMPARE_ROUNDS=3":              "TPUCI_COMPARE_ROUNDS=3: below 4 (want a whole number of at least 4)",
		"TPUCI_CHIPS=99999999999999999999999": "TPUCI_CHIPS=99999999999999999999999: out of range (want a whole number of at least 0)",
	} {
		name, val, _ := strings.Cut(in, "=")
		_, err := Parse(env(map[string]string{name: val}))
		if err == nil || err.Error() != "settings: "+want {
			t.Errorf("%s: got %v, want %s", in, err, want)
		}
	}
}

// A revision or URL that git could read as an option, or that would break
// a line, is refused before any work.
func TestRevisionsAndURLsCannotBeOptions(t *testing.T) {
	for name, val := range map[string]string{
		"TPUCI_BASE": "--output=/tmp/x", "TPUCI_COMPARE": "-p", "TPUCI_LINT_BASE": "main\n::warning::x",
		"TPUCI_LINT_CHANGED": "a b", "GITHUB_BASE_REF": "--exec=x", "TPUCI_NIGHTLY_GIT": "--upload-pack=touch x",
	} {
		_, err := Parse(env(map[string]string{name: val}))
		if err == nil || !strings.HasPrefix(err.Error(), "settings: "+name+"=") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s=%q: got %v", name, val, err)
		}
	}
	for name, val := range map[string]string{"TPUCI_BASE": "origin/main", "TPUCI_COMPARE": "HEAD~1", "TPUCI_NIGHTLY_GIT": "file:///srv/data.git"} {
		if _, err := Parse(env(map[string]string{name: val})); err != nil {
			t.Errorf("%s=%s: %v", name, val, err)
		}
	}
}

func TestTableIsComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range Table {
		if seen[v.Name] {
			t.Errorf("%s listed twice", v.Name)
		}
		seen[v.Name] = true
		if v.Kind == "" || v.Default == "" || v.Targets == "" || v.Doc == "" || strings.Contains(v.Doc, "\n") {
			t.Errorf("%s: every field is needed, the doc on one line: %+v", v.Name, v)
		}
	}
}

// The release, lint, plan and GitHub groups are typed fields; Value
// gives the text of a set variable for fingerprints.
func TestParseGroups(t *testing.T) {
	s, err := Parse(env(map[string]string{
		"TPUCI_RELEASE_CHANNEL": "nightly", "TPUCI_RELEASE_DATE": "20260102", "TPUCI_RELEASE_SKIP_PULL": "1", "TPUCI_RELEASE_PUBLISH": "yes",
		"TPUCI_LINT_BASE": "origin/dev", "TPUCI_LABELS": "run-ci, perf", "GITHUB_ACTIONS": "true", "GITHUB_REF": "refs/heads/main",
		"MAGEFILE_VERBOSE": "1", "TPUCI_RECORD_DURATIONS": "true",
	}))
	if err != nil {
		t.Fatal(err)
	}
	r := s.Release
	if r.Channel != "nightly" || !r.Date.Equal(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)) || !r.SkipPull || !r.Publish || r.Force {
		t.Errorf("release %+v", r)
	}
	if s.Lint.Base != "origin/dev" || strings.Join(s.Plan.Labels, "|") != "run-ci|perf" || !s.GitHub.Actions || s.GitHub.Ref != "refs/heads/main" ||
		!s.MageVerbose || !s.RecordDurations {
		t.Errorf("parsed %+v", s)
	}
	if s.Value("TPUCI_LINT_BASE") != "origin/dev" || s.Value("TPUCI_SUITE") != "" {
		t.Errorf("Value: %q %q", s.Value("TPUCI_LINT_BASE"), s.Value("TPUCI_SUITE"))
	}
}

// A credential never reaches output: printing the settings, encoding
// them or a bad value's error shows *** instead.
func TestSecretsAreNeverPrinted(t *testing.T) {
	const token = "ghp_secret123"
	s, err := Parse(env(map[string]string{"GITHUB_TOKEN": token, "TPUCI_NIGHTLY_GIT_TOKEN": token, "PYPI_TOKEN": token}))
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(s.GitHub)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{fmt.Sprintf("%v", s), fmt.Sprintf("%+v", *s), fmt.Sprintf("%#v", *s), string(js), s.Value("GITHUB_TOKEN")} {
		if strings.Contains(out, token) {
			t.Errorf("the token is printed: %s", out)
		}
	}
	if !strings.Contains(fmt.Sprintf("%+v", *s), "Token:***") {
		t.Errorf("a set token shows as ***: %+v", *s)
	}
	if s.GitHub.Token.Reveal() != token || s.Credential("PYPI_TOKEN").Reveal() != token || s.Credential("PYPI_TOKEN").String() != "***" {
		t.Error("Reveal and Credential give the value")
	}
}
