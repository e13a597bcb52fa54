package workflows

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const nightlyWorkflow = "nightly-test.yml"

// runnerTable maps chip counts to SGLang-JAX's runner labels (the
// example runs everything on ubuntu-latest).
const runnerTable = `
[gating.runners]
"0" = "arc-runner-cpu-us-south1-b"
"1" = "arc-runner-v6e-1-us-south1-ai1b"
"4" = "arc-runner-v6e-4-us-south1-ai1b"
`

// smallNight cuts the example's nightly matrix to one concurrency and one
// input length per kind and one evaluation per model: six cases of two
// models, a 1-chip and a 4-chip one, on SGLang-JAX's runners.
func smallNight(t *testing.T, dir string) {
	t.Helper()
	toml := rewrite(t, dir, "tpuci.toml",
		"concurrencies = [4, 16]", "concurrencies = [4]",
		"ttft_input_lens = [256, 1024]", "ttft_input_lens = [256]",
		`trace_point = "c16-i256-o32"`, `trace_point = "c4-i256-o32"`,
		`datasets = ["mmlu", "gsm8k"]`, `datasets = ["gsm8k"]`) + runnerTable
	change(t, dir, "a small nightly matrix", map[string]string{"tpuci.toml": toml})
}

// nightRun is one scheduled night of the official repository, recording
// into the data repository.
func nightRun(t *testing.T, dir, data, night string, runID int) run {
	return run{Dir: dir, Workflow: nightlyWorkflow, Event: "schedule",
		Payload:   map[string]any{"schedule": "0 0 * * *", "repository": map[string]any{"full_name": "sgl-project/sglang-jax", "default_branch": "main"}},
		Artifacts: filepath.Join(t.TempDir(), "artifacts"),
		Env: map[string]string{"GITHUB_REPOSITORY": "sgl-project/sglang-jax", "GITHUB_RUN_ID": fmt.Sprint(runID),
			"TPUCI_NIGHTLY_DATE": night, "TPUCI_NIGHTLY_HISTORY": filepath.Join(t.TempDir(), "local-history")},
		Vars:    map[string]string{"TPUCI_NIGHTLY_GIT": data},
		Secrets: map[string]string{"GH_PAT_FOR_NIGHTLY_CI_DATA": "ghp-nightly-data-token"},
	}
}

type nightStatus struct {
	Night    string `json:"night"`
	Status   string `json:"status"`
	RunID    string `json:"run_id"`
	Coverage struct {
		Cases int `json:"cases"`
		Ran   int `json:"ran"`
	} `json:"coverage"`
	LatestSuccess *struct {
		RunID string `json:"run_id"`
	} `json:"latest_successful_nightly"`
}

// readNight checks the data repository after a night: a record file per
// model for every night so far, and the status record of the last one.
func readNight(t *testing.T, data string, nights []string, runID int) nightStatus {
	t.Helper()
	repo := checkoutData(t, data)
	for _, night := range nights {
		for _, model := range []string{"qwen3-8b-tp1", "qwen3-30b-a3b-tp4-ep4"} {
			p := filepath.Join(repo, "nightly", "nights", night, model+".jsonl")
			b, err := os.ReadFile(p)
			if err != nil {
				t.Errorf("data repository: %v", err)
				continue
			}
			if n := strings.Count(strings.TrimSpace(string(b)), "\n") + 1; n != 3 {
				t.Errorf("%s/%s: %d records, want 3", night, model, n)
			}
		}
	}
	var st nightStatus
	b, err := os.ReadFile(filepath.Join(repo, "nightly", "nightly-status.json"))
	if err != nil || json.Unmarshal(b, &st) != nil {
		t.Fatalf("data repository has no status record: %v %s", err, b)
	}
	want := fmt.Sprint(runID)
	if st.Night != nights[len(nights)-1] || st.Status != "healthy" || st.RunID != want || st.Coverage.Ran != 6 ||
		st.Coverage.Cases != 6 || st.LatestSuccess == nil || st.LatestSuccess.RunID != want {
		t.Errorf("status record %s", b)
	}
	if strings.Contains(string(b), "ghp-nightly-data-token") {
		t.Error("the data repository token is in the status record")
	}
	return st
}

// judgedHistory is the fewest nights of history any case of the night's
// results.json (every job's artifact) was judged with.
func judgedHistory(t *testing.T, artifacts string) (cases, fewest int) {
	t.Helper()
	fewest = -1
	files, _ := filepath.Glob(filepath.Join(artifacts, "tpuci-nightly-*", "nightly", "results.json"))
	for _, f := range files {
		var doc struct {
			Results []struct {
				Judged []struct {
					Analysis struct {
						History int `json:"history"`
					} `json:"analysis"`
				} `json:"judged"`
			} `json:"results"`
		}
		b, err := os.ReadFile(f)
		if err != nil || json.Unmarshal(b, &doc) != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, r := range doc.Results {
			cases++
			for _, j := range r.Judged {
				if fewest < 0 || j.Analysis.History < fewest {
					fewest = j.Analysis.History
				}
			}
		}
	}
	return cases, fewest
}

// Two scheduled nights of the official repository: ci:matrix nightly puts
// the 1-chip model on a v6e-1 runner and the 4-chip model on a v6e-4 one,
// both jobs push their results into the data repository as one night, and
// the job that completes the night writes the status record. The second
// night is judged against the first night's history, read from the data
// repository.
func TestScheduledNightsShareTheDataRepository(t *testing.T) {
	t.Parallel()
	dir := clone(t, "main")
	smallNight(t, dir)
	data := dataRepo(t)
	nights := []string{"2026-11-30", "2026-12-01"}
	for i, night := range nights {
		r := nightRun(t, dir, data, night, 101+i)
		res := r.do(t)
		res.expect(t, map[string]string{"matrix": "succeeded", "nightly": "succeeded"})
		if n := res.entries("nightly", "succeeded"); n != 2 {
			t.Errorf("night %s: %d nightly jobs succeeded, want 2 (jobs %v)", night, n, res.Jobs)
		}
		res.contains(t, "matrix", `"chips":1,"runner":"arc-runner-v6e-1-us-south1-ai1b","models":"qwen3-8b-tp1"`,
			`"chips":4,"runner":"arc-runner-v6e-4-us-south1-ai1b","models":"qwen3-30b-a3b-tp4-ep4"`)
		res.contains(t, "nightly", "nightly status healthy:") // by the job that completed the night (or both, when they finish together)
		if strings.Contains(res.Log, "ghp-nightly-data-token") {
			t.Errorf("night %s: the data repository token is in the log", night)
		}
		readNight(t, data, nights[:i+1], 101+i)
		cases, fewest := judgedHistory(t, r.Artifacts)
		if cases != 6 || fewest != i {
			t.Errorf("night %s: %d cases judged (want 6) with at least %d nights of history (want %d)", night, cases, fewest, i)
		}
		if t.Failed() {
			t.FailNow()
		}
	}
}
