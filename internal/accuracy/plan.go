package accuracy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/chips"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/eval"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/report"
)

// DefaultCaseTimeout bounds one case's evaluation when it sets no timeout.
const DefaultCaseTimeout = 60 * time.Minute

// defaultMinutes weighs a case without an estimate when partitioning.
const defaultMinutes = 5

// Case is a configured case with what it needs resolved.
type Case struct {
	config.AccuracyCase
	Server *config.Server
	Task   *eval.Task
	Device string // baseline device: the profile's, else the host's kind
}

// Key is the baseline the case is judged against.
func (c Case) Key() Key {
	return Key{Model: c.Server.Model, Device: c.Device, Dataset: c.Dataset, Samples: c.Samples, Shots: c.Shots}
}

// Timeout is the case's time limit.
func (c Case) Timeout() time.Duration {
	if c.AccuracyCase.Timeout.Duration > 0 {
		return c.AccuracyCase.Timeout.Duration
	}
	return DefaultCaseTimeout
}

// Plan is what one job runs.
type Plan struct {
	Run     []Case
	Skipped []report.Case // cases this host cannot run, with the reason
	Note    string        // partition summary for the log
}

// PlanCases selects the cases this job runs: the ones named in only (all
// when empty) that fall in partition spec ("ID/COUNT", empty for all) when
// the configured cases are split by their minutes like suites, and that
// fit the host's chips (on a CPU host every case runs, against a simulator
// or CPU devices). The split does not depend on the host, so each CI job
// of the matrix gets the same cases on every run; a case needing more
// chips than its job has is reported as skipped. Cases sharing a server
// run one after the other so it starts once.
func PlanCases(cfg *config.Config, hw chips.Info, spec partition.Spec, only []string) (*Plan, error) {
	var all []Case
	for _, ac := range cfg.Accuracy.Cases {
		srv, ok := cfg.Server(ac.Server)
		if !ok {
			return nil, fmt.Errorf("accuracy: case %s: unknown server %q (define it in a [[server]] block)", ac.Name, ac.Server)
		}
		task, err := eval.Lookup(ac.Dataset)
		if err != nil {
			return nil, fmt.Errorf("accuracy: case %s: %w", ac.Name, err)
		}
		dev := srv.Device
		if dev == "" {
			dev = hw.Kind
		}
		all = append(all, Case{AccuracyCase: ac, Server: srv, Task: task, Device: dev})
	}
	if len(only) > 0 {
		var names []string
		for _, c := range all {
			names = append(names, c.Name)
		}
		var unknown []string
		for _, n := range only {
			if !slices.Contains(names, n) {
				unknown = append(unknown, n)
			}
		}
		if len(unknown) > 0 {
			return nil, fmt.Errorf("accuracy: TPUCI_CASES names unknown case(s) %s; known: %s", strings.Join(unknown, ", "), strings.Join(names, ", "))
		}
		all = slices.DeleteFunc(all, func(c Case) bool { return !slices.Contains(only, c.Name) })
	}
	p := &Plan{}
	mine, others, err := partition.Cases[Case]{Unit: "cases",
		Weight: func(c Case) float64 {
			if c.Minutes <= 0 {
				return defaultMinutes
			}
			return c.Minutes
		},
		Chips: func(c Case) int { return c.Server.Chips },
	}.Split(spec, all)
	if err != nil {
		return nil, fmt.Errorf("accuracy: %w", err)
	}
	if !spec.Whole() {
		p.Note = fmt.Sprintf("partition %s: %d of %d cases", spec, len(mine), len(all))
	}
	for _, c := range others {
		p.Skipped = append(p.Skipped, report.Case{Name: c.Name, Class: "accuracy." + c.Dataset, Status: report.Skipped, Message: partition.OtherPartition(spec)})
	}
	all = mine
	var runnable []Case
	for _, c := range all {
		if ok, why := hw.Enough(c.Server.Chips); !ok {
			p.Skipped = append(p.Skipped, report.Case{Name: c.Name, Class: "accuracy." + c.Dataset, Status: report.Skipped, Message: why})
			continue
		}
		runnable = append(runnable, c)
	}
	p.Run = groupByServer(runnable)
	return p, nil
}

// groupByServer keeps config order but moves each case next to the first
// case of its server.
func groupByServer(cs []Case) []Case {
	var order []string
	by := map[string][]Case{}
	for _, c := range cs {
		if _, ok := by[c.Server.Name]; !ok {
			order = append(order, c.Server.Name)
		}
		by[c.Server.Name] = append(by[c.Server.Name], c)
	}
	var out []Case
	for _, s := range order {
		out = append(out, by[s]...)
	}
	return out
}
