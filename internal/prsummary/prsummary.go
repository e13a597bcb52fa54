// Package prsummary keeps one summary comment per pull request: the
// triage of the latest run (new failures, failures main already has,
// infrastructure, flaky passes, quarantined tests) and its verdict. The
// comment is found among the bot's comments by a hidden marker and
// edited in place on every run, so a PR never collects a comment per
// push.
package prsummary

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/google/go-github/v75/github"

	"github.com/sgl-project/tpuci/internal/failclass"
	"github.com/sgl-project/tpuci/internal/textline"
	"github.com/sgl-project/tpuci/internal/triage"
)

// Marker starts the summary comment's body; a bot comment that starts
// with it is the one edited.
const Marker = "<!-- tpuci:summary -->"

// Summary is what the comment says.
type Summary struct {
	Verdict    string
	Head       string // the commit the run tested
	RunURL     string
	Decisions  []triage.Decision
	Untriaged  []Job
	Quarantine []triage.Quarantine // the config's entries, for owner, issue and expiry
}

// Job is a failed job no test explains.
type Job struct{ Name, Why string }

// maxItems bounds each section; the run's step summary has the rest.
const maxItems = 30

// section is one class of the comment, in order.
type section struct {
	title string
	match func(d triage.Decision) bool
}

var sections = []section{
	{"New: fails here, not on main", func(d triage.Decision) bool {
		return !d.Passed && d.Gates && d.Triage != failclass.Infra && d.Triage != failclass.MainFailing
	}},
	{"Already failing on main", func(d triage.Decision) bool { return !d.Passed && d.Triage == failclass.MainFailing }},
	{"Infrastructure: rerun", func(d triage.Decision) bool { return !d.Passed && d.Triage == failclass.Infra }},
	{"Known flaky, failed every retry", func(d triage.Decision) bool {
		return !d.Passed && !d.Gates && d.Triage == failclass.Flaky
	}},
	{"Flaky passes: failed, then passed on a retry", func(d triage.Decision) bool { return d.Passed }},
	{"Quarantined: runs, does not gate", func(d triage.Decision) bool { return !d.Passed && d.Triage == failclass.Quarantined }},
	{"Other failures that do not gate", func(d triage.Decision) bool {
		return !d.Passed && !d.Gates && d.Triage != failclass.MainFailing && d.Triage != failclass.Flaky &&
			d.Triage != failclass.Quarantined && d.Triage != failclass.Infra
	}},
}

// Body renders the comment.
func Body(s Summary) string {
	var b strings.Builder
	b.WriteString(Marker + "\n")
	fmt.Fprintf(&b, "### tpuci: %s\n\n", md(s.Verdict))
	var meta []string
	if s.Head != "" {
		meta = append(meta, "commit "+code(textline.Abbrev(s.Head, 10)))
	}
	if s.RunURL != "" {
		meta = append(meta, fmt.Sprintf("[the run](%s)", s.RunURL))
	}
	if len(meta) > 0 {
		b.WriteString(strings.Join(meta, " · ") + "\n\n")
	}
	wrote := false
	for _, sec := range sections {
		var items []string
		for _, d := range s.Decisions {
			if sec.match(d) {
				items = append(items, item(d, s.Quarantine))
			}
		}
		wrote = writeSection(&b, sec.title, items) || wrote
	}
	var jobs []string
	for _, j := range s.Untriaged {
		jobs = append(jobs, fmt.Sprintf("- %s: %s", code(j.Name), md(textline.Clip(j.Why, 200))))
	}
	wrote = writeSection(&b, "Failed jobs without a test to triage", jobs) || wrote
	if !wrote {
		b.WriteString("No failed test.\n")
	}
	return cut(b.String(), maxBody)
}

// maxBody keeps the comment under GitHub's 65,536 characters.
const maxBody = 60000

// cut shortens a body to at most n bytes on a line boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const note = "\n… cut here: the run's summary lists every failure\n"
	i := strings.LastIndexByte(s[:n-len(note)], '\n')
	return s[:i+1] + note
}

func writeSection(b *strings.Builder, title string, items []string) bool {
	if len(items) == 0 {
		return false
	}
	fmt.Fprintf(b, "**%s** (%d)\n", title, len(items))
	for i, it := range items {
		if i == maxItems {
			fmt.Fprintf(b, "- … and %d more (the run's summary lists every one)\n", len(items)-maxItems)
			break
		}
		b.WriteString(it + "\n")
	}
	b.WriteString("\n")
	return true
}

