package pipeline

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/rerun"
	"github.com/sgl-project/tpuci/internal/settings"
)

// earlier is what a stage runs again of an earlier attempt
// (TPUCI_RERUN_FROM, which go tool mage rerun sets too): nil to run it
// as usual, also when that attempt has no record of the stage.
func (s *Session) earlier(name string) (*rerun.Selection, error) {
	if s.WS.Settings.RerunFrom == "" {
		return nil, nil
	}
	dir, err := s.keptAttempt()
	if err != nil {
		return nil, err
	}
	label := rerun.Label(s.WS.Out, dir)
	rec, err := rerun.Load(dir, name)
	if err != nil || rec == nil {
		if err == nil {
			fmt.Fprintln(s.Log, report.Fit(fmt.Sprintf("tpuci: %s has no record of %s: it runs whole", label, name)))
		}
		return nil, err
	}
	sel := rerun.Select(label, rec, s.WS.Config)
	return &sel, nil
}

// keptAttempt keeps the earlier attempt's results under
// $TPUCI_OUT/attempts/<n> (once per session) and returns that directory.
func (s *Session) keptAttempt() (string, error) {
	s.keepOnce.Do(func() {
		from := s.WS.Settings.RerunFrom
		s.kept, s.keepErr = rerun.Keep(s.WS.Out, from)
		if abs, _ := filepath.Abs(from); s.keepErr == nil && abs != s.kept { // copied, not already there
			fmt.Fprintln(s.Log, report.Fit(fmt.Sprintf("tpuci: running again only what failed in %s (kept as %s)",
				report.Path(from), rerun.Label(s.WS.Out, s.kept))))
		}
	})
	return s.kept, s.keepErr
}

// carryOver records a stage that nothing failed in at the earlier
// attempt: its record, every case marked carried over; nothing runs.
func (s *Session) carryOver(st *Stage, sel rerun.Selection) error {
	rerun.CarryOver(st.TargetResult, sel, sel.From)
	s.add(st.TargetResult)
	if err := s.write(st.TargetResult); err != nil {
		fmt.Fprintf(s.Log, "tpuci: %v\n", err)
	}
	fmt.Fprintln(s.Log, endLine(fmt.Sprintf("<== %s %s, nothing run", st.Target, st.Status), st.Reason))
	return nil
}

// narrow points a case stage's filters at what failed: the kernels
// (pallas) or cases (perf, accuracy) of the selection, or, when only
// suite files of perf or accuracy failed, those suites alone. It returns
// the function that restores the settings.
func narrow(set *settings.Settings, sel *rerun.Selection) func() {
	if sel == nil || sel.Whole {
		return func() {}
	}
	old := *set
	set.Only = nil
	switch {
	case len(sel.Kernels) > 0:
		set.Kernels = sel.Kernels
	case len(sel.Cases) > 0:
		set.Cases = sel.Cases
	case len(sel.Files) > 0:
		set.Suites = nil
		for _, p := range sel.Files {
			if !slices.Contains(set.Suites, p.Suite) {
				set.Suites = append(set.Suites, p.Suite)
			}
		}
	}
	return func() { *set = old }
}

// rerunNote says what the stage ran again and what it carried over.
func rerunNote(sel *rerun.Selection, carried int) string {
	if sel.Whole {
		return fmt.Sprintf("ran whole again after failing in %s", sel.From)
	}
	return fmt.Sprintf("ran again what failed in %s (%s); %d carried over", sel.From, sel.Describe(), carried)
}
