package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/datastore"
)

func sha(c byte) string { return strings.Repeat(string(c), 40) }

func run(commit byte, red bool, failed ...string) Run {
	return Run{Stream: "main", Title: "main of o/r", Commit: sha(commit), RunURL: "https://github.com/o/r/actions/runs/" + string(commit),
		Red: red, Failed: failed, Date: time.Unix(1700000000, 0)}
}

// One message when the stream turns red (naming the first red commit and
// the failed files), none while it stays red, one when it turns green
// (naming the commit and the streak it ends); a first green is silent.
func TestNextPostsOnChangesOnly(t *testing.T) {
	var s State
	steps := []struct {
		run  Run
		want string // "" no message, else a substring of the text
	}{
		{run('a', false), ""},
		{run('b', true, "t/test_b.py"), "main of o/r turned red at bbbbbbbbbb: 1 failed"},
		{run('b', true, "t/test_b.py"), ""}, // a re-run of the same commit
		{run('c', true, "t/test_b.py", "t/test_c.py"), ""},
		{run('d', false), "main of o/r is green again at dddddddddd; it ends a red streak of 3 runs over 2 commits since bbbbbbbbbb"},
		{run('e', false), ""},
	}
	for i, st := range steps {
		var m *Message
		s, m = Next(s, st.run)
		switch {
		case st.want == "" && m != nil:
			t.Errorf("step %d: unexpected message %q", i, m.Text)
		case st.want != "" && (m == nil || !strings.Contains(m.Text, st.want)):
			t.Errorf("step %d: message %+v, want %q", i, m, st.want)
		}
		if m != nil {
			s.Posted = s.State
		}
	}
	_, m := Next(State{}, run('b', true, "t/test_b.py"))
	body := m.Blocks[0].Text.Text
	if !strings.Contains(body, "turned red at `bbbbbbbbbb` (the first red commit): <https://github.com/o/r/actions/runs/b|its run>") ||
		!strings.Contains(body, "• `t/test_b.py`") || m.Blocks[0].Type != "section" || m.Blocks[0].Text.Type != "mrkdwn" {
		t.Errorf("red message: %s", body)
	}
}

// Text from outside cannot ping or link: &, < and > are escaped; a long
// list is cut on a line boundary within the limit.
func TestMessageEscapesAndCuts(t *testing.T) {
	var failed []string
	failed = append(failed, "<!channel> & <@U123|boss>")
	for i := 0; i < 400; i++ {
		failed = append(failed, "tests/"+strings.Repeat("x", 200)+".py")
	}
	_, m := Next(State{}, run('b', true, failed...))
	body := m.Blocks[0].Text.Text
	if strings.Contains(body, "<!channel>") || !strings.Contains(body, "&lt;!channel&gt; &amp; &lt;@U123|boss&gt;") {
		t.Errorf("not escaped: %s", body[:200])
	}
	if n := len([]rune(body)); n > MaxText || !strings.HasSuffix(body, "… (cut)") {
		t.Errorf("body of %d characters ends %q", n, body[len(body)-40:])
	}
	for _, l := range strings.Split(strings.TrimSuffix(body, "\n… (cut)"), "\n") {
		if strings.HasPrefix(l, "• ") && !strings.HasSuffix(l, "`") {
			t.Errorf("a line cut in its middle: %q", l)
		}
	}
	b, _ := json.Marshal(m)
	var back map[string]any
	if json.Unmarshal(b, &back) != nil || back["text"] == "" || back["blocks"] == nil {
		t.Errorf("payload %s", b)
	}
	if got := Cut("one\ntwo\nthree", 12); got != "one\n… (cut)" {
		t.Errorf("Cut: %q", got)
	}
}

// receiver is a webhook on loopback answering with the codes given, then
// 200.
type receiver struct {
	mu     sync.Mutex
	codes  []int
	after  []string
	bodies [][]byte
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bodies = append(r.bodies, b)
	i := len(r.bodies) - 1
	if i < len(r.codes) {
		if i < len(r.after) && r.after[i] != "" {
			w.Header().Set("Retry-After", r.after[i])
		}
		w.WriteHeader(r.codes[i])
		_, _ = w.Write([]byte("no_service"))
		return
	}
	_, _ = w.Write([]byte("ok"))
}

func (r *receiver) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.bodies) }

