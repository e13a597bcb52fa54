package workspace

import (
	"fmt"
	"io"
	"strings"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/suitepolicy"
)

// ShowConfig prints the resolved configuration as TOML with its source.
func (ws *Workspace) ShowConfig(w io.Writer) error {
	data, err := ws.Config.Marshal()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "# source: %s (hash %s)\n# repo: %s\n# python: %s (%s)\n# chips: %s\n", ws.Config.Source, ws.Config.Hash, ws.Repo, ws.Python, ws.PythonFrom, ws.Chips.Describe())
	fmt.Fprintf(w, "# suites (%d): who runs each\n", len(ws.Config.Suites))
	for _, line := range suiteMap(ws.Config) {
		fmt.Fprintf(w, "#   %s\n", line)
	}
	fmt.Fprintln(w)
	_, err = w.Write(data)
	return err
}

// suiteMap says, per suite, the target that runs it (and the cases that
// replace some of its files) or why none does.
func suiteMap(cfg *config.Config) []string {
	var out []string
	for _, s := range cfg.Suites {
		var covered []string
		for _, f := range s.Files {
			if f.CoveredBy != "" {
				covered = append(covered, f.CoveredBy)
			}
		}
		line := fmt.Sprintf("%s -> ", s.Name)
		switch {
		case s.Target != "":
			line += fmt.Sprintf("%s (%d files", s.Target, len(s.Files)-len(covered))
			if len(covered) > 0 {
				line += fmt.Sprintf("; %d run as cases: %s", len(covered), strings.Join(covered, ", "))
			}
			line += ")"
		case s.Exclude != "":
			line += "excluded: " + s.Exclude
		default:
			line += "no target: runs only with TPUCI_SUITE; " + suitepolicy.UnmappedMessage(s.Name)
		}
		out = append(out, line)
	}
	return out
}
