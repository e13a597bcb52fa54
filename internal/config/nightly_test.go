package config

import (
	"strings"
	"testing"
)

func TestNightlyValidation(t *testing.T) {
	src := `
[[server]]
name = "s"
model = "m"

[nightly]
concurrencies = [8, 0]
itl_output_len = 1
trace_point = "c64"

[nightly.regression]
min_nights = 12
baseline_nights = 10
perf_threshold_pct = 150

[[nightly.model]]
name = "Qwen/8B"
server = "nope"
`
	c, err := Parse("t.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate("")
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		"t.toml:7:21: nightly.concurrencies[1]: must be at least 1",
		"nightly.regression.perf_threshold_pct: must be a percentage",
		"nightly.itl_output_len: must be at least 2",
		"nightly.trace_point:",
		"nightly.regression.min_nights: 12 exceeds baseline_nights 10",
		"nightly.model[0].name: \"Qwen/8B\" is not a case-key segment",
		"nightly.model[0].server: unknown server \"nope\"",
		"nightly.model[0]: model \"Qwen/8B\" runs nothing",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors lack %q:\n%s", want, msg)
		}
	}

	c, _ = Parse("t.toml", []byte(`
[[server]]
name = "s"
model = "m"

[[nightly.floor]]
cases = "perf/[x"
metric = "p50"
value = -1

[[nightly.model]]
name = "ok"
server = "s"
datasets = ["gsm8k", "trivia", "gsm8k"]
`))
	msg = c.Validate("").Error()
	for _, want := range []string{
		"nightly.model[0].datasets[1]: unknown dataset \"trivia\"",
		"nightly.model[0].datasets[2]: duplicate dataset \"gsm8k\"",
		"nightly.floor[0].cases:", "nightly.floor[0].metric: unknown metric \"p50\"", "nightly.floor[0].value: must be a positive number",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors lack %q:\n%s", want, msg)
		}
	}
}
