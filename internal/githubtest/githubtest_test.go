package githubtest

import (
	"context"
	"testing"

	"github.com/google/go-github/v75/github"
)

// The fake answers go-github as GitHub would: permissions with the role,
// a comment created then edited in place, a rerun of a completed run
// only, and 401 without the token.
func TestFakeServesGoGitHub(t *testing.T) {
	s := New(t, "o/r", "tok")
	s.Perms["maint"] = "maintain"
	s.Pulls[7] = &Pull{Number: 7, HeadSHA: "abc", BaseSHA: "def", BaseRef: "main"}
	s.Runs = append(s.Runs, &Run{ID: 5, Workflow: "pr-test.yml", HeadSHA: "abc", Event: "pull_request",
		Status: "completed", Conclusion: "failure"})
	gh, err := github.NewClient(nil).WithAuthToken("tok").WithEnterpriseURLs(s.URL, s.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, _, err := gh.Repositories.GetPermissionLevel(ctx, "o", "r", "maint")
	if err != nil || p.GetPermission() != "write" || p.GetRoleName() != "maintain" {
		t.Fatalf("permission: %v %v", p, err)
	}
	if p, _, err := gh.Repositories.GetPermissionLevel(ctx, "o", "r", "stranger"); err != nil || p.GetPermission() != "none" {
		t.Fatalf("stranger: %v %v", p, err)
	}
	c, _, err := gh.Issues.CreateComment(ctx, "o", "r", 7, &github.IssueComment{Body: github.Ptr("one")})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := gh.Issues.EditComment(ctx, "o", "r", c.GetID(), &github.IssueComment{Body: github.Ptr("two")}); err != nil {
		t.Fatal(err)
	}
	if got := s.CommentsOn(7); len(got) != 1 || got[0].Body != "two" || got[0].Edits != 1 {
		t.Fatalf("comments: %+v", got)
	}
	runs, _, err := gh.Actions.ListWorkflowRunsByFileName(ctx, "o", "r", "pr-test.yml",
		&github.ListWorkflowRunsOptions{HeadSHA: "abc"})
	if err != nil || runs.GetTotalCount() != 1 || runs.WorkflowRuns[0].GetID() != 5 {
		t.Fatalf("runs: %v %v", runs, err)
	}
	if _, err := gh.Actions.RerunFailedJobsByID(ctx, "o", "r", 5); err != nil {
		t.Fatal(err)
	}
	if _, err := gh.Actions.RerunFailedJobsByID(ctx, "o", "r", 5); err == nil {
		t.Fatal("a second rerun of a queued run was accepted")
	}
	bad, _ := github.NewClient(nil).WithAuthToken("nope").WithEnterpriseURLs(s.URL, s.URL)
	if _, _, err := bad.Repositories.GetPermissionLevel(ctx, "o", "r", "maint"); err == nil {
		t.Fatal("a wrong token was accepted")
	}
}
