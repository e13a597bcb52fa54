package ci

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/report"
)

// Job results as GitHub reports them in needs.<job>.result.
const (
	Success   = "success"
	Failure   = "failure"
	Cancelled = "cancelled"
	Skipped   = "skipped"
)

// Row is one line of the finish gate's table.
type Row struct {
	Job      string `json:"job"`
	Target   string `json:"target,omitempty"`
	Result   string `json:"result"`
	Required bool   `json:"required"`
	OK       bool   `json:"ok"`
	Why      string `json:"why"`
}

type need struct {
	Result  string            `json:"result"`
	Outputs map[string]string `json:"outputs"`
}

// JobTarget maps a workflow job id to a PR target: they match when equal
// ignoring case, '-' and '_' ("unit-test-1" is unitTest1).
func JobTarget(job string) string {
	norm := func(s string) string {
		return strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(s))
	}
	for _, t := range config.PRTargets {
		if norm(t) == norm(job) {
			return t
		}
	}
	return ""
}

// Finish judges the jobs' results (toJSON(needs)) against the plan (the
// coordinator's "plan" output; when planJSON is empty it is read from the
// coordinator's outputs in needs). A job the plan required must succeed;
// a job the plan skipped may be skipped; any failed or cancelled job
// fails the gate, and so do a failed coordinator and a blocked plan.
func Finish(needsJSON, planJSON []byte) ([]Row, error) {
	rows, _, err := FinishRows(needsJSON, planJSON)
	if err != nil {
		return rows, err
	}
	return rows, RowsError(rows)
}

// FinishRows is Finish's table before the verdict, with the plan's gate;
// the error is bad input only.
func FinishRows(needsJSON, planJSON []byte) ([]Row, Gate, error) {
	var gate Gate
	needs, coord, err := decodeNeeds(needsJSON)
	if err != nil {
		return nil, gate, err
	}
	if len(bytes.TrimSpace(planJSON)) == 0 && coord != "" {
		planJSON = []byte(needs[coord].Outputs["plan"])
	}
	var rows []Row
	if coord != "" && needs[coord].Result != Success {
		rows = append(rows, Row{Job: coord, Result: needs[coord].Result, Required: true, Why: "the coordinator did not succeed, so no plan ran"})
	}
	if len(bytes.TrimSpace(planJSON)) > 0 {
		if err := json.Unmarshal(planJSON, &gate); err != nil {
			return nil, gate, fmt.Errorf("ci:finish: TPUCI_PLAN: want the coordinator's plan output (JSON): %v", err)
		}
	} else if len(rows) == 0 {
		return nil, gate, errors.New("ci:finish: no plan: set TPUCI_PLAN to the coordinator's plan output, or list the coordinator in needs")
	}
	if coord != "" && len(rows) == 0 {
		rows = append(rows, Row{Job: coord, Result: needs[coord].Result, Required: true, OK: true, Why: "planned"})
	}
	switch {
	case gate.Error != "":
		rows = append(rows, Row{Job: "plan", Result: "error", Required: true, Why: gate.Error})
	case gate.Blocked != "":
		rows = append(rows, Row{Job: "plan", Result: "blocked", Required: true, Why: gate.Blocked})
	}
	seen := map[string]bool{}
	for _, job := range sortedJobs(needs, coord) {
		r := judgeJob(job, needs[job].Result, gate)
		seen[r.Target] = true
		rows = append(rows, r)
	}
	for _, t := range gate.Required {
		if !seen[t] {
			rows = append(rows, Row{Job: "(none)", Target: t, Result: "missing", Required: true,
				Why: "the plan requires " + t + " but no job of the workflow runs it (name the job after the target, e.g. unit-test-1 for unitTest1)"})
		}
	}
	return rows, gate, nil
}

// RowsError is the gate's error: the rows that are not ok, or nil.
func RowsError(rows []Row) error {
	var fails []string
	for _, r := range rows {
		if !r.OK {
			fails = append(fails, fmt.Sprintf("%s: %s", r.Job, r.Why))
		}
	}
	if len(fails) > 0 {
		return fmt.Errorf("ci:finish: %d required check(s) failed: %s", len(fails), strings.Join(fails, "; "))
	}
	return nil
}

// decodeNeeds reads toJSON(needs) and finds the coordinator: the job with
// a plan output, or the one named coordinator.
func decodeNeeds(needsJSON []byte) (needs map[string]need, coord string, err error) {
	dec := json.NewDecoder(bytes.NewReader(needsJSON))
	if err := dec.Decode(&needs); err != nil {
		return nil, "", fmt.Errorf("ci:finish: TPUCI_NEEDS: want the JSON of toJSON(needs), an object of jobs with a result: %v", err)
	}
	if len(needs) == 0 {
		return nil, "", errors.New("ci:finish: TPUCI_NEEDS is empty: list every job of the workflow in the finish job's needs")
	}
	for job, n := range needs {
		if _, ok := n.Outputs["plan"]; ok || job == "coordinator" {
			coord = job
		}
	}
	return needs, coord, nil
}

