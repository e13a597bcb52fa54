package githubtest

import (
	"context"
	"testing"

	"github.com/google/go-github/v75/github"
)

// go-github sends the labels to add as a bare array; the fake takes it,
// as GitHub does, and keeps each label once.
func TestFakeAddsLabelsFromAnArray(t *testing.T) {
	s := New(t, "o/r", "tok")
	s.Pulls[7] = &Pull{Number: 7, Labels: []string{"documentation"}}
	gh, err := github.NewClient(nil).WithAuthToken("tok").WithEnterpriseURLs(s.URL, s.URL)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, _, err := gh.Issues.AddLabelsToIssue(context.Background(), "o", "r", 7, []string{"run-ci"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Pulls[7].Labels; len(got) != 2 || got[1] != "run-ci" {
		t.Errorf("labels %v", got)
	}
}
