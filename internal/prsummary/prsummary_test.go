package prsummary

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/failclass"
	"github.com/sgl-project/tpuci/internal/githubtest"
	"github.com/sgl-project/tpuci/internal/triage"
)

func summary() Summary {
	expires := time.Date(2030, 1, 31, 0, 0, 0, 0, time.UTC)
	return Summary{Verdict: "fails because of this change", Head: strings.Repeat("c", 40), RunURL: "https://github.com/o/r/actions/runs/9",
		Decisions: []triage.Decision{
			{Failure: triage.Failure{Job: "unit-test-1", Test: "t/test_a.py", File: "t/test_a.py", Message: "AssertionError: @everyone <b>`x`</b>"},
				Triage: failclass.NewFailure, Gates: true},
			{Failure: triage.Failure{Job: "unit-test-1", Test: "t/test_b.py", File: "t/test_b.py", Message: "t/test_b.py: boom"},
				Triage: failclass.MainFailing, Main: &triage.Verdict{Commit: strings.Repeat("b", 40), RunURL: "https://github.com/o/r/actions/runs/7"}},
			{Failure: triage.Failure{Job: "unit-test-1", Test: "t/test_c.py", File: "t/test_c.py", Passed: true, Retries: 1},
				Triage: failclass.NewFailure},
			{Failure: triage.Failure{Job: "unit-test-1", Test: "t/test_d.py::T.test_x", File: "t/test_d.py", Message: "hang"},
				Triage: failclass.Quarantined},
			{Failure: triage.Failure{Job: "unit-test-1", Test: "t/test_f.py", File: "t/test_f.py", Message: "x"},
				Triage: failclass.Quarantined},
			{Failure: triage.Failure{Job: "e2e", Test: "t/test_e.py", File: "t/test_e.py", Message: "TPU is already in use"},
				Triage: failclass.Infra, Gates: true},
		},
		Untriaged: []Job{{Name: "e2e", Why: "1 of its 2 jobs wrote no stage record"}},
		Quarantine: []triage.Quarantine{{Test: "t/test_d.py", Owner: "@dee", Issue: "#12", Reason: "hangs", Expires: expires},
			{Test: "t/test_f.py", Owner: "@eff", Issue: "https://github.com/o/r/issues/13", Expires: expires}},
	}
}

// The body lists each class's tests with their evidence, and nothing in
// it can mention, link or format from test output.
func TestBody(t *testing.T) {
	b := Body(summary())
	for _, want := range []string{
		Marker + "\n### tpuci: fails because of this change",
		"commit `cccccccccc` · [the run](https://github.com/o/r/actions/runs/9)",
		"**New: fails here, not on main** (1)\n- `t/test_a.py` (unit-test-1) — `AssertionError: @everyone <b>'x'</b>`",
		"**Already failing on main** (1)\n- `t/test_b.py` (unit-test-1): main's latest result failed alike at `bbbbbbbbbb` ([run](https://github.com/o/r/actions/runs/7)) — `boom`\n",
		"**Infrastructure: rerun** (1)\n- `t/test_e.py` (e2e)",
		"**Flaky passes: failed, then passed on a retry** (1)\n- `t/test_c.py` (unit-test-1): passed after 1 retry",
		"**Quarantined: runs, does not gate** (2)\n- `t/test_d.py::T.test_x` (unit-test-1): owner `@dee`, issue \\#12, expires 2030-01-31, hangs",
		"- `t/test_f.py` (unit-test-1): owner `@eff`, [issue](https://github.com/o/r/issues/13), expires 2030-01-31",
		"**Failed jobs without a test to triage** (1)\n- `e2e`: 1 of its 2 jobs wrote no stage record",
	} {
		if !strings.Contains(b, want) {
			t.Errorf("body lacks %q:\n%s", want, b)
		}
	}
	if strings.Contains(Body(Summary{Verdict: "passed"}), "**") || !strings.Contains(Body(Summary{Verdict: "passed"}), "No failed test.") {
		t.Errorf("empty summary: %s", Body(Summary{Verdict: "passed"}))
	}
	s := summary()
	for i := 0; i < 5000; i++ {
		s.Decisions = append(s.Decisions, s.Decisions[0])
	}
	if b := Body(s); len(b) > maxBody || !strings.Contains(b, "and 4971 more") {
		t.Errorf("a long summary: %d bytes", len(b))
	}
}

// Two runs make one comment, created then edited in place; a person's
// comment that quotes the marker is left alone; a bad token is an error.
func TestUpsertEditsInPlace(t *testing.T) {
	srv := githubtest.New(t, "o/r", "tok")
	srv.Comments = append(srv.Comments, &githubtest.Comment{ID: 1, Issue: 42, User: "alice", Body: Marker + " quoted by a person"})
	c, err := Client(srv.URL, "tok")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	did, err := Upsert(ctx, c, "o/r", 42, Body(summary()))
	if err != nil || !strings.HasPrefix(did, "created comment") {
		t.Fatalf("first run: %q %v", did, err)
	}
	s := summary()
	s.Verdict = "fails only on what main already fails"
	did, err = Upsert(ctx, c, "o/r", 42, Body(s))
	if err != nil || !strings.HasPrefix(did, "edited comment") {
		t.Fatalf("second run: %q %v", did, err)
	}
	got := srv.CommentsOn(42)
	if len(got) != 2 || got[0].Body != Marker+" quoted by a person" || got[0].Edits != 0 || got[1].Edits != 1 ||
		!strings.Contains(got[1].Body, "### tpuci: fails only on what main already fails") {
		t.Fatalf("comments: %+v", got)
	}
	if n := srv.CallsMatching("POST /repos/o/r/issues/42/comments"); n != 1 {
		t.Errorf("%d comments created", n)
	}
	bad, _ := Client(srv.URL, "nope")
	if _, err := Upsert(ctx, bad, "o/r", 42, "x"); err == nil || strings.Contains(err.Error(), "nope") {
		t.Errorf("bad token: %v", err)
	}
	if _, err := Upsert(ctx, c, "no-slash", 42, "x"); err == nil || !strings.Contains(err.Error(), "GITHUB_REPOSITORY") {
		t.Errorf("bad repository: %v", err)
	}
}
