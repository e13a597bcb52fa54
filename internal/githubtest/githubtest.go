// Package githubtest is GitHub's REST API faked on loopback, for the
// journeys of the slash commands, the PR summary comment and the
// re-runs: the endpoints tpuci calls, with state a test sets up and
// inspects, and every call recorded. Requests without the expected token
// get 401, as GitHub answers them.
package githubtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Pull is a pull request.
type Pull struct {
	Number   int
	HeadSHA  string
	HeadRef  string
	HeadRepo string // owner/name of the head: a fork's differs
	BaseSHA  string
	BaseRef  string
	Labels   []string
}

// Comment is an issue or PR comment.
type Comment struct {
	ID      int64     `json:"id"`
	Issue   int       `json:"-"`
	Body    string    `json:"body"`
	User    string    `json:"-"`
	Edits   int       `json:"-"` // PATCHes it received
	Created time.Time `json:"-"`
}

// Reaction is a reaction a comment got.
type Reaction struct {
	Comment int64
	Content string
}

// Run is a workflow run.
type Run struct {
	ID         int64
	Workflow   string // file name, e.g. pr-test.yml
	HeadSHA    string
	HeadBranch string
	Event      string
	Status     string // queued, in_progress, completed
	Conclusion string // success, failure, cancelled, ""
	Attempt    int
	PR         int
}

// Dispatch is a workflow_dispatch request.
type Dispatch struct {
	Workflow string            `json:"workflow"`
	Ref      string            `json:"ref"`
	Inputs   map[string]string `json:"inputs"`
}

// Server is the fake API. Set its fields before the code under test
// calls it; read them (under Lock) after.
type Server struct {
	URL   string // base URL, as GITHUB_API_URL
	Repo  string // owner/name it serves
	Token string // the token requests must carry; "" accepts any

	sync.Mutex
	Perms      map[string]string // login -> admin, maintain, write, triage, read; absent: none
	Pulls      map[int]*Pull
	Comments   []*Comment
	Reactions  []Reaction
	Runs       []*Run
	Reruns     []int64 // run ids rerun-failed-jobs was asked for
	Dispatches []Dispatch
	Calls      []string // "METHOD path", in order
	BotLogin   string   // the author of the comments tpuci writes

	srv    *httptest.Server
	nextID int64
}

// TB is the part of testing.TB the server needs.
type TB interface {
	Helper()
	Cleanup(func())
}

