package ci

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/ghactions"
	"github.com/sgl-project/tpuci/internal/proc"
	"github.com/sgl-project/tpuci/internal/settings"
)

// gitRepo makes a git repository holding the synthetic repo at commit 1
// and returns its directory.
func gitRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for p, s := range repo {
		write(t, dir, p, s)
	}
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "initial")
	return dir
}

func write(t *testing.T, dir, p, s string) {
	t.Helper()
	full := filepath.Join(dir, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	c := proc.Cmd{Argv: append([]string{"git", "-C", dir, "-c", "user.email=t@t", "-c", "user.name=t"}, args...), Timeout: time.Minute, Stdout: &out, Stderr: &out}
	if _, err := proc.Run(context.Background(), c); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out.String())
	}
	return strings.TrimSpace(out.String())
}

type testEnv struct {
	Env
	env              map[string]string
	stdout, log, ann *bytes.Buffer
}

func newEnv(t *testing.T, dir string, env map[string]string) *testEnv {
	out := t.TempDir()
	te := &testEnv{env: env, stdout: &bytes.Buffer{}, log: &bytes.Buffer{}, ann: &bytes.Buffer{}}
	te.Env = Env{Repo: dir, Config: testConfig(t), Out: out,
		GH: ghactions.FromEnv(func(k string) string { return env[k] }, te.ann), Stdout: te.stdout, Log: te.log}
	te.setenv(t, "", "")
	return te
}

// setenv sets a variable (none when k is empty) and parses the
// settings again, as a new run would.
func (te *testEnv) setenv(t *testing.T, k, v string) {
	t.Helper()
	if k != "" {
		te.env[k] = v
	}
	s, err := settings.Parse(func(k string) string { return te.env[k] })
	if err != nil {
		t.Fatal(err)
	}
	te.Settings = s
}

func TestRunPlanLocal(t *testing.T) {
	dir := gitRepo(t)
	git(t, dir, "checkout", "-q", "-b", "feature")
	write(t, dir, "test/srt/run_eval.py", "import json, os\n")           // uncommitted edit
	write(t, dir, "python/pkg/test/test_new.py", "import pkg.version\n") // untracked
	te := newEnv(t, dir, map[string]string{})
	if err := RunPlan(context.Background(), te.Env, false); err != nil {
		t.Fatalf("%v\n%s", err, te.log)
	}
	out := te.stdout.String()
	if !strings.Contains(out, "plan: local (the working tree against main@") || !strings.Contains(out, "M test/srt/run_eval.py") || !strings.Contains(out, "A python/pkg/test/test_new.py") {
		t.Errorf("explanation:\n%s", out)
	}
	sel, err := os.ReadFile(filepath.Join(te.Out, SelectFile))
	if err != nil || !strings.HasSuffix(string(sel), "\ntest/srt/test_eval.py\n") {
		t.Errorf("select.txt: %q %v", sel, err)
	}
	var p Plan
	data, _ := os.ReadFile(filepath.Join(te.Out, PlanFile))
	if err := json.Unmarshal(data, &p); err != nil || !slices.Equal(p.Required(), []string{"lint", "e2e"}) {
		t.Errorf("plan.json required %v (%v)", p.Required(), err)
	}
	// The jobs get the weights the plan used (estimates here: none measured).
	if w, err := os.ReadFile(filepath.Join(te.Out, WeightsFile)); err != nil || strings.TrimSpace(string(w)) != "{}" {
		t.Errorf("weights.json: %q %v", w, err)
	}
	// TPUCI_SELECT narrows ci:matrix the same way.
	te.setenv(t, "TPUCI_SELECT", filepath.Join(te.Out, SelectFile))
	te.stdout.Reset()
	if err := RunMatrix(te.Env, "e2e"); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(te.stdout.String()); got != `{"include":[{"name":"e2e-1","suite":"e2e-1","part":0,"parts":1,"partition":"0/1","chips":1,"runner":"tpu-1"}]}` {
		t.Errorf("matrix %s", got)
	}
}

