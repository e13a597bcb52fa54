package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/proc"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// newRepo makes a tiny SGLang-JAX-shaped git checkout with an empty config.
func newRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "python", "sgl_jax"), 0o755)
	os.WriteFile(filepath.Join(dir, "tpuci.toml"), []byte("[repo]\npython = \"\"\n"), 0o644)
	needs.Tool(t, "git")
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x"}} {
		if _, err := proc.Output(context.Background(), dir, append([]string{"git"}, args...)...); err != nil {
			t.Fatalf("git %v: %v", args, err)
		}
	}
	return dir
}

func session(t *testing.T, repo string, env map[string]string) (*Session, *bytes.Buffer) {
	t.Helper()
	env["TPUCI_OUT"] = filepath.Join(repo, "out")
	var out bytes.Buffer
	s, err := NewSession(func(k string) string { return env[k] }, repo, &out, &out)
	if err != nil {
		t.Fatal(err)
	}
	return s, &out
}

func TestMissingToolSkipsLocallyFailsInCI(t *testing.T) {
	repo := newRepo(t)
	os.WriteFile(filepath.Join(repo, "tpuci.toml"), []byte("[repo]\npython = \"\"\n[lint]\npaths = [\"python\"]\n"), 0o644)
	body := func(context.Context, *workspace.Workspace, *Stage) error {
		return &MissingTool{Tool: "pylint", Install: "apt-get install pylint"}
	}
	s, _ := session(t, repo, map[string]string{})
	if err := s.Run(context.Background(), "lint", body); err != nil {
		t.Fatalf("local run failed: %v", err)
	}
	if st := s.Stages()[0]; st.Status != report.Skipped || !strings.Contains(st.Reason, "apt-get install pylint") {
		t.Fatalf("local: %+v", st)
	}
	s, _ = session(t, repo, map[string]string{"CI": "true"})
	if err := s.Run(context.Background(), "lint", body); err == nil || !strings.Contains(err.Error(), "apt-get install pylint") {
		t.Fatalf("CI run: %v", err)
	}
}

func TestReportsWrittenOnFailure(t *testing.T) {
	repo := newRepo(t)
	s, _ := session(t, repo, map[string]string{})
	err := s.Run(context.Background(), "unitTest1", func(_ context.Context, _ *workspace.Workspace, st *Stage) error {
		st.Cases = []report.Case{{Name: "a", Status: report.Passed}, {Name: "b", Status: report.Failed, Message: "boom"}}
		st.Failures = []string{"b: boom"}
		return nil
	})
	if err == nil {
		t.Fatal("failing case did not fail the stage")
	}
	out := filepath.Join(repo, "out")
	for _, f := range []string{"unitTest1.json", "junit/unitTest1.xml", "summary.md"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, "summary.md"))
	if !strings.Contains(string(md), "| unitTest1 | ❌ failed") || !strings.Contains(string(md), "b: boom") {
		t.Errorf("summary:\n%s", md)
	}
}

func TestPassedDependencyIsNotRerun(t *testing.T) {
	repo := newRepo(t)
	runs := 0
	body := func(_ context.Context, _ *workspace.Workspace, st *Stage) error {
		runs++
		st.Cases = []report.Case{{Name: "x", Status: report.Passed}}
		return nil
	}
	s, _ := session(t, repo, map[string]string{})
	if err := s.Run(context.Background(), "lint", body); err != nil {
		t.Fatal(err)
	}
	s, _ = session(t, repo, map[string]string{})
	if err := s.Run(AsDependency(context.Background()), "lint", body); err != nil {
		t.Fatal(err)
	}
	if runs != 1 || !strings.Contains(s.Stages()[0].Reason, "already passed") {
		t.Fatalf("runs=%d stage=%+v", runs, s.Stages()[0])
	}
	// Asked for directly, it runs again; with another config it runs again.
	if err := s.Run(context.Background(), "lint", body); err != nil || runs != 2 {
		t.Fatalf("direct run: %v runs=%d", err, runs)
	}
	s, _ = session(t, repo, map[string]string{"TPUCI_FORCE": "1"})
	s.Run(AsDependency(context.Background()), "lint", body)
	if runs != 3 {
		t.Fatalf("TPUCI_FORCE did not rerun: runs=%d", runs)
	}
	// A variable that changes the results (here the server flags) reruns too.
	s, _ = session(t, repo, map[string]string{"TPUCI_SERVER_ARGS": "--sim-slowdown 1.2"})
	s.Run(AsDependency(context.Background()), "lint", body)
	if runs != 4 {
		t.Fatalf("changed TPUCI_SERVER_ARGS did not rerun: runs=%d", runs)
	}
	var rec report.TargetResult
	data, _ := os.ReadFile(filepath.Join(repo, "out", "lint.json"))
	if err := json.Unmarshal(data, &rec); err != nil || rec.Commit == "" || rec.Config == "" {
		t.Fatalf("record: %v %+v", err, rec)
	}
}

