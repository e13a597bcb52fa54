package config

import (
	"math"
	"strconv"
	"time"
)

// Defaults of [ci].
const (
	DefaultMaxJobs     = 8
	DefaultHistoryRuns = 5
	DefaultLintMinutes = 5.0
	DefaultDepMapAge   = 7 * 24 * time.Hour
)

// JobCap returns the most jobs one suite on a runner with chips chips
// may take: [ci].max_jobs of the smallest listed size with enough chips,
// else DefaultMaxJobs.
func (c *CI) JobCap(chips int) int {
	best, most := -1, DefaultMaxJobs
	for k, n := range c.MaxJobs {
		size, err := strconv.Atoi(k)
		if err != nil || size < chips {
			continue
		}
		if best < 0 || size < best {
			best, most = size, n
		}
	}
	return most
}

// applyDefaults fills in the [ci] values left out, so that config:show
// prints the values in force. history = 0 is documented as the default;
// a depmap_max_age the file sets is kept, for validation to judge.
func (c *CI) applyDefaults(pos positions) {
	if c.History == 0 {
		c.History = DefaultHistoryRuns
	}
	if c.DepMapMaxAge.Duration == 0 && !pos.has("ci.depmap_max_age") {
		c.DepMapMaxAge.Duration = DefaultDepMapAge
	}
	if c.LintMinutes == nil {
		lint := DefaultLintMinutes
		c.LintMinutes = &lint
	}
}

// Runs is how many measured runs the duration median takes.
func (c *CI) Runs() int {
	if c.History > 0 {
		return c.History
	}
	return DefaultHistoryRuns
}

// DepMapAge is how old a recorded dependency map may be before the
// import graph decides again.
func (c *CI) DepMapAge() time.Duration {
	if c.DepMapMaxAge.Duration > 0 {
		return c.DepMapMaxAge.Duration
	}
	return DefaultDepMapAge
}

// Lint is the lint job's expected minutes.
func (c *CI) Lint() float64 {
	if c.LintMinutes != nil {
		return *c.LintMinutes
	}
	return DefaultLintMinutes
}

func (v *validator) ci() {
	c := v.c.CI
	if c.JobMinutes < 0 || math.IsNaN(c.JobMinutes) || math.IsInf(c.JobMinutes, 0) {
		v.add("ci.job_minutes", "must be a number of minutes >= 0 (0 keeps the partitions of the suites), not %v", c.JobMinutes)
	}
	for k, n := range c.MaxJobs {
		if size, err := strconv.Atoi(k); err != nil || size < 0 {
			v.add("ci.max_jobs."+k, "key must be a chip count such as \"0\", \"1\" or \"4\", not %q", k)
		}
		if n < 1 {
			v.add("ci.max_jobs."+k, "must be at least 1 job, not %d", n)
		}
	}
	if c.History < 0 {
		v.add("ci.history", "must be 0 (default %d) or more runs, not %d", DefaultHistoryRuns, c.History)
	}
	v.positiveDuration("ci.depmap_max_age", c.DepMapMaxAge)
	if c.LintMinutes != nil && (*c.LintMinutes < 0 || math.IsNaN(*c.LintMinutes)) {
		v.add("ci.lint_minutes", "must be >= 0, not %v", *c.LintMinutes)
	}
}