// item is one test's line: the test, its job, and the class's evidence.
func item(d triage.Decision, q []triage.Quarantine) string {
	line := "- " + code(d.Test)
	if d.Job != "" {
		line += " (" + md(d.Job) + ")"
	}
	switch {
	case d.Passed:
		line += fmt.Sprintf(": passed after %s", plural(max(d.Retries, 1), "retry", "retries"))
	case d.Triage == failclass.MainFailing && d.Main != nil:
		line += ": main's latest result failed alike at " + code(textline.Abbrev(d.Main.Commit, 10))
		if d.Main.RunURL != "" {
			line += fmt.Sprintf(" ([run](%s))", d.Main.RunURL)
		}
	case d.Triage == failclass.Quarantined:
		if e, ok := quarantineOf(d, q); ok {
			line += ": " + quarantineText(e)
		}
	}
	// The record's message often repeats the file the line names already.
	msg := strings.TrimPrefix(textline.First(d.Message), d.File+": ")
	if msg = textline.Clip(msg, 160); msg != "" && !d.Passed {
		line += " — " + code(msg)
	}
	return line
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// quarantineOf finds the entry that names a test: the test itself or its
// file.
func quarantineOf(d triage.Decision, q []triage.Quarantine) (triage.Quarantine, bool) {
	for _, e := range q {
		if e.Test == d.Test || e.Test == d.File || strings.HasPrefix(d.Test, e.Test+"::") {
			return e, true
		}
	}
	return triage.Quarantine{}, false
}

func quarantineText(e triage.Quarantine) string {
	var parts []string
	if e.Owner != "" {
		parts = append(parts, "owner "+code(e.Owner))
	}
	switch {
	case issueURL.MatchString(e.Issue):
		parts = append(parts, fmt.Sprintf("[issue](%s)", e.Issue))
	case e.Issue != "":
		parts = append(parts, "issue "+md(e.Issue))
	}
	if !e.Expires.IsZero() {
		parts = append(parts, "expires "+e.Expires.Format(time.DateOnly))
	}
	if e.Reason != "" {
		parts = append(parts, md(textline.Clip(e.Reason, 120)))
	}
	return strings.Join(parts, ", ")
}

// issueURL is an issue link the comment may carry as a link: nothing in
// it can end the link's Markdown.
var issueURL = regexp.MustCompile(`^https?://[^\s<>()\[\]]+$`)

// code is s as inline code: text from test output or the repository
// cannot format, link or mention anyone.
func code(s string) string {
	s = strings.NewReplacer("`", "'", "\n", " ", "\r", " ").Replace(s)
	return "`" + s + "`"
}

// md escapes Markdown's active characters and mentions in plain text.
func md(s string) string {
	s = textline.Joined(s)
	r := strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;",
		"`", `\`+"`", "@", "@\u200b", "#", `\#`, "|", `\|`)
	return r.Replace(s)
}

// Client is the GitHub API the comment goes through: GITHUB_API_URL
// (empty: github.com) with the token.
func Client(apiURL, token string) (*github.Client, error) {
	c := github.NewClient(&http.Client{Timeout: 30 * time.Second}).WithAuthToken(token)
	if apiURL == "" || strings.TrimRight(apiURL, "/") == "https://api.github.com" {
		return c, nil
	}
	return c.WithEnterpriseURLs(apiURL, apiURL)
}

// Upsert edits the PR's summary comment in place, or creates it when the
// bot has none; it says which.
func Upsert(ctx context.Context, c *github.Client, repo string, pr int, body string) (string, error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" {
		return "", fmt.Errorf("prsummary: repository %q: want owner/name (GITHUB_REPOSITORY)", repo)
	}
	id, err := find(ctx, c, owner, name, pr)
	if err != nil {
		return "", err
	}
	if id != 0 {
		if _, _, err := c.Issues.EditComment(ctx, owner, name, id, &github.IssueComment{Body: &body}); err != nil {
			return "", fmt.Errorf("prsummary: edit comment %d on #%d: %w", id, pr, err)
		}
		return fmt.Sprintf("edited comment %d on #%d", id, pr), nil
	}
	made, _, err := c.Issues.CreateComment(ctx, owner, name, pr, &github.IssueComment{Body: &body})
	if err != nil {
		return "", fmt.Errorf("prsummary: comment on #%d: %w", pr, err)
	}
	return fmt.Sprintf("created comment %d on #%d", made.GetID(), pr), nil
}

// maxPages bounds the search for the comment (100 comments a page).
const maxPages = 30

// find returns the id of the bot's summary comment on the PR, or 0: a
// comment whose author is a bot (a login ending in [bot]: no person can
// have one) and whose body starts with the marker.
func find(ctx context.Context, c *github.Client, owner, name string, pr int) (int64, error) {
	opt := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for page := 0; page < maxPages; page++ {
		cs, resp, err := c.Issues.ListComments(ctx, owner, name, pr, opt)
		if err != nil {
			return 0, fmt.Errorf("prsummary: list the comments of #%d: %w", pr, err)
		}
		for _, cm := range cs {
			if strings.HasSuffix(cm.GetUser().GetLogin(), "[bot]") && strings.HasPrefix(cm.GetBody(), Marker) {
				return cm.GetID(), nil
			}
		}
		if resp == nil || resp.NextPage == 0 {
			return 0, nil
		}
		opt.Page = resp.NextPage
	}
	return 0, errors.New("prsummary: more than 3000 comments: not searched further")
}
