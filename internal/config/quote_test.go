package config

import (
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// What QuoteTOML writes reads back as the same string.
func TestQuoteTOMLRoundTrips(t *testing.T) {
	for _, s := range []string{"", "plain", `a "quoted" \ path`, "line\nbreak\ttab\x7f\x01", "ünïcode ✓"} {
		var v struct{ S string }
		if err := toml.Unmarshal([]byte("S = "+QuoteTOML(s)+"\n"), &v); err != nil || v.S != s {
			t.Errorf("QuoteTOML(%q) = %s reads back as %q, %v", s, QuoteTOML(s), v.S, err)
		}
	}
}
