package triage

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// QuarantineFile is what ci:quarantine writes under TPUCI_OUT.
const QuarantineFile = "quarantine.json"

// brokenRun is how many failed verdicts in a row make a test broken, not
// flaky (LUCI Analysis's failure-rate criterion counts 3 consecutive
// failures): it needs a fix, and quarantine would hide it.
const brokenRun = 3

// Proposal is what ci:quarantine proposes from the failure record.
type Proposal struct {
	Date    string     `json:"date"`   // the day it was made, UTC
	Config  string     `json:"config"` // the file the entries' lines are in
	Runs    int        `json:"runs"`   // records read
	Store   string     `json:"store"`
	Policy  PolicyText `json:"policy"`
	Add     []Addition `json:"add"`
	Remove  []Removal  `json:"remove"`
	Skipped []Skip     `json:"skipped,omitempty"` // flaky tests left out, and why
}

// PolicyText is the criterion the proposal used.
type PolicyText struct {
	WindowDays        int     `json:"window_days"`
	WindowVerdicts    int     `json:"window_verdicts"`
	FlakyMin          int     `json:"flaky_min"`
	FlakyRate         float64 `json:"flaky_rate"`
	UnquarantineAfter int     `json:"unquarantine_after"`
}

// Addition is a test to quarantine: flaky on main at or above the policy.
type Addition struct {
	Test      string  `json:"test"`
	Flaky     int     `json:"flaky"`
	Verdicts  int     `json:"verdicts"`
	Rate      float64 `json:"rate"`
	LastFlaky Verdict `json:"last_flaky"`
	Expires   string  `json:"expires"` // proposed: the window's length from today
}

// Removal is a quarantine entry whose test passed its first attempt on
// main at least UnquarantineRun times in a row.
type Removal struct {
	Quarantine
	Clean int `json:"clean"`
}

// Skip is a flaky test that is not proposed.
type Skip struct {
	Test string `json:"test"`
	Why  string `json:"why"`
}

// Propose reads the record: every test flaky on main at or above the
// policy's criterion over the window, not already quarantined and not
// broken (its last verdicts all failed), is proposed for quarantine (a
// test of a file rather than the whole file); every entry whose test had
// at least UnquarantineRun clean first attempts on main in a row, the
// latest included, is proposed for removal.
func Propose(runs []Run, q []Quarantine, p Policy, now time.Time) Proposal {
	pr := Proposal{Date: now.UTC().Format(time.DateOnly), Config: "tpuci.toml", Runs: len(runs), Policy: PolicyText{
		WindowDays: int(p.FlakyWindow / (24 * time.Hour)), WindowVerdicts: p.FlakyVerdicts, FlakyMin: p.FlakyMin,
		FlakyRate: p.FlakyRate, UnquarantineAfter: p.UnquarantineRun}, Add: []Addition{}, Remove: []Removal{}}
	covered := func(test string) bool {
		for _, e := range q {
			if e.Covers(test) {
				return true
			}
		}
		return false
	}
	expires := now.UTC().Add(p.FlakyWindow).Format(time.DateOnly)
	cands := map[string]Addition{}
	for test, vs := range commitVerdicts(runs) {
		win := window(vs, now, p)
		st := FlakeStat{Verdicts: len(win)}
		var last Verdict
		for _, v := range win {
			if v.Outcome == Flaky {
				st.Flaky++
				last = v
			}
		}
		switch {
		case !st.FlakyUnder(p):
			continue
		case covered(test):
			continue
		case broken(win):
			pr.Skipped = append(pr.Skipped, Skip{test, fmt.Sprintf("broken, not flaky: its last %d verdicts on main "+
				"failed (fix it: quarantine would hide it)", brokenRun)})
			continue
		}
		cands[test] = Addition{Test: test, Flaky: st.Flaky, Verdicts: st.Verdicts, Rate: st.Rate(), LastFlaky: last,
			Expires: expires}
	}
	for test, a := range cands {
		if !strings.Contains(test, "::") && hasCase(test, cands, q) {
			continue // its flaky tests are named instead, or quarantined already
		}
		pr.Add = append(pr.Add, a)
	}
	sort.Slice(pr.Add, func(i, j int) bool {
		if pr.Add[i].Rate != pr.Add[j].Rate {
			return pr.Add[i].Rate > pr.Add[j].Rate
		}
		return pr.Add[i].Test < pr.Add[j].Test
	})
	sort.Slice(pr.Skipped, func(i, j int) bool { return pr.Skipped[i].Test < pr.Skipped[j].Test })
	for _, e := range q {
		if n := cleanRun(runs, e.Test); n >= p.UnquarantineRun {
			pr.Remove = append(pr.Remove, Removal{Quarantine: e, Clean: n})
		}
	}
	return pr
}

// hasCase says whether a test of file is a candidate or quarantined.
func hasCase(file string, cands map[string]Addition, q []Quarantine) bool {
	for t := range cands {
		if strings.HasPrefix(t, file+"::") {
			return true
		}
	}
	for _, e := range q {
		if strings.HasPrefix(e.Test, file+"::") {
			return true
		}
	}
	return false
}

