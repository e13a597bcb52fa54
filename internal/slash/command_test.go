package slash

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/githubtest"
)

const (
	repo     = "sgl-project/sglang-jax"
	token    = "ghs_tpuciTestTokenNeverPrinted0123456789"
	headSHA  = "1111111111111111111111111111111111111111"
	baseSHA  = "2222222222222222222222222222222222222222"
	otherSHA = "3333333333333333333333333333333333333333"
	oldSHA   = "4444444444444444444444444444444444444444"
)

// fake is the API with PR 42, from a fork whose branch is called main
// (as the base repository's), and users of every permission.
func fake(t *testing.T) *githubtest.Server {
	s := githubtest.New(t, repo, token)
	for user, p := range map[string]string{"maint": "maintain", "owner1": "admin", "writer": "write",
		"triager": "triage", "reader": "read"} {
		s.Perms[user] = p
	}
	s.Pulls[42] = &githubtest.Pull{Number: 42, HeadSHA: headSHA, HeadRef: "main", HeadRepo: "someone/sglang-jax",
		BaseSHA: baseSHA, BaseRef: "main"}
	return s
}

// runs are PR Test runs around PR 42's head: an older failed attempt of
// the head, the failed run of the head to rerun, another PR's newer
// failed run from a branch with the same name, and an in-progress run of
// an older commit of the PR started later.
func runs() []*githubtest.Run {
	return []*githubtest.Run{
		{ID: 90, Workflow: "pr-test.yml", HeadSHA: oldSHA, HeadBranch: "main", Event: "pull_request", Status: "completed", Conclusion: "failure"},
		{ID: 101, Workflow: "pr-test.yml", HeadSHA: headSHA, HeadBranch: "main", Event: "pull_request", Status: "completed", Conclusion: "failure", PR: 42},
		{ID: 102, Workflow: "pr-test.yml", HeadSHA: otherSHA, HeadBranch: "main", Event: "pull_request", Status: "completed", Conclusion: "failure", PR: 43},
		{ID: 103, Workflow: "pr-test.yml", HeadSHA: oldSHA, HeadBranch: "main", Event: "pull_request", Status: "in_progress"},
		{ID: 104, Workflow: "nightly-test.yml", HeadSHA: headSHA, HeadBranch: "main", Event: "schedule", Status: "completed", Conclusion: "failure"},
	}
}

func event(body, user, assoc string) Event {
	return Event{Action: "created", Repo: repo, DefaultBranch: "main", Issue: 42, PR: true, CommentID: 7001,
		Body: body, Author: user, Sender: user, Association: assoc}
}

func execute(t *testing.T, s *githubtest.Server, ev Event) (*Outcome, string, error) {
	t.Helper()
	gh, err := NewClient(s.URL, token)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	out, err := Execute(context.Background(), gh, Options{Event: ev, Names: testNames, Label: "run-ci", Log: &log,
		RunURL: "https://github.com/" + repo + "/actions/runs/555"})
	return out, log.String(), err
}

// reactions are the contents the comment got, in order.
func reactions(s *githubtest.Server, comment int64) []string {
	s.Lock()
	defer s.Unlock()
	var out []string
	for _, r := range s.Reactions {
		if r.Comment == comment {
			out = append(out, r.Content)
		}
	}
	return out
}

// nothingRan checks that no rerun, dispatch or label was asked for.
func nothingRan(t *testing.T, s *githubtest.Server) {
	t.Helper()
	s.Lock()
	defer s.Unlock()
	if len(s.Reruns) > 0 || len(s.Dispatches) > 0 || len(s.Pulls[42].Labels) > 0 {
		t.Errorf("something ran: reruns %v, dispatches %v, labels %v", s.Reruns, s.Dispatches, s.Pulls[42].Labels)
	}
}

func oneReply(t *testing.T, s *githubtest.Server) string {
	t.Helper()
	cs := s.CommentsOn(42)
	if len(cs) != 1 {
		t.Fatalf("%d replies, want 1: %+v", len(cs), cs)
	}
	if !strings.HasPrefix(cs[0].Body, "<!-- tpuci:command 7001 -->\n") {
		t.Errorf("reply without its marker: %q", cs[0].Body)
	}
	return cs[0].Body
}

