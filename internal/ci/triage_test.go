package ci

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/failclass"
	"github.com/sgl-project/tpuci/internal/githubtest"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/triage"
)

const (
	fileA = "python/sgl_jax/test/test_a.py"
	fileB = "python/sgl_jax/test/test_b.py"
	fileC = "python/sgl_jax/test/test_c.py"
	fileD = "python/sgl_jax/test/test_d.py"
)

// fileCase is a suite file's own case, as the suite runner records it.
func fileCase(path string, st report.Status, msg string, earlier ...string) report.Case {
	c := report.Case{Name: path, Class: "unit-test-cpu", File: path, Status: st, Message: msg}
	for _, m := range earlier {
		c.Attempts = append(c.Attempts, report.Attempt{Status: report.Failed, Message: m})
	}
	return c
}

func stage(target string, cases ...report.Case) *report.TargetResult {
	tr := &report.TargetResult{Target: target, Status: report.Passed, Cases: cases}
	for _, c := range cases {
		if c.Status == report.Failed || c.Status == report.Errored {
			tr.Status = report.Failed
			tr.Failures = append(tr.Failures, c.File+": "+c.Message)
		}
	}
	return tr
}

// mainHistory is main's record as Build would give it: B failed on main
// with the fingerprint it fails with here.
func mainHistory(bMessage string) triage.History {
	return triage.History{
		Latest: map[string]triage.Verdict{
			fileA: {Test: fileA, Commit: strings.Repeat("a", 40), Outcome: triage.Passed},
			fileB: {Test: fileB, Commit: strings.Repeat("b", 40), Outcome: triage.Failed,
				Fingerprint: triage.Fingerprint(fileB, bMessage), RunID: "7", RunURL: "https://github.com/o/r/actions/runs/7"},
		},
		Flakes: map[string]triage.FlakeStat{},
	}
}

var (
	msgA = "AssertionError: 2 != 3"
	msgB = "AssertionError: main is broken at /tmp/x1/y"
	msgD = "AssertionError: hangs sometimes"
)

func quarantineD(now time.Time) []triage.Quarantine {
	return []triage.Quarantine{{Test: fileD, Reason: "hangs one run in thirty", Owner: "@dee", Issue: "#12",
		Expires: now.AddDate(0, 1, 0), Line: 40}}
}

func prGate() Gate {
	return Gate{Event: EventPR, Required: []string{"lint", "unitTest1"}, Why: map[string]string{},
		Entries: map[string]int{"lint": 1, "unitTest1": 1}, Changed: []string{fileA}}
}

func failedRows(unit string) []Row {
	return []Row{{Job: "coordinator", Result: Success, Required: true, OK: true},
		{Job: "lint", Target: "lint", Result: Success, Required: true, OK: true},
		judgeJob("unit-test-1", unit, prGate())}
}

