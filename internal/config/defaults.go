package config

import "time"

// Defaults filled in after decoding, so a short config stays short.
const (
	DefaultTimeoutPerFile = 60 * time.Minute
	DefaultLintTimeout    = 15 * time.Minute
	DefaultReadyTimeout   = 10 * time.Minute
	DefaultKernelTimeout  = 30 * time.Minute
	DefaultMMMUSamples    = 100 // MMMU-100: questions an mmmu case asks when it does not say
)

func (c *Config) applyDefaults() {
	if c.Repo.Package == "" {
		c.Repo.Package = "sgl_jax"
	}
	if c.Repo.PackageDir == "" {
		c.Repo.PackageDir = "python"
	}
	if c.Lint.Timeout.Duration == 0 {
		c.Lint.Timeout.Duration = DefaultLintTimeout
	}
	for i := range c.Suites {
		s := &c.Suites[i]
		if s.Partitions == 0 {
			s.Partitions = 1
		}
		if s.TimeoutPerFile.Duration == 0 {
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
		if s.TP == 0 {
			s.TP = 1
		}
		if s.ReadyTimeout.Duration == 0 {
			s.ReadyTimeout.Duration = DefaultReadyTimeout
		}
	}
	for i := range c.Pallas.Kernels {
		if c.Pallas.Kernels[i].Timeout.Duration == 0 {
			c.Pallas.Kernels[i].Timeout.Duration = DefaultKernelTimeout
		}
	}
	if c.Gating.RequiredLabel == "" {
		c.Gating.RequiredLabel = "run-ci"
	}
}
