package needs

import (
	"testing"
)

// recorder is a testing.TB that records how the test ended.
type recorder struct {
	testing.TB
	skipped, failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Skip(...any)           { r.skipped = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }

func TestMissingSkipsLocallyAndFailsInCI(t *testing.T) {
	t.Setenv("CI", "")
	r := &recorder{TB: t}
	Tool(r, "tpuci-no-such-tool")
	if !r.skipped || r.failed {
		t.Errorf("local: skipped=%v failed=%v, want a skip", r.skipped, r.failed)
	}
	t.Setenv("CI", "true")
	r = &recorder{TB: t}
	Tool(r, "tpuci-no-such-tool")
	if !r.failed || r.skipped {
		t.Errorf("CI=true: skipped=%v failed=%v, want a failure", r.skipped, r.failed)
	}
}

func TestToolFindsSh(t *testing.T) {
	r := &recorder{TB: t}
	if p := Tool(r, "sh"); p == "" || r.skipped || r.failed {
		t.Errorf("sh: %q skipped=%v failed=%v", p, r.skipped, r.failed)
	}
}
