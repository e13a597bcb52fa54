package guard

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// RunInfo is the latest completed run of the nightly workflow.
type RunInfo struct {
	ID         string `json:"run_id"`
	URL        string `json:"run_url,omitempty"`
	Conclusion string `json:"conclusion"`
}

// LatestQuery names the workflow whose latest completed run the gate
// compares with the status record (GitHub's REST API).
type LatestQuery struct {
	API      string // GITHUB_API_URL, e.g. https://api.github.com
	Repo     string // owner/name
	Workflow string // workflow file name, e.g. nightly.yml
	Branch   string // main
	Token    string // sent as a header, never printed
	Client   *http.Client
}

// LatestCompletedRun asks GitHub for the newest completed run of the
// nightly workflow on the branch.
func LatestCompletedRun(ctx context.Context, q LatestQuery) (*RunInfo, error) {
	api := strings.TrimRight(q.API, "/")
	if api == "" {
		api = "https://api.github.com"
	}
	u := fmt.Sprintf("%s/repos/%s/actions/workflows/%s/runs?%s", api, q.Repo, url.PathEscape(q.Workflow),
		url.Values{"branch": {q.Branch}, "status": {"completed"}, "per_page": {"1"}}.Encode())
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("guard: latest nightly run: %w", err)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	if q.Token != "" {
		req.Header.Set("Authorization", "Bearer "+q.Token)
	}
	client := q.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("guard: latest nightly run of %s: %w", q.Workflow, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("guard: latest nightly run of %s in %s: HTTP %d (check the workflow name in [release].nightly_workflow and the token's actions:read permission)", q.Workflow, q.Repo, resp.StatusCode)
	}
	var page struct {
		Runs []struct {
			ID         json.Number `json:"id"`
			HTMLURL    string      `json:"html_url"`
			Conclusion string      `json:"conclusion"`
		} `json:"workflow_runs"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, fmt.Errorf("guard: latest nightly run of %s: read the API answer: %w", q.Workflow, err)
	}
	if len(page.Runs) == 0 {
		return nil, fmt.Errorf("guard: no completed run of %s on %s yet", q.Workflow, q.Branch)
	}
	r := page.Runs[0]
	if _, err := strconv.ParseInt(r.ID.String(), 10, 64); err != nil {
		return nil, fmt.Errorf("guard: latest nightly run of %s: run id %q is not a number", q.Workflow, r.ID)
	}
	return &RunInfo{ID: r.ID.String(), URL: r.HTMLURL, Conclusion: r.Conclusion}, nil
}

// latestReasons compares the status record with the latest completed run:
// the record must describe that run, and the run must have succeeded.
func latestReasons(st Status, latest *RunInfo) []string {
	if latest == nil {
		return nil
	}
	var why []string
	if st.RunID != latest.ID {
		why = append(why, fmt.Sprintf("the status describes run %q but the latest completed nightly is run %s (%s): its status was never published", st.RunID, latest.ID, latest.URL))
	}
	if latest.Conclusion != "success" {
		why = append(why, fmt.Sprintf("the latest completed nightly run %s concluded %q", latest.ID, latest.Conclusion))
	}
	return why
}
