// Package chips finds out how many TPU chips this host has and what a
// child process needs to see that many devices.
package chips

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// Info describes the accelerators available to tpuci.
type Info struct {
	Count  int    `json:"count"`          // real TPU chips, or the override
	Kind   string `json:"kind,omitempty"` // e.g. "v6e-4"
	Source string `json:"source"`         // how Count was found
	CPU    bool   `json:"cpu"`            // no TPU: JAX runs on host devices
	// CPUModel and Cores describe the host CPU when CPU is set (empty: this
	// host's, read when first needed).
	CPUModel string `json:"cpu_model,omitempty"`
	Cores    int    `json:"cores,omitempty"`
}

// Detect inspects the host. root is "/" except in tests; getenv reads
// TPUCI_CHIPS (override) and TPU_ACCELERATOR_TYPE.
func Detect(root string, getenv func(string) string) (Info, error) {
	kind := getenv("TPU_ACCELERATOR_TYPE")
	if v := getenv("TPUCI_CHIPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return Info{}, fmt.Errorf("chips: TPUCI_CHIPS=%q: want a whole number of chips such as 1 or 4", v)
		}
		count := countDevices(root)
		info := Info{Count: n, Kind: kind, Source: "TPUCI_CHIPS", CPU: count == 0}
		if info.CPU {
			info.CPUModel, info.Cores = cpuModel(root), runtime.NumCPU()
		}
		return info, nil
	}
	if n := countDevices(root); n > 0 {
		if kind == "" {
			kind = fmt.Sprintf("v6e-%d", n)
		}
		return Info{Count: n, Kind: kind, Source: "TPU device files"}, nil
	}
	return Info{Count: 0, Kind: "cpu", Source: "no TPU device files", CPU: true, CPUModel: cpuModel(root), Cores: runtime.NumCPU()}, nil
}

// countDevices counts TPU chips: v5e/v6e expose /dev/vfio/<n>, older
// generations /dev/accel<n>.
func countDevices(root string) int {
	n := 0
	if entries, err := os.ReadDir(filepath.Join(root, "dev", "vfio")); err == nil {
		for _, e := range entries {
			if _, err := strconv.Atoi(e.Name()); err == nil {
				n++
			}
		}
	}
	if n > 0 {
		return n
	}
	matches, _ := filepath.Glob(filepath.Join(root, "dev", "accel[0-9]*"))
	return len(matches)
}

// Env returns the environment a child needs to run with want chips.
// Without TPUs, JAX runs on CPU with want host devices. A suite of no
// chips is a CPU runner's suite: it gets the host's environment as it is,
// since SGLang-JAX's CPU job sets no platform and its server arguments
// reject JAX_PLATFORMS=cpu beside their default TPU device.
func (i Info) Env(want int) []string {
	if !i.CPU || want < 1 {
		return nil
	}
	n := want
	return []string{
		"JAX_PLATFORMS=cpu",
		"USE_DEVICE_TYPE=cpu",
		"XLA_FLAGS=" + strings.TrimSpace(os.Getenv("XLA_FLAGS")+fmt.Sprintf(" --xla_force_host_platform_device_count=%d", n)),
		fmt.Sprintf("TPUCI_CHIPS=%d", n),
	}
}

// Enough reports whether a suite needing want chips can run here, and why not.
func (i Info) Enough(want int) (bool, string) {
	if i.CPU || want <= i.Count {
		return true, ""
	}
	return false, fmt.Sprintf("needs %d chips, host has %d (%s)", want, i.Count, i.Source)
}

// Describe is one line for logs.
func (i Info) Describe() string {
	if i.CPU {
		return fmt.Sprintf("no TPU (%s): JAX runs on CPU; 4-chip suites get 4 host devices via XLA_FLAGS", i.Source)
	}
	return fmt.Sprintf("%d TPU chips (%s, %s)", i.Count, i.Kind, i.Source)
}
