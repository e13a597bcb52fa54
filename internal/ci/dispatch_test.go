package ci

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	dispSHA  = "1111111111111111111111111111111111111111"
	dispBase = "2222222222222222222222222222222222222222"
)

func dispatchPayload(inputs map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"ref": "refs/heads/main", "inputs": inputs,
		"repository": map[string]any{"full_name": "o/r"}})
	return b
}

// A dispatch's inputs are checked before any use; a bad one is one line
// naming the input and what it must be.
func TestParseDispatchPayload(t *testing.T) {
	in, err := ParsePayload(EventDispatch, "event.json", dispatchPayload(map[string]any{
		"sha": dispSHA, "base": dispBase, "pr": "42", "only": "unit-cpu"}), Input{})
	if err != nil || in.Head != dispSHA || in.Base != dispBase || in.Number != 42 || in.Only != "unit-cpu" ||
		in.Ref != "refs/heads/main" || in.Repository != "o/r" {
		t.Fatalf("%+v %v", in, err)
	}
	for _, c := range []struct {
		inputs map[string]any
		want   string
	}{
		{map[string]any{}, `inputs.sha="": want the 40 lower-case hex digits`},
		{map[string]any{"sha": "abc123"}, `inputs.sha="abc123"`},
		{map[string]any{"sha": "ABCDEF" + strings.Repeat("0", 34)}, `inputs.sha="ABCDEF`},
		{map[string]any{"sha": "$(touch /tmp/x)"}, `inputs.sha="$(touch /tmp/x)"`},
		{map[string]any{"sha": dispSHA, "base": "main"}, `inputs.base="main"`},
		{map[string]any{"sha": dispSHA, "pr": "42; rm"}, `inputs.pr="42; rm"`},
		{map[string]any{"sha": dispSHA, "pr": 42}, "inputs.pr: want a string"},
		{map[string]any{"sha": dispSHA, "only": "unitTest1 e2e"}, `inputs.only="unitTest1 e2e"`},
		{map[string]any{"sha": dispSHA, "only": "--help"}, `inputs.only="--help"`},
	} {
		_, err := ParsePayload(EventDispatch, "event.json", dispatchPayload(c.inputs), Input{})
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") ||
			!strings.HasPrefix(err.Error(), "ci:plan: event.json: ") {
			t.Errorf("%v: %v", c.inputs, err)
		}
	}
}

func dispatched(only string, changed ...string) Input {
	in := pr(nil, changed...)
	in.Event, in.Head, in.Base, in.Only, in.Labels = EventDispatch, dispSHA, dispBase, only, nil
	return in
}

func runs(p *Plan) []string { return p.Required() }

