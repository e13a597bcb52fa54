package slash

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Event is what ci:command reads of an issue_comment payload.
type Event struct {
	Action        string `json:"action"` // created or edited
	Repo          string `json:"repo"`   // owner/name
	DefaultBranch string `json:"default_branch"`
	Issue         int    `json:"issue"`
	PR            bool   `json:"pr"` // the issue is a pull request
	CommentID     int64  `json:"comment_id"`
	Body          string `json:"-"`
	// Before is an edited comment's earlier body (changes.body.from).
	Before    string `json:"-"`
	Edited    bool   `json:"edited,omitempty"`
	Author    string `json:"author"`
	AuthorBot bool   `json:"author_bot,omitempty"`
	Sender    string `json:"sender"`
	SenderBot bool   `json:"sender_bot,omitempty"`
	// Association is the payload's author_association: logged, never
	// trusted (MEMBER is any member of the organisation, COLLABORATOR
	// includes read access).
	Association string `json:"author_association"`
}

type user struct {
	Login string `json:"login"`
	Type  string `json:"type"`
}

type payload struct {
	Action string `json:"action"`
	Issue  struct {
		Number      int             `json:"number"`
		PullRequest json.RawMessage `json:"pull_request"`
	} `json:"issue"`
	Comment struct {
		ID          int64  `json:"id"`
		Body        string `json:"body"`
		User        user   `json:"user"`
		Association string `json:"author_association"`
	} `json:"comment"`
	Changes struct {
		Body *struct {
			From string `json:"from"`
		} `json:"body"`
	} `json:"changes"`
	Repository struct {
		FullName      string `json:"full_name"`
		DefaultBranch string `json:"default_branch"`
	} `json:"repository"`
	Sender user `json:"sender"`
}

var (
	// login is a GitHub login, or an app's with its [bot] suffix.
	login     = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$`)
	ownerRepo = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9_.-]{1,100}$`)
	branch    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_./-]{0,199}$`)
	sha40     = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// associations GitHub reports; anything else is logged as unknown.
var associations = []string{"OWNER", "MEMBER", "COLLABORATOR", "CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR",
	"FIRST_TIMER", "MANNEQUIN", "NONE"}

// ReadEvent reads the issue_comment payload at path. A field of the
// wrong type or form is an error naming the file and the field.
func ReadEvent(path string) (Event, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Event{}, fmt.Errorf("ci:command: read the event payload: %w", err)
	}
	return ParseEvent(path, data)
}

// ParseEvent decodes an issue_comment payload; file names it in errors.
func ParseEvent(file string, data []byte) (Event, error) {
	var p payload
	if err := json.Unmarshal(data, &p); err != nil {
		return Event{}, fmt.Errorf("ci:command: %s: not an issue_comment payload: %v", file, err)
	}
	pr := len(p.Issue.PullRequest) > 0 && string(p.Issue.PullRequest) != "null"
	e := Event{Action: p.Action, Repo: p.Repository.FullName, DefaultBranch: p.Repository.DefaultBranch,
		Issue: p.Issue.Number, PR: pr, CommentID: p.Comment.ID, Body: p.Comment.Body,
		Author: p.Comment.User.Login, AuthorBot: isBot(p.Comment.User),
		Sender: p.Sender.Login, SenderBot: isBot(p.Sender), Association: "unknown"}
	if p.Changes.Body != nil {
		e.Edited, e.Before = true, p.Changes.Body.From
	}
	for _, a := range associations {
		if p.Comment.Association == a {
			e.Association = a
		}
	}
	if e.Sender == "" {
		e.Sender = e.Author
		e.SenderBot = e.AuthorBot
	}
	bad := func(field, want string) error {
		return fmt.Errorf("ci:command: %s: %s: want %s", file, field, want)
	}
	switch {
	case !ownerRepo.MatchString(e.Repo) || e.Name() == "." || e.Name() == "..":
		return e, bad("repository.full_name", "owner/name")
	case e.DefaultBranch != "" && (!branch.MatchString(e.DefaultBranch) || strings.Contains(e.DefaultBranch, "..")):
		return e, bad("repository.default_branch", "a branch name")
	case e.Issue <= 0:
		return e, bad("issue.number", "a positive number")
	case e.CommentID <= 0:
		return e, bad("comment.id", "a positive number")
	case !login.MatchString(e.Author):
		return e, bad("comment.user.login", "a GitHub login")
	case !login.MatchString(e.Sender):
		return e, bad("sender.login", "a GitHub login")
	}
	return e, nil
}

func isBot(u user) bool { return u.Type == "Bot" || strings.HasSuffix(u.Login, "[bot]") }

// Owner and Name split Repo.
func (e Event) Owner() string { o, _, _ := strings.Cut(e.Repo, "/"); return o }

// Name is the repository's name.
func (e Event) Name() string { _, n, _ := strings.Cut(e.Repo, "/"); return n }
