package slash

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v75/github"
)

// PRWorkflow is the file of the PR pipeline the commands rerun and
// dispatch.
const PRWorkflow = "pr-test.yml"

// Result is how a command ended.
type Result string

// The results, each with its final reaction.
const (
	Ignored Result = "ignored" // not a command for ci:command: no reaction, no reply
	Done    Result = "done"    // carried out: +1
	Nothing Result = "nothing" // nothing to do (a run still going, green, none): confused
	Invalid Result = "invalid" // not understood: confused, with the help
	Refused Result = "refused" // the commenter lacks the permission: -1
	Failed  Result = "failed"  // an API call failed: -1
)

// Reaction is the final reaction a result leaves on the comment.
func (r Result) Reaction() string {
	switch r {
	case Done:
		return "+1"
	case Refused, Failed:
		return "-1"
	case Nothing, Invalid:
		return "confused"
	}
	return ""
}

// Options are what Execute needs besides the API.
type Options struct {
	Event Event
	Names Names
	// Label is what /run-ci adds ([gating].required_label); empty: none.
	Label     string
	Workflow  string // default PRWorkflow
	ServerURL string // default https://github.com
	RunURL    string // this workflow run, linked from a failure's reply
	Log       io.Writer
}

// Outcome is what ci:command did ($TPUCI_OUT/command.json).
type Outcome struct {
	Event    Event             `json:"event"`
	Command  string            `json:"command,omitempty"` // as the table spells it
	Result   Result            `json:"result"`
	Why      string            `json:"why"`
	HeadSHA  string            `json:"head_sha,omitempty"`
	Run      int64             `json:"rerun_run,omitempty"`
	Dispatch map[string]string `json:"dispatch_inputs,omitempty"`
	Label    string            `json:"label,omitempty"`
	Reply    int64             `json:"reply,omitempty"`
	Reaction string            `json:"reaction,omitempty"`
}

// NewClient is a REST client for api (GITHUB_API_URL; empty or
// api.github.com: GitHub itself) authenticated with token.
func NewClient(api, token string) (*github.Client, error) {
	if token == "" {
		return nil, errors.New("ci:command: GITHUB_TOKEN is not set: pass ${{ secrets.GITHUB_TOKEN }} in the step's env")
	}
	c := github.NewClient(&http.Client{Timeout: 30 * time.Second}).WithAuthToken(token)
	api = strings.TrimRight(api, "/")
	if api == "" || api == "https://api.github.com" {
		return c, nil
	}
	if u, err := url.Parse(api); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("ci:command: GITHUB_API_URL is not an http(s) URL")
	}
	c, err := c.WithEnterpriseURLs(api, api)
	if err != nil {
		return nil, fmt.Errorf("ci:command: GITHUB_API_URL: %w", err)
	}
	return c, nil
}

// exec is one command's run.
type exec struct {
	gh  *github.Client
	o   Options
	out *Outcome
	cmd Command
}

// Execute answers one issue_comment event: it reacts with eyes, checks
// the commenter's permission through the collaborator-permission API,
// resolves the pull request's head SHA once and pins the command to it,
// replies in one comment (edited in place when the command is edited or
// the event delivered again) and leaves the final reaction. The error is
// set when an API call failed (the outcome says which step).
func Execute(ctx context.Context, gh *github.Client, o Options) (*Outcome, error) {
	o.Workflow = cmp.Or(o.Workflow, PRWorkflow)
	o.ServerURL = strings.TrimRight(cmp.Or(o.ServerURL, "https://github.com"), "/")
	if o.Log == nil {
		o.Log = io.Discard
	}
	e := o.Event
	x := &exec{gh: gh, o: o, out: &Outcome{Event: e, Result: Ignored}}
	why := ""
	switch {
	case e.Action != "created" && e.Action != "edited":
		why = "the comment was not created or edited"
	case !e.PR:
		why = "the issue is not a pull request"
	case e.AuthorBot || e.SenderBot:
		why = "a bot wrote or edited the comment"
	case e.Action == "edited" && FirstLine(e.Before) == FirstLine(e.Body):
		why = "the edit kept the first line"
	}
	if why != "" {
		x.out.Why = why
		return x.out, nil
	}
	cmd, ok, perr := Parse(e.Body, o.Names)
	if !ok {
		x.out.Why = "the comment is no command (its first line is no /word)"
		return x.out, nil
	}
	x.cmd = cmd
	if perr == nil {
		x.out.Command = cmd.Usage()
		if cmd.Arg != "" {
			x.out.Command = "/" + cmd.Name + " " + cmd.Arg
		}
	}
	fmt.Fprintf(o.Log, "ci:command: comment %d on #%d by %s (author association %s, not used for permission): %s\n",
		e.CommentID, e.Issue, e.Author, e.Association, cmp.Or(x.out.Command, "not understood"))
	if err := x.react(ctx, "eyes"); err != nil {
		return x.fail("react to the comment", err)
	}
	var err error
	switch {
	case perr != nil:
		x.out.Result, x.out.Why = Invalid, perr.Error()
	default:
		err = x.run(ctx)
	}
	if err != nil {
		return x.out, err
	}
	return x.finish(ctx)
}