// A commenter below write is refused whatever the payload's author
// association says: eyes, then -1, one reply naming the permission, and
// nothing reruns, dispatches or labels.
func TestBelowWriteIsRefused(t *testing.T) {
	for _, c := range []struct{ user, level string }{{"reader", "read"}, {"triager", "triage"}, {"stranger", "none"}} {
		for _, body := range []string{"/rerun-failed", "/rerun unitTest1", "/run-ci"} {
			s := fake(t)
			s.Runs = runs()
			out, _, err := execute(t, s, event(body, c.user, "MEMBER"))
			if err != nil || out.Result != Refused {
				t.Fatalf("%s %s: %+v %v", c.user, body, out, err)
			}
			if got := reactions(s, 7001); !slices.Equal(got, []string{"eyes", "-1"}) {
				t.Errorf("%s %s: reactions %v", c.user, body, got)
			}
			reply := oneReply(t, s)
			if !strings.Contains(reply, "was refused") || !strings.Contains(reply, "`"+c.user+"` has "+c.level) {
				t.Errorf("%s %s: reply %q", c.user, body, reply)
			}
			nothingRan(t, s)
			if n := s.CallsMatching("GET /repos/" + repo + "/pulls/"); n != 0 {
				t.Errorf("%s %s: the pull request was read %d times before authorization", c.user, body, n)
			}
		}
	}
}

// Write, maintain and admin may rerun: exactly the failed run of the head
// SHA is rerun, not another PR's run from a branch of the same name nor
// the in-progress run of an older commit; the reply links it.
func TestRerunFailedRerunsTheHeadsRun(t *testing.T) {
	for _, user := range []string{"writer", "maint", "owner1"} {
		s := fake(t)
		s.Runs = runs()
		out, log, err := execute(t, s, event("/rerun-failed\r\nthe runner died", user, "CONTRIBUTOR"))
		if err != nil || out.Result != Done {
			t.Fatalf("%s: %+v %v\n%s", user, out, err, log)
		}
		if !slices.Equal(s.Reruns, []int64{101}) || len(s.Dispatches) != 0 {
			t.Errorf("%s: reruns %v dispatches %v, want [101] and none", user, s.Reruns, s.Dispatches)
		}
		if got := reactions(s, 7001); !slices.Equal(got, []string{"eyes", "+1"}) {
			t.Errorf("%s: reactions %v", user, got)
		}
		if reply := oneReply(t, s); !strings.Contains(reply, "[PR Test run 101](https://github.com/"+repo+"/actions/runs/101)") {
			t.Errorf("%s: reply %q", user, reply)
		}
		if n := s.CallsMatching("GET /repos/" + repo + "/pulls/42"); n != 1 {
			t.Errorf("%s: the head SHA was resolved %d times, want once", user, n)
		}
	}
}

// The latest run of the head decides: running or green reruns nothing
// and says so; so does a head without any run.
func TestRerunFailedDoesNothingWhenRunningGreenOrAbsent(t *testing.T) {
	for _, c := range []struct {
		name string
		add  []*githubtest.Run
		want string
	}{
		{"running", []*githubtest.Run{{ID: 110, Workflow: "pr-test.yml", HeadSHA: headSHA, Event: "pull_request", Status: "in_progress"}}, "is still running"},
		{"queued", []*githubtest.Run{{ID: 110, Workflow: "pr-test.yml", HeadSHA: headSHA, Event: "pull_request", Status: "queued"}}, "is still running"},
		{"green", []*githubtest.Run{{ID: 110, Workflow: "pr-test.yml", HeadSHA: headSHA, Event: "pull_request", Status: "completed", Conclusion: "success"}}, "is green"},
		{"needs approval", []*githubtest.Run{{ID: 110, Workflow: "pr-test.yml", HeadSHA: headSHA, Event: "pull_request", Status: "completed", Conclusion: "action_required"}}, "ended `action_required`"},
	} {
		s := fake(t)
		s.Runs = append(runs(), c.add...)
		out, _, err := execute(t, s, event("/rerun-failed", "maint", "MEMBER"))
		if err != nil || out.Result != Nothing {
			t.Fatalf("%s: %+v %v", c.name, out, err)
		}
		if reply := oneReply(t, s); !strings.Contains(reply, c.want) || !strings.Contains(reply, "PR Test run 110") {
			t.Errorf("%s: reply %q", c.name, reply)
		}
		if got := reactions(s, 7001); !slices.Equal(got, []string{"eyes", "confused"}) {
			t.Errorf("%s: reactions %v", c.name, got)
		}
		nothingRan(t, s)
	}
	s := fake(t)
	out, _, err := execute(t, s, event("/rerun-failed", "maint", "MEMBER"))
	if err != nil || out.Result != Nothing || !strings.Contains(oneReply(t, s), "no PR Test run of `111111111111` yet") {
		t.Errorf("no run: %+v %v", out, err)
	}
	nothingRan(t, s)
}