func TestRunPlanGitHub(t *testing.T) {
	dir := gitRepo(t)
	base := git(t, dir, "rev-parse", "HEAD")
	write(t, dir, "python/pkg/kernels/flash.py", "X = 2\n")
	git(t, dir, "commit", "-q", "-am", "kernel")
	head := git(t, dir, "rev-parse", "HEAD")
	payload := map[string]any{
		"pull_request": map[string]any{"number": 3, "draft": false, "labels": []any{map[string]any{"name": "run-ci"}},
			"base": map[string]any{"sha": base, "ref": "main"}, "head": map[string]any{"sha": head}},
		"repository": map[string]any{"full_name": "o/r"},
	}
	ev := filepath.Join(t.TempDir(), "event.json")
	b, _ := json.Marshal(payload)
	if err := os.WriteFile(ev, b, 0o644); err != nil {
		t.Fatal(err)
	}
	outputs := filepath.Join(t.TempDir(), "output")
	summary := filepath.Join(t.TempDir(), "summary")
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": ev,
		"GITHUB_OUTPUT": outputs, "GITHUB_STEP_SUMMARY": summary}
	te := newEnv(t, dir, env)
	if err := RunPlan(context.Background(), te.Env, true); err != nil {
		t.Fatalf("%v\n%s", err, te.log)
	}
	got, _ := os.ReadFile(outputs)
	for _, want := range []string{"run_pallas=true\n", "run_e2e=false\n", "run_unitTest1=true\n", "matrix_pallas={\"include\":[{"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("GITHUB_OUTPUT lacks %q:\n%s", want, got)
		}
	}
	sum, _ := os.ReadFile(summary)
	if !strings.Contains(string(sum), "## tpuci plan") || !strings.Contains(string(sum), "python/pkg/test/test_kernel.py") {
		t.Errorf("step summary:\n%s", sum)
	}
	// The time to verdict of this run and of a full run, with their paths.
	if !strings.Contains(string(sum), "| this run | ") || !strings.Contains(string(sum), "| a full run | 47.0 min | 42.0 min | 63.5 | 11 | lint 5.0 (lint, 1 job) → unitTest1") {
		t.Errorf("step summary lacks the time to verdict:\n%s", sum)
	}

	// A draft fails with an error annotation after writing its outputs.
	payload["pull_request"].(map[string]any)["draft"] = true
	b, _ = json.Marshal(payload)
	os.WriteFile(ev, b, 0o644)
	os.Remove(outputs)
	err := RunPlan(context.Background(), te.Env, false)
	if err == nil || !strings.Contains(err.Error(), "draft") {
		t.Fatalf("draft: %v", err)
	}
	if !strings.Contains(te.ann.String(), "::error title=tpuci plan::the pull request is a draft") {
		t.Errorf("annotations: %s", te.ann)
	}
	if got, _ := os.ReadFile(outputs); !strings.Contains(string(got), "run_lint=false") {
		t.Errorf("draft outputs: %s", got)
	}

	// Without history (a shallow clone) the plan runs everything.
	payload["pull_request"].(map[string]any)["draft"] = false
	payload["pull_request"].(map[string]any)["base"] = map[string]any{"sha": strings.Repeat("0", 40)}
	b, _ = json.Marshal(payload)
	os.WriteFile(ev, b, 0o644)
	te.stdout.Reset()
	if err := RunPlan(context.Background(), te.Env, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(te.stdout.String(), "changed files are unknown") || !strings.Contains(te.stdout.String(), "fetch-depth: 0") {
		t.Errorf("unknown base:\n%s", te.stdout)
	}
}

func TestRunFinish(t *testing.T) {
	te := newEnv(t, t.TempDir(), map[string]string{
		"TPUCI_NEEDS": `{"coordinator":{"result":"success","outputs":{"plan":"{\"event\":\"pull_request\",\"required\":[\"lint\"],\"why\":{}}"}},"lint":{"result":"success"},"e2e":{"result":"skipped"}}`,
	})
	if err := RunFinish(context.Background(), te.Env); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(te.stdout.String(), "every job the plan required passed") {
		t.Errorf("stdout:\n%s", te.stdout)
	}
	te.setenv(t, "TPUCI_NEEDS", "")
	if err := RunFinish(context.Background(), te.Env); err == nil || !strings.Contains(err.Error(), "TPUCI_NEEDS is not set") {
		t.Errorf("no needs: %v", err)
	}
}