// fail ends the command after an API error: a reply (when the API lets
// it) naming the step, the -1 reaction, and the error.
func (x *exec) fail(step string, err error) (*Outcome, error) {
	x.out.Result, x.out.Why = Failed, "could not "+step
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, ferr := x.finish(ctx); ferr != nil {
		fmt.Fprintf(x.o.Log, "ci:command: %v\n", ferr)
	}
	return x.out, fmt.Errorf("ci:command: %s: %w", step, err)
}

// finish replies and leaves the final reaction.
func (x *exec) finish(ctx context.Context) (*Outcome, error) {
	id, err := x.reply(ctx, x.replyBody())
	if err != nil {
		return x.out, fmt.Errorf("ci:command: reply: %w", err)
	}
	x.out.Reply = id
	x.out.Reaction = x.out.Result.Reaction()
	if err := x.react(ctx, x.out.Reaction); err != nil {
		return x.out, fmt.Errorf("ci:command: react %s: %w", x.out.Reaction, err)
	}
	return x.out, nil
}

// run authorizes and carries out a parsed command.
func (x *exec) run(ctx context.Context) error {
	if x.cmd.Perm == Anyone {
		x.out.Result, x.out.Why = Done, "answered"
		return nil
	}
	for _, login := range slices.Compact([]string{x.o.Event.Author, x.o.Event.Sender}) {
		level, ok, err := x.permission(ctx, login)
		if err != nil {
			_, err = x.fail("read the commenter's permission", err)
			return err
		}
		if !ok {
			x.out.Result = Refused
			x.out.Why = fmt.Sprintf("`%s` needs %s permission on %s; `%s` has %s, so nothing was run",
				x.cmd.Usage(), x.cmd.Perm, x.o.Event.Repo, login, level)
			return nil
		}
	}
	pr, _, err := x.gh.PullRequests.Get(ctx, x.o.Event.Owner(), x.o.Event.Name(), x.o.Event.Issue)
	if err != nil {
		_, err = x.fail("read the pull request", err)
		return err
	}
	if pr.GetState() != "open" {
		x.out.Result, x.out.Why = Nothing, "the pull request is closed: nothing was run"
		return nil
	}
	head := pr.GetHead().GetSHA()
	if !sha40.MatchString(head) {
		_, err = x.fail("read the pull request's head commit", fmt.Errorf("head.sha is not 40 hex digits"))
		return err
	}
	x.out.HeadSHA = head
	switch x.cmd.Name {
	case CmdRerunFailed:
		return x.rerunFailed(ctx, head)
	case CmdRerun, CmdRunCI:
		base := pr.GetBase().GetSHA()
		if !sha40.MatchString(base) {
			base = ""
		}
		return x.dispatch(ctx, head, base)
	}
	return fmt.Errorf("ci:command: /%s has no action", x.cmd.Name)
}

// writeRoles are the permissions and role names that may run a Write
// command. The permission field says write for maintain and for custom
// roles based on write; role_name keeps maintain.
var writeRoles = []string{"admin", "maintain", "write"}

// knownRoles are the levels a reply may name.
var knownRoles = []string{"admin", "maintain", "write", "triage", "read", "none"}

// permission reads a user's permission on the repository.
func (x *exec) permission(ctx context.Context, user string) (level string, ok bool, err error) {
	p, resp, err := x.gh.Repositories.GetPermissionLevel(ctx, x.o.Event.Owner(), x.o.Event.Name(), user)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return "none", false, nil
		}
		return "", false, err
	}
	perm, role := p.GetPermission(), p.GetRoleName()
	ok = slices.Contains(writeRoles, perm) || slices.Contains(writeRoles, role)
	switch {
	case slices.Contains(knownRoles, role):
		level = role
	case slices.Contains(knownRoles, perm):
		level = perm
	default:
		level = "another role"
	}
	fmt.Fprintf(x.o.Log, "ci:command: %s has %s permission on %s\n", user, level, x.o.Event.Repo)
	return level, ok, nil
}

