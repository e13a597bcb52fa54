// Package notify tells a chat channel when a stream of runs (main's
// pushes, the scheduled nightly) turns red, and when it turns green
// again: one message per change of state, never one per red run. The
// stream's state lives in the history store (notify/<stream>.json), so
// that runs on fresh machines agree on what was last posted. Messages are
// Slack-compatible JSON (a top-level text plus blocks) posted to a
// webhook whose URL is a secret: it is never printed, and errors are
// redacted.
package notify

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// States of a stream.
const (
	Red   = "red"
	Green = "green"
)

// State is what the store keeps of a stream: its latest run's state, the
// state the channel last heard of, and the red streak.
type State struct {
	Stream string `json:"stream"`
	State  string `json:"state"`  // of the latest run
	Posted string `json:"posted"` // the state last posted; "" is green: nothing to announce
	Commit string `json:"commit"` // of the latest run
	RunURL string `json:"run_url,omitempty"`
	// RedSince is the first red commit of the current (or, when green,
	// the last) red streak; RedRuns and RedCommits count its runs and
	// distinct commits.
	RedSince    string    `json:"red_since,omitempty"`
	RedSinceURL string    `json:"red_since_url,omitempty"`
	RedRuns     int       `json:"red_runs,omitempty"`
	RedCommits  int       `json:"red_commits,omitempty"`
	GreenSince  string    `json:"green_since,omitempty"` // the commit that turned it green
	Failed      []string  `json:"failed,omitempty"`      // what failed in the latest red run
	Updated     time.Time `json:"updated"`
}

// Run is one finished run of a stream.
type Run struct {
	Stream string   // main, nightly
	Title  string   // how messages name the stream, e.g. "main of sgl-project/sglang-jax"
	Commit string   // the commit it tested
	RunURL string   // the run's page
	Red    bool     // it failed
	Failed []string // the failed files (or cases), red runs only
	Date   time.Time
}

// Next folds a run into the stream's state and returns the message to
// post, or nil when the channel already knows (a repeated red, a green
// after green). A stream with no state yet counts as green, so its first
// green run is silent and its first red run is announced.
func Next(prev State, r Run) (State, *Message) {
	s := prev
	s.Stream, s.Commit, s.RunURL, s.Updated = r.Stream, r.Commit, r.RunURL, r.Date
	if r.Red {
		if prev.State != Red {
			s.RedSince, s.RedSinceURL, s.RedRuns, s.RedCommits = r.Commit, r.RunURL, 0, 0
		}
		if prev.State != Red || prev.Commit != r.Commit {
			s.RedCommits++
		}
		s.RedRuns++
		s.State, s.Failed, s.GreenSince = Red, slices.Clone(r.Failed), ""
	} else {
		if prev.State != Green {
			s.GreenSince = r.Commit
		}
		s.State, s.Failed = Green, nil
	}
	posted := prev.Posted
	if posted == "" {
		posted = Green
	}
	if s.State == posted {
		return s, nil
	}
	if s.State == Red {
		return s, redMessage(s, r)
	}
	return s, greenMessage(s, r)
}

// MaxText bounds a message's text: Slack's limit for a section block is
// 3000 characters.
const MaxText = 3000

// maxFailed bounds the failed files a red message lists.
const maxFailed = 20

func redMessage(s State, r Run) *Message {
	var b strings.Builder
	head := opening(&b, ":red_circle:", titleOf(s, r), "turned red at", s.RedSince, " (the first red commit)",
		link(s.RedSinceURL, "its run"))
	if n := len(s.Failed); n > 0 {
		fmt.Fprintf(&b, "%d failed:\n", n)
		for i, f := range s.Failed {
			if i == maxFailed {
				fmt.Fprintf(&b, "… and %d more\n", n-maxFailed)
				break
			}
			fmt.Fprintf(&b, "• `%s`\n", Escape(strings.ReplaceAll(f, "`", "'")))
		}
		head += fmt.Sprintf(": %d failed", n)
	}
	return newMessage(head, b.String())
}

func greenMessage(s State, r Run) *Message {
	var b strings.Builder
	head := opening(&b, ":large_green_circle:", titleOf(s, r), "is green again at", s.GreenSince, "",
		link(r.RunURL, "the run"))
	if s.RedSince != "" {
		streak := fmt.Sprintf("it ends a red streak of %s over %s since `%s`", count(s.RedRuns, "run"),
			count(s.RedCommits, "commit"), Escape(short(s.RedSince)))
		head += "; " + strings.ReplaceAll(streak, "`", "")
		b.WriteString(strings.ToUpper(streak[:1]) + streak[1:] + "\n")
	}
	return newMessage(head, b.String())
}

// titleOf names the stream in a message: the run's title, else the
// stream's name.
func titleOf(s State, r Run) string {
	if r.Title != "" {
		return r.Title
	}
	return s.Stream
}

// opening writes a message's first line to b ("*main* turned red at
// `abc`", a note, a link) and returns it as plain text for the
// notification's fallback.
func opening(b *strings.Builder, icon, title, says, sha, note, url string) string {
	fmt.Fprintf(b, "%s *%s* %s `%s`%s", icon, Escape(title), says, Escape(short(sha)), note)
	if url != "" {
		b.WriteString(": " + url)
	}
	b.WriteString("\n")
	return fmt.Sprintf("%s %s %s", title, says, short(sha))
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func short(sha string) string {
	if len(sha) > 10 {
		return sha[:10]
	}
	return sha
}

// safeURL is a URL a Slack link can carry: http(s), without the
// characters that would end the link or the message markup.
var safeURL = regexp.MustCompile(`^https?://[^\s<>|]+$`)

func link(u, text string) string {
	if !safeURL.MatchString(u) {
		return ""
	}
	return "<" + strings.ReplaceAll(u, "&", "&amp;") + "|" + text + ">"
}

// Escape makes text inert in Slack's markup: &, < and > become entities,
// so no <!channel>, <@user> or <url|link> can come from a file name.
func Escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Message is a Slack-compatible incoming-webhook payload: text is the
// notification's fallback, blocks the formatted body.
type Message struct {
	Text   string  `json:"text"`
	Blocks []Block `json:"blocks"`
}

// Block is a section block of mrkdwn text.
type Block struct {
	Type string    `json:"type"`
	Text BlockText `json:"text"`
}

// BlockText is a block's text.
type BlockText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

func newMessage(head, body string) *Message {
	return &Message{Text: Cut(Escape(head), MaxText),
		Blocks: []Block{{Type: "section", Text: BlockText{Type: "mrkdwn", Text: Cut(strings.TrimRight(body, "\n"), MaxText)}}}}
}

// Cut shortens s to at most n characters on a line boundary, ending with
// a line that says so; a first line longer than n is cut at a character.
func Cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	const more = "\n… (cut)"
	keep := string(r[:n-len([]rune(more))])
	if i := strings.LastIndexByte(keep, '\n'); i > 0 {
		keep = keep[:i]
	}
	return keep + more
}