func TestRunReplay(t *testing.T) {
	dir := gitRepo(t)
	steps := []struct{ file, content, msg string }{
		{"README.md", "docs\n", "docs only"},
		{"python/pkg/kernels/flash.py", "X = 3\n", "kernel"},
		{"test/srt/run_eval.py", "import os\n", "eval helper"},
		{"python/pyproject.toml", "[project]\n", "build file"},
		{"python/pkg/srt/sched.py", "LIMIT = 1\n", "scheduler limit"},
	}
	for _, s := range steps {
		write(t, dir, s.file, s.content)
		git(t, dir, "add", "-A")
		git(t, dir, "commit", "-q", "-m", s.msg)
	}
	// A fix of the limit with a test: the SZZ corpus pairs it with the
	// commit that wrote the line.
	write(t, dir, "python/pkg/srt/sched.py", "LIMIT = 2\n")
	write(t, dir, "python/pkg/test/test_sched.py", "from pkg.srt import sched\nassert sched.LIMIT == 2\n")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "fix the scheduler limit")
	te := newEnv(t, dir, map[string]string{})
	rp, err := RunReplay(context.Background(), te.Env, 10)
	if err != nil {
		t.Fatal(err)
	}
	f := rp.Figures
	if f == nil || f.SZZ.Fixes != 1 || len(f.SZZ.Pairs) != 1 || f.SZZ.Pairs[0].Intro != short(git(t, dir, "rev-parse", "HEAD~1")) {
		t.Fatalf("SZZ corpus %+v", f)
	}
	// SGLang-JAX's filters name python/sgl_jax/**, which this repository
	// lacks: they run nothing here.
	if f.Plan.Recall != 1 || f.Baseline.Recall != 0 || f.Random.Recall <= 0 || f.Random.Recall >= 1 || f.Plan.MeanShare != f.Random.MeanShare {
		t.Errorf("figures %+v %+v %+v", f.Plan, f.Baseline, f.Random)
	}
	if f.Plan.P90Verdict < f.Plan.MeanVerdict || f.FullVerdict < f.Plan.P90Verdict {
		t.Errorf("verdicts: mean %v, p90 %v, full %v", f.Plan.MeanVerdict, f.Plan.P90Verdict, f.FullVerdict)
	}
	if len(rp.Rows) != 6 { // the root commit has no parent
		t.Fatalf("rows %+v", rp.Rows)
	}
	byMsg := map[string]ReplayRow{}
	for _, r := range rp.Rows {
		byMsg[r.Subject] = r
	}
	if r := byMsg["docs only"]; r.Plan != 0 || r.Baseline != 0 {
		t.Errorf("docs: %+v", r)
	}
	if r := byMsg["eval helper"]; r.Plan != 5 || r.Filters <= r.Plan {
		t.Errorf("eval helper: plan %.1f (want test_eval's 5 min), filters %.1f", r.Plan, r.Filters)
	}
	if r := byMsg["build file"]; r.Plan != r.Filters || r.Plan == 0 {
		t.Errorf("build file runs whole targets: %+v", r)
	}
	var out bytes.Buffer
	PrintReplay(&out, rp)
	if !strings.Contains(out.String(), "tpuci plan, import-graph selection:") || !strings.Contains(out.String(), "eval helper") ||
		!strings.Contains(out.String(), "random, same share") || !strings.Contains(out.String(), "SZZ recall (1 fix commits, 1 introducing commits)") {
		t.Errorf("replay table:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(te.Out, ReplayFile)); err != nil {
		t.Error(err)
	}
	if _, err := RunReplay(context.Background(), te.Env, 0); err == nil {
		t.Error("replay 0 commits: want an error")
	}
}

// A suite file that did not exist at a commit costs nothing there, and the
// report names the files the filters would run that the plan dropped.
func TestReplayCountsOnlyFilesThatExisted(t *testing.T) {
	dir := gitRepo(t)
	git(t, dir, "rm", "-q", "test/srt/test_eval.py")
	write(t, dir, "python/pyproject.toml", "[project]\n")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "without eval")
	write(t, dir, "test/srt/test_eval.py", repo["test/srt/test_eval.py"])
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "eval back")
	write(t, dir, "python/pyproject.toml", "[project]\nname = \"x\"\n")
	write(t, dir, "test/srt/run_eval.py", "import sys\n")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "with eval")
	te := newEnv(t, dir, map[string]string{})
	rp, err := RunReplay(context.Background(), te.Env, 3)
	if err != nil {
		t.Fatal(err)
	}
	byMsg := map[string]ReplayRow{}
	for _, r := range rp.Rows {
		byMsg[r.Subject] = r
	}
	without, with := byMsg["without eval"], byMsg["with eval"]
	if with.Filters-without.Filters != 5 {
		t.Errorf("test_eval.py (5 min) counted where it did not exist: %.1f vs %.1f", without.Filters, with.Filters)
	}
	var out bytes.Buffer
	PrintReplay(&out, rp)
	if !strings.Contains(out.String(), "files the filters would run that the plan dropped") {
		t.Errorf("no dropped-files section:\n%s", out.String())
	}
}
