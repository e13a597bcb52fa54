package ci

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/datastore"
	"github.com/sgl-project/tpuci/internal/ghactions"
	"github.com/sgl-project/tpuci/internal/notify"
	"github.com/sgl-project/tpuci/internal/prsummary"
)

// postTimeout bounds the PR comment and the notification: neither may
// hold the gate up.
const postTimeout = 3 * time.Minute

// runURL is the page of the workflow run, or "".
func runURL(e Env) string {
	gh := e.Settings.GitHub
	if gh.ServerURL == "" || gh.Repository == "" || gh.RunID == "" {
		return ""
	}
	return strings.TrimRight(gh.ServerURL, "/") + "/" + gh.Repository + "/actions/runs/" + gh.RunID
}

// prNumber is the pull request the run reports to: TPUCI_PR, else the
// number in the payload (a pull_request's, or a dispatch's inputs.pr);
// 0 with the reason when there is none.
func prNumber(e Env) (int, string) {
	if n := e.Settings.Plan.PR; n > 0 {
		return n, ""
	}
	gh := e.Settings.GitHub
	switch gh.EventName {
	case EventPR, "pull_request_target", EventDispatch:
	default:
		return 0, "not a pull_request event and TPUCI_PR is not set"
	}
	in, err := FromGitHub(gh)
	if err != nil {
		return 0, err.Error()
	}
	if in.Number <= 0 {
		return 0, "the event payload names no pull request"
	}
	return in.Number, ""
}

// headOf is the commit the run tested: the payload's head (a pull
// request's head, not the merge commit GITHUB_SHA names; a push's after),
// else GITHUB_SHA.
func headOf(e Env) string {
	if e.Settings.GitHub.EventName != "" && e.Settings.GitHub.EventPath != "" {
		if in, err := FromGitHub(e.Settings.GitHub); err == nil && in.Head != "" {
			return in.Head
		}
	}
	return e.Settings.GitHub.SHA
}

// comment writes the PR's summary comment; without a token or a PR it
// says why in one line and does nothing. A failure warns: the comment
// never changes the gate.
func comment(ctx context.Context, e Env, g Gate, t *Triage) {
	pr, why := prNumber(e)
	switch {
	case !g.PR():
		return // main and schedules have no PR to tell
	case pr == 0:
		fmt.Fprintf(e.Log, "ci:finish: no PR summary comment: %s\n", why)
		return
	case e.Settings.GitHub.Token == "":
		fmt.Fprintln(e.Log, "ci:finish: no PR summary comment: GITHUB_TOKEN is not set (pass it in the step's env, with pull-requests: write)")
		return
	case e.Settings.GitHub.Repository == "":
		fmt.Fprintln(e.Log, "ci:finish: no PR summary comment: GITHUB_REPOSITORY is not set")
		return
	}
	s := prsummary.Summary{Verdict: t.Verdict(), Head: headOf(e), RunURL: runURL(e), Decisions: t.Sorted(), Quarantine: t.Quarantine}
	for _, u := range t.Untriaged {
		s.Untriaged = append(s.Untriaged, prsummary.Job{Name: u.Job, Why: u.Why})
	}
	c, err := prsummary.Client(e.Settings.GitHub.APIURL, e.Settings.GitHub.Token.Reveal())
	if err == nil {
		ctx, cancel := context.WithTimeout(ctx, postTimeout)
		defer cancel()
		var did string
		if did, err = prsummary.Upsert(ctx, c, e.Settings.GitHub.Repository, pr, prsummary.Body(s)); err == nil {
			fmt.Fprintf(e.Log, "ci:finish: PR summary: %s\n", did)
			return
		}
	}
	fmt.Fprintf(e.Log, "ci:finish: warning: PR summary comment: %s\n", redactToken(err.Error(), e))
}

// redactToken keeps the token out of an error, whatever the library put
// in it.
func redactToken(s string, e Env) string {
	if tok := e.Settings.GitHub.Token.Reveal(); tok != "" {
		s = strings.ReplaceAll(s, tok, "***")
	}
	return s
}

// MainStream is the notification stream of main's runs: pushes to main
// and scheduled runs of the workflow.
const MainStream = "main"

// tell posts to the webhook when main turns red or green again; other
// events post nothing. A failure warns: the notification never changes
// the gate.
func tell(ctx context.Context, e Env, t *Triage) {
	gh := e.Settings.GitHub
	onMain := gh.EventName == EventPush && gh.Ref == "refs/heads/main" || gh.EventName == EventSchedule
	if !onMain || e.WS == nil {
		return
	}
	title := "main"
	if gh.Repository != "" {
		title += " of " + gh.Repository
	}
	r := notify.Run{Stream: MainStream, Title: title, Commit: headOf(e), RunURL: runURL(e), Red: t.ExitCode != 0, Date: time.Now()}
	if r.Red {
		r.Failed = t.Red()
	}
	ctx, cancel := context.WithTimeout(ctx, postTimeout)
	defer cancel()
	did, err := notify.Tell(ctx, datastore.Open(e.WS, io.Discard), e.Log, notify.Poster{URL: e.Settings.NotifyWebhook.Reveal()}, r)
	if did != "" {
		fmt.Fprintln(e.Log, did)
	}
	if err != nil {
		e.GH.Annotate(ghactions.Annotation{Level: "warning", Title: "tpuci notification", Msg: err.Error()})
		fmt.Fprintf(e.Log, "ci:finish: warning: %v\n", err)
	}
}
