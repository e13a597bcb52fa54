package workflows

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/githubtest"
)

const (
	slashWorkflow = "slash-command.yml"
	slashToken    = "ghs_actSlashTokenNeverPrinted42"
)

// commentEvent is an issue_comment payload: a comment on PR 42 (or on an
// issue), with the author association the payload claims.
func commentEvent(id int64, body, user, assoc string, pr bool) map[string]any {
	issue := map[string]any{"number": 42, "title": "sampling: document the parameters"}
	if pr {
		issue["pull_request"] = map[string]any{"url": "https://api.github.com/repos/" + official + "/pulls/42"}
	}
	kind := "User"
	if strings.HasSuffix(user, "[bot]") {
		kind = "Bot"
	}
	return map[string]any{"action": "created", "issue": issue,
		"comment":    map[string]any{"id": id, "body": body, "user": map[string]any{"login": user, "type": kind}, "author_association": assoc},
		"repository": map[string]any{"full_name": official, "default_branch": "main"},
		"sender":     map[string]any{"login": user, "type": kind}}
}

// reactionsOn are the reactions comment id got, in order.
func reactionsOn(s *githubtest.Server, id int64) []string {
	s.Lock()
	defer s.Unlock()
	var out []string
	for _, r := range s.Reactions {
		if r.Comment == id {
			out = append(out, r.Content)
		}
	}
	return out
}

// replyTo is the body of tpuci's reply to comment id ("" when none).
func replyTo(s *githubtest.Server, id int64) string {
	for _, c := range s.CommentsOn(42) {
		if strings.HasPrefix(c.Body, "<!-- tpuci:command "+strconv.FormatInt(id, 10)+" -->") {
			return c.Body
		}
	}
	return ""
}