// conclusions a PR Test run may end with, and whether its failed jobs
// are rerun.
var conclusions = map[string]bool{"failure": true, "cancelled": true, "timed_out": true, "startup_failure": true,
	"success": false, "neutral": false, "skipped": false, "action_required": false, "stale": false}

// rerunFailed reruns the failed jobs of the latest PR Test run of head:
// pinned to the SHA, never the branch name, which a fork can share.
func (x *exec) rerunFailed(ctx context.Context, head string) error {
	e := x.o.Event
	runs, _, err := x.gh.Actions.ListWorkflowRunsByFileName(ctx, e.Owner(), e.Name(), x.o.Workflow,
		&github.ListWorkflowRunsOptions{HeadSHA: head, ListOptions: github.ListOptions{PerPage: 100}})
	if err != nil {
		_, err = x.fail("list the PR Test runs", err)
		return err
	}
	var mine []*github.WorkflowRun
	for _, r := range runs.WorkflowRuns {
		if r.GetHeadSHA() == head && (r.GetEvent() == "pull_request" || r.GetEvent() == "pull_request_target") {
			mine = append(mine, r)
		}
	}
	short := head[:12]
	if len(mine) == 0 {
		x.out.Result = Nothing
		x.out.Why = fmt.Sprintf("no PR Test run of `%s` yet: `/run-ci` starts one", short)
		return nil
	}
	// Newest first: by creation, then by id.
	slices.SortFunc(mine, func(a, b *github.WorkflowRun) int {
		if c := b.GetCreatedAt().Compare(a.GetCreatedAt().Time); c != 0 {
			return c
		}
		return cmp.Compare(b.GetID(), a.GetID())
	})
	run := mine[0]
	x.out.Run = run.GetID()
	link := x.runLink(run.GetID())
	status, conclusion := run.GetStatus(), run.GetConclusion()
	rerun, known := conclusions[conclusion]
	switch {
	case status != "completed":
		x.out.Result = Nothing
		x.out.Why = fmt.Sprintf("the latest PR Test run of `%s`, %s, is still running: wait for it to end", short, link)
	case conclusion == "success":
		x.out.Result = Nothing
		x.out.Why = fmt.Sprintf("the latest PR Test run of `%s`, %s, is green: nothing to rerun", short, link)
	case !known:
		x.out.Result = Nothing
		x.out.Why = fmt.Sprintf("the latest PR Test run of `%s`, %s, ended in a way that has no failed jobs to rerun", short, link)
	case !rerun:
		x.out.Result = Nothing
		x.out.Why = fmt.Sprintf("the latest PR Test run of `%s`, %s, ended `%s`: only a failed, cancelled or timed-out run is rerun",
			short, link, conclusion)
	}
	if x.out.Result == Nothing {
		x.out.Run = 0
		return nil
	}
	if _, err := x.gh.Actions.RerunFailedJobsByID(ctx, e.Owner(), e.Name(), run.GetID()); err != nil {
		_, err = x.fail("rerun the failed jobs of PR Test run "+strconv.FormatInt(run.GetID(), 10), err)
		return err
	}
	x.out.Result = Done
	x.out.Why = fmt.Sprintf("rerunning the failed jobs of %s (`%s`, ended `%s`)", link, short, conclusion)
	return nil
}

