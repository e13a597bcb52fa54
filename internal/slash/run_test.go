package slash

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/settings"
)

// ci:command end to end below the target: the payload file, the
// configuration's names and label, one line printed, command.json
// written; a wrong event or a missing token stops it before any call.
func TestRunCommandReadsThePayloadAndRecords(t *testing.T) {
	s := fake(t)
	dir := t.TempDir()
	payload := `{"action":"created","issue":{"number":42,"pull_request":{}},
	  "comment":{"id":7001,"body":"/rerun unit-test-cpu","user":{"login":"maint","type":"User"},"author_association":"MEMBER"},
	  "repository":{"full_name":"sgl-project/sglang-jax","default_branch":"main"},"sender":{"login":"maint","type":"User"}}`
	path := filepath.Join(dir, "event.json")
	if err := os.WriteFile(path, []byte(payload), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Suites: []config.Suite{{Name: "unit-test-cpu", Target: "unitTest1"}}}
	cfg.Gating.RequiredLabel = "run-ci"
	gh := settings.GitHub{EventName: "issue_comment", EventPath: path, APIURL: s.URL, Token: token, RunID: "555"}
	var out, log bytes.Buffer
	e := Env{GitHub: gh, Config: cfg, Out: dir, Stdout: &out, Log: &log}
	if err := RunCommand(context.Background(), e); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if !strings.HasPrefix(out.String(), "ci:command: /rerun unit-test-cpu on #42: done: started PR Test on `111111111111`") {
		t.Errorf("printed %q", out.String())
	}
	data, err := os.ReadFile(filepath.Join(dir, OutcomeFile))
	if err != nil {
		t.Fatal(err)
	}
	var rec Outcome
	if err := json.Unmarshal(data, &rec); err != nil || rec.Dispatch["only"] != "unit-test-cpu" || rec.Reaction != "+1" {
		t.Errorf("command.json: %+v %v", rec, err)
	}
	if len(s.Dispatches) != 1 {
		t.Errorf("dispatches %+v", s.Dispatches)
	}

	for _, c := range []struct {
		gh   settings.GitHub
		want string
	}{
		{settings.GitHub{EventName: "pull_request", EventPath: path, APIURL: s.URL, Token: token}, `GITHUB_EVENT_NAME="pull_request"`},
		{settings.GitHub{EventName: "issue_comment", APIURL: s.URL, Token: token}, "GITHUB_EVENT_PATH is not set"},
		{settings.GitHub{EventName: "issue_comment", EventPath: path, APIURL: s.URL}, "GITHUB_TOKEN is not set"},
		{settings.GitHub{EventName: "issue_comment", EventPath: path, APIURL: "file:///x", Token: token}, "GITHUB_API_URL is not an http(s) URL"},
	} {
		calls := len(s.Calls)
		e.GitHub = c.gh
		if err := RunCommand(context.Background(), e); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v", c.gh, err)
		}
		if len(s.Calls) != calls {
			t.Errorf("%s: API called", c.want)
		}
	}
}
