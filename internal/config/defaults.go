package config

import (
	"fmt"
	"time"
)

// Defaults filled in after decoding, so a short config stays short.
const (
	DefaultTimeoutPerFile = 60 * time.Minute
	DefaultLintTimeout    = 15 * time.Minute
	DefaultReadyTimeout   = 10 * time.Minute
	DefaultKernelTimeout  = 30 * time.Minute
	DefaultMMMUSamples    = 100 // MMMU-100: questions an mmmu case asks when it does not say
)

// applyDefaults fills in keys the file leaves out. A key the file sets is
// kept as written, so that an impossible value (partitions = 0,
// timeout_per_file = "0s") fails validation instead of silently becoming
// the default.
func (c *Config) applyDefaults() {
	if c.Repo.Package == "" {
		c.Repo.Package = "sgl_jax"
	}
	if c.Repo.PackageDir == "" {
		c.Repo.PackageDir = "python"
	}
	if c.Lint.Timeout.Duration == 0 && !c.pos.has("lint.timeout") {
		c.Lint.Timeout.Duration = DefaultLintTimeout
	}
	for i := range c.Suites {
		s := &c.Suites[i]
		at := fmt.Sprintf("suite[%d].", i)
		s.Pinned = s.Partitions != 0
		if s.Partitions == 0 && !c.pos.has(at+"partitions") {
			s.Partitions = 1
		}
		if s.TimeoutPerFile.Duration == 0 && !c.pos.has(at+"timeout_per_file") {
			s.TimeoutPerFile.Duration = DefaultTimeoutPerFile
		}
		for j := range s.Files {
			if s.Files[j].Runner == "" {
				s.Files[j].Runner = RunnerPython
			}
		}
	}
	for i := range c.Accuracy.Cases {
		if a := &c.Accuracy.Cases[i]; a.Dataset == "mmmu" && a.Samples == 0 {
			a.Samples = DefaultMMMUSamples
		}
	}
	for i := range c.Servers {
		s := &c.Servers[i]
		at := fmt.Sprintf("server[%d].", i)
		if s.TP == 0 && !c.pos.has(at+"tp") {
			s.TP = 1
		}
		if s.ReadyTimeout.Duration == 0 && !c.pos.has(at+"ready_timeout") {
			s.ReadyTimeout.Duration = DefaultReadyTimeout
		}
	}
	for i := range c.Pallas.Kernels {
		if c.Pallas.Kernels[i].Timeout.Duration == 0 && !c.pos.has(fmt.Sprintf("pallas.kernel[%d].timeout", i)) {
			c.Pallas.Kernels[i].Timeout.Duration = DefaultKernelTimeout
		}
	}
	c.MultiHost.applyDefaults(c.pos)
	c.CI.applyDefaults(c.pos)
	c.Triage.applyDefaults(c.pos)
	c.quarantineLines()
	if c.Gating.RequiredLabel == "" {
		c.Gating.RequiredLabel = "run-ci"
	}
}

// NothingToRun reports a configuration without any stage: no lint paths,
// suites, perf or accuracy cases, kernels or nightly models.
func (c *Config) NothingToRun() bool {
	return len(c.Lint.Paths) == 0 && len(c.Suites) == 0 && len(c.Perf.Cases) == 0 &&
		len(c.Accuracy.Cases) == 0 && len(c.Pallas.Kernels) == 0 && len(c.Nightly.Models) == 0 &&
		len(c.MultiHost.Cases) == 0
}

// Multi-host defaults: GKE's v6e slice accelerator label and SGLang-JAX's
// multi-host workflow's deadlines.
const (
	DefaultMultiHostAccelerator  = "tpu-v6e-slice"
	DefaultMultiHostReadyTimeout = 15 * time.Minute
	DefaultMultiHostDeadline     = 90 * time.Minute
)

func (m *MultiHost) applyDefaults(pos positions) {
	if m.Namespace == "" {
		m.Namespace = "default"
	}
	if m.Accelerator == "" {
		m.Accelerator = DefaultMultiHostAccelerator
	}
	if m.ReadyTimeout.Duration == 0 && !pos.has("multihost.ready_timeout") {
		m.ReadyTimeout.Duration = DefaultMultiHostReadyTimeout
	}
	if m.GracePeriod.Duration == 0 && !pos.has("multihost.grace_period") {
		m.GracePeriod.Duration = 30 * time.Second
	}
	if m.Deadline.Duration == 0 && !pos.has("multihost.deadline") {
		m.Deadline.Duration = DefaultMultiHostDeadline
	}
	for i := range m.Cases {
		c := &m.Cases[i]
		if c.Image == "" {
			c.Image = m.Image
		}
		if c.NodePool == "" {
			c.NodePool = m.NodePool
		}
		if c.Deadline.Duration == 0 && !pos.has(fmt.Sprintf("multihost.case[%d].deadline", i)) {
			c.Deadline = m.Deadline
		}
		if len(c.Command) == 0 && c.Suite != "" {
			c.Command = []string{"python3", "test/srt/run_suite.py", "--suite", c.Suite}
		}
	}
}