// A step runs when the steps it needs passed, even after an unrelated
// failure; a step whose need failed, and its own dependents, are recorded
// as not run.
func TestProgressiveFollowsNeeds(t *testing.T) {
	repo := newRepo(t)
	s, _ := session(t, repo, map[string]string{})
	var ran []string
	invoke := func(ctx context.Context, fn any) error {
		name := fn.(string)
		ran = append(ran, name)
		if name == "bench" || name == "tests" {
			return errors.New(name + " failed")
		}
		return nil
	}
	steps := []Step{
		{Name: "lint", Fn: "lint"},
		{Name: "tests", Fn: "tests", Needs: []string{"lint"}},
		{Name: "bench", Fn: "bench", Needs: []string{"lint"}},
		{Name: "serve", Fn: "serve", Needs: []string{"tests"}},
		{Name: "eval", Fn: "eval", Needs: []string{"serve"}},
		{Name: "docs", Fn: "docs", Needs: []string{"lint"}},
	}
	err := s.Progressive(context.Background(), steps, invoke)
	if err == nil || strings.Join(ran, ",") != "lint,tests,bench,docs" {
		t.Fatalf("err=%v ran=%v", err, ran)
	}
	var notRun []string
	for _, st := range s.Stages() {
		if st.Status != report.Skipped || !strings.Contains(st.Reason, "did not pass") {
			t.Errorf("%s: %s %q", st.Target, st.Status, st.Reason)
		}
		notRun = append(notRun, st.Target+": "+st.Reason)
	}
	if got := strings.Join(notRun, "; "); got != "serve: not run: tests did not pass; eval: not run: serve did not pass" {
		t.Errorf("not run: %s", got)
	}
}

// A panic in a stage fails it with the reason and still writes the
// results JSON, JUnit and summary.
func TestPanicInStageWritesReports(t *testing.T) {
	repo := newRepo(t)
	s, _ := session(t, repo, map[string]string{})
	err := s.Run(context.Background(), "perf", func(context.Context, *workspace.Workspace, *Stage) error {
		panic("assignment to entry in nil map")
	})
	if err == nil || !strings.Contains(err.Error(), "internal error") {
		t.Fatalf("err = %v", err)
	}
	out := filepath.Join(repo, "out")
	for _, f := range []string{"perf.json", "junit/perf.xml", "summary.md"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	x, _ := os.ReadFile(filepath.Join(out, "junit/perf.xml"))
	if !strings.Contains(string(x), "assignment to entry in nil map") {
		t.Errorf("JUnit lacks the reason:\n%s", x)
	}
	if code := s.ExitCode(err); code != err {
		t.Errorf("a failure that is no interruption keeps exit code 1: %v", code)
	}
}

// An interrupted session's error carries 130 for SIGINT, 143 for SIGTERM
// and for the parent's exit.
func TestInterruptExitCodes(t *testing.T) {
	for sig, want := range map[os.Signal]int{os.Interrupt: 130, syscall.SIGTERM: 143, parentDeathSignal: 143} {
		s := &Session{interrupt: interruptOf(sig)}
		var ee *ExitError
		if err := s.ExitCode(errors.New("x")); !errors.As(err, &ee) || ee.ExitStatus() != want {
			t.Errorf("%s: %v, want exit %d", sig, err, want)
		}
	}
}

// Under CI=true a configuration without any stage fails: nothing to run
// is not a pass. Locally it still only skips.
func TestNothingToRunFailsInCI(t *testing.T) {
	repo := newRepo(t)
	skip := func(context.Context, *workspace.Workspace, *Stage) error { return Skip("no suites configured") }
	s, _ := session(t, repo, map[string]string{"CI": "true"})
	err := s.Run(context.Background(), "unitTest1", skip)
	if err == nil || !strings.Contains(err.Error(), "nothing to run is not a pass") {
		t.Fatalf("CI: %v", err)
	}
	data, _ := os.ReadFile(filepath.Join(repo, "out", "unitTest1.json"))
	if !strings.Contains(string(data), `"status": "error"`) {
		t.Errorf("record: %s", data)
	}
	s, _ = session(t, repo, map[string]string{})
	if err := s.Run(context.Background(), "unitTest1", skip); err != nil {
		t.Fatalf("local: %v", err)
	}
}

// A run cut short, by a signal or by the whole job's timeout, says
// "partial" in words in the terminal summary and in summary.md, not only
// in the JSON.
func TestPartialRunSaysSoInWords(t *testing.T) {
	for _, c := range []struct {
		why string
		ctx func() context.Context
		sig os.Signal
	}{
		{"interrupted by SIGTERM", context.Background, syscall.SIGTERM},
		{ErrJobTimeout.Error(), func() context.Context {
			ctx, cancel := context.WithTimeout(context.Background(), jobTimeoutMargin/2) // the stage's deadline has passed
			t.Cleanup(cancel)
			return ctx
		}, nil},
	} {
		s, out := session(t, newRepo(t), map[string]string{})
		sig, interrupt := context.WithCancelCause(context.Background())
		s.sig = sig
		s.Run(c.ctx(), "unitTest1", func(ctx context.Context, _ *workspace.Workspace, st *Stage) error {
			st.Cases = []report.Case{{Name: "finished", Status: report.Passed}}
			if c.sig != nil {
				s.mu.Lock()
				s.interrupt = interruptOf(c.sig)
				s.mu.Unlock()
				interrupt(s.interrupt)
			}
			<-ctx.Done()
			return ctx.Err()
		})
		s.PrintSummary()
		md, _ := os.ReadFile(filepath.Join(s.WS.Out, "summary.md"))
		for where, text := range map[string]string{"terminal": out.String(), "summary.md": string(md)} {
			words := strings.Join(strings.Fields(text), " ")
			if !strings.Contains(words, "failed, partial") || !strings.Contains(words, "Partial run: "+c.why) && !strings.Contains(words, "Partial run**: "+c.why) {
				t.Errorf("%s: %s does not say partial in words:\n%s", c.why, where, text)
			}
		}
	}
}
