package guard

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// Status is the nightly-status JSON the nightly pipeline publishes
// (schema_version 1, as SGLang-JAX's ci-data nightly-status.json).
type Status struct {
	SchemaVersion int    `json:"schema_version"`
	UpdatedAt     string `json:"updated_at"`
	RunID         string `json:"run_id"`
	RunURL        string `json:"run_url"`
	HeadSHA       string `json:"head_sha"`
	HeadBranch    string `json:"head_branch"`
	Conclusion    string `json:"conclusion"`
	Status        string `json:"status"` // healthy | unhealthy | unknown
	LatestSuccess *struct {
		RunID       string `json:"run_id"`
		RunURL      string `json:"run_url"`
		CompletedAt string `json:"completed_at"`
	} `json:"latest_successful_nightly"`
}

// Gate outcomes.
const (
	GatePass      = "pass"
	GateFail      = "fail"
	GateEmergency = "emergency" // failed, but overridden with a justification
)

// GateResult is the nightly-health gate's verdict, recorded in the results.
type GateResult struct {
	Outcome       string   `json:"outcome"`
	Source        string   `json:"source"`
	Reasons       []string `json:"reasons,omitempty"` // why it failed
	RunURL        string   `json:"run_url,omitempty"`
	Justification string   `json:"justification,omitempty"`
}

// Allows reports whether publishing may go ahead.
func (g GateResult) Allows() bool { return g.Outcome == GatePass || g.Outcome == GateEmergency }

// GateOptions configure the gate.
type GateOptions struct {
	Source         string        // file path or http(s) URL
	MaxAge         time.Duration // status older than this fails (48h)
	SuccessMaxAge  time.Duration // last success older than this fails (7 days)
	Override       string        // emergency justification
	Now            time.Time
	Client         *http.Client
	MinOverrideLen int // minimum justification length (20)
	// Latest, when set, is the latest completed nightly run (from GitHub);
	// the status must describe it and it must have succeeded.
	Latest    *RunInfo
	LatestErr error // why the latest run could not be found (fails the gate)
}

// Defaults of the gate.
const (
	DefaultMaxAge        = 48 * time.Hour
	DefaultSuccessMaxAge = 7 * 24 * time.Hour
)

// CheckNightly reads the status and judges it. A failed gate with a
// written justification becomes an emergency pass; a justification that
// is too short to explain anything is refused.
func CheckNightly(ctx context.Context, o GateOptions) (GateResult, error) {
	if o.MaxAge == 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.SuccessMaxAge == 0 {
		o.SuccessMaxAge = DefaultSuccessMaxAge
	}
	if o.MinOverrideLen == 0 {
		o.MinOverrideLen = 20
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	justification := strings.TrimSpace(o.Override)
	if justification != "" && (len(justification) < o.MinOverrideLen || truthy(justification)) {
		return GateResult{}, fmt.Errorf("guard: %s must be a written justification (at least %d characters saying why the release cannot wait for a healthy nightly), not %q", EnvOverride, o.MinOverrideLen, justification)
	}
	r := GateResult{Outcome: GatePass, Source: o.Source}
	if o.Source == "" {
		r.Reasons = append(r.Reasons, "no nightly status configured ([release].nightly_status or "+EnvStatus+")")
	} else if st, err := LoadStatus(ctx, o.Source, o.Client); err != nil {
		r.Reasons = append(r.Reasons, err.Error())
	} else {
		r.RunURL = st.RunURL
		r.Reasons = append(judge(st, o), latestReasons(st, o.Latest)...)
		if o.LatestErr != nil {
			r.Reasons = append(r.Reasons, o.LatestErr.Error())
		}
	}
	if len(r.Reasons) > 0 {
		r.Outcome = GateFail
		if justification != "" {
			r.Outcome, r.Justification = GateEmergency, justification
		}
	}
	return r, nil
}

func judge(st Status, o GateOptions) []string {
	var why []string
	if st.Status != "healthy" {
		why = append(why, fmt.Sprintf("nightly status is %q (conclusion %q), not \"healthy\"", st.Status, st.Conclusion))
	}
	if msg := age("updated_at", st.UpdatedAt, o.MaxAge, o.Now); msg != "" {
		why = append(why, msg)
	}
	switch ls := st.LatestSuccess; {
	case ls == nil || ls.RunID == "" || ls.CompletedAt == "":
		why = append(why, "no latest_successful_nightly (run_id and completed_at) recorded")
	default:
		if msg := age("latest_successful_nightly.completed_at", ls.CompletedAt, o.SuccessMaxAge, o.Now); msg != "" {
			why = append(why, msg)
		}
	}
	return why
}

func age(field, ts string, limit time.Duration, now time.Time) string {
	t, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		return fmt.Sprintf("%s %q is not an RFC 3339 time", field, ts)
	}
	switch d := now.Sub(t); {
	case d < -5*time.Minute:
		return fmt.Sprintf("%s %s is in the future", field, ts)
	case d > limit:
		return fmt.Sprintf("%s %s is %s old (limit %s)", field, ts, d.Round(time.Minute), limit)
	}
	return ""
}

// LoadStatus reads the status JSON from a file path or an http(s) URL.
func LoadStatus(ctx context.Context, src string, client *http.Client) (Status, error) {
	var data []byte
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		if client == nil {
			client = &http.Client{Timeout: 30 * time.Second}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
		if err != nil {
			return Status{}, fmt.Errorf("nightly status %s: %w", src, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return Status{}, fmt.Errorf("nightly status: fetch %s: %w", src, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return Status{}, fmt.Errorf("nightly status: fetch %s: HTTP %s", src, resp.Status)
		}
		if data, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20)); err != nil {
			return Status{}, fmt.Errorf("nightly status: read %s: %w", src, err)
		}
	} else {
		var err error
		if data, err = os.ReadFile(src); err != nil {
			return Status{}, fmt.Errorf("nightly status: read %s: %w", src, err)
		}
	}
	var st Status
	if err := json.Unmarshal(data, &st); err != nil {
		return Status{}, fmt.Errorf("nightly status: %s is not valid JSON: %w", src, err)
	}
	if st.SchemaVersion != 1 {
		return Status{}, fmt.Errorf("nightly status: %s has schema_version %d; this tpuci reads version 1", src, st.SchemaVersion)
	}
	return st, nil
}
