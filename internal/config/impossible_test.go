package config

import (
	"strings"
	"testing"
)

// Values that cannot be meant fail with file:line:col: field: message
// instead of silently becoming a default.
func TestImpossibleValuesNameTheirPlace(t *testing.T) {
	suite := "[[suite]]\nname = \"a\"\ntarget = \"unitTest1\"\nfiles = [{ path = \"t.py\", minutes = 1 }]\n"
	for _, tc := range []struct{ doc, want string }{
		{suite + "partitions = 0\n", "x.toml:5:1: suite[0].partitions: must be at least 1"},
		{suite + "partitions = -2\n", "x.toml:5:1: suite[0].partitions: must be at least 1 (the number of jobs of the suite's matrix), not -2"},
		{suite + "timeout_per_file = \"0s\"\n", "x.toml:5:1: suite[0].timeout_per_file: must be a positive duration"},
		{suite + "timeout_per_file = \"-1m\"\n", "x.toml:5:1: suite[0].timeout_per_file: must be a positive duration"},
		{suite + "partitions = 1\ntimeout_per_file = 120\n", "x.toml:6:1: suite[0].timeout_per_file: want a duration string such as \"120s\""},
		{"[lint]\ntimeout = \"0s\"\n", "x.toml:2:1: lint.timeout: must be a positive duration"},
		{"[[server]]\nname = \"s\"\nmodel = \"m\"\nready_timeout = \"0s\"\n", "x.toml:4:1: server[0].ready_timeout: must be a positive duration"},
		{"[[server]]\nname = \"s\"\nmodel = \"m\"\ntp = 0\n", "server[0]: impossible parallelism: chips 0, tp 0"},
		{"[[server]]\nname = \"s\"\nmodel = \"tpuci:huge\"\n", "x.toml:3:1: server[0].model: unknown generated model \"tpuci:huge\" (known: tpuci:tiny-qwen3)"},
		{"[[server]]\nname = \"s\"\nmodel = \"--trust-remote-code\"\n", "server[0].model: \"--trust-remote-code\" starts with '-'"},
	} {
		if got := errText(t, tc.doc); !strings.Contains(got, tc.want) {
			t.Errorf("%q:\n got %s\nwant %s", tc.doc, got, tc.want)
		}
	}
	// Left out, the same keys take their defaults.
	c, err := Parse("x.toml", []byte(suite))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(""); err != nil || c.Suites[0].Partitions != 1 || c.Suites[0].TimeoutPerFile.Duration != DefaultTimeoutPerFile {
		t.Fatalf("defaults: %v %+v", err, c.Suites[0])
	}
}

func TestNothingToRun(t *testing.T) {
	c, _ := Parse("x.toml", nil)
	if !c.NothingToRun() {
		t.Error("an empty file has something to run")
	}
	c, _ = Parse("x.toml", []byte("[lint]\npaths = [\"python\"]\n"))
	if c.NothingToRun() {
		t.Error("lint paths are something to run")
	}
}