// New starts a fake serving repo (owner/name) on 127.0.0.1.
func New(t TB, repo, token string) *Server {
	t.Helper()
	s := &Server{Repo: repo, Token: token, Perms: map[string]string{}, Pulls: map[int]*Pull{},
		BotLogin: "github-actions[bot]", nextID: 1000}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// CommentsOn returns the comments of an issue or PR, oldest first.
func (s *Server) CommentsOn(issue int) []Comment {
	s.Lock()
	defer s.Unlock()
	var out []Comment
	for _, c := range s.Comments {
		if c.Issue == issue {
			out = append(out, *c)
		}
	}
	return out
}

// CallsMatching counts the recorded calls that start with prefix, e.g.
// "POST /repos/o/r/actions/runs/".
func (s *Server) CallsMatching(prefix string) int {
	s.Lock()
	defer s.Unlock()
	n := 0
	for _, c := range s.Calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

type route struct {
	method string
	re     *regexp.Regexp
	do     func(s *Server, w http.ResponseWriter, r *http.Request, m []string)
}

var routes = []route{
	{"GET", regexp.MustCompile(`^/repos/([^/]+/[^/]+)/collaborators/([^/]+)/permission$`), (*Server).permission},
	{"GET", regexp.MustCompile(`^/repos/([^/]+/[^/]+)/pulls/(\d+)$`), (*Server).pull},
	{"GET", regexp.MustCompile(`^/repos/([^/]+/[^/]+)/issues/(\d+)/comments$`), (*Server).listComments},
	{"POST", regexp.MustCompile(`^/repos/([^/]+/[^/]+)/issues/(\d+)/comments$`), (*Server).createComment},
	{"PATCH", regexp.MustCompile(`^/repos/([^/]+/[^/]+)/issues/comments/(\d+)$`), (*Server).editComment},
	{"POST", regexp.MustCompile(`^/repos/([^/]+/[^/]+)/issues/comments/(\d+)/reactions$`), (*Server).react},
	{"POST", regexp.MustCompile(`^/repos/([^/]+/[^/]+)/issues/(\d+)/labels$`), (*Server).addLabels},
	{"GET", regexp.MustCompile(`^/repos/([^/]+/[^/]+)/actions/workflows/([^/]+)/runs$`), (*Server).listRuns},
	{"POST", regexp.MustCompile(`^/repos/([^/]+/[^/]+)/actions/runs/(\d+)/rerun-failed-jobs$`), (*Server).rerunFailed},
	{"POST", regexp.MustCompile(`^/repos/([^/]+/[^/]+)/actions/workflows/([^/]+)/dispatches$`), (*Server).dispatch},
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/api/v3") // go-github's enterprise prefix
	s.Lock()
	s.Calls = append(s.Calls, r.Method+" "+path)
	s.Unlock()
	if s.Token != "" {
		auth := r.Header.Get("Authorization")
		if auth != "Bearer "+s.Token && auth != "token "+s.Token {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
			return
		}
	}
	for _, rt := range routes {
		m := rt.re.FindStringSubmatch(path)
		if m == nil || rt.method != r.Method {
			continue
		}
		if m[1] != s.Repo {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
			return
		}
		s.Lock()
		rt.do(s, w, r, m)
		s.Unlock()
		return
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found: " + r.Method + " " + path})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func decode(r *http.Request, v any) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

func (s *Server) permission(w http.ResponseWriter, _ *http.Request, m []string) {
	p, ok := s.Perms[m[2]]
	if !ok {
		p = "none"
	}
	// GitHub's permission field says admin, write, read or none; role_name
	// keeps maintain and triage.
	legacy := map[string]string{"maintain": "write", "triage": "read"}[p]
	if legacy == "" {
		legacy = p
	}
	writeJSON(w, http.StatusOK, map[string]any{"permission": legacy, "role_name": p,
		"user": map[string]any{"login": m[2]}})
}

func (s *Server) pull(w http.ResponseWriter, _ *http.Request, m []string) {
	n, _ := strconv.Atoi(m[2])
	p, ok := s.Pulls[n]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	labels := []map[string]string{}
	for _, l := range p.Labels {
		labels = append(labels, map[string]string{"name": l})
	}
	headRepo := p.HeadRepo
	if headRepo == "" {
		headRepo = s.Repo
	}
	writeJSON(w, http.StatusOK, map[string]any{"number": p.Number, "state": "open", "labels": labels,
		"head": map[string]any{"sha": p.HeadSHA, "ref": p.HeadRef, "repo": map[string]any{"full_name": headRepo}},
		"base": map[string]any{"sha": p.BaseSHA, "ref": p.BaseRef, "repo": map[string]any{"full_name": s.Repo}}})
}

func (s *Server) commentJSON(c *Comment) map[string]any {
	return map[string]any{"id": c.ID, "body": c.Body, "user": map[string]any{"login": c.User, "type": "Bot"},
		"html_url": fmt.Sprintf("https://github.com/%s/pull/%d#issuecomment-%d", s.Repo, c.Issue, c.ID)}
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request, m []string) {
	n, _ := strconv.Atoi(m[2])
	out := []map[string]any{}
	for _, c := range s.Comments {
		if c.Issue == n {
			out = append(out, s.commentJSON(c))
		}
	}
	// One page holds them all: a test never has more than per_page.
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createComment(w http.ResponseWriter, r *http.Request, m []string) {
	n, _ := strconv.Atoi(m[2])
	var in struct {
		Body string `json:"body"`
	}
	if err := decode(r, &in); err != nil || in.Body == "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "body is required"})
		return
	}
	s.nextID++
	c := &Comment{ID: s.nextID, Issue: n, Body: in.Body, User: s.BotLogin, Created: time.Now()}
	s.Comments = append(s.Comments, c)
	writeJSON(w, http.StatusCreated, s.commentJSON(c))
}

func (s *Server) editComment(w http.ResponseWriter, r *http.Request, m []string) {
	id, _ := strconv.ParseInt(m[2], 10, 64)
	var in struct {
		Body string `json:"body"`
	}
	if err := decode(r, &in); err != nil || in.Body == "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "body is required"})
		return
	}
	for _, c := range s.Comments {
		if c.ID == id {
			c.Body = in.Body
			c.Edits++
			writeJSON(w, http.StatusOK, s.commentJSON(c))
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
}

func (s *Server) react(w http.ResponseWriter, r *http.Request, m []string) {
	id, _ := strconv.ParseInt(m[2], 10, 64)
	var in struct {
		Content string `json:"content"`
	}
	if err := decode(r, &in); err != nil || in.Content == "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "content is required"})
		return
	}
	s.Reactions = append(s.Reactions, Reaction{Comment: id, Content: in.Content})
	writeJSON(w, http.StatusCreated, map[string]any{"id": len(s.Reactions), "content": in.Content})
}

func (s *Server) addLabels(w http.ResponseWriter, r *http.Request, m []string) {
	n, _ := strconv.Atoi(m[2])
	var in struct {
		Labels []string `json:"labels"`
	}
	if err := decode(r, &in); err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": err.Error()})
		return
	}
	p, ok := s.Pulls[n]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	out := []map[string]string{}
	for _, l := range in.Labels {
		if !contains(p.Labels, l) {
			p.Labels = append(p.Labels, l)
		}
	}
	for _, l := range p.Labels {
		out = append(out, map[string]string{"name": l})
	}
	writeJSON(w, http.StatusOK, out)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func (s *Server) listRuns(w http.ResponseWriter, r *http.Request, m []string) {
	q := r.URL.Query()
	out := []map[string]any{}
	// Newest first, as GitHub lists them.
	for i := len(s.Runs) - 1; i >= 0; i-- {
		run := s.Runs[i]
		if run.Workflow != m[2] || q.Get("head_sha") != "" && q.Get("head_sha") != run.HeadSHA ||
			q.Get("event") != "" && q.Get("event") != run.Event ||
			q.Get("branch") != "" && q.Get("branch") != run.HeadBranch ||
			q.Get("status") != "" && q.Get("status") != run.Status && q.Get("status") != run.Conclusion {
			continue
		}
		var conclusion any
		if run.Conclusion != "" {
			conclusion = run.Conclusion
		}
		prs := []map[string]any{}
		if run.PR != 0 {
			prs = append(prs, map[string]any{"number": run.PR})
		}
		out = append(out, map[string]any{"id": run.ID, "head_sha": run.HeadSHA, "head_branch": run.HeadBranch,
			"event": run.Event, "status": run.Status, "conclusion": conclusion, "run_attempt": max(run.Attempt, 1),
			"path": ".github/workflows/" + run.Workflow, "pull_requests": prs,
			"html_url": fmt.Sprintf("https://github.com/%s/actions/runs/%d", s.Repo, run.ID)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(out), "workflow_runs": out})
}

func (s *Server) rerunFailed(w http.ResponseWriter, _ *http.Request, m []string) {
	id, _ := strconv.ParseInt(m[2], 10, 64)
	for _, run := range s.Runs {
		if run.ID == id {
			if run.Status != "completed" {
				writeJSON(w, http.StatusForbidden, map[string]string{"message": "This workflow is already running"})
				return
			}
			s.Reruns = append(s.Reruns, id)
			run.Attempt = max(run.Attempt, 1) + 1
			run.Status, run.Conclusion = "queued", ""
			writeJSON(w, http.StatusCreated, map[string]any{})
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
}

func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, m []string) {
	var in struct {
		Ref    string            `json:"ref"`
		Inputs map[string]string `json:"inputs"`
	}
	if err := decode(r, &in); err != nil || in.Ref == "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "ref is required"})
		return
	}
	s.Dispatches = append(s.Dispatches, Dispatch{Workflow: m[2], Ref: in.Ref, Inputs: in.Inputs})
	w.WriteHeader(http.StatusNoContent)
}