// A PR whose change breaks A while main already fails B, C flakes once
// and a quarantined D fails: the job fails because of A alone; without A
// it passes the gate, saying main already fails.
func TestTriageNewMainFlakyQuarantined(t *testing.T) {
	now := time.Now()
	in := TriageInput{History: mainHistory(strings.Replace(msgB, "x1", "x2", 1)), Policy: triage.Policy{FlakyMin: 2, FlakyRate: 0.01},
		Quarantine: quarantineD(now), Now: now, Source: "test"}
	cases := []report.Case{fileCase(fileA, report.Failed, msgA), fileCase(fileB, report.Failed, msgB),
		fileCase(fileC, report.Passed, "", "AssertionError: flaked"), fileCase(fileD, report.Failed, msgD)}
	recs := map[string][]JobRecord{"unit-test-1": {{Artifact: "tpuci-unit-test-1-unit-test-cpu-0", Result: stage("unitTest1", cases...)}}}

	rows := failedRows(Failure)
	tri := TriageRows(rows, prGate(), recs, in)
	got := map[string]string{}
	for _, d := range tri.Decisions {
		got[d.Test] = ClassOf(d)
	}
	want := map[string]string{fileA: "new", fileB: "main", fileC: FlakyPass, fileD: "quarantined"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: class %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if tri.Outcome != triage.ChangeFailing || tri.ExitCode != 1 || rows[2].OK {
		t.Errorf("with A: outcome %q exit %d, row %+v", tri.Outcome, tri.ExitCode, rows[2])
	}
	var out bytes.Buffer
	TriageTable(&out, tri)
	if !report.Fits(out.String()) || !strings.Contains(out.String(), "verdict: fails because of this change") {
		t.Errorf("table:\n%s", out.String())
	}
	if lines := strings.Split(out.String(), "\n"); !strings.HasPrefix(lines[1], "unit-test-1  "+fileA) {
		t.Errorf("the gating failure is not first:\n%s", out.String())
	}

	// Without A: only main's failure, a flaky pass and a quarantined test.
	recs["unit-test-1"][0].Result = stage("unitTest1", cases[1:]...)
	rows = failedRows(Failure)
	tri = TriageRows(rows, prGate(), recs, in)
	if tri.Outcome != triage.OnlyMainReds || tri.ExitCode != 0 || !rows[2].OK || RowsError(rows) != nil {
		t.Fatalf("without A: outcome %q exit %d, rows %+v", tri.Outcome, tri.ExitCode, rows)
	}
	if !strings.Contains(rows[2].Why, "1 already failing on main, 1 quarantined") {
		t.Errorf("row why: %q", rows[2].Why)
	}

	// The same failures on main itself: main is red, B counts.
	g := prGate()
	g.Event, g.Changed = EventPush, nil
	rows = failedRows(Failure)
	tri = TriageRows(rows, g, recs, in)
	if tri.Verdict() != "red" || tri.ExitCode != 1 || rows[2].OK || strings.Join(tri.Red(), ",") != fileB {
		t.Errorf("on main: verdict %q exit %d red %v rows %+v", tri.Verdict(), tri.ExitCode, tri.Red(), rows)
	}

	// A change to B's file makes main's failure the change's.
	g = prGate()
	g.Changed = []string{fileB}
	rows = failedRows(Failure)
	if tri = TriageRows(rows, g, recs, in); tri.ExitCode != 1 || rows[2].OK {
		t.Errorf("change touching B: exit %d, rows %+v", tri.ExitCode, rows)
	}
	// So does a plan whose changed files were cut short.
	g = prGate()
	g.ChangedOmitted = 3
	rows = failedRows(Failure)
	if tri = TriageRows(rows, g, recs, in); tri.ExitCode != 1 {
		t.Errorf("changed files cut short: exit %d", tri.ExitCode)
	}
}

// A failed job that wrote no stage record (or fewer than its matrix has
// jobs) still fails: infrastructure, rerun.
func TestTriageJobWithoutRecordFails(t *testing.T) {
	in := TriageInput{History: mainHistory(msgB), Now: time.Now()}
	rows := failedRows(Failure)
	tri := TriageRows(rows, prGate(), nil, in)
	if rows[2].OK || tri.ExitCode != 1 || tri.Outcome != triage.InfraRerun || len(tri.Untriaged) != 1 ||
		!strings.Contains(rows[2].Why, "no stage record") {
		t.Fatalf("no record: %+v %+v", tri, rows[2])
	}
	g := prGate()
	g.Entries["unitTest1"] = 2
	recs := map[string][]JobRecord{"unit-test-1": {{Artifact: "tpuci-unit-test-1-unit-test-cpu-0",
		Result: stage("unitTest1", fileCase(fileB, report.Failed, msgB))}}}
	rows = failedRows(Failure)
	if TriageRows(rows, g, recs, in); rows[2].OK || !strings.Contains(rows[2].Why, "1 of its 2 jobs wrote no stage record") {
		t.Fatalf("one of two records: %+v", rows[2])
	}
	// A cancelled job is never excused.
	rows = failedRows(Cancelled)
	if tri = TriageRows(rows, prGate(), recs, in); rows[2].OK || tri.ExitCode != 1 {
		t.Fatalf("cancelled: %+v", rows[2])
	}
}

// JobRecords reads the stage records of each job's artifacts and nothing
// else.
func TestJobRecords(t *testing.T) {
	dir := t.TempDir()
	write := func(artifact, name string, v any) {
		if err := report.WriteJSON(filepath.Join(dir, artifact, name), v); err != nil {
			t.Fatal(err)
		}
	}
	write("tpuci-unit-test-1-unit-test-cpu-0", "unitTest1.json", stage("unitTest1", fileCase(fileA, report.Failed, msgA)))
	write("tpuci-unit-test-1-unit-test-cpu-0", "durations.json", map[string]float64{fileA: 1})
	write("tpuci-unit-test-1-unit-test-cpu-0", "lint.json", stage("unitTest1")) // not its own name
	write("tpuci-plan", "plan.json", map[string]any{"event": "push"})
	write("tpuci-lint", "lint.json", stage("lint"))
	if err := os.WriteFile(filepath.Join(dir, "tpuci-lint", "broken.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, err := JobRecords(dir, []string{"coordinator", "lint", "unit-test-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs["unit-test-1"]) != 1 || len(recs["lint"]) != 1 || len(recs) != 2 {
		t.Fatalf("records: %+v", recs)
	}
	f := JobFailures(recs)
	if len(f["unit-test-1"]) != 1 || !strings.HasPrefix(f["unit-test-1"][0], "unit-test-1-unit-test-cpu-0: "+fileA) {
		t.Errorf("failures: %v", f)
	}
}

// The plan's gate carries the changed files, cut at MaxGateChanged, and
// the jobs of each target that runs.
func TestGateCarriesTheChange(t *testing.T) {
	p := &Plan{Input: Input{Event: EventPR}, Targets: []Target{{Name: "lint", Run: true},
		{Name: "unitTest1", Run: true, Matrix: []Entry{{Name: "a"}, {Name: "b"}}}, {Name: "e2e"}}}
	for i := 0; i < MaxGateChanged+7; i++ {
		p.Files = append(p.Files, File{Path: "f" + string(rune('a'+i%26))})
	}
	g := p.Gate()
	if len(g.Changed) != MaxGateChanged || g.ChangedOmitted != 7 || g.Entries["lint"] != 1 || g.Entries["unitTest1"] != 2 ||
		g.Entries["e2e"] != 0 {
		t.Errorf("gate: %d changed, %d omitted, entries %v", len(g.Changed), g.ChangedOmitted, g.Entries)
	}
}

// The triage table fits 100 columns whatever the names.
func TestTriageTableFits(t *testing.T) {
	long := strings.Repeat("deep/", 20) + "test_something_rather_long.py::TestClass::test_case"
	tri := &Triage{Event: EventPR, Outcome: triage.InfraRerun, Decisions: []triage.Decision{
		{Failure: triage.Failure{Job: "unit-test-1-with-a-long-job-name", Test: long, Message: "x"}, Triage: failclass.Infra, Gates: true,
			Why: strings.Repeat("a reason that goes on ", 12)}}}
	var out bytes.Buffer
	TriageTable(&out, tri)
	if !report.Fits(out.String()) || !strings.Contains(out.String(), "test_case") || !strings.Contains(out.String(), "verdict: infrastructure: rerun") {
		t.Errorf("table does not fit or lost the test's end:\n%s", out.String())
	}
}

// ci:finish on a PR writes one summary comment and edits it on the next
// run; without a token it says why in one line and posts nothing; the
// token is in no output.
func TestRunFinishSummaryComment(t *testing.T) {
	srv := githubtest.New(t, "o/r", "s3cr3t-token")
	results := t.TempDir()
	if err := report.WriteJSON(filepath.Join(results, "tpuci-unit-test-1-unit-test-cpu-0", "unitTest1.json"),
		stage("unitTest1", fileCase(fileA, report.Failed, msgA))); err != nil {
		t.Fatal(err)
	}
	ev := filepath.Join(t.TempDir(), "event.json")
	payload := `{"action":"synchronize","number":42,"pull_request":{"number":42,"draft":false,"labels":[],` +
		`"base":{"sha":"` + strings.Repeat("a", 40) + `","ref":"main"},"head":{"sha":"` + strings.Repeat("c", 40) + `","ref":"f"}}}`
	if err := os.WriteFile(ev, []byte(payload), 0o644); err != nil {
		t.Fatal(err)
	}
	gate := `{\"event\":\"pull_request\",\"required\":[\"unitTest1\"],\"why\":{},\"entries\":{\"unitTest1\":1},\"changed\":[\"` + fileA + `\"]}`
	te := newEnv(t, t.TempDir(), map[string]string{
		"TPUCI_NEEDS":       `{"coordinator":{"result":"success","outputs":{"plan":"` + gate + `"}},"unit-test-1":{"result":"failure"}}`,
		"TPUCI_RESULTS":     results,
		"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": ev, "GITHUB_REPOSITORY": "o/r",
		"GITHUB_API_URL": srv.URL, "GITHUB_TOKEN": "s3cr3t-token",
	})
	for run := 1; run <= 2; run++ {
		err := RunFinish(context.Background(), te.Env)
		if err == nil || !strings.Contains(err.Error(), fileA) {
			t.Fatalf("run %d: %v", run, err)
		}
	}
	got := srv.CommentsOn(42)
	if len(got) != 1 || got[0].Edits != 1 || !strings.Contains(got[0].Body, "### tpuci: fails because of this change") ||
		!strings.Contains(got[0].Body, "`"+fileA+"`") {
		t.Fatalf("comments: %+v\nlog:\n%s", got, te.log)
	}
	var doc struct {
		Triage Triage `json:"triage"`
	}
	data, _ := os.ReadFile(filepath.Join(te.Out, FinishFile))
	if err := json.Unmarshal(data, &doc); err != nil || doc.Triage.Outcome != triage.ChangeFailing || len(doc.Triage.Decisions) != 1 {
		t.Errorf("finish.json: %s %v", data, err)
	}
	te.setenv(t, "GITHUB_TOKEN", "")
	te.log.Reset()
	_ = RunFinish(context.Background(), te.Env)
	if n := strings.Count(te.log.String(), "no PR summary comment: GITHUB_TOKEN is not set"); n != 1 || len(srv.CommentsOn(42)) != 1 {
		t.Errorf("without a token: %d lines, %d comments\n%s", n, len(srv.CommentsOn(42)), te.log)
	}
	for _, out := range []string{te.stdout.String(), te.log.String(), te.ann.String(), string(data)} {
		if strings.Contains(out, "s3cr3t-token") {
			t.Error("the token is in the output")
		}
	}
}

// A run dispatched for a pull request (TPUCI_PR) is a change: its verdict
// is a PR's, and its summary goes to that PR, naming the commit it tested.
func TestRunFinishDispatchedForAPR(t *testing.T) {
	srv := githubtest.New(t, "o/r", "tok")
	results := t.TempDir()
	if err := report.WriteJSON(filepath.Join(results, "tpuci-unit-test-1-unit-test-cpu-0", "unitTest1.json"),
		stage("unitTest1", fileCase(fileA, report.Failed, msgA))); err != nil {
		t.Fatal(err)
	}
	gate := `{\"event\":\"workflow_dispatch\",\"required\":[\"unitTest1\"],\"why\":{},\"entries\":{\"unitTest1\":1}}`
	te := newEnv(t, t.TempDir(), map[string]string{
		"TPUCI_NEEDS":       `{"coordinator":{"result":"success","outputs":{"plan":"` + gate + `"}},"unit-test-1":{"result":"failure"}}`,
		"TPUCI_RESULTS":     results,
		"GITHUB_EVENT_NAME": "workflow_dispatch", "GITHUB_REPOSITORY": "o/r", "GITHUB_SHA": strings.Repeat("d", 40),
		"GITHUB_API_URL": srv.URL, "GITHUB_TOKEN": "tok", "TPUCI_PR": "7",
	})
	if err := RunFinish(context.Background(), te.Env); err == nil {
		t.Fatal("a failing dispatched run passed")
	}
	got := srv.CommentsOn(7)
	if len(got) != 1 || !strings.Contains(got[0].Body, "### tpuci: fails because of this change") ||
		!strings.Contains(got[0].Body, "commit `dddddddddd`") {
		t.Fatalf("comments on #7: %+v\n%s", got, te.log)
	}
	if !strings.Contains(te.stdout.String(), "verdict: fails because of this change") {
		t.Errorf("stdout:\n%s", te.stdout)
	}
}
