package suite

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/pydefs"
	"github.com/sgl-project/tpuci/internal/rerun"
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

// CheckOnly refuses, before any work, a TPUCI_ONLY that names a file
// the target does not run here (after TPUCI_SUITE, TPUCI_SELECT and the
// partition), a test the file does not run, or a malformed entry: the
// error names the variable, the path, why and the next step. It applies
// to the target asked for, not to its dependencies.
func CheckOnly(target string) func(*workspace.Workspace, partition.Spec) error {
	return func(ws *workspace.Workspace, part partition.Spec) error {
		if len(ws.Settings.Only) == 0 {
			return nil
		}
		if ws.Settings.RerunFrom != "" {
			return fmt.Errorf("suite: TPUCI_ONLY=%s and TPUCI_RERUN_FROM=%s both say what to run: unset one", onlyValue(ws), ws.Settings.RerunFrom)
		}
		picks, err := rerun.ParseOnly(ws.Settings.Only)
		if err != nil {
			return err
		}
		_, err = planOnly(ws, target, part, picks)
		return err
	}
}

// planOnly plans the target's share narrowed to picks, or says why a pick
// is not in it.
func planOnly(ws *workspace.Workspace, target string, part partition.Spec, picks []rerun.Pick) (*Plan, error) {
	var sel []string
	if path := ws.Settings.Select; path != "" {
		var err error
		if sel, err = LoadSelect(path); err != nil {
			return nil, err
		}
	}
	o := Options{Repo: ws.Repo, Python: ws.Python, Partition: part, Only: ws.Settings.Suites, Select: sel,
		Picks: picks, PicksFrom: "TPUCI_ONLY=" + onlyValue(ws)}
	plan, err := PlanSuites(fitting(ws, target), o)
	if err != nil {
		return nil, err
	}
	if missing := Missing(plan, picks); len(missing) > 0 {
		return nil, fmt.Errorf("suite: TPUCI_ONLY=%s: %s is not a test file %s runs here: %s",
			onlyValue(ws), textline.Safe(missing[0].Path), target, whyNot(ws, target, part, sel, missing[0].Path))
	}
	if len(plan.Jobs) == 0 {
		return nil, fmt.Errorf("suite: TPUCI_ONLY=%s selects no file of %s: unset it to run every file", onlyValue(ws), target)
	}
	for _, p := range picks {
		for _, t := range p.Tests {
			if err := pydefs.Check(filepath.Join(ws.Repo, p.Path), t); err != nil {
				return nil, fmt.Errorf("suite: TPUCI_ONLY=%s: %s::%s: %w in that file: fix the test's name",
					onlyValue(ws), textline.Safe(p.Path), textline.Safe(t), err)
			}
		}
	}
	return plan, nil
}

func onlyValue(ws *workspace.Workspace) string {
	return textline.Safe(strings.Join(ws.Settings.Only, ","))
}

// whyNot says why path is not in target's share on this host, with the
// next step: the target or share that runs it, or how to find one.
func whyNot(ws *workspace.Workspace, target string, part partition.Spec, sel []string, path string) string {
	cfg := ws.Config
	var elsewhere, untargeted []string
	known := map[string]bool{}
	for i := range cfg.Suites {
		s := &cfg.Suites[i]
		for _, f := range s.Files {
			known[f.Path] = true
			if f.Path != path {
				continue
			}
			switch {
			case s.Target != target && s.Target != "":
				elsewhere = append(elsewhere, fmt.Sprintf("%s (suite %s)", s.Target, s.Name))
			case s.Target != target:
				untargeted = append(untargeted, s.Name)
			default:
				if ok, why := ws.Chips.Enough(s.Chips); !ok {
					return fmt.Sprintf("its suite %s does not run on this host (%s)", s.Name, why)
				}
				if len(ws.Settings.Suites) > 0 && !slices.Contains(ws.Settings.Suites, s.Name) {
					return fmt.Sprintf("TPUCI_SUITE=%s leaves out its suite %s: unset TPUCI_SUITE or add %s",
						strings.Join(ws.Settings.Suites, ","), s.Name, s.Name)
				}
				if sel != nil && !slices.Contains(sel, path) {
					return fmt.Sprintf("TPUCI_SELECT=%s does not list it: unset TPUCI_SELECT", ws.Settings.Select)
				}
				if !part.Whole() {
					return fmt.Sprintf("it is in another share than TPUCI_PARTITION=%s of suite %s: unset TPUCI_PARTITION", part, s.Name)
				}
			}
		}
	}
	if len(elsewhere) > 0 {
		t, _, _ := strings.Cut(elsewhere[0], " ")
		return fmt.Sprintf("it belongs to %s: run TPUCI_ONLY=%s go tool mage %s", strings.Join(elsewhere, ", "), textline.Safe(path), t)
	}
	if len(untargeted) > 0 {
		return fmt.Sprintf("its suite %s names no target (suite:list shows it); give the suite a target to run it", untargeted[0])
	}
	hint := ""
	if near := nearest(path, known); near != "" {
		hint = fmt.Sprintf(" (did you mean %s?)", near)
	}
	return fmt.Sprintf("no suite of %s lists it%s; `go tool mage ci:plan -explain` lists the files each target runs", cfg.Source, hint)
}

// TargetsOf lists the targets whose suites list path, in config order.
func TargetsOf(cfg *config.Config, path string) []string {
	var out []string
	for _, s := range cfg.Suites {
		if s.Target != "" && !slices.Contains(out, s.Target) &&
			slices.ContainsFunc(s.Files, func(f config.File) bool { return f.Path == path }) {
			out = append(out, s.Target)
		}
	}
	return out
}
