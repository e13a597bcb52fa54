// Package rerun runs again only what failed: one named file or test
// (TPUCI_ONLY), and the failed files and cases of an earlier attempt's
// stage records (go tool mage rerun, and TPUCI_RERUN_FROM in a workflow's
// re-run), keeping the earlier results under $TPUCI_OUT/attempts/<n>/.
// The stages apply a Selection; the pipeline merges what ran with what is
// carried over, so a record always says which is which.
package rerun

import (
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/sgl-project/tpuci/internal/textline"
)

// Pick is one test file to run, or some tests of it.
type Pick struct {
	Suite string   `json:"suite,omitempty"` // "": every suite of the target that lists the file
	Path  string   `json:"path"`            // as the suite lists it
	Tests []string `json:"tests,omitempty"` // pytest's name after "::", unittest's Class.test; nil: the whole file
}

func (p Pick) String() string {
	if len(p.Tests) == 0 {
		return p.Path
	}
	return p.Path + "::" + strings.Join(p.Tests, "+")
}

// ParseOnly reads TPUCI_ONLY's entries: path, or path::test. Entries of
// one path merge; the path alone wins over its tests. A path is a
// repository path (relative, no ..); a test never starts with "-" and
// holds no space or control character, since it becomes an argument.
func ParseOnly(entries []string) ([]Pick, error) {
	var picks []Pick
	whole := map[string]bool{}
	for _, e := range entries {
		p, test, named := strings.Cut(e, "::")
		p = strings.TrimSpace(p)
		err := checkPath(p)
		if err == nil && named {
			err = checkTest(test)
		}
		if err != nil {
			return nil, fmt.Errorf("TPUCI_ONLY=%s: %s: %w", textline.Safe(strings.Join(entries, ",")), textline.Safe(e), err)
		}
		i := slices.IndexFunc(picks, func(q Pick) bool { return q.Path == p })
		if i < 0 {
			picks = append(picks, Pick{Path: p})
			i = len(picks) - 1
		}
		if test == "" {
			whole[p] = true
		} else if !slices.Contains(picks[i].Tests, test) {
			picks[i].Tests = append(picks[i].Tests, test)
		}
	}
	for i := range picks {
		if whole[picks[i].Path] {
			picks[i].Tests = nil
		}
	}
	return picks, nil
}

func checkPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("no path (want path or path::test, e.g. test/srt/test_x.py::TestX.test_y)")
	case filepath.IsAbs(p) || strings.HasPrefix(p, "-"):
		return fmt.Errorf("not a repository path (want it as the suite lists it, e.g. test/srt/test_x.py)")
	case path.Clean(p) != p || strings.HasPrefix(p, "../") || p == "..":
		return fmt.Errorf("not a clean repository path (want it as the suite lists it, e.g. test/srt/test_x.py)")
	case strings.ContainsFunc(p, unicode.IsControl):
		return fmt.Errorf("control character in the path")
	}
	return nil
}

var testName = regexp.MustCompile(`^[A-Za-z_][^\s]*$`)

func checkTest(t string) error {
	if len(t) > 300 || !testName.MatchString(t) || strings.ContainsFunc(t, unicode.IsControl) {
		return fmt.Errorf("not a test name (want pytest's test_x or TestX::test_y, or unittest's TestX.test_y)")
	}
	return nil
}
