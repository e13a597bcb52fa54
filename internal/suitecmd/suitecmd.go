// Package suitecmd implements the config: and suite: helper targets.
package suitecmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/durations"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/suite"
	"github.com/sgl-project/tpuci/internal/suiteimport"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// ShowConfig prints the resolved configuration as TOML with its source.
func ShowConfig(w io.Writer, ws *workspace.Workspace) error {
	data, err := ws.Config.Marshal()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "# source: %s (hash %s)\n# repo: %s\n# python: %s (%s)\n# chips: %s\n\n", ws.Config.Source, ws.Config.Hash, ws.Repo, ws.Python, ws.PythonFrom, ws.Chips.Describe())
	_, err = w.Write(data)
	return err
}

// List prints the files a suite runs, per partition, with estimates.
func List(w io.Writer, ws *workspace.Workspace, name, spec string) error {
	s, ok := ws.Config.Suite(name)
	if !ok {
		var names []string
		for _, s := range ws.Config.Suites {
			names = append(names, s.Name)
		}
		return fmt.Errorf("suite:list: no suite %q in %s (suites: %v)", name, ws.Config.Source, names)
	}
	weights, err := durations.Load(context.Background(), ws, io.Discard)
	if err != nil {
		return err
	}
	measured := weights.Minutes()
	if weights.Source != "" {
		fmt.Fprintf(w, "weights: %s\n", weights.Source)
	} else {
		fmt.Fprintf(w, "weights: estimates (no measured runs)\n")
	}
	parts := jobs(ws.Config, s, measured)
	specs := []string{spec}
	if spec == "" {
		specs = nil
		for i := 0; i < parts; i++ {
			specs = append(specs, fmt.Sprintf("%d/%d", i, parts))
		}
	}
	for _, sp := range specs {
		plan, err := suite.PlanSuites([]*config.Suite{s}, suite.Options{Repo: ws.Repo, Python: "python", Partition: sp, Measured: measured})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s partition %s: %d files, estimated %.1f min\n", s.Name, sp, len(plan.Jobs), plan.Minutes)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, j := range plan.Jobs {
			extra := ""
			if j.File.Runner != config.RunnerPython {
				extra = j.File.Runner
			}
			if len(j.File.Methods) > 0 {
				extra += fmt.Sprint(" ", j.File.Methods)
			}
			fig := "estimate"
			if f, ok := weights.Figures[j.File.Path]; ok {
				fig = fmt.Sprintf("median of %d", f.Runs)
				if f.Runs == 1 {
					fig = "1 run"
				}
			}
			fmt.Fprintf(tw, "  %6.1f\t%s\t%s\t%s\n", j.Minutes, fig, j.File.Path, extra)
		}
		tw.Flush()
	}
	return nil
}

// jobs is the suite's matrix size: its partitions, or with
// [ci].job_minutes and no pinned partitions the fewest jobs that fit.
func jobs(cfg *config.Config, s *config.Suite, measured map[string]float64) int {
	if cfg.CI.JobMinutes <= 0 || s.Pinned || len(s.Files) == 0 {
		return s.Partitions
	}
	items := make([]partition.Item, len(s.Files))
	for i, f := range s.Files {
		items[i] = partition.Item{Name: f.Path, Weight: f.Minutes}
	}
	weighted, _, err := partition.Weights(items, measured)
	if err != nil {
		return s.Partitions
	}
	n, _ := partition.Fewest(weighted, cfg.CI.JobMinutes, cfg.CI.JobCap(s.Chips))
	return n
}

// Import converts an SGLang-JAX run_suite.py into TOML on w.
func Import(w io.Writer, path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("suite:import: read %s: %w", path, err)
	}
	suites, err := suiteimport.Parse(path, src)
	if err != nil {
		return err
	}
	return suiteimport.RenderTOML(suites, w)
}