// sortedJobs are the jobs but the coordinator, in the PR targets' order,
// then by name.
func sortedJobs(needs map[string]need, coord string) []string {
	jobs := make([]string, 0, len(needs))
	for job := range needs {
		if job != coord {
			jobs = append(jobs, job)
		}
	}
	order := func(job string) int {
		if i := slices.Index(config.PRTargets, JobTarget(job)); i >= 0 {
			return i
		}
		return len(config.PRTargets)
	}
	sort.Slice(jobs, func(i, j int) bool {
		if oi, oj := order(jobs[i]), order(jobs[j]); oi != oj {
			return oi < oj
		}
		return jobs[i] < jobs[j]
	})
	return jobs
}

// judgeJob is one job's row: a failed or cancelled job fails, and so
// does a required job that did not succeed.
func judgeJob(job, res string, gate Gate) Row {
	target := JobTarget(job)
	r := Row{Job: job, Target: target, Result: res, Required: slices.Contains(gate.Required, target), OK: true}
	switch {
	case res == Failure || res == Cancelled:
		r.OK, r.Why = false, "the job "+map[string]string{Failure: "failed", Cancelled: "was cancelled"}[res]
	case r.Required && res == Skipped:
		r.OK, r.Why = false, "the plan requires it but it was skipped (did an upstream job fail?)"
	case r.Required && res != Success:
		r.OK, r.Why = false, fmt.Sprintf("the plan requires it; result %q", res)
	case r.Required:
		r.Why = "required and passed"
	case res == Skipped:
		r.Why = "not needed: " + gate.Why[target]
		if target == "" {
			r.Why = "skipped"
		}
	default:
		r.Why = "passed"
	}
	return r
}

// FinishTable writes the rows as a terminal table.
func FinishTable(w io.Writer, rows []Row) {
	tab := report.Table{Header: []string{"job", "target", "result", "required", "ok", "why"}}
	for _, r := range rows {
		tab.Rows = append(tab.Rows, []string{r.Job, r.Target, r.Result, yes(r.Required), okText(r.OK), r.Why})
	}
	fmt.Fprint(w, report.Wrapped(tab))
}

func okText(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAIL"
}

// FinishMarkdown renders the rows for the step summary.
func FinishMarkdown(rows []Row, err error) string {
	var b strings.Builder
	b.WriteString("## tpuci finish gate\n\n")
	if err != nil {
		b.WriteString("❌ " + mdEscape(err.Error()) + "\n\n")
	} else {
		b.WriteString("✅ every job the plan required passed\n\n")
	}
	b.WriteString("| job | target | result | required | ok | why |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.Job, r.Target, r.Result, yes(r.Required), okText(r.OK), mdEscape(r.Why))
	}
	return b.String()
}

// JobRecord is one stage record (<target>.json) a job uploaded.
type JobRecord struct {
	Artifact string // the artifact's directory name
	Result   *report.TargetResult
}

// JobRecords reads the stage records (<target>.json) in the artifacts the
// jobs uploaded, one directory per artifact under dir (named
// tpuci-<job>[-<entry>]), by job. A file that is not a stage record
// (durations.json, plan.json) is skipped.
func JobRecords(dir string, jobs []string) (map[string][]JobRecord, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("ci:finish: read the jobs' results: %w", err)
	}
	out := map[string][]JobRecord{}
	for _, e := range entries {
		job := artifactJob(e.Name(), jobs)
		if job == "" || !e.IsDir() {
			continue
		}
		recs, _ := filepath.Glob(filepath.Join(dir, e.Name(), "*.json"))
		for _, rec := range recs {
			var st report.TargetResult
			data, err := os.ReadFile(rec)
			if err != nil || json.Unmarshal(data, &st) != nil || st.Target == "" || st.Status == "" ||
				filepath.Base(rec) != st.Target+".json" {
				continue
			}
			out[job] = append(out[job], JobRecord{Artifact: e.Name(), Result: &st})
		}
	}
	return out, nil
}

// JobFailures lists the failures of each job's failed stage records, each
// prefixed by its artifact's entry: what failed and where, for the
// gate's table.
func JobFailures(recs map[string][]JobRecord) map[string][]string {
	out := map[string][]string{}
	for job, rs := range recs {
		for _, r := range rs {
			if r.Result.Status != report.Failed && r.Result.Status != report.Errored {
				continue
			}
			for _, f := range r.Result.Failures {
				out[job] = append(out[job], strings.TrimPrefix(r.Artifact, "tpuci-")+": "+f)
			}
		}
	}
	return out
}

// artifactJob is the job whose artifact is named name: the longest job id
// j with name "tpuci-<j>" or "tpuci-<j>-...".
func artifactJob(name string, jobs []string) string {
	best := ""
	for _, j := range jobs {
		if (name == "tpuci-"+j || strings.HasPrefix(name, "tpuci-"+j+"-")) && len(j) > len(best) {
			best = j
		}
	}
	return best
}
