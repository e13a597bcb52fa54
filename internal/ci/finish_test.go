package ci

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func needsJSON(t *testing.T, gate *Gate, results map[string]string) []byte {
	t.Helper()
	m := map[string]any{}
	for job, res := range results {
		n := map[string]any{"result": res, "outputs": map[string]string{}}
		if job == "coordinator" && gate != nil {
			b, _ := json.Marshal(gate)
			n["outputs"] = map[string]string{"plan": string(b), "run_lint": "true"}
		}
		m[job] = n
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFinishGate(t *testing.T) {
	plan := &Gate{Event: EventPR, Required: []string{"lint", "unitTest1", "e2e"}, Why: map[string]string{"perf": "no change reaches the server", "pallas": "no changed file matches its filters"}}
	all := func(over map[string]string) map[string]string {
		m := map[string]string{"coordinator": Success, "lint": Success, "unit-test-1": Success, "e2e": Success,
			"pallas": Skipped, "perf": Skipped, "unit-test-4": Skipped, "accuracy": Skipped}
		for k, v := range over {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name    string
		gate    *Gate
		results map[string]string
		wantErr string // "" passes
	}{
		{"all required passed, others skipped by the plan", plan, all(nil), ""},
		{"required job failed", plan, all(map[string]string{"e2e": Failure}), "e2e: the job failed"},
		{"required job cancelled", plan, all(map[string]string{"unit-test-1": Cancelled}), "unit-test-1: the job was cancelled"},
		{"required job skipped", plan, all(map[string]string{"e2e": Skipped}), "e2e: the plan requires it but it was skipped"},
		{"optional job failed anyway", plan, all(map[string]string{"perf": Failure}), "perf: the job failed"},
		{"optional job ran and passed", plan, all(map[string]string{"perf": Success}), ""},
		{"coordinator failed (draft)", &Gate{Event: EventPR, Required: []string{}, Error: "the pull request is a draft"},
			all(map[string]string{"coordinator": Failure, "lint": Skipped, "unit-test-1": Skipped, "e2e": Skipped}), "coordinator: the coordinator did not succeed"},
		{"blocked by a missing label", &Gate{Event: EventPR, Required: []string{}, Blocked: "no \"run-ci\" label"},
			all(map[string]string{"lint": Skipped, "unit-test-1": Skipped, "e2e": Skipped}), "plan: no \"run-ci\" label"},
		{"required target without a job", &Gate{Required: []string{"lint", "nightly"}}, all(nil), "no job of the workflow runs it"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows, err := Finish(needsJSON(t, c.gate, c.results), nil)
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("want pass, got %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("want an error containing %q, got %v", c.wantErr, err)
			}
			if len(rows) < len(c.results)-1 {
				t.Errorf("table has %d rows for %d jobs", len(rows), len(c.results))
			}
			var b bytes.Buffer
			FinishTable(&b, rows)
			if c.wantErr != "" && !strings.Contains(b.String(), "FAIL") {
				t.Errorf("table shows no FAIL:\n%s", b.String())
			}
		})
	}
}

func TestFinishTableGolden(t *testing.T) {
	gate := &Gate{Event: EventPR, Required: []string{"lint", "unitTest1", "e2e", "perf"}, Why: map[string]string{
		"pallas": "no changed file matches its filters (pallas_kernel)", "unitTest4": "no test file imports any of the 2 changed Python files",
		"accuracy": "none of the 2 changed Python files reaches the server or script of a case"}}
	results := map[string]string{"coordinator": Success, "lint": Success, "unit-test-1": Success, "e2e": Failure,
		"pallas": Skipped, "perf": Skipped, "unit-test-4": Skipped, "accuracy": Skipped}
	rows, err := Finish(needsJSON(t, gate, results), nil)
	var b bytes.Buffer
	FinishTable(&b, rows)
	b.WriteString("error: " + err.Error() + "\n\n")
	b.WriteString(FinishMarkdown(rows, err))
	golden(t, "finish.txt", b.Bytes())
}

func TestFinishPlanFromEnvWins(t *testing.T) {
	results := map[string]string{"lint": Success, "unit-test-1": Skipped}
	planJSON := []byte(`{"event":"push","required":["lint","unitTest1"],"why":{}}`)
	_, err := Finish(needsJSON(t, nil, results), planJSON)
	if err == nil || !strings.Contains(err.Error(), "unit-test-1: the plan requires it but it was skipped") {
		t.Fatalf("got %v", err)
	}
}

func TestFinishBadInput(t *testing.T) {
	cases := []struct{ needs, plan, want string }{
		{"", "", "TPUCI_NEEDS: want the JSON of toJSON(needs)"},
		{"[1]", "", "TPUCI_NEEDS: want the JSON"},
		{"{}", "", "TPUCI_NEEDS is empty"},
		{`{"lint":{"result":"success"}}`, "", "no plan: set TPUCI_PLAN"},
		{`{"lint":{"result":"success"}}`, "{nope", "TPUCI_PLAN: want the coordinator's plan output"},
	}
	for _, c := range cases {
		_, err := Finish([]byte(c.needs), []byte(c.plan))
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("needs %q plan %q: got %v, want one line containing %q", c.needs, c.plan, err, c.want)
		}
	}
}

func TestJobTarget(t *testing.T) {
	for job, want := range map[string]string{"unit-test-1": "unitTest1", "unit_test_4": "unitTest4", "E2E": "e2e", "lint": "lint", "finish": "", "coordinator": ""} {
		if got := JobTarget(job); got != want {
			t.Errorf("JobTarget(%q) = %q, want %q", job, got, want)
		}
	}
}
