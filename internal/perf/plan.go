// Package perf runs the serving-benchmark gate: each [[perf.case]] drives
// the server of its launch profile with tpuci's bench client, and each
// configured metric is judged against the versioned baseline of the
// profile's device kind. Every request must complete and no JIT
// recompilation may happen while measuring.
package perf

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sgl-project/tpuci/internal/chips"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/server"
)

// Planned is one case to run, with its launch profile.
type Planned struct {
	Case   config.PerfCase
	Server *config.Server
	Device string
}

// Skipped is a case this host or partition does not run, and why.
type Skipped struct {
	Case   config.PerfCase
	Reason string
}

// Plan picks the cases to run: restricted to only (when not empty) and to
// one partition ("ID/COUNT", balanced on the cases' minutes like suites,
// each chip count in parts of its own), those whose profile's chips fit
// the host (without TPUs every case runs on the simulator or CPU). Cases are grouped by launch profile in
// config order, so one server serves consecutive cases.
func Plan(c *config.Config, host chips.Info, only []string, part partition.Spec) ([]Planned, []Skipped, error) {
	var run []Planned
	var skipped []Skipped
	for _, name := range only {
		if !slices.ContainsFunc(c.Perf.Cases, func(pc config.PerfCase) bool { return pc.Name == name }) {
			return nil, nil, fmt.Errorf("perf: unknown case %q in TPUCI_CASES (cases: %s)", name, strings.Join(caseNames(c.Perf.Cases), ", "))
		}
	}
	for _, pc := range c.Perf.Cases {
		if len(only) > 0 && !slices.Contains(only, pc.Name) {
			continue
		}
		srv, ok := c.Server(pc.Server)
		if !ok {
			return nil, nil, fmt.Errorf("perf: case %s: unknown server %q (define it in a [[server]] block)", pc.Name, pc.Server)
		}
		run = append(run, Planned{Case: pc, Server: srv, Device: BaselineDevice(srv, host)})
	}
	// Partition first, keeping each chip count in parts of its own, so a
	// matrix job needs only the chips of its cases (1-chip cases on v6e-1).
	mine, others, err := partition.Cases[Planned]{Unit: "cases",
		Weight: func(p Planned) float64 { return weight(p.Case.Minutes) },
		Chips:  func(p Planned) int { return p.Server.Chips },
	}.Split(part, run)
	if err != nil {
		return nil, nil, fmt.Errorf("perf: %w", err)
	}
	for _, p := range others {
		skipped = append(skipped, Skipped{Case: p.Case, Reason: partition.OtherPartition(part)})
	}
	run = mine
	fit := run[:0]
	for _, p := range run {
		if ok, why := host.Enough(p.Server.Chips); !ok {
			skipped = append(skipped, Skipped{Case: p.Case, Reason: why})
			continue
		}
		fit = append(fit, p)
	}
	run = fit
	// Group by server, keeping the config order of each group's first case.
	order := map[string]int{}
	for _, p := range run {
		if _, ok := order[p.Server.Name]; !ok {
			order[p.Server.Name] = len(order)
		}
	}
	slices.SortStableFunc(run, func(a, b Planned) int { return order[a.Server.Name] - order[b.Server.Name] })
	return run, skipped, nil
}

// weight is a case's partition weight: its minutes, or 1 without an estimate.
func weight(minutes float64) float64 {
	if minutes > 0 {
		return minutes
	}
	return 1
}

func caseNames(cs []config.PerfCase) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

// Device is the baseline key of a profile: its device, else "sim" for the
// simulator (whose step times do not depend on the host), else the host's
// fingerprint for the profile's chips (TPU generation and chip count; CPU
// model and core count without TPUs).
func Device(s *config.Server, host chips.Info) string {
	switch {
	case s.Device != "":
		return s.Device
	case len(s.Command) > 0 && s.Command[0] == server.SimCommand:
		return "sim"
	case !host.CPU && host.Kind == "":
		host.CPU = true
	}
	return host.Fingerprint(s.Chips)
}

// BaselineDevice is the device a profile's figures are judged on: its
// Device, except that the simulator's figures also depend on the host's
// CPU (the benchmark client and the server share it), so "sim" baselines
// are keyed "sim on <CPU fingerprint>".
func BaselineDevice(s *config.Server, host chips.Info) string {
	d := Device(s, host)
	if d != "sim" {
		return d
	}
	return "sim on " + chips.Info{CPU: true, CPUModel: host.CPUModel, Cores: host.Cores}.Fingerprint(0)
}
