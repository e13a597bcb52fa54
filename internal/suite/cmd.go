package suite

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/durations"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/runsuite"
	"github.com/sgl-project/tpuci/internal/suitepolicy"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// List prints the files a suite runs, per partition, with estimates.
func List(w io.Writer, ws *workspace.Workspace, name string, spec partition.Spec) error {
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
	specs := []partition.Spec{spec}
	if spec.Whole() {
		specs = nil
		for i := 0; i < parts; i++ {
			specs = append(specs, partition.Spec{ID: i, Count: parts})
		}
	}
	for _, sp := range specs {
		plan, err := PlanSuites([]*config.Suite{s}, Options{Repo: ws.Repo, Python: "python", Partition: sp, Measured: measured})
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
// [ci].job_minutes and no pinned partitions the fewest jobs that fit the
// budget sized to its stage, as a full run's plan sizes them.
func jobs(cfg *config.Config, s *config.Suite, measured map[string]float64) int {
	if cfg.CI.JobMinutes <= 0 || s.Pinned || len(s.Files) == 0 {
		return s.Partitions
	}
	// The target's suites without the files cases cover, as plans see them.
	var own []partition.Item
	stage := 0.0
	for _, other := range cfg.SuitesFor(s.Target) {
		w, err := weightedFiles(other, measured)
		if err != nil {
			return s.Partitions
		}
		for _, it := range w {
			stage = max(stage, it.Weight)
		}
		if other.Name == s.Name {
			own = w
		}
	}
	if len(own) == 0 {
		return s.Partitions
	}
	n, _ := partition.Fewest(own, partition.StageBudget(cfg.CI.JobMinutes, stage), cfg.CI.JobCap(s.Chips))
	return n
}

// weightedFiles are a suite's files weighted by their measured minutes,
// else their estimates.
func weightedFiles(s *config.Suite, measured map[string]float64) ([]partition.Item, error) {
	items := make([]partition.Item, len(s.Files))
	for i, f := range s.Files {
		items[i] = partition.Item{Name: f.Path, Weight: f.Minutes}
	}
	weighted, _, err := partition.Weights(items, measured)
	return weighted, err
}

// Import converts an SGLang-JAX run_suite.py (or the one of a checkout
// directory) into a whole tpuci.toml on w: the embedded default with the
// table's suites, the policy applied by name and the matrix sizes of the
// checkout's workflows when it has them.
func Import(w io.Writer, path string) error {
	file, repo := path, ""
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		file, repo = filepath.Join(path, suitepolicy.RunSuite), path
	} else if strings.HasSuffix(filepath.ToSlash(path), suitepolicy.RunSuite) {
		repo = strings.TrimSuffix(strings.TrimSuffix(filepath.ToSlash(path), suitepolicy.RunSuite), "/")
		if repo == "" {
			repo = "."
		}
	}
	src, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("suite:import: read %s: %w", file, err)
	}
	table, err := runsuite.Parse(file, src)
	if err != nil {
		return err
	}
	def, err := config.Default()
	if err != nil {
		return err
	}
	var sizes map[string]int
	if repo != "" {
		wf, err := suitepolicy.ReadWorkflows(repo)
		if err != nil {
			return err
		}
		sizes = wf.Sizes
	}
	res := suitepolicy.Apply(repo, def.Suites, table, sizes)
	var suites strings.Builder
	if err := suitepolicy.Render(&suites, res.Suites, res.Unmapped); err != nil {
		return fmt.Errorf("suite:import: render: %w", err)
	}
	out, err := suitepolicy.WithSuites(config.DefaultTOML(), suites.String())
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "# tpuci.toml: tpuci's embedded default with the suites of %s\n", file)
	fmt.Fprintf(w, "# (%d suites; %d matrix sizes from .github/workflows; %d unmapped)\n", len(res.Suites), len(sizes), len(res.Unmapped))
	for _, n := range res.Notes {
		fmt.Fprintf(w, "# note: %s\n", n)
	}
	_, err = w.Write(out)
	return err
}
