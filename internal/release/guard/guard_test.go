package guard

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pep440 "github.com/aquasecurity/go-pep440-version"

	"github.com/sgl-project/tpuci/internal/release/plan"
	"github.com/sgl-project/tpuci/internal/settings"
)

func mkplan(t *testing.T, v string, ch plan.Channel) plan.Plan {
	t.Helper()
	p, err := plan.Make(plan.Input{Version: pep440.MustParse(v), Channel: ch, Image: "r/x", Arch: "amd64", Date: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDecide(t *testing.T) {
	pol := Policy{OfficialRepo: "sgl-project/sglang-jax", Branch: "main"}
	rel := mkplan(t, "0.5.3", plan.Release)
	night := mkplan(t, "0.5.3", plan.Nightly)
	official := Where{CI: true, Repository: "sgl-project/sglang-jax", Ref: "refs/heads/main"}
	for _, c := range []struct {
		name    string
		pol     Policy
		w       Where
		req     Request
		p       plan.Plan
		publish bool
		err     string
	}{
		{"local default is a dry run", pol, Where{}, Request{}, rel, false, ""},
		{"fork CI is a dry run", pol, Where{CI: true, Repository: "someone/sglang-jax", Ref: "refs/heads/main"}, Request{}, rel, false, ""},
		{"official CI on main publishes", pol, official, Request{}, rel, true, ""},
		{"official CI on the version tag publishes", pol, Where{CI: true, Repository: "sgl-project/sglang-jax", Ref: "refs/tags/v0.5.3"}, Request{}, rel, true, ""},
		{"dry run wins over everything", pol, official, Request{DryRun: true, Publish: true}, rel, false, ""},
		{"official CI on a feature branch fails", pol, Where{CI: true, Repository: "sgl-project/sglang-jax", Ref: "refs/heads/feature"}, Request{}, rel, false, "neither refs/heads/main"},
		{"pull request ref fails", pol, Where{CI: true, Repository: "sgl-project/sglang-jax", Ref: "refs/pull/7/merge"}, Request{}, rel, false, "neither"},
		{"another version's tag fails", pol, Where{CI: true, Repository: "sgl-project/sglang-jax", Ref: "refs/tags/v0.5.2"}, Request{}, rel, false, "does not match the version 0.5.3"},
		{"non-canonical tag fails", pol, Where{CI: true, Repository: "sgl-project/sglang-jax", Ref: "refs/tags/v0.5.3.0"}, Request{}, rel, false, "must be canonical"},
		{"nightly from a tag fails", pol, Where{CI: true, Repository: "sgl-project/sglang-jax", Ref: "refs/tags/v0.5.3"}, Request{}, night, false, "nightly publishes from main"},
		{"nightly on main publishes", pol, official, Request{}, night, true, ""},
		{"asking to publish from a fork fails", pol, Where{Repository: "someone/x", Ref: "refs/heads/main"}, Request{Publish: true}, rel, false, "not the official repository"},
		{"asking to publish without a ref fails", pol, Where{Repository: "sgl-project/sglang-jax"}, Request{Publish: true}, rel, false, "GITHUB_REF is not set"},
		{"no official repo configured", Policy{}, Where{CI: true, Repository: "a/b", Ref: "refs/heads/main"}, Request{Publish: true}, rel, false, "official_repo is not configured"},
		{"default branch is main", Policy{OfficialRepo: "a/b"}, Where{CI: true, Repository: "a/b", Ref: "refs/heads/main"}, Request{}, rel, true, ""},
		{"custom branch", Policy{OfficialRepo: "a/b", Branch: "release"}, Where{CI: true, Repository: "a/b", Ref: "refs/heads/main"}, Request{}, rel, false, "refs/heads/release"},
	} {
		d, err := Decide(c.pol, c.w, c.req, c.p)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err = %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || d.Publish != c.publish || d.Why == "" {
			t.Errorf("%s: %+v, %v; want publish=%v", c.name, d, err, c.publish)
		}
	}
}

func TestFromSettings(t *testing.T) {
	env := map[string]string{"CI": "true", "GITHUB_REPOSITORY": "a/b", "GITHUB_REF": "refs/heads/main", EnvForce: "1", EnvDryRun: "no"}
	s, err := settings.Parse(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	w, r := FromSettings(s)
	if !w.CI || w.Repository != "a/b" || w.Ref != "refs/heads/main" || !r.Force || r.DryRun || r.Publish {
		t.Errorf("%+v %+v", w, r)
	}
}

func TestArchTag(t *testing.T) {
	p := mkplan(t, "0.5.3", plan.Release)
	same := ArchImage{Found: true, Digest: "sha256:a", Version: "0.5.3", Revision: "c1"}
	for _, tc := range []struct {
		name   string
		p      plan.Plan
		have   ArchImage
		force  bool
		reuse  bool
		errHas string
	}{
		{"not pushed", p, ArchImage{}, false, false, ""},
		{"same release resumes", p, same, false, true, ""},
		{"another commit", p, ArchImage{Found: true, Version: "0.5.3", Revision: "c0"}, false, false, "never overwritten"},
		{"another version", p, ArchImage{Found: true, Version: "0.5.2", Revision: "c1"}, false, false, "never overwritten"},
		{"forced", p, ArchImage{Found: true, Version: "0.5.3", Revision: "c0"}, true, false, ""},
		{"nightly", mkplan(t, "0.5.3", plan.Nightly), same, false, false, ""},
	} {
		reuse, _, err := ArchTag(tc.p, tc.have, "c1", tc.force)
		if reuse != tc.reuse || (err == nil) != (tc.errHas == "") || (err != nil && !strings.Contains(err.Error(), tc.errHas)) {
			t.Errorf("%s: reuse %v err %v", tc.name, reuse, err)
		}
	}
}

func status(t *testing.T, dir string, st map[string]any) string {
	t.Helper()
	data, _ := json.Marshal(st)
	p := filepath.Join(dir, "status.json")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNightlyGate(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	healthy := func() map[string]any {
		return map[string]any{"schema_version": 1, "updated_at": "2026-11-27T03:00:00Z", "run_id": "9", "status": "healthy", "conclusion": "success",
			"run_url":                   "https://example.invalid/run/9",
			"latest_successful_nightly": map[string]any{"run_id": "9", "completed_at": "2026-11-27T03:00:00Z"}}
	}
	dir := t.TempDir()
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		mod     func(map[string]any)
		outcome string
		reason  string
	}{
		{"healthy", func(map[string]any) {}, GatePass, ""},
		{"unhealthy", func(m map[string]any) { m["status"] = "unhealthy"; m["conclusion"] = "failure" }, GateFail, `"unhealthy"`},
		{"stale", func(m map[string]any) { m["updated_at"] = "2026-11-24T03:00:00Z" }, GateFail, "limit 48h"},
		{"future", func(m map[string]any) { m["updated_at"] = "2026-11-28T03:00:00Z" }, GateFail, "in the future"},
		{"bad time", func(m map[string]any) { m["updated_at"] = "yesterday" }, GateFail, "not an RFC 3339"},
		{"no success", func(m map[string]any) { delete(m, "latest_successful_nightly") }, GateFail, "no latest_successful_nightly"},
		{"old success", func(m map[string]any) {
			m["latest_successful_nightly"] = map[string]any{"run_id": "1", "completed_at": "2026-11-10T00:00:00Z"}
		}, GateFail, "latest_successful_nightly.completed_at"},
		{"schema", func(m map[string]any) { m["schema_version"] = 2 }, GateFail, "schema_version 2"},
	} {
		st := healthy()
		c.mod(st)
		r, err := CheckNightly(ctx, GateOptions{Source: status(t, dir, st), Now: now})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if r.Outcome != c.outcome || (c.reason != "" && !strings.Contains(strings.Join(r.Reasons, "; "), c.reason)) {
			t.Errorf("%s: %+v, want %s with %q", c.name, r, c.outcome, c.reason)
		}
		if r.Allows() != (c.outcome == GatePass) {
			t.Errorf("%s: Allows = %v", c.name, r.Allows())
		}
	}
}

func TestNightlyGateOverrideAndSources(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	// Missing source: fails, and an emergency override with a real justification passes it, recorded.
	r, err := CheckNightly(ctx, GateOptions{Now: now})
	if err != nil || r.Outcome != GateFail {
		t.Fatalf("no source: %+v, %v", r, err)
	}
	why := "CVE fix for the tokenizer; nightly infra outage tracked in #123"
	r, err = CheckNightly(ctx, GateOptions{Source: filepath.Join(t.TempDir(), "missing.json"), Now: now, Override: why})
	if err != nil || r.Outcome != GateEmergency || r.Justification != why || !r.Allows() || len(r.Reasons) == 0 {
		t.Fatalf("override: %+v, %v", r, err)
	}
	for _, bad := range []string{"1", "true", "urgent"} {
		if _, err := CheckNightly(ctx, GateOptions{Now: now, Override: bad}); err == nil {
			t.Errorf("override %q accepted without a justification", bad)
		}
	}
	// URL source on 127.0.0.1.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/nightly-status.json" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"schema_version":1,"updated_at":"2026-11-27T10:00:00Z","status":"healthy","latest_successful_nightly":{"run_id":"5","completed_at":"2026-11-27T10:00:00Z"}}`))
	}))
	defer srv.Close()
	r, err = CheckNightly(ctx, GateOptions{Source: srv.URL + "/nightly-status.json", Now: now})
	if err != nil || r.Outcome != GatePass {
		t.Errorf("URL: %+v, %v", r, err)
	}
	r, _ = CheckNightly(ctx, GateOptions{Source: srv.URL + "/gone.json", Now: now})
	if r.Outcome != GateFail || !strings.Contains(r.Reasons[0], "404") {
		t.Errorf("404: %+v", r)
	}
}
