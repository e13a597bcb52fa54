package suite

import (
	"testing"

	"github.com/sgl-project/tpuci/internal/config"
)

// suite:list sizes SGLang-JAX's suites under job_minutes = 15 as a full
// run's plan does (internal/ci TestSGLangJAXVerdictWithJobMinutes): each
// suite's jobs fit 15 minutes or 10% past the longest file of its
// target, whichever is less.
func TestJobsFollowTheStage(t *testing.T) {
	cfg, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg.CI.JobMinutes = 15
	want := map[string]int{
		"unit-test-tpu-v6e-1": 7, "unit-test-cpu": 4, "e2e-test-tpu-v6e-1": 4, "e2e-test-tpu-v6e-4": 4,
		"unit-test-tpu-v6e-4": 5, "performance-test-tpu-v6e-4": 1, "accuracy-test-tpu-v6e-4": 1,
	}
	for i := range cfg.Suites {
		s := &cfg.Suites[i]
		n, ok := want[s.Name]
		if !ok {
			continue
		}
		s.Pinned = false
		if got := jobs(cfg, s, nil); got != n {
			t.Errorf("%s: %d jobs, want %d", s.Name, got, n)
		}
	}
}
