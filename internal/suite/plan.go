// Package suite plans and runs test suites: one process per file, every
// file even after failures, per-file timeouts that kill the whole tree,
// and retries for infrastructure failures and known-flaky tests only.
package suite

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/bitfield/script"

	"github.com/sgl-project/tpuci/internal/compiles"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/proc"
)

// Job is one planned file run.
type Job struct {
	Suite   string        `json:"suite"`
	File    config.File   `json:"file"`
	Chips   int           `json:"chips"`
	Cmd     proc.Cmd      `json:"cmd"`
	Timeout time.Duration `json:"timeout"`
	Reruns  int           `json:"reruns"`
	Minutes float64       `json:"minutes"` // weight used for partitioning
	JUnit   string        `json:"junit,omitempty"`
	LogFile string        `json:"log"`
	// Compiles is where the file's processes write JAX compile events.
	Compiles string `json:"compiles,omitempty"`
}

// Plan is the ordered list of jobs a target runs.
type Plan struct {
	Jobs     []Job    `json:"jobs"`
	Skipped  []string `json:"skipped,omitempty"` // suites not run here, with the reason
	Minutes  float64  `json:"estimated_minutes"`
	Measured int      `json:"measured_weights,omitempty"`
}

// Options are the inputs of planning besides the suites.
type Options struct {
	Repo      string
	Python    string
	LogDir    string
	Partition partition.Spec     // zero for all
	Only      []string           // suite names to keep (TPUCI_SUITE); empty keeps all
	Measured  map[string]float64 // file -> minutes from earlier runs
	Env       func(chips int) []string
	// Select keeps only these files (TPUCI_SELECT, written by ci:plan),
	// before partitioning; nil keeps all.
	Select []string
	// TestEnv, when set, adds per-file environment (the dependency
	// recorder's test name).
	TestEnv func(path string) string
	// Compiles, when set, counts each file's JAX compiles.
	Compiles *compiles.Hook
}

// PlanSuites turns suites into jobs. A partition applies to each suite
// separately, exactly as SGLang-JAX's auto_partition splits it.
func PlanSuites(suites []*config.Suite, o Options) (*Plan, error) {
	p := &Plan{}
	id, parts := o.Partition.ID, o.Partition.Count
	for _, name := range o.Only {
		if !slices.ContainsFunc(suites, func(s *config.Suite) bool { return s.Name == name }) {
			return nil, fmt.Errorf("suite: TPUCI_SUITE names %q, which this target does not run (its suites: %s)", name, names(suites))
		}
	}
	// Without TPUCI_SUITE, a partition of COUNT shares belongs to the
	// suites whose matrix has COUNT jobs (as ci:matrix lays them out);
	// when none has, it applies to every suite of the target.
	only := o.Only
	if len(only) == 0 && parts > 0 {
		for _, s := range suites {
			if s.Partitions == parts {
				only = append(only, s.Name)
			}
		}
		if len(only) > 0 {
			for _, s := range suites {
				if !slices.Contains(only, s.Name) {
					p.Skipped = append(p.Skipped, fmt.Sprintf("%s: its matrix has %d job(s), not %d (name it with TPUCI_SUITE to split it %d ways)", s.Name, s.Partitions, parts, parts))
				}
			}
		}
	}
	for _, s := range suites {
		if len(only) > 0 && !slices.Contains(only, s.Name) {
			continue
		}
		if len(s.Files) == 0 {
			p.Skipped = append(p.Skipped, s.Name+": no files")
			continue
		}
		files := s.Files
		if o.Select != nil {
			files = slices.DeleteFunc(slices.Clone(files), func(f config.File) bool { return !slices.Contains(o.Select, f.Path) })
			if len(files) == 0 {
				p.Skipped = append(p.Skipped, s.Name+": no file selected by the plan (TPUCI_SELECT)")
				continue
			}
		}
		items := make([]partition.Item, len(files))
		for i, f := range files {
			items[i] = partition.Item{Name: f.Path, Weight: f.Minutes}
		}
		weighted, n, err := partition.Weights(items, o.Measured)
		if err != nil {
			return nil, err
		}
		p.Measured += n
		order := make([]int, len(items))
		for i := range order {
			order[i] = i
		}
		if parts > 0 {
			if order, err = partition.Part(weighted, id, parts); err != nil {
				return nil, partError(s.Name, o.Partition, err)
			}
		}
		for _, i := range order {
			f := files[i]
			job := Job{Suite: s.Name, File: f, Chips: s.Chips, Timeout: s.TimeoutPerFile.Duration, Reruns: s.Reruns, Minutes: weighted[i].Weight}
			job.LogFile = filepath.Join(o.LogDir, s.Name, logName(f))
			job.Cmd = command(o, s, f, &job)
			p.Jobs = append(p.Jobs, job)
			p.Minutes += job.Minutes
		}
	}
	return p, nil
}

func names(suites []*config.Suite) string {
	var n []string
	for _, s := range suites {
		n = append(n, s.Name)
	}
	if len(n) == 0 {
		return "none"
	}
	return strings.Join(n, ", ")
}

// logName turns a file entry into a log file name.
func logName(f config.File) string {
	n := strings.ReplaceAll(strings.TrimSuffix(f.Path, ".py"), "/", "__")
	if len(f.Methods) > 0 {
		n += "__" + strings.Join(f.Methods, "+")
	}
	return n + ".log"
}

// command builds the argv for one file with the configured runner.
func command(o Options, s *config.Suite, f config.File, job *Job) proc.Cmd {
	abs := filepath.Join(o.Repo, f.Path)
	c := proc.Cmd{Dir: o.Repo, Timeout: s.TimeoutPerFile.Duration}
	if o.Env != nil {
		c.Env = o.Env(s.Chips)
	}
	if o.TestEnv != nil {
		c.Env = append(c.Env, o.TestEnv(f.Path))
	}
	if o.Compiles != nil {
		c.Env = append(c.Env, o.Compiles.Env(f.Path, c.Env)...)
		job.Compiles = o.Compiles.CaseDir(f.Path)
	}
	switch f.Runner {
	case config.RunnerPytest:
		job.JUnit = strings.TrimSuffix(job.LogFile, ".log") + ".junit.xml"
		c.Argv = []string{o.Python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "junit_family=xunit1", "--junitxml=" + job.JUnit, abs}
	case config.RunnerUnittest:
		mod := strings.TrimSuffix(filepath.Base(f.Path), ".py")
		c.Argv = []string{o.Python, "-m", "unittest", "-v"}
		for _, m := range f.Methods {
			c.Argv = append(c.Argv, mod+"."+m)
		}
		c.Dir = filepath.Dir(abs)
	default:
		c.Argv = []string{o.Python, abs}
	}
	return c
}

// partError names TPUCI_PARTITION, where the count came from, when it
// asks for more parts than the suite has files.
func partError(suite string, spec partition.Spec, err error) error {
	return fmt.Errorf("suite %s: %w", suite, partition.Explain("files", spec, err))
}

// LoadSelect reads a selection file written by ci:plan: one repository
// path per line; blank lines and lines starting with # are ignored.
func LoadSelect(path string) ([]string, error) {
	sel, err := script.File(path).FilterLine(strings.TrimSpace).RejectRegexp(blankOrComment).Slice()
	if err != nil {
		return nil, fmt.Errorf("suite: read TPUCI_SELECT: %w (the coordinator job's tpuci-plan artifact has it; unset TPUCI_SELECT to run every file)", err)
	}
	if sel == nil {
		sel = []string{} // a selection of nothing, not "no selection"
	}
	return sel, nil
}

var blankOrComment = regexp.MustCompile(`^(#|$)`)
