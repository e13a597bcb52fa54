package guard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestLatestCompletedRun(t *testing.T) {
	var gotAuth, gotQuery string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotQuery = r.Header.Get("Authorization"), r.URL.RawQuery
		if r.URL.Path != "/repos/o/r/actions/workflows/nightly.yml/runs" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"total_count":9,"workflow_runs":[{"id":4242,"html_url":"https://x/runs/4242","conclusion":"failure"}]}`))
	}))
	defer srv.Close()
	q := LatestQuery{API: srv.URL, Repo: "o/r", Workflow: "nightly.yml", Branch: "main", Token: "t0k"}
	run, err := LatestCompletedRun(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if run.ID != "4242" || run.Conclusion != "failure" || gotAuth != "Bearer t0k" || !strings.Contains(gotQuery, "status=completed") {
		t.Fatalf("run %+v auth %q query %q", run, gotAuth, gotQuery)
	}
	q.Workflow = "missing.yml"
	if _, err := LatestCompletedRun(context.Background(), q); err == nil || !strings.Contains(err.Error(), "HTTP 404") || strings.Contains(err.Error(), "t0k") {
		t.Fatalf("want a 404 error without the token, got %v", err)
	}
}

// A healthy status fails the gate when a newer nightly completed without
// publishing its status, or when the latest run failed.
func TestGateComparesLatestRun(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	st := Status{Status: "healthy", RunID: "100", UpdatedAt: now.Add(-time.Hour).Format(time.RFC3339)}
	if why := latestReasons(st, &RunInfo{ID: "100", Conclusion: "success"}); len(why) != 0 {
		t.Fatalf("same successful run: %v", why)
	}
	why := latestReasons(st, &RunInfo{ID: "101", URL: "u", Conclusion: "failure"})
	if len(why) != 2 || !strings.Contains(why[0], "latest completed nightly is run 101") || !strings.Contains(why[1], `concluded "failure"`) {
		t.Fatalf("newer failed run: %v", why)
	}
	if latestReasons(st, nil) != nil {
		t.Fatal("no query, no reasons")
	}
}
