package triage

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// history builds daily commits of main ending at day(0): outcomes[test]
// is one letter per commit, the last letter the latest commit's: p passed, f failed, k flaky (failed, then
// passed in a second run of the commit), r passed on its second attempt
// within the run (not a clean first attempt).
func history(outcomes map[string]string) []Run {
	n := 0
	for _, o := range outcomes {
		n = max(n, len(o))
	}
	var runs []Run
	for i := range n {
		c := fmt.Sprintf("c%03d", i)
		at := day(-n + 1 + i)
		first, second := mainRun(c, at), mainRun(c, at.Add(time.Minute))
		for test, o := range outcomes {
			j := i - (n - len(o))
			if j < 0 {
				continue
			}
			e := Entry{Test: test, File: test, Attempts: 1}
			switch o[j] {
			case 'p':
				e.Outcome = Passed
			case 'f':
				e.Outcome, e.Fingerprint = Failed, "fp"
			case 'k':
				e.Outcome, e.Fingerprint = Failed, "fp"
				second.Entries = append(second.Entries, Entry{Test: test, File: test, Outcome: Passed, Attempts: 1})
			case 'r':
				e.Outcome, e.Attempts = Passed, 2
			}
			first.Entries = append(first.Entries, e)
		}
		runs = append(runs, first)
		if len(second.Entries) > 0 {
			runs = append(runs, second)
		}
	}
	return runs
}

func TestPropose(t *testing.T) {
	p := policy
	p.UnquarantineRun = 5
	runs := history(map[string]string{
		"t/flaky.py":          "ppkpppkpppkp",              // 3 of 12: proposed
		"t/broken.py":         "pppppppppfff",              // never flaky: nothing
		"t/was_flaky.py":      "pkpkpppppfff",              // flaky, then broken: not proposed, said why
		"t/cases.py":          "ppkppkpppppp",              // the file flakes through its case:
		"t/cases.py::T.x":     "ppkppkpppppp",              // the case is proposed, not the file
		"t/muted.py":          "pkpkpkpppppp",              // quarantined already: not proposed, 6 clean: removal
		"t/muted_too.py":      "pppppppprppp",              // quarantined: 3 clean after a retried pass: stays
		"t/one_flake.py":      "ppppppppppkp",              // 1 flaky verdict is below flaky_min
		"t/old_flakes.py":     "kk" + "pppppppppppppppppp", // flaky only before the window
		"t/never_muted.py::X": "pppppppppppp",
	})
	q := []Quarantine{{Test: "t/muted.py", Owner: "@o", Issue: "#1", Line: 30}, {Test: "t/muted_too.py", Line: 36}}
	now := day(0).Add(time.Hour)
	pr := Propose(runs, q, p, now)
	var add []string
	for _, a := range pr.Add {
		add = append(add, fmt.Sprintf("%s %d/%d", a.Test, a.Flaky, a.Verdicts))
	}
	if got := strings.Join(add, ", "); got != "t/flaky.py 3/12, t/cases.py::T.x 2/12" {
		t.Errorf("add: %s", got)
	}
	if len(pr.Skipped) != 1 || pr.Skipped[0].Test != "t/was_flaky.py" || !strings.Contains(pr.Skipped[0].Why, "broken") {
		t.Errorf("skipped: %+v", pr.Skipped)
	}
	if len(pr.Remove) != 1 || pr.Remove[0].Test != "t/muted.py" || pr.Remove[0].Clean != 6 {
		t.Errorf("remove: %+v", pr.Remove)
	}
	if a := pr.Add[0]; a.LastFlaky.Commit != "c018" || a.LastFlaky.RunID != "r-c018" || a.Expires != "2030-03-15" {
		t.Errorf("addition %+v", a)
	}

	// The TOML parses, names the entries and leaves owner and issue to fill.
	text := pr.TOML()
	var doc struct {
		Quarantine []map[string]any `toml:"quarantine"`
	}
	if err := toml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, text)
	}
	if len(doc.Quarantine) != 2 || doc.Quarantine[0]["test"] != "t/flaky.py" || doc.Quarantine[0]["owner"] != "" ||
		doc.Quarantine[1]["test"] != "t/cases.py::T.x" {
		t.Errorf("entries %v\n%s", doc.Quarantine, text)
	}
	for _, want := range []string{"# flaky in 3 of 12 verdicts (25 %); last at c018 (run r-c018)",
		`reason = "flaky on main: 3 of 12 verdicts in 14 days"`, "expires = 2030-03-15",
		"# not proposed: t/was_flaky.py:\n#   broken, not flaky",
		"#   tpuci.toml:30: t/muted.py: 6 clean first attempts in a row\n#     owner @o, issue #1\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("TOML lacks %q:\n%s", want, text)
		}
	}
}

func TestProposeNothing(t *testing.T) {
	pr := Propose(nil, nil, policy, day(0))
	if len(pr.Add) != 0 || len(pr.Remove) != 0 || !strings.Contains(pr.TOML(), "# Nothing to quarantine") ||
		!strings.Contains(pr.TOML(), "# Nothing to remove") {
		t.Errorf("%+v\n%s", pr, pr.TOML())
	}
}

// A test name from the record cannot break out of its TOML string.
func TestTOMLQuotesNames(t *testing.T) {
	name := "t/x.py::T.test_\"q\"\n[[quarantine]]\ntest = \"evil\\"
	pr := Proposal{Config: "tpuci.toml", Add: []Addition{{Test: name, Flaky: 2, Verdicts: 2, Rate: 1, Expires: "2030-01-01"}}}
	var doc struct {
		Quarantine []map[string]any `toml:"quarantine"`
	}
	if err := toml.Unmarshal([]byte(pr.TOML()), &doc); err != nil || len(doc.Quarantine) != 1 || doc.Quarantine[0]["test"] != name {
		t.Errorf("%v %v\n%s", err, doc, pr.TOML())
	}
}