// dispatch starts PR Test on the default branch's workflow for head.
// GitHub starts no workflow for an event the workflow's own token causes
// (a label added, a comment posted), except workflow_dispatch: so /run-ci
// dispatches the run itself, the label alone would start nothing.
func (x *exec) dispatch(ctx context.Context, head, base string) error {
	e := x.o.Event
	if e.DefaultBranch == "" {
		_, err := x.fail("find the default branch", errors.New("the payload has no repository.default_branch"))
		return err
	}
	inputs := map[string]string{"sha": head, "pr": strconv.Itoa(e.Issue), "only": x.cmd.Arg}
	if base != "" {
		inputs["base"] = base
	}
	if x.cmd.Name == CmdRunCI && x.o.Label != "" {
		if _, _, err := x.gh.Issues.AddLabelsToIssue(ctx, e.Owner(), e.Name(), e.Issue, []string{x.o.Label}); err != nil {
			_, err = x.fail("add the "+x.o.Label+" label", err)
			return err
		}
		x.out.Label = x.o.Label
	}
	req := github.CreateWorkflowDispatchEventRequest{Ref: e.DefaultBranch, Inputs: map[string]any{}}
	for k, v := range inputs {
		req.Inputs[k] = v
	}
	if _, err := x.gh.Actions.CreateWorkflowDispatchEventByFileName(ctx, e.Owner(), e.Name(), x.o.Workflow, req); err != nil {
		_, err = x.fail("dispatch PR Test", err)
		return err
	}
	x.out.Dispatch = inputs
	x.out.Result = Done
	runs := fmt.Sprintf("[PR Test's dispatched runs](%s/%s/actions/workflows/%s?query=event%%3Aworkflow_dispatch)",
		x.o.ServerURL, e.Repo, x.o.Workflow)
	what := "what the change selects"
	if x.cmd.Arg != "" {
		kind := "target"
		if x.cmd.Suite {
			kind = "suite"
		}
		what = fmt.Sprintf("the %s `%s`", kind, x.cmd.Arg)
	}
	x.out.Why = fmt.Sprintf("started PR Test on `%s` for %s: %s", head[:12], what, runs)
	if x.out.Label != "" {
		x.out.Why = fmt.Sprintf("added the `%s` label and %s (the label alone starts nothing: GitHub starts no "+
			"workflow for an event the workflow's token causes)", x.out.Label, x.out.Why)
	}
	return nil
}

func (x *exec) runLink(id int64) string {
	return fmt.Sprintf("[PR Test run %d](%s/%s/actions/runs/%d)", id, x.o.ServerURL, x.o.Event.Repo, id)
}

// marker starts every reply, keyed by the command's comment: the reply
// is found and edited in place when the command is edited.
func (x *exec) marker() string {
	return fmt.Sprintf("<!-- tpuci:command %d -->", x.o.Event.CommentID)
}

// replyBody is the reply: only the table's words, validated names, the
// head SHA, ids and links tpuci built.
func (x *exec) replyBody() string {
	var b strings.Builder
	b.WriteString(x.marker() + "\n")
	head := "Your command"
	if x.out.Command != "" {
		head = "`" + x.out.Command + "`"
	}
	switch x.out.Result {
	case Done:
		if x.cmd.Name == CmdHelp {
			fmt.Fprintf(&b, "tpuci's commands (the comment's first line counts):\n\n%s", Markdown())
			return b.String()
		}
		fmt.Fprintf(&b, "%s: %s.\n", head, x.out.Why)
	case Nothing:
		fmt.Fprintf(&b, "%s: %s.\n", head, x.out.Why)
	case Refused:
		fmt.Fprintf(&b, "%s was refused: %s.\n", head, x.out.Why)
	case Invalid:
		fmt.Fprintf(&b, "%s: %s.\n\n%s", head, x.out.Why, Markdown())
	case Failed:
		fmt.Fprintf(&b, "%s failed: tpuci %s", head, x.out.Why)
		if x.o.RunURL != "" {
			fmt.Fprintf(&b, " (see [the workflow run](%s))", x.o.RunURL)
		}
		b.WriteString(".\n")
	}
	return b.String()
}

// reply posts the reply, or edits the earlier one for the same comment.
func (x *exec) reply(ctx context.Context, body string) (int64, error) {
	e := x.o.Event
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		cs, resp, err := x.gh.Issues.ListComments(ctx, e.Owner(), e.Name(), e.Issue, opts)
		if err != nil {
			return 0, err
		}
		for _, c := range cs {
			if strings.HasPrefix(c.GetBody(), x.marker()) && c.GetUser().GetType() == "Bot" {
				_, _, err := x.gh.Issues.EditComment(ctx, e.Owner(), e.Name(), c.GetID(), &github.IssueComment{Body: &body})
				return c.GetID(), err
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	c, _, err := x.gh.Issues.CreateComment(ctx, e.Owner(), e.Name(), e.Issue, &github.IssueComment{Body: &body})
	return c.GetID(), err
}

func (x *exec) react(ctx context.Context, content string) error {
	e := x.o.Event
	_, _, err := x.gh.Reactions.CreateIssueCommentReaction(ctx, e.Owner(), e.Name(), e.CommentID, content)
	return err
}