// /rerun and /run-ci dispatch PR Test on the default branch pinned to the
// head SHA, with the PR, its base and what to run; /run-ci also labels.
func TestRerunAndRunCIDispatchPinnedToTheHead(t *testing.T) {
	for _, c := range []struct {
		body, only, label string
	}{
		{"/rerun unitTest1", "unitTest1", ""},
		{"/rerun\u00a0UNIT-TEST-CPU", "unit-test-cpu", ""},
		{"/run-ci", "", "run-ci"},
	} {
		s := fake(t)
		out, log, err := execute(t, s, event(c.body, "maint", "NONE"))
		if err != nil || out.Result != Done {
			t.Fatalf("%s: %+v %v\n%s", c.body, out, err, log)
		}
		want := githubtest.Dispatch{Workflow: "pr-test.yml", Ref: "main",
			Inputs: map[string]string{"sha": headSHA, "pr": "42", "only": c.only, "base": baseSHA}}
		if len(s.Dispatches) != 1 || fmt.Sprint(s.Dispatches[0]) != fmt.Sprint(want) {
			t.Errorf("%s: dispatches %+v, want %+v", c.body, s.Dispatches, want)
		}
		if got := strings.Join(s.Pulls[42].Labels, ","); got != c.label {
			t.Errorf("%s: labels %q, want %q", c.body, got, c.label)
		}
		reply := oneReply(t, s)
		if !strings.Contains(reply, "started PR Test on `111111111111`") || c.only != "" && !strings.Contains(reply, "`"+c.only+"`") {
			t.Errorf("%s: reply %q", c.body, reply)
		}
		if len(s.Reruns) != 0 {
			t.Errorf("%s: reruns %v", c.body, s.Reruns)
		}
	}
}

// Hostile or malformed commands run nothing, not even for a maintainer:
// the reply quotes none of their text, and the help follows.
func TestHostileCommandsRunNothing(t *testing.T) {
	for _, body := range []string{"/rerun $(touch /tmp/x)", "/rerun `touch /tmp/x`", "/rerun unitTest1;touch${IFS}/tmp/x",
		"/rerun [x](https://evil.example)", "/rerun @everyone", "/rerun ::error::pwned", "/rerun unit-test-cpu|x",
		"/rerun-failed && curl evil.example", "/rerun unitTest1 e2e", "/deploy prod", "/rerun"} {
		s := fake(t)
		s.Runs = runs()
		out, _, err := execute(t, s, event(body, "maint", "OWNER"))
		if err != nil || out.Result != Invalid {
			t.Fatalf("%q: %+v %v", body, out, err)
		}
		nothingRan(t, s)
		reply := oneReply(t, s)
		for _, bad := range []string{"touch", "evil", "@everyone", "::error", "pwned", "|x", "deploy"} {
			if strings.Contains(reply, bad) {
				t.Errorf("%q: the reply quotes %q: %s", body, bad, reply)
			}
		}
		if !strings.Contains(reply, Markdown()) {
			t.Errorf("%q: the reply lacks the help", body)
		}
		if got := reactions(s, 7001); !slices.Equal(got, []string{"eyes", "confused"}) {
			t.Errorf("%q: reactions %v", body, got)
		}
	}
}

// /help answers anyone with the table, without asking for a permission.
func TestHelpAnswersAnyone(t *testing.T) {
	s := fake(t)
	out, _, err := execute(t, s, event("/help", "stranger", "NONE"))
	if err != nil || out.Result != Done || !strings.Contains(oneReply(t, s), Markdown()) {
		t.Fatalf("%+v %v", out, err)
	}
	if n := s.CallsMatching("GET /repos/" + repo + "/collaborators/"); n != 0 {
		t.Errorf("%d permission calls for /help", n)
	}
	nothingRan(t, s)
}

// Comments that are no command for ci:command cause no API call at all.
func TestIgnoredCommentsCallNothing(t *testing.T) {
	issue := event("/rerun-failed", "maint", "OWNER")
	issue.PR = false
	bot := event("/rerun-failed", "github-actions[bot]", "NONE")
	bot.AuthorBot, bot.SenderBot = true, true
	sameLine := event("/rerun-failed\nedited the rest", "maint", "OWNER")
	sameLine.Action, sameLine.Edited, sameLine.Before = "edited", true, "/rerun-failed\nthe rest"
	for name, ev := range map[string]Event{"issue": issue, "bot": bot, "same first line": sameLine,
		"prose": event("LGTM, thanks", "maint", "OWNER"), "path": event("/usr/bin/env is odd", "maint", "OWNER")} {
		s := fake(t)
		out, _, err := execute(t, s, ev)
		if err != nil || out.Result != Ignored {
			t.Errorf("%s: %+v %v", name, out, err)
		}
		if len(s.Calls) != 0 {
			t.Errorf("%s: API calls %v", name, s.Calls)
		}
	}
}

