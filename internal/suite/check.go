package suite

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/textline"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Check refuses, before any target runs, settings under which a suite
// target would fail late or pass having run nothing: TPUCI_SUITE naming no
// suite of the target, more partitions than files, a TPUCI_SELECT line in
// no suite of the config, and (when selectNeeded) a selection that holds
// no file of the target. A target with no suite for this host is left to
// its body, which skips it with the reason.
func Check(target string, selectNeeded bool) func(*workspace.Workspace, partition.Spec) error {
	return func(ws *workspace.Workspace, part partition.Spec) error {
		suites := fitting(ws, target)
		if len(suites) == 0 {
			return nil
		}
		var sel []string
		if path := ws.Settings.Select; path != "" {
			var err error
			if sel, err = LoadSelect(path); err != nil {
				return err
			}
			if err := selectedExist(ws.Config, path, sel); err != nil {
				return err
			}
		}
		plan, err := PlanSuites(suites, Options{Repo: ws.Repo, Python: ws.Python, Partition: part, Only: ws.Settings.Suites, Select: sel})
		if err != nil {
			return err
		}
		if selectNeeded && sel != nil && len(plan.Jobs) == 0 {
			return fmt.Errorf("suite: TPUCI_SELECT=%s selects %d file(s), none of them in a suite of %s (%s): unset it to run every file, or select files of those suites",
				ws.Settings.Select, len(sel), target, names(suites))
		}
		return nil
	}
}

// fitting are the suites of target that this host has the chips for.
func fitting(ws *workspace.Workspace, target string) []*config.Suite {
	var out []*config.Suite
	for _, s := range ws.Config.SuitesFor(target) {
		if ok, _ := ws.Chips.Enough(s.Chips); ok {
			out = append(out, s)
		}
	}
	return out
}

// selectedExist refuses a selection line that names no file of any suite:
// a misspelt path would otherwise select nothing and pass.
func selectedExist(cfg *config.Config, path string, sel []string) error {
	known := map[string]bool{}
	for _, s := range cfg.Suites {
		for _, f := range s.Files {
			known[f.Path] = true
		}
	}
	var unknown []string
	for _, f := range sel {
		if !known[f] {
			unknown = append(unknown, textline.Safe(f))
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	hint := ""
	if near := nearest(unknown[0], known); near != "" {
		hint = fmt.Sprintf(" (did you mean %s?)", near)
	}
	return fmt.Errorf("suite: TPUCI_SELECT=%s names %d file(s) that no suite of %s lists: %s%s",
		path, len(unknown), cfg.Source, strings.Join(clipList(unknown, 3), ", "), hint)
}

// nearest is the known path with the same base name as p, or the one
// sharing the longest prefix with it (the first in order on a tie); empty
// when nothing is close.
func nearest(p string, known map[string]bool) string {
	base := p[strings.LastIndexByte(p, '/')+1:]
	best, bestLen := "", 0
	for _, k := range slices.Sorted(maps.Keys(known)) {
		if strings.HasSuffix(k, "/"+base) || k == base {
			return k
		}
		n := 0
		for n < len(k) && n < len(p) && k[n] == p[n] {
			n++
		}
		if n > bestLen || (n == bestLen && k < best) {
			best, bestLen = k, n
		}
	}
	if bestLen < len(p)/2 {
		return ""
	}
	return best
}

// clipList keeps the first n items and says how many more there were.
func clipList(items []string, n int) []string {
	if len(items) <= n {
		return items
	}
	return append(slices.Clone(items[:n]), fmt.Sprintf("and %d more", len(items)-n))
}

// CheckWithSuites is Check for a case target that also runs suites
// (WithSuites): TPUCI_SUITE makes it a suite job, split by the partition;
// otherwise its cases are checked with the partition and its suites whole,
// and its selection may hold none of its files.
func CheckWithSuites(target string, cases func(*workspace.Workspace, partition.Spec) error) func(*workspace.Workspace, partition.Spec) error {
	suites := Check(target, false)
	return func(ws *workspace.Workspace, part partition.Spec) error {
		if len(ws.Settings.Suites) > 0 {
			return suites(ws, part)
		}
		if err := cases(ws, part); err != nil {
			return err
		}
		return suites(ws, partition.Spec{})
	}
}
