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
	"github.com/sgl-project/tpuci/internal/rerun"
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
	// Tests are the pytest tests the job runs (names after "::"); nil:
	// the whole file.
	Tests []string `json:"tests,omitempty"`
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
	// Picks keeps only the files (or tests) they name, after the
	// partition (TPUCI_ONLY, or what failed in an earlier attempt); nil
	// keeps all. PicksFrom names them in errors.
	Picks     []rerun.Pick
	PicksFrom string
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
			var tests []string
			if o.Picks != nil {
				var ok bool
				if f, tests, ok, err = picked(o, s, f); err != nil {
					return nil, err
				} else if !ok {
					continue
				}
			}
			job := Job{Suite: s.Name, File: f, Chips: s.Chips, Timeout: s.TimeoutPerFile.Duration, Reruns: s.Reruns, Minutes: weighted[i].Weight, Tests: tests}
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
		c.Argv = []string{o.Python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "junit_family=xunit1", "--junitxml=" + job.JUnit}
		if len(job.Tests) == 0 {
			c.Argv = append(c.Argv, abs)
		}
		for _, t := range job.Tests { // node ids: the file's path, then the test
			c.Argv = append(c.Argv, abs+"::"+t)
		}
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

// picked narrows a suite file to the picks that name it: the whole file,
// or the tests named. A pytest file runs them as node ids; a unittest
// file runs them as its methods (each must be one), and a script runs
// them through unittest, which names a test TestClass.test_name. ok is
// false when no pick names the file.
func picked(o Options, s *config.Suite, f config.File) (config.File, []string, bool, error) {
	// ParseOnly and rerun.Select give one pick per file.
	i := slices.IndexFunc(o.Picks, func(p rerun.Pick) bool { return p.Path == f.Path && (p.Suite == "" || p.Suite == s.Name) })
	if i < 0 {
		return f, nil, false, nil
	}
	tests := o.Picks[i].Tests
	if tests == nil {
		return f, nil, true, nil
	}
	if f.Runner == config.RunnerPytest {
		return f, tests, true, nil
	}
	mod := strings.TrimSuffix(filepath.Base(f.Path), ".py")
	var methods []string
	for _, t := range tests {
		m := strings.TrimPrefix(strings.ReplaceAll(t, "::", "."), mod+".")
		if !unittestName.MatchString(m) {
			return f, nil, false, fmt.Errorf("suite %s: %s names %s::%s, but %s runs under unittest, which names a test TestClass.test_name",
				s.Name, o.PicksFrom, f.Path, t, f.Path)
		}
		if f.Runner == config.RunnerUnittest && !slices.Contains(f.Methods, m) {
			return f, nil, false, fmt.Errorf("suite %s: %s names %s::%s, which is not one of the methods the suite runs of it (%s)",
				s.Name, o.PicksFrom, f.Path, t, strings.Join(f.Methods, ", "))
		}
		if !slices.Contains(methods, m) {
			methods = append(methods, m)
		}
	}
	f.Runner, f.Methods = config.RunnerUnittest, methods
	return f, nil, true, nil
}

var unittestName = regexp.MustCompile(`^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$`)

// Missing are the picks that name no job of the plan.
func Missing(p *Plan, picks []rerun.Pick) []rerun.Pick {
	var out []rerun.Pick
	for _, k := range picks {
		if !slices.ContainsFunc(p.Jobs, func(j Job) bool { return j.File.Path == k.Path && (k.Suite == "" || k.Suite == j.Suite) }) {
			out = append(out, k)
		}
	}
	return out
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
