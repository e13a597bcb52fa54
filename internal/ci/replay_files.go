package ci

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"

	"github.com/sgl-project/tpuci/internal/config"
)

// Dropped is a suite file a path filter would run that the plan does not.
type Dropped struct {
	Path   string `json:"path"`
	Target string `json:"target"`
	Why    string `json:"why"`
}

// rulesAt returns the three rule sets over the suite files that existed
// at commit: a file added later is not counted for an older change.
func (r *replayer) rulesAt(ctx context.Context, commit string) ([3]*config.Config, error) {
	blobs, err := r.git.PythonBlobs(ctx, commit)
	if err != nil {
		return [3]*config.Config{}, err
	}
	return variants(existingAt(r.cfg, blobs)), nil
}

// existingAt copies cfg keeping only the suite files present in files.
func existingAt(cfg *config.Config, files map[string]string) *config.Config {
	out := *cfg
	out.Suites = make([]config.Suite, len(cfg.Suites))
	for i, s := range cfg.Suites {
		s.Files = slices.DeleteFunc(slices.Clone(s.Files), func(f config.File) bool {
			_, ok := files[f.Path]
			return !ok
		})
		if len(s.Files) > 0 {
			s.Partitions = min(s.Partitions, len(s.Files))
		}
		out.Suites[i] = s
	}
	return &out
}

// droppedFiles lists the suite files filtered selects that plan does not,
// with the plan's reason: the file's skip reason, or why its target does
// not run.
func droppedFiles(filtered, plan *Plan) []Dropped {
	if filtered == nil || plan == nil {
		return nil
	}
	var out []Dropped
	for _, ft := range filtered.Targets {
		if !ft.Run {
			continue
		}
		pt, _ := plan.Target(ft.Name)
		for _, fs := range ft.Suites {
			for _, f := range fs.Selected {
				if why, dropped := dropReason(pt, fs.Name, f.Path); dropped {
					out = append(out, Dropped{Path: f.Path, Target: ft.Name, Why: why})
				}
			}
		}
	}
	return out
}

func dropReason(pt *Target, suite, path string) (string, bool) {
	if pt == nil || !pt.Run {
		if pt == nil {
			return "target not planned", true
		}
		return "target not run: " + pt.Why, true
	}
	for _, s := range pt.Suites {
		if s.Name != suite {
			continue
		}
		for _, f := range s.Selected {
			if f.Path == path {
				return "", false
			}
		}
		for _, f := range s.Skipped {
			if f.Path == path {
				return f.Why, true
			}
		}
	}
	return "not selected", true
}

var digits = regexp.MustCompile(`[0-9]+`)

// printDropped summarises, by reason (counts in it folded to N), the files the filters would run and
// the plan dropped, with a few examples.
func printDropped(w io.Writer, rp *Replay) {
	type tally struct {
		n       int
		example string
	}
	by := map[string]*tally{}
	total := 0
	for _, row := range rp.Rows {
		for _, d := range row.Dropped {
			why := digits.ReplaceAllString(d.Why, "N")
			t := by[why]
			if t == nil {
				t = &tally{example: fmt.Sprintf("%s %s (%s)", row.Commit, d.Path, d.Target)}
				by[why] = t
			}
			t.n++
			total++
		}
	}
	if total == 0 {
		fmt.Fprintln(w, "files the filters would run that the plan dropped: none")
		return
	}
	reasons := make([]string, 0, len(by))
	for why := range by {
		reasons = append(reasons, why)
	}
	sort.Slice(reasons, func(i, j int) bool { // most first; ties by text, so that reruns print the same
		if a, b := by[reasons[i]].n, by[reasons[j]].n; a != b {
			return a > b
		}
		return reasons[i] < reasons[j]
	})
	fmt.Fprintf(w, "files the filters would run that the plan dropped (%d file runs), by reason:\n", total)
	for i, why := range reasons {
		if i == 10 {
			fmt.Fprintf(w, "  ... and %d more reasons (see %s)\n", len(reasons)-10, ReplayFile)
			break
		}
		fmt.Fprintf(w, "  %5d  %s  e.g. %s\n", by[why].n, why, by[why].example)
	}
}
