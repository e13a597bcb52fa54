// Package stages is the one table of tpuci's stages: each target's name,
// the stages it waits for, what it runs, whether its workflow job is a
// matrix and the chips its jobs may use. The PR workflow's needs:, the
// critical path ci:plan prints, the order pr runs in and mage's
// dependencies all come from it; a test holds pr-test.yml to it.
package stages

import "slices"

// Kind is what a stage runs.
type Kind int

// The kinds of stages.
const (
	Lint           Kind = iota // pylint over the change
	Suites                     // the [[suite]] files given its name
	Cases                      // its own case list (kernels, nightly matrix)
	CasesAndSuites             // its cases, then the suite files no case covers
)

// Stage is one target of the pipeline.
type Stage struct {
	Name string
	// Needs are the stages whose jobs it waits for: the needs: of its PR
	// workflow job (without the coordinator), and its mage dependencies.
	Needs  []string
	PR     bool // part of the PR pipeline (pr, ci:plan, ci:finish)
	Runs   Kind
	Matrix bool  // its workflow job is a strategy.matrix of partitions
	Chips  []int // the chip counts its jobs may ask for; nil: none
}

// Table lists the stages in the order pr runs them, which is a
// topological order of Needs. Pallas waits only for lint: a kernel
// benchmark neither needs the tests nor holds them up.
var Table = []Stage{
	{Name: "lint", PR: true, Runs: Lint},
	{Name: "unitTest1", Needs: []string{"lint"}, PR: true, Runs: Suites, Matrix: true, Chips: []int{1}},
	{Name: "e2e", Needs: []string{"unitTest1"}, PR: true, Runs: Suites, Matrix: true, Chips: []int{1, 4}},
	{Name: "pallas", Needs: []string{"lint"}, PR: true, Runs: Cases, Matrix: true, Chips: []int{1}},
	{Name: "perf", Needs: []string{"e2e"}, PR: true, Runs: CasesAndSuites, Matrix: true, Chips: []int{1, 4}},
	{Name: "unitTest4", Needs: []string{"perf"}, PR: true, Runs: Suites, Matrix: true, Chips: []int{4}},
	{Name: "accuracy", Needs: []string{"perf"}, PR: true, Runs: CasesAndSuites, Matrix: true, Chips: []int{1, 4}},
	{Name: "nightly", Runs: Cases, Matrix: true, Chips: []int{1, 4}},
	// multiHost runs its cases on a GKE TPU slice through the Kubernetes
	// API, not on this host's chips; weekly and on demand.
	{Name: "multiHost", Runs: Cases},
}

// Get returns the stage called name.
func Get(name string) (Stage, bool) {
	i := slices.IndexFunc(Table, func(s Stage) bool { return s.Name == name })
	if i < 0 {
		return Stage{}, false
	}
	return Table[i], true
}

// NeedsOf are the stages name waits for; none for an unknown name.
func NeedsOf(name string) []string {
	s, _ := Get(name)
	return s.Needs
}

// Names lists, in table order, the stages for which keep is true.
func Names(keep func(Stage) bool) []string {
	var out []string
	for _, s := range Table {
		if keep(s) {
			out = append(out, s.Name)
		}
	}
	return out
}

// All is every stage.
func All() []string { return Names(func(Stage) bool { return true }) }

// PR are the stages of the PR pipeline, in the order pr runs them.
func PR() []string { return Names(func(s Stage) bool { return s.PR }) }

// Matrix are the PR stages whose workflow job is a matrix.
func Matrix() []string { return Names(func(s Stage) bool { return s.PR && s.Matrix }) }

// RunSuites are the stages whose body runs the suites given to them.
func RunSuites() []string {
	return Names(func(s Stage) bool { return s.Runs == Suites || s.Runs == CasesAndSuites })
}

// SuiteTargets are the stages a [[suite]] may name: every PR stage that
// runs tests (a suite of a case stage holds the files its cases cover).
func SuiteTargets() []string { return Names(func(s Stage) bool { return s.PR && s.Runs != Lint }) }
