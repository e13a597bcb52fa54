package ci

import (
	"context"
	"fmt"
	"io"
	"math"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/impact"
)

// SZZ corpus: a fix commit F that changes suite tests and source lines;
// git blame of those lines on F's parent names the commits X that
// introduced them. A selector recalls the pair when its plan for X's
// changes (on F's tree, where F's tests exist) runs one of F's tests.
var fixSubject = regexp.MustCompile(`(?i)\bfix`)

// registry names SGLang-JAX's suite registry, whose lines are CI data
// (tpuci's config replaces it), not code a test can catch a defect in.
var registry = map[string]bool{"run_suite.py": true}

// maxIntroFiles leaves out introducing commits too large to say anything
// (mass reformatting, vendoring).
const maxIntroFiles = 200

// SZZPair is one fix and one commit that introduced lines it changed.
type SZZPair struct {
	Fix   string   `json:"fix"`
	Intro string   `json:"intro"`
	Tests []string `json:"tests"` // suite tests the fix changed
	// Whether each selector ran one of Tests at the introducing commit;
	// Random is the chance that a selector with the plan's share did.
	Plan     bool    `json:"tpuci_plan"`
	Baseline bool    `json:"sglang_jax"`
	Random   float64 `json:"random"`
	Share    float64 `json:"share"` // the plan's share of full-PR minutes at Intro
}

// SZZ is the corpus over the replayed commits.
type SZZ struct {
	Fixes int       `json:"fixes"` // fix commits with suite tests and source lines
	Pairs []SZZPair `json:"pairs"`
}

// suiteFiles lists the files of the suites the PR targets run.
func suiteFiles(cfg *config.Config) map[string]bool {
	out := map[string]bool{}
	for _, s := range cfg.Suites {
		if s.Target == "" {
			continue
		}
		for _, f := range s.Files {
			out[f.Path] = true
		}
	}
	return out
}

// szz builds the corpus from the replayed commits and replays each pair.
func (r *replayer) szz(ctx context.Context, commits []Commit, changed map[string][]Change, log io.Writer) (*SZZ, error) {
	tests := suiteFiles(r.cfg)
	out := &SZZ{Pairs: []SZZPair{}}
	for _, c := range commits {
		if !fixSubject.MatchString(c.Subject) {
			continue
		}
		var fixTests, sources []string
		for _, ch := range changed[c.SHA] {
			switch {
			case tests[ch.Path] && ch.Status != "D":
				fixTests = append(fixTests, ch.Path)
			case ch.Status == "M" && strings.HasSuffix(ch.Path, ".py") && !strings.HasPrefix(path.Base(ch.Path), "test_") && !registry[path.Base(ch.Path)]:
				sources = append(sources, ch.Path)
			}
		}
		if len(fixTests) == 0 || len(sources) == 0 {
			continue
		}
		intros, err := r.introducers(ctx, c, sources)
		if err != nil {
			return nil, fmt.Errorf("szz: %s: %w", short(c.SHA), err)
		}
		out.Fixes++
		pairs, err := r.szzPairs(ctx, c, intros, fixTests)
		if err != nil {
			return nil, fmt.Errorf("szz: %s: %w", short(c.SHA), err)
		}
		out.Pairs = append(out.Pairs, pairs...)
	}
	fmt.Fprintf(log, "ci:replay: SZZ corpus: %d fix commits, %d introducing commits\n", out.Fixes, len(out.Pairs))
	return out, nil
}

// szzPairs replays each introducing commit's changes on the fix's tree,
// with the suites as they are there (the fix's tests exist).
func (r *replayer) szzPairs(ctx context.Context, fix Commit, intros, fixTests []string) ([]SZZPair, error) {
	g, err := r.graph(ctx, fix.SHA)
	if err != nil {
		return nil, err
	}
	rules, err := r.rulesAt(ctx, fix.SHA)
	if err != nil {
		return nil, err
	}
	full, err := Make(rules[2], Input{Event: EventPush}, nil, r.opts)
	if err != nil {
		return nil, err
	}
	var out []SZZPair
	for _, x := range intros {
		xc, err := r.git.DiffCommits(ctx, x+"^", x)
		if err != nil || len(xc) > maxIntroFiles || len(xc) == 0 {
			continue // a root commit or one too large to judge
		}
		in := Input{Event: EventPR, Base: x + "^", Head: x, Labels: []string{r.cfg.Gating.RequiredLabel}, Changed: xc}
		pair, err := szzPair(in, g, rules, fixTests, full.TPUMinutes, r.opts)
		if err != nil {
			return nil, fmt.Errorf("at %s: %w", short(x), err)
		}
		pair.Fix, pair.Intro = short(fix.SHA), short(x)
		out = append(out, pair)
	}
	return out, nil
}

// szzPair plans an introducing commit's changes under SGLang-JAX's filters
// and tpuci's plan and says whether each runs one of the fix's tests.
func szzPair(in Input, g *impact.Graph, rules [3]*config.Config, fixTests []string, full float64, o Options) (SZZPair, error) {
	pair := SZZPair{Tests: fixTests}
	for k, cfg := range []*config.Config{rules[0], rules[2]} {
		p, err := Make(cfg, in, g, o)
		if err != nil {
			return pair, err
		}
		hit := slices.ContainsFunc(fixTests, func(t string) bool { return slices.Contains(p.Selection(), t) })
		if k == 0 {
			pair.Baseline = hit
			continue
		}
		pair.Plan = hit
		if full > 0 {
			pair.Share = round(min(p.TPUMinutes/full, 1))
		}
		pair.Random = 1 - math.Pow(1-pair.Share, float64(len(fixTests)))
	}
	return pair, nil
}

var hunkHeader = regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@`)

// introducers blames the lines a fix changed on its parent and returns the
// commits that wrote them, sorted.
func (r *replayer) introducers(ctx context.Context, fix Commit, files []string) ([]string, error) {
	diff, err := r.git.run(ctx, nil, append([]string{"diff", "-U0", "--no-renames", "--no-color", "--end-of-options", fix.Parent, fix.SHA, "--"}, files...)...)
	if err != nil {
		return nil, err
	}
	ranges := map[string][]string{} // file -> -L arguments
	file := ""
	for _, line := range strings.Split(string(diff), "\n") {
		if f, ok := strings.CutPrefix(line, "--- a/"); ok {
			file = f
			continue
		}
		m := hunkHeader.FindStringSubmatch(line)
		if m == nil || file == "" {
			continue
		}
		start, _ := strconv.Atoi(m[1])
		n := 1
		if m[2] != "" {
			n, _ = strconv.Atoi(m[2])
		}
		if n == 0 {
			// Pure insertion after line start: blame that line.
			n = 1
		}
		if start < 1 {
			start = 1
		}
		ranges[file] = append(ranges[file], "-L", fmt.Sprintf("%d,+%d", start, n))
	}
	set := map[string]bool{}
	for f, ls := range ranges {
		args := append(append([]string{"blame", "--porcelain"}, ls...), fix.Parent, "--", f) // blame lacks --end-of-options; Parent is a SHA from git log
		out, err := r.git.run(ctx, nil, args...)
		if err != nil {
			continue // a range past the end of a file git cannot blame
		}
		for _, line := range strings.Split(string(out), "\n") {
			fs := strings.Fields(line)
			if len(fs) >= 3 && len(fs[0]) == 40 && strings.Trim(fs[0], "0123456789abcdef") == "" {
				set[fs[0]] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for sha := range set {
		out = append(out, sha)
	}
	sort.Strings(out)
	return out, nil
}
