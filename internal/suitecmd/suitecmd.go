// Package suitecmd implements the config: and suite: helper targets.
package suitecmd

import (
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/sgl-project/tpuci/internal/config"
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
	measured, err := suite.LoadMeasured(ws.Getenv("TPUCI_DURATIONS"))
	if err != nil {
		return err
	}
	specs := []string{spec}
	if spec == "" {
		specs = nil
		for i := 0; i < s.Partitions; i++ {
			specs = append(specs, fmt.Sprintf("%d/%d", i, s.Partitions))
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
			fmt.Fprintf(tw, "  %6.1f\t%s\t%s\n", j.Minutes, j.File.Path, extra)
		}
		tw.Flush()
	}
	return nil
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

var _ = partition.ParseSpec