// broken says whether the last brokenRun verdicts all failed.
func broken(win []Verdict) bool {
	if len(win) < brokenRun {
		return false
	}
	for _, v := range win[len(win)-brokenRun:] {
		if v.Outcome != Failed {
			return false
		}
	}
	return true
}

// cleanRun counts the test's clean first attempts on main (runs where it
// passed without a retry), newest first, up to the latest commit where it
// failed, flaked or needed a retry.
func cleanRun(runs []Run, test string) int {
	bad := map[string]bool{}
	var mine []Run
	for _, r := range runs {
		if !OnMain(r) {
			continue
		}
		for _, e := range r.Entries {
			if e.Test != test || e.Outcome == Skipped {
				continue
			}
			if e.Outcome != Passed || e.Attempts > 1 {
				bad[r.Commit] = true
			}
			mine = append(mine, r)
		}
	}
	sort.SliceStable(mine, func(i, j int) bool { return mine[i].Date.After(mine[j].Date) })
	n := 0
	for _, r := range mine {
		if bad[r.Commit] {
			break
		}
		n++
	}
	return n
}

// TOML renders the proposal as comments and [[quarantine]] blocks to
// paste into tpuci.toml; owner and issue are left for a person to fill
// (the config check refuses the entry until they are).
func (pr Proposal) TOML() string {
	var b strings.Builder
	pp := pr.Policy
	fmt.Fprintf(&b, "# ci:quarantine on %s: %d records of\n#   %s\n", pr.Date, pr.Runs, pr.Store)
	fmt.Fprintf(&b, "# flaky: >= %d flaky verdicts, >= %s of a test's verdicts on main in %d days (the last %d)\n",
		pp.FlakyMin, percent(pp.FlakyRate), pp.WindowDays, pp.WindowVerdicts)
	fmt.Fprintf(&b, "# removal: %d clean first attempts on main in a row\n", pp.UnquarantineAfter)
	if len(pr.Add) == 0 {
		b.WriteString("\n# Nothing to quarantine: no test flakes on main at or above the criterion.\n")
	}
	for _, a := range pr.Add {
		fmt.Fprintf(&b, "\n# flaky in %d of %d verdicts (%s); last at %s", a.Flaky, a.Verdicts, percent(a.Rate),
			short(a.LastFlaky.Commit))
		if a.LastFlaky.RunID != "" {
			fmt.Fprintf(&b, " (run %s)", a.LastFlaky.RunID)
		}
		fmt.Fprintf(&b, "\n[[quarantine]]\ntest = %s\nreason = %s\n", config.QuoteTOML(a.Test),
			config.QuoteTOML(fmt.Sprintf("flaky on main: %d of %d verdicts in %d days", a.Flaky, a.Verdicts, pp.WindowDays)))
		b.WriteString("owner = \"\"  # fill in: who fixes it, e.g. \"@someone\"\n")
		b.WriteString("issue = \"\"  # fill in: the issue that tracks the fix\n")
		fmt.Fprintf(&b, "expires = %s\n", a.Expires)
	}
	for _, s := range pr.Skipped {
		fmt.Fprintf(&b, "\n# not proposed: %s:\n#   %s\n", tomlComment(s.Test), s.Why)
	}
	if len(pr.Remove) == 0 {
		b.WriteString("\n# Nothing to remove: no quarantined test has enough clean runs on main yet.\n")
		return b.String()
	}
	b.WriteString("\n# Remove these entries (their tests pass on main again):\n")
	for _, r := range pr.Remove {
		fmt.Fprintf(&b, "#   %s:%d: %s: %d clean first attempts in a row\n#     owner %s, issue %s\n", pr.Config,
			r.Line, tomlComment(r.Test), r.Clean, tomlComment(r.Owner), tomlComment(r.Issue))
	}
	return b.String()
}

func percent(r float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", r*100), "0"), ".") + " %"
}

// tomlComment is s for a comment: one line.
func tomlComment(s string) string { return strings.Trim(config.QuoteTOML(s), `"`) }

// RunQuarantine is ci:quarantine: the proposal from the workspace's record,
// printed as TOML on out and written as JSON to TPUCI_OUT.
func RunQuarantine(ctx context.Context, ws *workspace.Workspace, out, log io.Writer) error {
	runs, where, err := Open(ws, log).Runs(ctx, log)
	if err != nil {
		return fmt.Errorf("ci:quarantine: read the failure record: %w", err)
	}
	pr := Propose(runs, QuarantineOf(ws.Config), PolicyOf(ws.Config), time.Now())
	pr.Store, pr.Config = where, ws.Config.Source
	if rel, err := filepath.Rel(ws.Repo, pr.Config); err == nil && filepath.IsAbs(pr.Config) && !strings.HasPrefix(rel, "..") {
		pr.Config = rel
	}
	fmt.Fprint(out, pr.TOML())
	path := filepath.Join(ws.Out, QuarantineFile)
	if err := report.WriteJSON(path, pr); err != nil {
		return fmt.Errorf("ci:quarantine: %w", err)
	}
	fmt.Fprintf(log, "ci:quarantine: %d to add, %d to remove; wrote %s\n", len(pr.Add), len(pr.Remove), path)
	return nil
}
