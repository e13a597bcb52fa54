// Package suitepolicy builds tpuci suites from a checkout's own suite
// table (test/srt/run_suite.py, parsed, never executed) and a policy
// keyed by suite name: the target that runs each suite or why none does,
// chips, partitions, timeouts and the files a case covers.
package suitepolicy

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/runsuite"
)

// RunSuite is where SGLang-JAX keeps its suite table.
const RunSuite = "test/srt/run_suite.py"

// Result is the suites built, and what the policy did not know.
type Result struct {
	Suites   []config.Suite
	Unmapped []string // suites the policy has no entry for
	Notes    []string // files the table lists that the checkout lacks, and the like
}

// UnmappedMessage is the one line an unmapped suite gets.
func UnmappedMessage(name string) string {
	return fmt.Sprintf("unmapped suite %s: add it to [gating] or exclude it with a reason (a [[suite]] block with target = \"...\" or exclude = \"why\" in tpuci.toml)", name)
}

// Read parses the checkout's run_suite.py; ok is false when it has none.
func Read(repo string) (suites []runsuite.Suite, src []byte, ok bool, err error) {
	p := filepath.Join(repo, RunSuite)
	src, err = os.ReadFile(p)
	if os.IsNotExist(err) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, fmt.Errorf("suites: read %s: %w", p, err)
	}
	suites, err = runsuite.Parse(p, src)
	if err != nil {
		return nil, nil, false, err
	}
	return suites, src, true, nil
}

// Apply turns the table's suites into tpuci suites with policy applied
// by name. sizes, when not nil, gives matrix sizes (from the workflows)
// that override the policy's partitions. Paths are made relative to the
// repository root (a few suites are written relative to test/srt); files
// the checkout lacks are dropped with a note. Without a repo (""), paths
// are kept as written.
func Apply(repo string, policy []config.Suite, table []runsuite.Suite, sizes map[string]int) Result {
	var r Result
	for _, t := range table {
		s := config.Suite{Name: t.Name}
		i := slices.IndexFunc(policy, func(p config.Suite) bool { return p.Name == t.Name })
		if i >= 0 {
			p := policy[i]
			s.Target, s.Chips, s.Partitions, s.TimeoutPerFile, s.Reruns, s.Exclude = p.Target, p.Chips, p.Partitions, p.TimeoutPerFile, p.Reruns, p.Exclude
		} else {
			r.Unmapped = append(r.Unmapped, t.Name)
			if c, ok := runsuite.InferChips(t.Name); ok {
				s.Chips = c
			} else {
				s.Chips = 1
			}
			s.Partitions = 1
		}
		if n := sizes[t.Name]; n > 0 {
			s.Partitions = n
		}
		for _, f := range t.Files {
			p, ok := resolve(repo, f.Path)
			if !ok && repo != "" {
				r.Notes = append(r.Notes, fmt.Sprintf("suite %s lists %s, which this checkout does not have: left out", t.Name, f.Path))
				continue
			}
			cf := config.File{Path: p, Minutes: f.Minutes, Runner: f.Runner, Methods: f.Methods}
			if i >= 0 {
				cf.CoveredBy = coveredBy(policy[i].Files, p)
			}
			s.Files = append(s.Files, cf)
		}
		if len(s.Files) > 0 && s.Partitions > len(s.Files) {
			s.Partitions = len(s.Files)
		}
		r.Suites = append(r.Suites, s)
	}
	return r
}

// resolve finds a listed file from the root, or from test/srt where
// SGLang-JAX runs some suites (cd test/srt).
func resolve(repo, p string) (string, bool) {
	if repo == "" {
		return p, false
	}
	for _, c := range []string{p, path.Join("test/srt", p)} {
		if _, err := os.Stat(filepath.Join(repo, c)); err == nil {
			return c, true
		}
	}
	return p, false
}

func coveredBy(files []config.File, p string) string {
	for _, f := range files {
		if f.Path == p {
			return f.CoveredBy
		}
	}
	return ""
}