// A 503 and a 429 are retried, the backoff doubling and Retry-After
// honoured; a 400 is final; the error never holds the URL.
func TestPostRetries(t *testing.T) {
	rc := &receiver{codes: []int{503, 429}, after: []string{"", "7"}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	secret := srv.URL + "/services/T000/B000/s3cr3t"
	var waits []time.Duration
	p := Poster{URL: secret, Backoff: time.Second, Sleep: func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}}
	_, m := Next(State{}, run('b', true, "t/test_b.py"))
	if err := p.Post(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if rc.count() != 3 || len(waits) != 2 || waits[0] != time.Second || waits[1] != 7*time.Second {
		t.Errorf("%d posts, waits %v; want 3 posts after 1s and the Retry-After's 7s", rc.count(), waits)
	}
	var got Message
	if err := json.Unmarshal(rc.bodies[2], &got); err != nil || got.Text != m.Text {
		t.Errorf("posted %s", rc.bodies[2])
	}

	rc = &receiver{codes: []int{400}}
	srv2 := httptest.NewServer(rc)
	defer srv2.Close()
	p.URL = srv2.URL + "/services/T000/B000/s3cr3t"
	err := p.Post(context.Background(), m)
	if err == nil || rc.count() != 1 || !strings.Contains(err.Error(), "HTTP 400 no_service") {
		t.Errorf("400: %d posts, %v", rc.count(), err)
	}
	p.URL, p.Attempts = "http://127.0.0.1:1/services/T000/B000/s3cr3t", 2
	err = p.Post(context.Background(), m)
	if err == nil || strings.Contains(err.Error(), "s3cr3t") || !strings.Contains(err.Error(), "attempt 2 of 2") {
		t.Errorf("refused connection: %v", err)
	}
	if d := retryAfter("Wed, 21 Oct 2065 07:28:00 GMT", time.Date(2065, 10, 21, 7, 27, 0, 0, time.UTC)); d != time.Minute {
		t.Errorf("Retry-After as a date: %v", d)
	}
}

// Tell keeps the state in the store: red posts, the repeated red does
// not, green posts; a failed post is retried by the next run.
func TestTellKeepsTheState(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	st := &datastore.Store{Local: t.TempDir()}
	var log bytes.Buffer
	p := Poster{URL: srv.URL + "/hook", Sleep: func(context.Context, time.Duration) error { return nil }}
	ctx := context.Background()
	for i, step := range []struct {
		run   Run
		posts int
		said  string
	}{
		{run('a', true, "t/test_b.py"), 1, "notify: main turned red at aaaaaaaaaa: posted"},
		{run('b', true, "t/test_b.py"), 1, "notify: main is red at bbbbbbbbbb, as last posted: no message"},
		{run('c', false), 2, "notify: main turned green at cccccccccc: posted"},
	} {
		did, err := Tell(ctx, st, &log, p, step.run)
		if err != nil || did != step.said || rc.count() != step.posts {
			t.Fatalf("step %d: %q %v, %d posts", i, did, err, rc.count())
		}
	}
	data, err := os.ReadFile(filepath.Join(st.Local, Subdir, "main.json"))
	if err != nil || !strings.Contains(string(data), `"posted": "green"`) || strings.Contains(string(data), srv.URL) {
		t.Fatalf("state %s %v", data, err)
	}

	// The webhook is down: the change is not marked posted, and the next
	// run posts it.
	down := Poster{URL: "http://127.0.0.1:1/hook", Attempts: 1}
	if did, err := Tell(ctx, st, &log, down, run('d', true, "t/test_d.py")); err == nil || !strings.Contains(did, "not posted") {
		t.Fatalf("down: %q %v", did, err)
	}
	if did, err := Tell(ctx, st, &log, p, run('e', true, "t/test_d.py")); err != nil || !strings.Contains(did, "turned red") || rc.count() != 3 {
		t.Fatalf("after the outage: %q %v, %d posts", did, err, rc.count())
	}
	var last Message
	_ = json.Unmarshal(rc.bodies[2], &last)
	if !strings.Contains(last.Text, "turned red at dddddddddd") {
		t.Errorf("the first red commit is lost: %s", last.Text)
	}
	if did, _ := Tell(ctx, st, &log, Poster{}, run('f', false)); !strings.Contains(did, "no webhook") {
		t.Errorf("no webhook: %q", did)
	}
	if _, err := Tell(ctx, st, &log, p, Run{Stream: "../x", Commit: sha('g')}); err == nil {
		t.Error("a stream name with a path was accepted")
	}
}