// An edited command is answered again in the same reply, edited in place.
func TestEditedCommandEditsItsReply(t *testing.T) {
	s := fake(t)
	s.Runs = runs()
	if out, _, err := execute(t, s, event("/rerun-fialed", "maint", "OWNER")); err != nil || out.Result != Invalid {
		t.Fatalf("%+v %v", out, err)
	}
	ev := event("/rerun-failed", "maint", "OWNER")
	ev.Action, ev.Edited, ev.Before = "edited", true, "/rerun-fialed"
	out, _, err := execute(t, s, ev)
	if err != nil || out.Result != Done {
		t.Fatalf("%+v %v", out, err)
	}
	cs := s.CommentsOn(42)
	if len(cs) != 1 || cs[0].Edits != 1 || !strings.Contains(cs[0].Body, "PR Test run 101") {
		t.Errorf("replies %+v", cs)
	}
	if !slices.Equal(s.Reruns, []int64{101}) {
		t.Errorf("reruns %v", s.Reruns)
	}
}

// An edit by a maintainer of a reader's comment does not lend the
// reader's text the maintainer's permission: both must have write.
func TestAuthorAndEditorMustBothHaveWrite(t *testing.T) {
	s := fake(t)
	s.Runs = runs()
	ev := event("/rerun-failed", "reader", "MEMBER")
	ev.Action, ev.Edited, ev.Before, ev.Sender = "edited", true, "please rerun", "maint"
	out, _, err := execute(t, s, ev)
	if err != nil || out.Result != Refused {
		t.Fatalf("%+v %v", out, err)
	}
	nothingRan(t, s)
}

// The token appears in no log line, reply, outcome or error, whether the
// command succeeds, is refused or fails against an API that rejects it.
func TestTokenNeverAppears(t *testing.T) {
	var seen []string
	for _, body := range []string{"/rerun-failed", "/run-ci", "/rerun e2e", "/nope"} {
		for _, user := range []string{"maint", "reader"} {
			s := fake(t)
			s.Runs = runs()
			out, log, err := execute(t, s, event(body, user, "OWNER"))
			js, _ := json.Marshal(out)
			seen = append(seen, log, string(js), fmt.Sprint(err), fmt.Sprintf("%+v", out))
			for _, c := range s.CommentsOn(42) {
				seen = append(seen, c.Body)
			}
		}
	}
	s := githubtest.New(t, repo, "another-token")
	s.Pulls[42] = &githubtest.Pull{Number: 42, HeadSHA: headSHA}
	out, log, err := execute(t, s, event("/rerun-failed", "maint", "OWNER"))
	if err == nil || out.Result != Failed {
		t.Errorf("a rejected token: %+v %v", out, err)
	}
	js, _ := json.Marshal(out)
	seen = append(seen, log, string(js), err.Error())
	for _, text := range seen {
		if strings.Contains(text, token) || strings.Contains(text, token[4:20]) {
			t.Fatalf("the token appears in %q", text)
		}
	}
}

// The payload's fields are checked before any use.
func TestParseEvent(t *testing.T) {
	good := `{"action":"edited","issue":{"number":42,"pull_request":{"url":"x"}},
	  "comment":{"id":7001,"body":"/run-ci","user":{"login":"maint","type":"User"},"author_association":"MEMBER"},
	  "changes":{"body":{"from":"/help"}},
	  "repository":{"full_name":"sgl-project/sglang-jax","default_branch":"main"},"sender":{"login":"maint","type":"User"}}`
	e, err := ParseEvent("event.json", []byte(good))
	if err != nil || !e.PR || !e.Edited || e.Before != "/help" || e.Body != "/run-ci" || e.Association != "MEMBER" ||
		e.Owner() != "sgl-project" || e.Name() != "sglang-jax" || e.CommentID != 7001 {
		t.Fatalf("%+v %v", e, err)
	}
	for _, c := range []struct{ from, to, want string }{
		{`"login":"maint","type":"User"},"author`, `"login":"$(id)","type":"User"},"author`, "comment.user.login"},
		{`"full_name":"sgl-project/sglang-jax"`, `"full_name":"../x"`, "repository.full_name"},
		{`"default_branch":"main"`, `"default_branch":"-x"`, "repository.default_branch"},
		{`"number":42`, `"number":"42"`, "issue.number"},
		{`"id":7001`, `"id":0`, "comment.id"},
	} {
		bad := strings.Replace(good, c.from, c.to, 1)
		if _, err := ParseEvent("event.json", []byte(bad)); err == nil || !strings.Contains(err.Error(), c.want) ||
			!strings.Contains(err.Error(), "event.json") {
			t.Errorf("%s: %v", c.to, err)
		}
	}
	issue := strings.Replace(good, `"pull_request":{"url":"x"}`, `"title":"t"`, 1)
	if e, err := ParseEvent("event.json", []byte(issue)); err != nil || e.PR {
		t.Errorf("a plain issue: %+v %v", e, err)
	}
}
