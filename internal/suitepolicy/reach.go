package suitepolicy

import (
	"fmt"
	"slices"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/stages"
)

// RunsSuites are the targets whose body runs the suites given to them.
var RunsSuites = stages.RunSuites()

// Unreachable lists, for each named suite, why no target would run its
// files: a suite is reachable when it is excluded with a reason, or when
// its target runs suites and each file either runs there or is covered
// by a configured case.
func Unreachable(cfg *config.Config, names []string) []string {
	var out []string
	for _, name := range names {
		s, ok := cfg.Suite(name)
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s: not configured", name))
		case s.Exclude != "":
		case s.Target == "":
			out = append(out, fmt.Sprintf("%s: no target and no exclude reason", name))
		case !slices.Contains(RunsSuites, s.Target):
			if slices.ContainsFunc(s.Files, func(f config.File) bool { return f.CoveredBy == "" }) {
				out = append(out, fmt.Sprintf("%s: target %s runs no suites", name, s.Target))
			}
		default:
			for _, f := range s.Files {
				if f.CoveredBy != "" && !cfg.CaseExists(f.CoveredBy) {
					out = append(out, fmt.Sprintf("%s: %s is covered by %s, which is not configured", name, f.Path, f.CoveredBy))
				}
			}
		}
	}
	return out
}
