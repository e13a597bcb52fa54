package slash

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"regexp"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/ghactions"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/settings"
)

// OutcomeFile is ci:command's record under TPUCI_OUT.
const OutcomeFile = "command.json"

// Env is what ci:command reads and writes.
type Env struct {
	GitHub settings.GitHub
	Config *config.Config // the default branch's: its suites and required label
	Out    string
	GH     *ghactions.Provider
	Stdout io.Writer
	Log    io.Writer
}

var runID = regexp.MustCompile(`^[0-9]{1,20}$`)

// RunCommand is ci:command: answer the issue_comment event at
// GITHUB_EVENT_PATH. It fails only when GitHub's API did (after saying so
// on the PR when it could) or the event is not one it answers.
func RunCommand(ctx context.Context, e Env) error {
	if e.GitHub.EventName != "issue_comment" {
		return fmt.Errorf("ci:command: GITHUB_EVENT_NAME=%q: it answers issue_comment events; run it from slash-command.yml", e.GitHub.EventName)
	}
	if e.GitHub.EventPath == "" {
		return fmt.Errorf("ci:command: GITHUB_EVENT_PATH is not set: run it inside GitHub Actions")
	}
	ev, err := ReadEvent(e.GitHub.EventPath)
	if err != nil {
		return err
	}
	gh, err := NewClient(e.GitHub.APIURL, e.GitHub.Token.Reveal())
	if err != nil {
		return err
	}
	server := e.GitHub.ServerURL
	if server == "" {
		server = "https://github.com"
	}
	o := Options{Event: ev, Names: NamesOf(e.Config), Label: e.Config.Gating.RequiredLabel, ServerURL: server, Log: e.Log}
	if runID.MatchString(e.GitHub.RunID) {
		o.RunURL = fmt.Sprintf("%s/%s/actions/runs/%s", server, ev.Repo, e.GitHub.RunID)
	}
	out, err := Execute(ctx, gh, o)
	what := out.Command
	if what == "" {
		what = fmt.Sprintf("comment %d", ev.CommentID)
	}
	line := fmt.Sprintf("ci:command: %s on #%d: %s: %s", what, ev.Issue, out.Result, out.Why)
	fmt.Fprintln(e.Stdout, report.Fit(line))
	if werr := report.WriteJSON(filepath.Join(e.Out, OutcomeFile), out); werr != nil {
		fmt.Fprintf(e.Log, "ci:command: %v\n", werr)
	}
	if e.GH != nil {
		if serr := e.GH.AppendSummary(line + "\n"); serr != nil {
			fmt.Fprintf(e.Log, "ci:command: %v\n", serr)
		}
	}
	return err
}