// A dispatched PR change plans as a labeled PR would, without the label;
// only= narrows it to one target, or one suite of its target: what the
// change selects of it, else all of it.
func TestDispatchPlanNarrowsToOnly(t *testing.T) {
	cfg := testConfig(t)
	g := graphOf(repo)
	change := "M python/pkg/srt/sched.py"
	plan := func(only string) *Plan {
		t.Helper()
		p, err := Make(cfg, dispatched(only, change), g, Options{})
		if err != nil {
			t.Fatalf("only=%q: %v", only, err)
		}
		return p
	}
	if p := plan(""); p.Blocked != "" || p.Full != "" || !slices.Contains(runs(p), "unitTest1") || !slices.Contains(runs(p), "e2e") {
		t.Errorf("no only: required %v, blocked %q, full %q", runs(p), p.Blocked, p.Full)
	}
	p := plan("unitTest1")
	if !slices.Equal(runs(p), []string{"unitTest1"}) || !slices.Equal(p.Selection(), []string{"python/pkg/test/test_engine.py", "python/pkg/test/test_sched.py"}) {
		t.Errorf("only=unitTest1: required %v, selection %v", runs(p), p.Selection())
	}
	if e2e, _ := p.Target("e2e"); e2e.Why != "not run: the dispatch asks only for unitTest1" || len(e2e.Matrix) != 0 {
		t.Errorf("e2e: %+v", e2e)
	}
	p = plan("unit-cpu") // the change selects none of its files: all of them run
	u, _ := p.Target("unitTest1")
	if !slices.Equal(runs(p), []string{"unitTest1"}) || !slices.Equal(p.Selection(), []string{"python/pkg/test/test_version.py"}) ||
		len(u.Matrix) != 1 || u.Matrix[0].Suite != "unit-cpu" || !strings.Contains(u.Why, "all 1 files run") {
		t.Errorf("only=unit-cpu: required %v, selection %v, target %+v", runs(p), p.Selection(), u)
	}
	p = plan("unit-1")
	u, _ = p.Target("unitTest1")
	if len(u.Suites) != 1 || u.Suites[0].Name != "unit-1" || !slices.Equal(p.Selection(), []string{"python/pkg/test/test_engine.py", "python/pkg/test/test_sched.py"}) ||
		slices.ContainsFunc(u.Matrix, func(e Entry) bool { return e.Suite != "unit-1" }) || u.Minutes != 6 {
		t.Errorf("only=unit-1: %+v", u)
	}
	if p := plan("pallas"); !slices.Equal(runs(p), []string{"pallas"}) {
		t.Errorf("only=pallas: required %v", runs(p))
	}
	for _, only := range []string{"nope", "nightly", "small"} {
		if _, err := Make(cfg, dispatched(only, change), g, Options{}); err == nil || !strings.Contains(err.Error(), "inputs.only="+only+": not a PR target") {
			t.Errorf("only=%s: %v", only, err)
		}
	}
}

// ci:plan on a dispatch: the checkout must be inputs.sha; the change is
// planned from the base (inputs.base, else the dispatched branch) to it.
func TestRunPlanDispatch(t *testing.T) {
	dir := gitRepo(t)
	git(t, dir, "checkout", "-q", "-b", "feature")
	write(t, dir, "python/pkg/kernels/flash.py", "X = 2\n")
	git(t, dir, "commit", "-q", "-am", "kernel")
	head := git(t, dir, "rev-parse", "HEAD")
	ev := filepath.Join(t.TempDir(), "event.json")
	outputs := filepath.Join(t.TempDir(), "output")
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "workflow_dispatch", "GITHUB_EVENT_PATH": ev,
		"GITHUB_OUTPUT": outputs}
	te := newEnv(t, dir, env)
	if err := os.WriteFile(ev, dispatchPayload(map[string]any{"sha": head, "pr": "9", "only": "unitTest1"}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := RunPlan(context.Background(), te.Env, false); err != nil {
		t.Fatalf("%v\n%s", err, te.log)
	}
	got, _ := os.ReadFile(outputs)
	for _, want := range []string{"run_unitTest1=true\n", "run_pallas=false\n", "run_lint=false\n"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("GITHUB_OUTPUT lacks %q:\n%s", want, got)
		}
	}
	if !strings.Contains(te.stdout.String(), "plan: workflow_dispatch #9 in o/r (main.."+head[:10]+"), only unitTest1") ||
		!strings.Contains(te.stdout.String(), "M python/pkg/kernels/flash.py") {
		t.Errorf("explanation:\n%s", te.stdout)
	}

	git(t, dir, "checkout", "-q", "main")
	err := RunPlan(context.Background(), te.Env, false)
	if err == nil || !strings.Contains(err.Error(), "not inputs.sha "+head[:10]+": check out with ref: ${{ inputs.sha }}") {
		t.Errorf("another checkout: %v", err)
	}
	git(t, dir, "checkout", "-q", "feature")
	if err := os.WriteFile(ev, dispatchPayload(map[string]any{"sha": head, "only": "unit-9"}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := RunPlan(context.Background(), te.Env, false); err == nil || !strings.Contains(err.Error(), "inputs.only=unit-9: not a PR target") {
		t.Errorf("unknown only: %v", err)
	}
}