// The slash commands under act, against GitHub's API faked on loopback:
// PR 42 (from a fork whose branch is called feature) has a failed PR Test
// run of its head; another PR's run from a branch of the same name failed
// later, and a run of the PR's previous commit is still going.
//
//   - a triager whose payload claims MEMBER posts /rerun-failed: refused,
//     -1, nothing rerun or dispatched;
//   - a maintainer posts /rerun-failed: exactly run 101 is rerun, linked;
//   - a maintainer posts /rerun unitTest1: one dispatch of PR Test on main
//     with the head SHA;
//   - hostile bodies run nothing, not even their shell;
//   - a bot's comment and a comment on an issue start no job;
//   - the dispatched PR Test then runs under act with the recorded inputs:
//     every job at the head commit, unit-test-1 only, finish green.
func TestSlashCommandJourney(t *testing.T) {
	dir := clone(t, "feature")
	head := change(t, dir, "document the sampling parameters", map[string]string{
		"python/sgl_jax/srt/sampling/sampling_params.py": ""})
	previous := rev(t, dir, "HEAD~1")
	if err := git(dir, "checkout", "-q", "main"); err != nil { // the default branch's code answers
		t.Fatal(err)
	}
	base := rev(t, dir, "main")
	fake := githubtest.New(t, official, slashToken)
	fake.Perms["maint"], fake.Perms["triager"] = "maintain", "triage"
	fake.Pulls[42] = &githubtest.Pull{Number: 42, HeadSHA: head, HeadRef: "feature", HeadRepo: "someone/sglang-jax",
		BaseSHA: base, BaseRef: "main"}
	fake.Runs = []*githubtest.Run{
		{ID: 101, Workflow: prWorkflow, HeadSHA: head, HeadBranch: "feature", Event: "pull_request", Status: "completed", Conclusion: "failure", PR: 42},
		{ID: 102, Workflow: prWorkflow, HeadSHA: strings.Repeat("3", 40), HeadBranch: "feature", Event: "pull_request", Status: "completed", Conclusion: "failure"},
		{ID: 103, Workflow: prWorkflow, HeadSHA: previous, HeadBranch: "feature", Event: "pull_request", Status: "in_progress", PR: 42},
	}
	slash := func(id int64, body, user, assoc string, pr bool) result {
		t.Helper()
		res := run{Dir: dir, Workflow: slashWorkflow, Event: "issue_comment", Payload: commentEvent(id, body, user, assoc, pr),
			Env: map[string]string{"GITHUB_API_URL": fake.URL}, Secrets: map[string]string{"GITHUB_TOKEN": slashToken}}.do(t)
		if strings.Contains(res.Log, slashToken) {
			t.Errorf("comment %d: the token appears in the log", id)
		}
		return res
	}
	counts := func() (reruns, dispatches int) {
		fake.Lock()
		defer fake.Unlock()
		return len(fake.Reruns), len(fake.Dispatches)
	}

	t.Run("a triager is refused", func(t *testing.T) {
		res := slash(1, "/rerun-failed", "triager", "MEMBER", true)
		res.expect(t, map[string]string{"command": "succeeded"})
		if r, d := counts(); r != 0 || d != 0 {
			t.Errorf("%d reruns, %d dispatches", r, d)
		}
		if got := reactionsOn(fake, 1); !slices.Equal(got, []string{"eyes", "-1"}) {
			t.Errorf("reactions %v", got)
		}
		if reply := replyTo(fake, 1); !strings.Contains(reply, "was refused") || !strings.Contains(reply, "`triager` has triage") {
			t.Errorf("reply %q", reply)
		}
		res.contains(t, "command", "author association MEMBER, not used for permission", "refused")
	})
	if t.Failed() {
		return
	}

	t.Run("a maintainer reruns the head's failed run", func(t *testing.T) {
		res := slash(2, "/rerun-failed\r\nthe runner lost its chips", "maint", "CONTRIBUTOR", true)
		res.expect(t, map[string]string{"command": "succeeded"})
		fake.Lock()
		reruns := slices.Clone(fake.Reruns)
		fake.Unlock()
		if !slices.Equal(reruns, []int64{101}) {
			t.Errorf("reruns %v, want [101]", reruns)
		}
		if got := reactionsOn(fake, 2); !slices.Equal(got, []string{"eyes", "+1"}) {
			t.Errorf("reactions %v", got)
		}
		if reply := replyTo(fake, 2); !strings.Contains(reply, "/actions/runs/101)") {
			t.Errorf("reply %q", reply)
		}
	})

	var inputs map[string]string
	t.Run("a maintainer reruns unitTest1 by dispatch", func(t *testing.T) {
		res := slash(3, "/rerun unitTest1", "maint", "OWNER", true)
		res.expect(t, map[string]string{"command": "succeeded"})
		fake.Lock()
		ds := slices.Clone(fake.Dispatches)
		fake.Unlock()
		if len(ds) != 1 || ds[0].Workflow != prWorkflow || ds[0].Ref != "main" || ds[0].Inputs["sha"] != head ||
			ds[0].Inputs["only"] != "unitTest1" || ds[0].Inputs["pr"] != "42" || ds[0].Inputs["base"] != base {
			t.Fatalf("dispatches %+v", ds)
		}
		inputs = ds[0].Inputs
		if got := reactionsOn(fake, 3); !slices.Equal(got, []string{"eyes", "+1"}) {
			t.Errorf("reactions %v", got)
		}
	})

	t.Run("hostile bodies run nothing", func(t *testing.T) {
		marker := filepath.Join(t.TempDir(), "pwned")
		for i, body := range []string{"/rerun $(touch " + marker + ")", "/rerun unit-test-cpu;touch${IFS}" + marker,
			"/rerun `touch " + marker + "`", "/rerun-failed\n::error::injected"} {
			id := int64(10 + i)
			r0, d0 := counts()
			res := slash(id, body, "maint", "OWNER", true)
			res.expect(t, map[string]string{"command": "succeeded"})
			if r, d := counts(); r != r0 || d != d0 {
				t.Errorf("%q: reruns %d -> %d, dispatches %d -> %d", body, r0, r, d0, d)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Fatalf("%q: the shell ran", body)
			}
			reply := replyTo(fake, id)
			if strings.Contains(reply, "touch") || strings.Contains(reply, "injected") || reply == "" {
				t.Errorf("%q: the reply quotes the body, or there is none: %q", body, reply)
			}
			if strings.Contains(res.Log, "injected") || strings.Contains(res.Log, "touch") {
				t.Errorf("%q: the job's log shows the body", body)
			}
			if i < 3 && !slices.Equal(reactionsOn(fake, id), []string{"eyes", "confused"}) {
				t.Errorf("%q: reactions %v", body, reactionsOn(fake, id))
			}
		}
	})

	t.Run("bots and issues start nothing", func(t *testing.T) {
		calls := fake.CallsMatching("")
		slash(20, "/rerun-failed", "github-actions[bot]", "NONE", true).expect(t, map[string]string{"command": "skipped"})
		slash(21, "/rerun-failed", "maint", "OWNER", false).expect(t, map[string]string{"command": "skipped"})
		if n := fake.CallsMatching(""); n != calls {
			t.Errorf("%d API calls", n-calls)
		}
	})

	if inputs == nil {
		return
	}
	t.Run("the dispatched PR Test runs unitTest1 at the head", func(t *testing.T) {
		payload := map[string]any{"ref": "refs/heads/main", "inputs": inputs,
			"repository": map[string]any{"full_name": official, "default_branch": "main"}}
		r := run{Dir: dir, Workflow: prWorkflow, Event: "workflow_dispatch", Payload: payload, Inputs: inputs,
			Artifacts: filepath.Join(t.TempDir(), "artifacts")}
		res := r.do(t)
		res.expect(t, expectAll(testJobs, "skipped", map[string]string{"coordinator": "succeeded", "lint": "skipped",
			"unit-test-1": "succeeded", "finish": "succeeded"}))
		res.contains(t, "coordinator", "plan: workflow_dispatch #42", "only unitTest1", "sampling_params.py",
			"not run: the dispatch asks only for unitTest1")
		res.contains(t, "finish", "every job the plan required passed")
	})
}
